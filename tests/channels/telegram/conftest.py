"""A real python-telegram-bot Application, polling a fake Bot API server on loopback.

`tg.say(chat, "text")` pushes a real Update through getUpdates and returns what the bot sent
back; `tg.tap(chat, data)` does the same for a button. `tg.restart()` builds a new Application
on the same database, as a redeploy would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application

from bot.app import (
    DeliveryStores,
    SupportStores,
    TelegramBot,
    delivery_stores,
    support_stores,
    telegram_bot,
)
from bot.channels.telegram.run import Served, launch, stop
from bot.channels.telegram.staff import StaffDoor
from bot.conversation import Conversation
from bot.core.assistant import Assistant
from bot.settings import SupportSettings, TelegramSettings
from bot.storage.models import SentCall
from bot.storage.questions import QuestionLog
from bot.storage.sent import IN_FLIGHT
from bot.storage.users import UserStore
from bot.support.desk import SupportDesk
from bot.voice.speech import Speaker
from bot.voice.worker import VoiceWorker
from tests.fakes.bot_api import Call, FakeBotApi

SENT = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery")


@dataclass
class Harness:
    fake: FakeBotApi
    conversation: Conversation
    settings: TelegramSettings
    delivery: DeliveryStores
    support: SupportStores | None = None
    served: Served | None = None
    parts: TelegramBot | None = None
    staff: StaffDoor | None = None  # /staff and staff invitations (the console's door)

    @property
    def application(self) -> Application | None:  # type: ignore[type-arg]
        return self.served.application if self.served else None

    @property
    def desk(self) -> SupportDesk | None:
        """The support desk of the running bot (a new one after each restart)."""
        return self.parts.desk if self.parts else None

    async def start(self) -> None:
        self.parts = telegram_bot(
            self.conversation, self.settings, self.support, self.delivery, self.staff
        )
        self.served = await launch(self.parts, self.settings)
        if self.served.menus is not None:  # set in the background; tests read the calls after
            await self.served.menus

    async def stop(self) -> None:
        if self.served is not None:
            await stop(self.served)
            self.served = None

    async def crash(self) -> None:
        """Die as a killed process would: the updates being handled stop where they are and
        stay claimed; only what the database holds survives. Then a clean stop of the rest."""
        assert self.served is not None
        worker = self.served.worker
        for task in list(worker.tasks):
            task.cancel()
        await asyncio.gather(*worker.tasks, return_exceptions=True)
        await self.stop()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def push(
        self, update: dict[str, Any], chat: int, expect: str, count: int, timeout: float = 10.0
    ) -> list[Call]:
        mark = self.fake.mark()
        self.fake.push_update(update)
        # A callback answer names no chat; the tests drive one update at a time.
        who = None if expect == "answerCallbackQuery" else chat
        await self.fake.wait_for(expect, chat_id=who, since=mark, count=count, timeout=timeout)
        return await self.settle(mark)

    async def settle(self, mark: int) -> list[Call]:
        """Every call after `mark`, once the bot has handled every update it received."""
        await self.idle()
        return self.fake.calls[mark:]

    async def idle(self) -> None:
        """Wait until every update the fake gave out is stored and handled."""
        assert self.served is not None
        while (
            self.fake.unconfirmed()
            or self.served.worker.busy
            or await self.delivery.inbox.pending()
        ):
            await asyncio.sleep(0.005)

    async def say(self, chat: int, text: str, *, count: int = 1, **kw: Any) -> list[Call]:
        """Send a text message; the bot's sendMessage calls in answer."""
        calls = await self.push(self.fake.message(chat, text, **kw), chat, "sendMessage", count)
        return [c for c in calls if c.method == "sendMessage" and c.chat_id == chat]

    async def send(
        self, chat: int, update: dict[str, Any], *, count: int = 1, timeout: float = 10.0
    ) -> list[Call]:
        """Send any update (a voice note, a photo...); the bot's sendMessage calls in answer
        (`timeout`: how long to wait for `count` of them)."""
        calls = await self.push(update, chat, "sendMessage", count, timeout)
        return [c for c in calls if c.method == "sendMessage" and c.chat_id == chat]

    async def tap(
        self, chat: int, data: str, *, message_id: int | None = None, **kw: Any
    ) -> list[Call]:
        """Press a button; every call the bot made in answer (the callback answer first)."""
        update = self.fake.callback(chat, data, message_id=message_id, **kw)
        return await self.push(update, chat, "answerCallbackQuery", 1)

    async def setup(self, chat: int, city: str, language: str) -> None:
        """A user who has chosen a city and a language."""
        await self.say(chat, "/start", language_code=language)
        await self.tap(chat, f"1c:{city}", language_code=language)
        await self.tap(chat, f"1l:{language}", language_code=language)


@asynccontextmanager
async def running(
    assistant: Assistant,
    sessions: async_sessionmaker[AsyncSession],
    *,
    support: bool,
    voice: VoiceWorker | None = None,
    speech: Speaker | None = None,
    state_dir: Path | None = None,
) -> AsyncIterator[Harness]:
    """The bot on the fake Bot API; with `state_dir`, sends in flight are noted in a local
    file there, as `main.py run` does."""
    conversation = Conversation(
        assistant,
        UserStore(sessions),
        QuestionLog(sessions, timedelta(days=30)),
        "telegram",
        voice=voice,
        speech=speech,
    )
    stores = support_stores(sessions, SupportSettings()) if support else None
    async with FakeBotApi() as fake:
        settings = TelegramSettings(
            token=fake.token, api_base_url=fake.base_url, state_dir=state_dir
        )
        harness = Harness(fake, conversation, settings, delivery_stores(sessions), support=stores)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()


@pytest.fixture
async def tg(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Harness]:
    """The bot in a city without a support network."""
    async with running(assistant, sessions, support=False) as harness:
        yield harness


@pytest.fixture
async def desk_tg(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Harness]:
    """The bot with the city's support network wired in."""
    async with running(assistant, sessions, support=True) as harness:
        yield harness


async def until_in_flight(sessions: async_sessionmaker[AsyncSession], timeout: float = 20) -> None:
    """Wait until a send is marked in flight in the journal: its request was written whole and
    the mark committed. (A process that dies between the two sends it again after its restart:
    that window is as long as one small commit.)"""
    marked = select(func.count()).where(SentCall.answer == IN_FLIGHT)
    async with asyncio.timeout(timeout):
        while True:
            async with sessions() as session:
                if await session.scalar(marked):
                    return
            await asyncio.sleep(0.01)
