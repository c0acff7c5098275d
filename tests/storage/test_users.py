"""Users: found or created once, whoever asks first."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.conversation import Conversation
from bot.core.assistant import Assistant
from bot.core.render import PlainFormatter
from bot.storage.models import User
from bot.storage.network import Network
from bot.storage.questions import QuestionLog
from bot.storage.tickets import Tickets
from bot.storage.users import UserStore
from tests.storage.test_tickets import NOW, volunteer


async def test_a_new_users_first_updates_in_two_processes_make_one_user(
    sessions: async_sessionmaker[AsyncSession], elsewhere: async_sessionmaker[AsyncSession]
) -> None:
    here, there = UserStore(sessions), UserStore(elsewhere)
    for n in range(20):
        chat = f"new{n}"
        first, second = await asyncio.gather(
            here.get_or_create("telegram", chat), there.get_or_create("telegram", chat)
        )
        assert first.id == second.id and first.chat_id == second.chat_id == chat
        assert (first.active, first.language_explicit, first.city) == (True, False, None)
    async with sessions() as session:
        assert await session.scalar(select(func.count(User.id))) == 20


async def test_an_existing_user_is_found_not_changed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    users = UserStore(sessions)
    made = await users.get_or_create("telegram", "42")
    made.city, made.language = "mechelen", "nl"
    await users.save(made)
    found = await users.get_or_create("telegram", "42")
    assert (found.id, found.city, found.language) == (made.id, "mechelen", "nl")
    other = await users.get_or_create("console", "42")
    assert other.id != made.id


async def test_who_answers_the_support_networks_questions_in_one_read(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    users, network, tickets = UserStore(sessions), Network(sessions), Tickets(sessions)
    assert await users.who("telegram", "never-seen") is None  # and nothing is created
    assert await users.get("telegram", "never-seen") is None

    migrant = await users.get_or_create("telegram", "m1")
    who = await users.who("telegram", "m1")
    assert who is not None and (who.user.id, who.volunteer, who.tickets) == (
        migrant.id,
        False,
        False,
    )

    opened = await tickets.open(
        user_id=migrant.id, city="brussels", language="ar", topic="housing", urgent=False,
        question="Where can I sleep?", now=NOW,
    )  # fmt: skip
    with counted(engine) as statements:
        who = await users.who("telegram", "m1")
    assert statements == [1] and who is not None and who.tickets and not who.volunteer
    await tickets.close(opened.id, by="migrant", now=NOW)
    who = await users.who("telegram", "m1")
    assert who is not None and not who.tickets  # a closed ticket is nobody's business

    helper = await volunteer(network, "v1")
    await users.get_or_create("telegram", "v1")  # the volunteer also asked a question once
    who = await users.who("telegram", "v1")
    assert who is not None and who.volunteer and not who.tickets
    await network.remove(helper.id, now=NOW)
    who = await users.who("telegram", "v1")
    assert who is not None and not who.volunteer


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[int]]:
    """A one-item list counting the statements the engine runs meanwhile."""
    count = [0]

    def one_more(*_: object) -> None:
        count[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", one_more)
    try:
        yield count
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", one_more)


async def test_a_message_that_changes_nothing_of_its_user_writes_only_its_question(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    users = UserStore(sessions)
    conversation = Conversation(assistant, users, QuestionLog(sessions, timedelta(days=30)), "t")
    await conversation.set_city("1", "brussels")
    await conversation.message("1", "where can I learn French", PlainFormatter())
    first = await users.get("t", "1")
    assert first is not None and first.last_topic == "language-courses"

    writes: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_: object) -> None:
        writes.extend(statement.split()[:1])

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        await conversation.message("1", "French lessons for adults", PlainFormatter())
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert [w for w in writes if w in ("INSERT", "UPDATE")] == ["INSERT"]  # the question only
    again = await users.get("t", "1")
    assert again is not None and again.last_seen_at == first.last_seen_at  # kept to the day

    await conversation.message("1", "I need a doctor", PlainFormatter())  # another topic
    moved = await users.get("t", "1")
    assert moved is not None and moved.last_topic == "health-care"
