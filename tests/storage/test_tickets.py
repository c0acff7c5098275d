"""Tickets: race-free claims, one-time steps, what is due, ratings, retention and erasure."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import TicketMessage
from bot.storage.network import Network, VolunteerInfo
from bot.storage.questions import QuestionLog
from bot.storage.ticket_upkeep import TicketUpkeep
from bot.storage.tickets import AlreadyAsked, LimitReached, Status, TicketInfo, Tickets
from bot.storage.users import UserStore
from tests.storage.claims import offered_claim

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


async def volunteer(network: Network, chat_id: str) -> VolunteerInfo:
    invite = await network.invite("brussels", "Red Cross", now=NOW)
    joined = await network.redeem(
        invite.code, "telegram", chat_id, display_name=chat_id, ui_language="en", now=NOW
    )
    assert isinstance(joined, VolunteerInfo)
    return joined


async def user(sessions: async_sessionmaker[AsyncSession], chat_id: str = "m1") -> int:
    return (await UserStore(sessions).get_or_create("telegram", chat_id)).id


async def ticket(
    tickets: Tickets, user_id: int, *, now: datetime = NOW, question: str = "Where can I sleep?"
) -> TicketInfo:
    return await tickets.open(
        user_id=user_id,
        city="brussels",
        language="ar",
        topic="housing",
        urgent=True,
        question=question,
        now=now,
    )


@pytest.fixture
def second(elsewhere: async_sessionmaker[AsyncSession]) -> Tickets:
    """The ticket store of a second process."""
    return Tickets(elsewhere)


async def test_a_new_ticket_is_open_with_its_question(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets = Tickets(sessions)
    uid = await user(sessions)
    t = await ticket(tickets, uid)
    assert (t.status, t.user_id, t.city, t.language, t.topic, t.urgent) == (
        Status.OPEN,
        uid,
        "brussels",
        "ar",
        "housing",
        True,
    )
    assert (t.question, t.created_at, t.messages, t.claimed_by) == (
        "Where can I sleep?",
        NOW,
        0,
        None,
    )
    assert await tickets.get(t.id) == t
    assert await tickets.get(t.id + 100) is None


async def test_a_user_may_have_three_open_tickets_at_a_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets = Tickets(sessions)
    uid = await user(sessions)
    first = [await ticket(tickets, uid) for _ in range(3)]
    with pytest.raises(LimitReached):
        await ticket(tickets, uid)
    assert await tickets.close(first[0].id, by="migrant", now=NOW)
    await ticket(tickets, uid)
    assert len(await tickets.of_user(uid)) == 3
    assert len(await tickets.of_user(uid, active_only=False)) == 4


async def test_concurrent_opens_respect_the_limit(
    sessions: async_sessionmaker[AsyncSession], second: Tickets
) -> None:
    tickets = Tickets(sessions)
    uid = await user(sessions)
    results = await asyncio.gather(
        *(ticket(tickets if i % 2 else second, uid) for i in range(6)), return_exceptions=True
    )
    assert sum(isinstance(r, TicketInfo) for r in results) == 3
    assert sum(isinstance(r, LimitReached) for r in results) == 3


async def test_one_question_makes_one_ticket_even_when_two_processes_send_it(
    sessions: async_sessionmaker[AsyncSession], elsewhere: async_sessionmaker[AsyncSession]
) -> None:
    tickets, second = Tickets(sessions, open_limit=50), Tickets(elsewhere, open_limit=50)
    uid = await user(sessions)
    for question_id in range(1, 11):
        both = await asyncio.gather(
            *(
                store.open(
                    user_id=uid,
                    city="brussels",
                    language="ar",
                    topic=None,
                    urgent=False,
                    question="Where can I sleep?",
                    now=NOW,
                    question_id=question_id,
                )
                for store in (tickets, second)
            ),
            return_exceptions=True,
        )
        [made] = [r for r in both if isinstance(r, TicketInfo)]
        [again] = [r for r in both if isinstance(r, AlreadyAsked)]
        assert again.ticket == made and made.question_id == question_id
    assert len(await tickets.of_user(uid)) == 10


async def test_a_question_sent_again_is_its_ticket_even_at_the_limit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets = Tickets(sessions)
    uid = await user(sessions)
    sent = [
        await tickets.open(
            user_id=uid,
            city="brussels",
            language="fr",
            topic=None,
            urgent=False,
            question=f"Lettre {n}",
            now=NOW,
            question_id=n,
        )
        for n in range(1, 4)
    ]
    with pytest.raises(AlreadyAsked) as again:
        await tickets.open(
            user_id=uid,
            city="brussels",
            language="fr",
            topic=None,
            urgent=False,
            question="Lettre 3",
            now=NOW,
            question_id=3,
        )
    assert again.value.ticket == sent[2] == await tickets.for_question(3)
    assert await tickets.for_question(4) is None


async def test_exactly_one_of_two_processes_claims_a_ticket(
    sessions: async_sessionmaker[AsyncSession], second: Tickets
) -> None:
    tickets, network = Tickets(sessions, open_limit=20), Network(sessions)
    a, b = await volunteer(network, "a"), await volunteer(network, "b")
    uid = await user(sessions)
    for _ in range(10):
        t = await ticket(tickets, uid)
        won = await asyncio.gather(
            offered_claim(tickets, t.id, a.id, now=NOW), offered_claim(second, t.id, b.id, now=NOW)
        )
        assert sorted(won) == [False, True]
        claimed = await tickets.get(t.id)
        assert claimed is not None
        assert claimed.status is Status.CLAIMED
        assert claimed.claimed_by == (a.id if won[0] else b.id)
        assert claimed.claimed_at == NOW
        await tickets.close(t.id, by="volunteer", now=NOW)


async def test_only_a_volunteer_offered_a_ticket_claims_it_and_staff_may_assign_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets, network = Tickets(sessions), Network(sessions)
    a, b = await volunteer(network, "a"), await volunteer(network, "b")
    invite = await network.invite("capaci", "Arci", now=NOW)
    far = await network.redeem(
        invite.code, "telegram", "c", display_name="c", ui_language="en", now=NOW
    )
    assert isinstance(far, VolunteerInfo)
    t = await ticket(tickets, await user(sessions))
    await tickets.add_offer(t.id, a.id, "a", 500)
    assert not await tickets.claim(t.id, b.id, now=NOW)  # never offered to b
    assert not await tickets.claim(t.id + 1, a.id, now=NOW)
    assert (await tickets.get(t.id) or t).status is Status.OPEN
    assert await tickets.claim(t.id, a.id, now=NOW)

    assert not await tickets.assign(t.id, far.id, now=NOW + MIN)  # another city
    assert await tickets.assign(t.id, b.id, now=NOW + MIN)  # staff override, even claimed
    held = await tickets.get(t.id)
    assert held is not None and (held.claimed_by, held.claimed_at) == (b.id, NOW + MIN)
    assert (held.assigned_at, held.assigned_from, held.assign_told_at) == (NOW + MIN, a.id, None)
    assert await tickets.release(t.id, b.id)
    assert await tickets.claim(t.id, a.id, now=NOW + MIN)  # a's own claim: nothing to tell
    mine = await tickets.get(t.id)
    assert mine is not None and (mine.assigned_at, mine.assigned_from) == (None, None)
    assert await tickets.assign(t.id, b.id, now=NOW + MIN)
    await network.remove(a.id, now=NOW)
    assert not await tickets.assign(t.id, a.id, now=NOW + 2 * MIN)  # removed
    await tickets.close(t.id, by="staff", now=NOW + 3 * MIN)
    assert not await tickets.assign(t.id, b.id, now=NOW + 4 * MIN)  # closed
    assert (await tickets.get(t.id) or t).claimed_by == b.id


async def test_release_reopens_only_for_the_claimer_and_keeps_reminder_times(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets, upkeep, network = Tickets(sessions), TicketUpkeep(sessions), Network(sessions)
    a, b = await volunteer(network, "a"), await volunteer(network, "b")
    t = await ticket(tickets, await user(sessions))
    assert await upkeep.once(t.id, "reminded_at", status=Status.OPEN, now=NOW + MIN)
    assert await offered_claim(tickets, t.id, a.id, now=NOW + 2 * MIN)
    assert await upkeep.once(t.id, "claim_reminded_at", status=Status.CLAIMED, now=NOW + 3 * MIN)
    assert [x.id for x in await tickets.of_volunteer(a.id)] == [t.id]
    assert not await tickets.release(t.id, b.id)
    assert await tickets.release(t.id, a.id)
    back = await tickets.get(t.id)
    assert back is not None
    assert (back.status, back.claimed_by, back.claimed_at, back.claim_reminded_at) == (
        Status.OPEN,
        None,
        None,
        None,
    )
    assert back.reminded_at == NOW + MIN
    assert not await tickets.release(t.id, a.id)
    assert await tickets.of_volunteer(a.id) == []
    assert await offered_claim(tickets, t.id, b.id, now=NOW)


async def test_close_once_and_only_the_own_user_rates_a_closed_ticket(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets = Tickets(sessions)
    uid, other = await user(sessions, "m1"), await user(sessions, "m2")
    t = await ticket(tickets, uid)
    assert not await tickets.rate(t.id, uid, True)  # not closed yet
    with pytest.raises(ValueError):
        await tickets.close(t.id, by="robot", now=NOW)
    assert await tickets.close(t.id, by="volunteer", now=NOW + MIN)
    assert not await tickets.close(t.id, by="migrant", now=NOW + 2 * MIN)
    assert not await tickets.rate(t.id, other, False)
    assert await tickets.rate(t.id, uid, True)
    closed = await tickets.get(t.id)
    assert closed is not None
    assert (closed.status, closed.closed_by, closed.closed_at, closed.helpful) == (
        Status.CLOSED,
        "volunteer",
        NOW + MIN,
        True,
    )


async def test_one_time_steps_fire_once_even_when_two_callers_race(
    sessions: async_sessionmaker[AsyncSession], elsewhere: async_sessionmaker[AsyncSession]
) -> None:
    tickets, upkeep = Tickets(sessions), TicketUpkeep(sessions)
    t = await ticket(tickets, await user(sessions))
    won = await asyncio.gather(
        upkeep.once(t.id, "widened_at", status=Status.OPEN, now=NOW),
        TicketUpkeep(elsewhere).once(t.id, "widened_at", status=Status.OPEN, now=NOW),
    )
    assert sorted(won) == [False, True]
    assert not await upkeep.once(t.id, "widened_at", status=Status.OPEN, now=NOW)
    assert not await upkeep.once(t.id, "gave_up_at", status=Status.CLAIMED, now=NOW)
    assert await upkeep.once(t.id, "gave_up_at", status=Status.OPEN, now=NOW)
    after = await tickets.get(t.id)
    assert after is not None
    assert (after.widened_at, after.gave_up_at, after.reminded_at) == (NOW, NOW, None)


async def test_messages_are_counted_traced_and_mark_the_first_answer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets, network = Tickets(sessions), Network(sessions)
    a = await volunteer(network, "a")
    t = await ticket(tickets, await user(sessions))
    await tickets.add_offer(t.id, a.id, "a", 500)
    await tickets.add_offer(t.id, a.id, "a", 501)  # offered again: the newer message counts
    assert [(o.volunteer_id, o.chat_id, o.message_id) for o in await tickets.offers(t.id)] == [
        (a.id, "a", 501)
    ]
    assert await tickets.offered_to(t.id) == {a.id}
    assert await tickets.claim(t.id, a.id, now=NOW + MIN)
    await tickets.add_message(
        t.id, sender="migrant", text="hello", delivered=("a", 600), now=NOW + 2 * MIN
    )
    assert (await tickets.get(t.id) or t).answered_at is None
    await tickets.add_message(
        t.id, sender="volunteer", text="Go to Samusocial", delivered=("m1", 70), now=NOW + 3 * MIN
    )
    await tickets.add_message(
        t.id,
        sender="volunteer",
        text=None,
        kind="photo",
        origin_message_id=12,
        delivered=("m1", 71),
        now=NOW + 4 * MIN,
    )
    after = await tickets.get(t.id)
    assert after is not None
    assert (after.messages, after.answered_at) == (3, NOW + 3 * MIN)
    assert await tickets.by_message("a", 600) == t.id
    assert await tickets.by_message("m1", 71) == t.id
    assert await tickets.by_message("a", 501) == t.id
    assert await tickets.by_message("a", 500) is None
    assert await tickets.by_message("m1", 600) is None
    assert await tickets.last_answer(t.id, a.id) == "Go to Samusocial"
    with pytest.raises(ValueError):
        await tickets.add_message(t.id, sender="bot", text="x", now=NOW)


async def test_due_selects_each_step_by_its_own_clock(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets, upkeep = Tickets(sessions, open_limit=10), TicketUpkeep(sessions)
    a = await volunteer(Network(sessions), "a")
    uid = await user(sessions)
    old = await ticket(tickets, uid, now=NOW)  # open for 25 hours
    fresh = await ticket(tickets, uid, now=NOW + 24 * 60 * MIN)  # open for an hour
    quiet = await ticket(tickets, uid, now=NOW)  # claimed 7 hours ago, never answered
    talked = await ticket(tickets, uid, now=NOW)  # claimed 7 hours ago, answered since
    stale = await ticket(tickets, uid, now=NOW)  # answered, released, claimed again: quiet
    await offered_claim(tickets, quiet.id, a.id, now=NOW + 18 * 60 * MIN)
    await offered_claim(tickets, talked.id, a.id, now=NOW + 18 * 60 * MIN)
    await tickets.add_message(talked.id, sender="volunteer", text="hi", now=NOW + 19 * 60 * MIN)
    await offered_claim(tickets, stale.id, a.id, now=NOW + MIN)
    await tickets.add_message(stale.id, sender="volunteer", text="hi", now=NOW + 2 * MIN)
    await tickets.release(stale.id, a.id)
    await offered_claim(tickets, stale.id, a.id, now=NOW + 22 * 60 * MIN)
    now = NOW + 25 * 60 * MIN
    clocks = {
        "remind_after": timedelta(minutes=30),
        "give_up_after": timedelta(hours=24),
        "claim_remind_after": timedelta(hours=2),
        "claim_release_after": timedelta(hours=6),
    }

    def ids(found: list[TicketInfo]) -> list[int]:
        return [x.id for x in found]

    due = await upkeep.due(now, **clocks)
    assert ids(due.remind) == [old.id, fresh.id]
    assert ids(due.give_up) == [old.id]
    assert ids(due.claim_remind) == [quiet.id, stale.id]
    assert ids(due.claim_release) == [quiet.id]
    assert await upkeep.once(old.id, "reminded_at", status=Status.OPEN, now=now)
    assert await upkeep.once(stale.id, "claim_reminded_at", status=Status.CLAIMED, now=now)
    assert await upkeep.once(old.id, "gave_up_at", status=Status.OPEN, now=now)
    again = await upkeep.due(now, **clocks)
    assert (ids(again.remind), ids(again.give_up), ids(again.claim_remind)) == (
        [fresh.id],
        [],
        [quiet.id],
    )
    assert ids(again.claim_release) == [quiet.id]


async def test_purge_drops_texts_of_long_closed_tickets_but_keeps_counts_and_times(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets = Tickets(sessions, retention=timedelta(days=90))
    uid = await user(sessions)
    done, recent, still_open = [await ticket(tickets, uid) for _ in range(3)]
    for t in (done, recent, still_open):
        await tickets.add_message(
            t.id, sender="migrant", text="private", kind="photo", origin_message_id=5, now=NOW
        )
        await tickets.add_message(t.id, sender="volunteer", text="answer", now=NOW + MIN)
        await tickets.add_message(
            t.id, sender="migrant", text=None, kind="voice", transcript="I live at", now=NOW
        )
    await tickets.close(done.id, by="migrant", now=NOW)
    await tickets.close(recent.id, by="migrant", now=NOW + timedelta(days=80))
    assert await tickets.purge(NOW + timedelta(days=89)) == 0
    assert await tickets.purge(NOW + timedelta(days=91)) == 1
    assert await tickets.purge(NOW + timedelta(days=91)) == 0
    purged = await tickets.get(done.id)
    assert purged is not None
    assert (purged.question, purged.messages, purged.answered_at) == (None, 3, NOW + MIN)
    async with sessions() as session:
        rows = (await session.scalars(select(TicketMessage).order_by(TicketMessage.id))).all()
        texts = {(m.ticket_id, m.text, m.origin_message_id) for m in rows}
        heard = {(m.ticket_id, m.transcript) for m in rows if m.file_kind == "voice"}
    assert (done.id, None, None) in texts
    assert (recent.id, "private", 5) in texts and (still_open.id, "answer", None) in texts
    # A voice note's transcript follows the texts: gone with them, kept while they are.
    assert heard == {(done.id, None), (recent.id, "I live at"), (still_open.id, "I live at")}
    assert (await tickets.get(recent.id) or done).question == "Where can I sleep?"


async def test_erase_user_closes_and_forgets_their_tickets(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets = Tickets(sessions)
    uid, other = await user(sessions, "m1"), await user(sessions, "m2")
    mine = await ticket(tickets, uid)
    theirs = await ticket(tickets, other)
    await tickets.add_message(
        mine.id, sender="migrant", text="my address", kind="photo", origin_message_id=5, now=NOW
    )
    await tickets.add_message(
        mine.id, sender="migrant", text=None, kind="voice", transcript="my name is", now=NOW
    )
    await tickets.add_message(
        theirs.id, sender="migrant", text="kept", kind="voice", transcript="heard", now=NOW
    )
    await tickets.erase_user(uid)
    gone = await tickets.get(mine.id)
    assert gone is not None
    assert (gone.user_id, gone.question, gone.status, gone.closed_by) == (
        None,
        None,
        Status.CLOSED,
        "migrant",
    )
    assert gone.messages == 2
    assert await tickets.of_user(uid, active_only=False) == []
    async with sessions() as session:
        rows = (await session.scalars(select(TicketMessage).order_by(TicketMessage.id))).all()
        assert [(m.text, m.transcript, m.origin_message_id) for m in rows] == [
            (None, None, None),
            (None, None, None),
            ("kept", "heard", None),
        ]
    assert (await tickets.get(theirs.id) or gone).question == "Where can I sleep?"


async def test_listing_shows_open_and_recently_closed_tickets_newest_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets = Tickets(sessions, open_limit=10)
    uid = await user(sessions)
    long_ago = await ticket(tickets, uid, now=NOW - timedelta(days=30))
    await tickets.close(long_ago.id, by="system", now=NOW - timedelta(days=20))
    closed = await ticket(tickets, uid, now=NOW - timedelta(days=3))
    await tickets.close(closed.id, by="staff", now=NOW - timedelta(days=2))
    old_open = await ticket(tickets, uid, now=NOW - timedelta(days=40))
    new_open = await ticket(tickets, uid, now=NOW - MIN)
    found = await tickets.listing("brussels", now=NOW)
    assert [t.id for t in found] == [new_open.id, closed.id, old_open.id]
    assert await tickets.listing("mechelen", now=NOW) == []


async def test_suggestions_are_kept_for_city_staff(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets, network = Tickets(sessions), Network(sessions)
    a = await volunteer(network, "a")
    t = await ticket(tickets, await user(sessions))
    sid = await tickets.suggest(
        ticket_id=t.id,
        volunteer_id=a.id,
        city="brussels",
        topic="housing",
        language="ar",
        question="Where can I sleep tonight?",
        answer="Samusocial, 0800 99 340",
        now=NOW,
    )
    [found] = await tickets.suggestions("brussels")
    assert found["id"] == sid
    assert (found["ticket_id"], found["volunteer_id"], found["status"]) == (t.id, a.id, "new")
    assert (found["question"], found["created_at"]) == ("Where can I sleep tonight?", NOW)
    assert await tickets.suggestions("mechelen") == []


async def test_typical_wait_is_the_median_first_answer_once_there_are_enough(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets, upkeep = Tickets(sessions, open_limit=10), TicketUpkeep(sessions)
    a = await volunteer(Network(sessions), "a")
    uid = await user(sessions)
    assert await upkeep.typical_wait("brussels", NOW) is None
    for minutes in (10, 40, 20, 90):
        t = await ticket(tickets, uid, now=NOW - timedelta(days=1))
        await offered_claim(tickets, t.id, a.id, now=NOW - timedelta(days=1))
        await tickets.add_message(
            t.id, sender="volunteer", text="hi", now=NOW - timedelta(days=1) + minutes * MIN
        )
        await tickets.close(t.id, by="volunteer", now=NOW)
        if minutes == 40:
            assert await upkeep.typical_wait("brussels", NOW) is None  # only two so far
    assert await upkeep.typical_wait("brussels", NOW) == 30 * MIN
    assert await upkeep.typical_wait("brussels", NOW + timedelta(days=31)) is None
    assert await upkeep.typical_wait("mechelen", NOW) is None


async def test_a_waiting_message_keeps_what_it_is_where_to_copy_it_from_and_its_transcript(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets = Tickets(sessions)
    t = await ticket(tickets, await user(sessions))
    voice = await tickets.add_message(
        t.id,
        sender="migrant",
        text=None,
        kind="voice",
        origin_message_id=41,
        transcript="where is the town hall",
        now=NOW,
    )
    said = await tickets.add_message(t.id, sender="migrant", text="and also", now=NOW + MIN)
    await tickets.add_message(t.id, sender="volunteer", text="hello", now=NOW + 2 * MIN)
    waiting = await tickets.undelivered(t.id)
    assert [(w.id, w.text, w.kind, w.origin_message_id, w.transcript) for w in waiting] == [
        (voice, None, "voice", 41, "where is the town hall"),
        (said, "and also", None, None, None),
    ]
    await tickets.mark_delivered(voice, "a", 600)
    assert [w.id for w in await tickets.undelivered(t.id)] == [said]
    assert await tickets.by_message("a", 600) == t.id


async def test_a_kept_transcript_is_erased_after_the_question_texts_retention(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tickets = Tickets(sessions, retention=timedelta(days=90))
    questions = QuestionLog(sessions, timedelta(days=30))
    uid = await user(sessions)
    waiting = await ticket(tickets, uid)
    await tickets.add_message(
        waiting.id, sender="migrant", text=None, kind="voice", transcript="old note", now=NOW
    )
    await tickets.add_message(waiting.id, sender="migrant", text="typed", now=NOW)
    later = NOW + timedelta(days=20)
    await tickets.add_message(
        waiting.id, sender="migrant", text=None, kind="voice", transcript="new note", now=later
    )
    await questions.purge_expired(NOW + timedelta(days=29))
    async with sessions() as session:
        rows = (await session.scalars(select(TicketMessage).order_by(TicketMessage.id))).all()
    assert [(m.text, m.transcript) for m in rows][-3:] == [
        (None, "old note"),
        ("typed", None),
        (None, "new note"),
    ]
    await questions.purge_expired(NOW + timedelta(days=31))
    async with sessions() as session:
        rows = (await session.scalars(select(TicketMessage).order_by(TicketMessage.id))).all()
    # the machine's transcript goes after 30 days; the ticket's typed text stays (90 after closing)
    assert [(m.text, m.transcript) for m in rows][-3:] == [
        (None, None),
        ("typed", None),
        (None, "new note"),
    ]
