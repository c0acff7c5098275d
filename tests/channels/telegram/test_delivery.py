"""Calls to a failing Bot API: tried again, never sent twice, never a wrong "Sorry", and a
button's action carried out whatever happens to the answer to the press."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.i18n import translator
from bot.storage.inbox import Inbox
from bot.storage.models import InboxUpdate, Question
from bot.storage.sent import IN_FLIGHT, SentJournal
from tests.channels.telegram.conftest import Harness, until_in_flight
from tests.fakes.bot_api import ApiError, Call
from tests.fakes.telegram_html import visible

SORRY = translator("en").gettext("Sorry, something went wrong on our side. Please try again soon.")
QUESTION = "where can I learn Dutch"


def delivered(calls: list[Call], chat: int) -> list[str]:
    """The texts a chat received, in order."""
    return [
        visible(c.text or "")
        for c in calls
        if c.method == "sendMessage" and c.chat_id == chat and not c.failed
    ]


async def answer_of(tg: Harness, chat: int) -> str:
    """The answer a fault-free run gives (the same question in another chat)."""
    await tg.setup(chat, "mechelen", "en")
    [text] = delivered(await tg.say(chat, QUESTION), chat)
    return text


@pytest.mark.parametrize(
    ("error", "times"),
    [
        (ApiError(500, "Internal Server Error"), 2),
        (ApiError(502, "Bad Gateway"), 1),
        (ApiError(429, "Too Many Requests: retry after 1", retry_after=1), 4),
    ],
    ids=["500", "502", "429-four-times"],
)
async def test_a_refused_send_is_tried_again_and_arrives_once(
    tg: Harness, error: ApiError, times: int
) -> None:
    expected = await answer_of(tg, 600)
    await tg.setup(601, "mechelen", "en")
    tg.fake.fail_next("sendMessage", error, times=times, chat_id=601)
    mark = tg.fake.mark()
    await tg.say(601, QUESTION, count=times + 1)
    calls = await tg.settle(mark)
    tries = [c for c in calls if c.method == "sendMessage" and c.chat_id == 601]
    assert [c.failed for c in tries] == [True] * times + [False]
    assert delivered(calls, 601) == [expected]  # once, and no "Sorry" after it


@pytest.mark.parametrize("kind", ["reset", "stall"])
async def test_a_send_whose_answer_never_came_is_not_sent_again(tg: Harness, kind: str) -> None:
    await tg.stop()
    tg.settings = replace(tg.settings, read_timeout=0.3)
    await tg.start()
    expected = await answer_of(tg, 602)
    await tg.setup(603, "mechelen", "en")
    tg.fake.break_next("sendMessage", kind, seconds=0.8, chat_id=603)
    mark = tg.fake.mark()
    tg.fake.push_update(tg.fake.message(603, QUESTION))
    await tg.fake.wait_for("sendMessage", chat_id=603, since=mark)
    await asyncio.sleep(1.0)  # time for a wrong second copy or a "Sorry"
    calls = await tg.settle(mark)
    [sent] = [c for c in calls if c.method == "sendMessage" and c.chat_id == 603]
    assert sent.broken == kind and visible(sent.text or "") == expected
    assert SORRY not in delivered(calls, 603)
    # The chat goes on as usual.
    assert delivered(await tg.say(603, QUESTION), 603) == [expected]


async def test_an_outage_hands_the_update_back_and_it_is_answered_later(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await tg.stop()
    tg.settings = replace(tg.settings, delivery_budget=1.0)
    await tg.start()
    expected = await answer_of(tg, 604)
    await tg.setup(605, "mechelen", "en")
    tg.fake.fail_next("sendMessage", ApiError(502, "Bad Gateway"), times=5, chat_id=605)
    mark = tg.fake.mark()
    tg.fake.push_update(tg.fake.message(605, QUESTION))
    answered = await tg.fake.wait_for("sendMessage", chat_id=605, since=mark, count=6)
    calls = await tg.settle(mark)
    assert [c.failed for c in answered] == [True] * 5 + [False]
    assert delivered(calls, 605) == [expected]
    async with sessions() as session:
        attempts = await session.scalar(select(func.max(InboxUpdate.attempts)))
        logged = await session.scalar(
            select(func.count(Question.id)).where(Question.text.is_not(None))
        )
    assert attempts == 2  # handled twice: the budget ran out the first time
    assert logged == 2  # the outage's question was logged once, not twice


@pytest.mark.parametrize(
    ("error", "times"),
    [
        (ApiError(400, "Bad Request: query is too old and response timeout expired"), 1),
        (ApiError(500, "Internal Server Error"), 5),  # every try within its 5 s
    ],
    ids=["too-old", "500-until-the-budget-ends"],
)
async def test_a_failing_answer_to_a_button_press_does_not_cancel_it(
    tg: Harness, error: ApiError, times: int
) -> None:
    await tg.say(606, "/start", language_code="en")
    tg.fake.fail_next("answerCallbackQuery", error, times=times)
    mark = tg.fake.mark()
    tg.fake.push_update(tg.fake.callback(606, "1c:mechelen", language_code="en"))
    await tg.fake.wait_for("answerCallbackQuery", since=mark)
    calls = await tg.settle(mark)
    user = await tg.conversation.users.get("telegram", "606")
    assert user is not None and user.city == "mechelen"  # the press did what it says
    assert any(c.chat_id == 606 and not c.failed for c in calls)  # and the user was told
    assert SORRY not in delivered(calls, 606)


async def test_the_same_update_delivered_twice_is_answered_once(tg: Harness) -> None:
    await tg.setup(607, "mechelen", "en")
    update = tg.fake.message(607, QUESTION)
    mark = tg.fake.mark()
    update_id = tg.fake.push_update(update)
    await tg.fake.wait_for("sendMessage", chat_id=607, since=mark)
    await tg.settle(mark)
    tg.fake.push_update(update | {"update_id": update_id})  # Telegram sends it again
    again = tg.fake.mark()
    await tg.settle(again)
    await asyncio.sleep(0.2)
    assert len(delivered(tg.fake.calls[mark:], 607)) == 1


@pytest.mark.parametrize(
    ("held", "carried_out"),
    [("editMessageText", False), ("sendMessage", True)],
    ids=["before-the-message-was-written", "with-the-message-written-whole"],
)
async def test_a_crash_in_the_middle_of_a_reply_sends_the_rest_and_nothing_twice(
    desk_tg: Harness,
    sessions: async_sessionmaker[AsyncSession],
    held: str,
    carried_out: bool,
) -> None:
    """A consent makes the ticket, offers it to the volunteer, marks the consent "✓", then
    tells the migrant where the question is. The process dies on the way: while the "✓" is on
    the wire (it never reached Telegram), or once the message telling the migrant has been
    written whole (Telegram carries it out, its answer is lost with the process). On the next
    start the update is handled again: what had not been done is done, the offer, the "✓" and
    the message are each sent once."""
    from tests.channels.telegram.test_support import AMAL, MIGRANT, data_of, join

    h = desk_tg
    await join(h, AMAL, "Amal", ["ar"])
    await h.setup(MIGRANT, "brussels", "ar")
    sent = await h.say(MIGRANT, "أحتاج محاميا بخصوص الإقامة")
    human = data_of(sent, "1h:") or data_of(await h.tap(MIGRANT, data_of(sent, "1f:")[-1]), "1h:")
    [consent] = data_of(await h.tap(MIGRANT, human[0]), "1o:")
    release = h.fake.hold_next(held, chat_id=MIGRANT, carried_out=carried_out)
    mark = h.fake.mark()
    h.fake.push_update(h.fake.callback(MIGRANT, consent))
    await h.fake.wait_for("sendMessage", chat_id=AMAL, since=mark)  # the offer went out
    while not h.fake.held:
        await asyncio.sleep(0.01)
    if carried_out:
        await until_in_flight(sessions)
    await h.crash()
    release.set()
    await h.start()
    await h.fake.wait_for("sendMessage", chat_id=MIGRANT, since=mark)
    calls = [c for c in await h.settle(mark) if not c.failed]
    offers = [c for c in calls if c.chat_id == AMAL and c.method == "sendMessage"]
    ticks = [c for c in calls if c.chat_id == MIGRANT and c.method == "editMessageText"]
    told = [c for c in calls if c.chat_id == MIGRANT and c.method == "sendMessage"]
    assert offers[0].at < ticks[0].at < told[0].at  # "✓" only after the ticket was made
    assert (len(offers), len(ticks), len(told)) == (1, 1, 1) and data_of(told, "1z:")
    migrant = await h.conversation.users.get("telegram", str(MIGRANT))
    assert migrant is not None and h.desk is not None
    assert len(await h.desk.tickets.of_user(migrant.id)) == 1


class SlowJournal(SentJournal):
    """The real journal, whose marks wait for `opened` while it is set: a commit slowed down
    by a busy machine, for as long as a test needs."""

    opened: asyncio.Event | None = None

    async def mark(self, update_id: int, seq: int, method: str, target: str, now: datetime) -> None:
        if self.opened is not None:
            await self.opened.wait()
        await super().mark(update_id, seq, method, target, now)


@pytest.mark.parametrize(
    ("noted", "taken_over"),
    [(True, False), (True, True), (False, False)],
    ids=["noted-in-the-local-file", "noted-and-taken-over-by-another-instance", "journal-only"],
)
async def test_a_kill_before_the_mark_is_committed_sends_once_when_the_send_was_noted(
    tg: Harness,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    noted: bool,
    taken_over: bool,
) -> None:
    """The answer's request is written whole (Telegram carries it out) and the process dies
    while the journal's mark is still being committed. Noted in the local file at the same
    instant, the answer is taken as sent after the restart, or by another instance on the same
    machine that takes the update over: it arrives once. Without the file (the journal alone)
    it is sent again: the window that the file closes."""
    journal = SlowJournal(sessions)
    tg.delivery = replace(tg.delivery, journal=journal)
    tg.settings = replace(tg.settings, state_dir=tmp_path / "state" if noted else None)
    await tg.restart()
    await tg.setup(620, "mechelen", "en")
    journal.opened = asyncio.Event()  # marks wait from now on
    release = tg.fake.hold_next("sendMessage", chat_id=620, carried_out=True)
    mark = tg.fake.mark()
    tg.fake.push_update(tg.fake.message(620, QUESTION))
    while not tg.fake.held:
        await asyncio.sleep(0.01)
    await tg.crash()
    release.set()
    journal.opened = None
    if taken_over:
        tg.settings = replace(tg.settings, instance="the-other-one")
    await tg.start()
    await tg.fake.wait_for("sendMessage", chat_id=620, since=mark, timeout=20)
    answers = delivered(await tg.settle(mark), 620)
    assert len(answers) == (1 if noted else 2)


class SlowInbox(Inbox):
    """The real inbox, whose `done` waits for `opened` while it is set (and says when it is
    waiting): the moment between an answer and the commit that ends its update."""

    opened: asyncio.Event | None = None
    waiting = False

    async def done(self, update_id: int, now: datetime, *, journalled: bool = True) -> None:
        if self.opened is not None:
            self.waiting = True
            await self.opened.wait()
        await super().done(update_id, now, journalled=journalled)


async def test_a_kill_after_the_answer_before_the_update_is_done_sends_it_once(
    tg: Harness, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """The answer's own journal entry is never written when the update ends right after it:
    only its note in the local file stands for it until the update is done. A process killed
    in between takes the answer as sent when it starts again, and the question is logged
    once."""
    inbox = SlowInbox(sessions, owner="unstarted")
    tg.delivery = replace(tg.delivery, inbox=inbox)
    tg.settings = replace(tg.settings, state_dir=tmp_path / "state")
    await tg.restart()
    expected = await answer_of(tg, 621)
    await tg.setup(622, "mechelen", "en")
    inbox.opened = opened = asyncio.Event()
    mark = tg.fake.mark()
    try:
        update_id = tg.fake.push_update(tg.fake.message(622, QUESTION))
        await tg.fake.wait_for("sendMessage", chat_id=622, since=mark)
        while not inbox.waiting:
            await asyncio.sleep(0.01)
        # The answer is kept in memory; with several processes (PostgreSQL) the send is
        # marked in flight in the journal too.
        entries = await SentJournal(sessions).entries(update_id)
        assert [e.answer for e in entries] == ([] if tg.delivery.single else [IN_FLIGHT])
        await tg.crash()
    finally:
        inbox.opened = None
        opened.set()
    await tg.start()
    assert delivered(await tg.settle(mark), 622) == [expected]
    async with sessions() as session:
        asked = select(func.count()).where(Question.text == QUESTION)
        assert await session.scalar(asked) == 2  # 621's and 622's, once each


async def test_a_ticket_whose_offer_got_no_answer_from_telegram_still_gets_its_relay(
    desk_tg: Harness,
) -> None:
    """The offer's sendMessage reached the volunteer, but Telegram's answer (with the message
    id) was lost. The volunteer, holding two tickets, takes it and replies to that offer: the
    reply still reaches its migrant."""
    from tests.channels.telegram.test_support import AMAL, MIGRANT, ask_a_person, join, texts

    h = desk_tg
    await join(h, AMAL, "Amal", ["ar"])
    other = MIGRANT + 1
    for chat in (MIGRANT, other):
        await h.setup(chat, "brussels", "ar")
    first = await ask_a_person(h, "أحتاج محاميا بخصوص الإقامة")
    await h.tap(AMAL, f"1v:{first}")
    h.fake.break_next("sendMessage", "reset", chat_id=AMAL)  # the next offer's answer is lost
    second = await ask_a_person(h, "صاحب البيت يريد طردي", chat=other)
    taken = await h.tap(AMAL, f"1v:{second}")  # on the offer message, as Telegram sends it
    [working] = [c for c in taken if c.method == "editMessageText" and c.chat_id == AMAL]
    reply = h.fake.message(
        AMAL, "Go to the tenants' union", reply_to_message_id=int(working.params["message_id"])
    )
    relayed = await h.push(reply, other, "sendMessage", 1)
    assert "Go to the tenants' union" in texts(relayed, other)[-1]


async def test_a_failing_get_updates_is_one_warning_and_polling_goes_on(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    expected = await answer_of(tg, 604)
    await tg.setup(605, "mechelen", "en")
    failures = [ApiError(502, "Bad Gateway")]

    def once(method: str) -> ApiError | None:
        return failures.pop() if method == "getupdates" and failures else None

    tg.fake.faults = once
    with caplog.at_level("INFO"):
        assert delivered(await tg.say(605, QUESTION), 605) == [expected]  # the poll after fails
        for _ in range(500):
            if not failures and any("getUpdates failed" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.01)
        assert delivered(await tg.say(605, QUESTION), 605) == [expected]  # polling went on
    failed = [r for r in caplog.records if "getUpdates failed" in r.getMessage()]
    assert [(r.levelname, r.exc_info) for r in failed] == [("WARNING", None)]
    assert "Bad Gateway" in failed[0].getMessage()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
