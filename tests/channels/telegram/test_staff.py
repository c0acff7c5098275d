"""City staff in Telegram: the invitation binds their chat, and /staff gives a sign-in link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import delivery_stores
from bot.channels.telegram.staff import StaffDoor
from bot.conversation import Conversation
from bot.core.assistant import Assistant
from bot.settings import TelegramSettings
from bot.storage.models import StaffToken
from bot.storage.questions import QuestionLog
from bot.storage.staff import Role, StaffStore
from bot.storage.users import UserStore
from tests.channels.telegram.conftest import Harness
from tests.fakes.bot_api import FakeBotApi

CONSOLE = "https://guichet.example.org/console"


async def _harness(
    fake: FakeBotApi, assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> Harness:
    conversation = Conversation(
        assistant, UserStore(sessions), QuestionLog(sessions, timedelta(days=30)), "telegram"
    )
    settings = TelegramSettings(token=fake.token, api_base_url=fake.base_url)
    harness = Harness(fake, conversation, settings, delivery_stores(sessions))
    harness.staff = StaffDoor(StaffStore(sessions), CONSOLE)
    await harness.start()
    return harness


async def test_an_invited_editor_gets_a_one_time_sign_in_link_with_staff(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    store = StaffStore(sessions)
    ana, invite = await store.add("Ana", Role.EDITOR, "mechelen")
    async with FakeBotApi() as fake:
        tg = await _harness(fake, assistant, sessions)
        try:
            welcome = await tg.say(810, f"/start s_{invite}", language_code="nl")
            assert "Ana" in (welcome[0].text or "") and "/staff" in (welcome[0].text or "")
            assert (await store.by_chat("810")) == ana
            link = await tg.say(810, "/staff", language_code="en")
            text = link[0].text or ""
            assert f"{CONSOLE}/login/" in text
            token = text.split(f"{CONSOLE}/login/")[1].split()[0]
            async with sessions() as session:  # kept only as a digest
                assert token not in {t.digest for t in await session.scalars(select(StaffToken))}
            signed = await store.login(token)
            assert signed == ana
            # The invitation was spent: opening it again binds nothing.
            again = await tg.say(811, f"/start s_{invite}", language_code="en")
            assert "not valid" in (again[0].text or "")
            assert await store.by_chat("811") is None
        finally:
            await tg.stop()


async def test_staff_from_someone_who_is_not_staff_is_an_unknown_command(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with FakeBotApi() as fake:
        tg = await _harness(fake, assistant, sessions)
        try:
            await tg.setup(820, "brussels", "en")
            sent = await tg.say(820, "/staff")
            assert sent and "/login/" not in (sent[0].text or "")
            async with sessions() as session:
                assert not list(await session.scalars(select(StaffToken)))
        finally:
            await tg.stop()
