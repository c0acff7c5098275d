"""The inbox worker wakes when an update can be claimed, not on a timer (bot/channels/telegram/
inbox.py): `Arrivals` on its own, and a real Application whose timer is too long to help. What
one message costs the database, inbox and journal of sent calls included."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.telegram.inbox import Arrivals
from bot.core.assistant import Assistant
from tests.channels.telegram.conftest import Harness, running


def test_an_update_of_a_chat_not_in_hand_wakes_the_worker() -> None:
    arrivals = Arrivals()
    arrivals.stored(7)
    assert arrivals.event.is_set()


def test_an_update_of_a_chat_in_hand_waits_for_the_end_of_the_one_before() -> None:
    arrivals = Arrivals()
    arrivals.stored(7)
    arrivals.taken(7)
    arrivals.event.clear()
    arrivals.stored(7)  # the next message, while the first is being answered
    assert not arrivals.event.is_set()
    arrivals.finished(7)
    assert arrivals.event.is_set()


def test_the_end_of_a_chat_with_nothing_more_does_not_wake_the_worker() -> None:
    arrivals = Arrivals()
    arrivals.stored(7)
    arrivals.taken(7)
    arrivals.event.clear()
    arrivals.finished(7)
    assert not arrivals.event.is_set()


def test_two_updates_of_one_chat_in_one_batch_are_both_handled_in_order() -> None:
    arrivals = Arrivals()
    arrivals.stored(7)
    arrivals.stored(7)  # both stored before the first claim
    arrivals.taken(7)  # the claim takes the first; the second must wait for it
    arrivals.event.clear()
    arrivals.finished(7)
    assert arrivals.event.is_set()  # the second may be claimed now
    arrivals.taken(7)
    arrivals.event.clear()
    arrivals.finished(7)
    assert not arrivals.event.is_set()


def test_updates_without_a_chat_always_wake_the_worker() -> None:
    arrivals = Arrivals()
    arrivals.taken(None)
    arrivals.stored(None)
    assert arrivals.event.is_set()


async def test_a_burst_from_one_chat_is_answered_in_order_without_waiting_for_the_timer(
    tg: Harness,
) -> None:
    questions = ("where can I learn French", "how do I find a job", "I need food")
    await tg.setup(4102, "brussels", "en")
    expected = [(await tg.say(4102, q))[0].text for q in questions]  # one at a time
    await tg.setup(4101, "brussels", "en")
    assert tg.served is not None
    tg.served.worker.poll = 3600.0  # an hour: only a wake-up can get these answered in time
    await tg.say(4101, "I need a doctor")  # the worker now waits with the long timer
    mark = tg.fake.mark()
    for text in questions:  # fetched in one batch
        tg.fake.push_update(tg.fake.message(4101, text))
    await tg.fake.wait_for("sendMessage", chat_id=4101, since=mark, count=3, timeout=20)
    assert [c.text for c in tg.fake.calls_of("sendMessage", 4101)[-3:]] == expected


async def test_a_known_migrants_question_costs_its_inbox_one_insert_a_claim_and_a_done(
    assistant: Assistant,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    """As `main.py run` serves: sends in flight noted in a local file. The answer's journal
    entry is never written (the update is done right after it), and nothing is deleted from a
    journal that holds nothing. With several processes (PostgreSQL) a send is also marked in
    the journal for another machine, and that mark is forgotten with the update."""
    statements: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_: object) -> None:
        if not re.search(r"count\(\*\).*FROM inbox", statement, re.S):  # the harness's idle check
            words = statement.split()
            table = words[2] if words[0] in ("INSERT", "DELETE") else words[1]
            statements.append(f"{words[0]} {table}" if words[0] != "SELECT" else "SELECT")

    async with running(assistant, sessions, support=True, state_dir=tmp_path / "state") as h:
        await h.setup(4201, "brussels", "en")
        await h.say(4201, "where can I learn French")
        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        try:
            calls = await h.say(4201, "French lessons for adults")
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", seen)
    courses = assistant.knowledge.topics["language-courses"].title["en"]
    assert courses in (calls[-1].text or "")
    several = [] if engine.dialect.name == "sqlite" else ["INSERT sent_calls", "DELETE sent_calls"]
    assert sorted(statements) == sorted(
        ["INSERT inbox", "UPDATE inbox", "SELECT", "INSERT questions", "UPDATE inbox", *several]
    )
