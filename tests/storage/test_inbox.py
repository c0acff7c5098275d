"""The durable inbox: stored once, claimed by one process at a time, in order per chat."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.inbox import Inbox
from bot.storage.models import InboxUpdate
from bot.storage.sent import IN_FLIGHT, KEEP_IDS, Entry, Handling, SentJournal

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


async def record(journal: SentJournal, update_id: int, entry: Entry) -> None:
    """A call of `update_id` answered, its answer written to the journal."""
    current = Handling(update_id, replay=False)
    current.keep(entry, None)
    await journal.write(current, T0)


def update(n: int, chat: int) -> dict[str, object]:
    return {"update_id": n, "message": {"chat": {"id": chat}, "text": f"message {n}"}}


async def test_an_update_is_stored_once_however_often_it_arrives(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = Inbox(sessions, "a")
    assert await inbox.add(1, 10, update(1, 10), T0)
    assert not await inbox.add(1, 10, update(1, 10), T0)
    [claimed] = await inbox.claim(T0, 10)
    await inbox.done(claimed.update_id, T0)
    assert not await inbox.add(1, 10, update(1, 10), T0 + timedelta(hours=23))  # still known
    assert await inbox.claim(T0, 10) == []


async def test_one_chat_at_a_time_in_order_other_chats_meanwhile(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = Inbox(sessions, "a")
    for n, chat in [(1, 10), (2, 10), (3, 20), (4, 10), (5, 30)]:
        await inbox.add(n, chat, update(n, chat), T0)
    first = await inbox.claim(T0, 10)
    assert [c.update_id for c in first] == [1, 3, 5]  # the oldest of each chat
    assert first[0].payload["message"] == {"chat": {"id": 10}, "text": "message 1"}
    assert await inbox.claim(T0, 10) == []  # 2 and 4 wait for 1
    await inbox.done(1, T0)
    assert [c.update_id for c in await inbox.claim(T0, 10)] == [2]
    await inbox.done(2, T0)
    assert [c.update_id for c in await inbox.claim(T0, 1)] == [4]


async def test_two_processes_never_claim_the_same_update(
    sessions: async_sessionmaker[AsyncSession], elsewhere: async_sessionmaker[AsyncSession]
) -> None:
    here, there = Inbox(sessions, "here"), Inbox(elsewhere, "there")
    for n in range(1, 41):
        await here.add(n, 100 + n % 8, update(n, 100 + n % 8), T0)
    seen: list[int] = []
    while True:
        mine, theirs = await asyncio.gather(here.claim(T0, 3), there.claim(T0, 3))
        if not mine and not theirs:
            break
        batch = [c.update_id for c in mine + theirs]
        assert len(set(batch)) == len(batch)
        assert len({(n % 8) for n in batch}) == len(batch)  # one update per chat at a time
        seen += batch
        for n in batch:
            await here.done(n, T0)
    assert sorted(seen) == list(range(1, 41))


async def test_a_dead_owners_updates_are_taken_over_when_the_lease_ends(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dead, alive = Inbox(sessions, "dead"), Inbox(sessions, "alive")
    await dead.add(7, 10, update(7, 10), T0)
    [claimed] = await dead.claim(T0, 5)
    assert claimed.attempts == 1
    assert await alive.claim(T0 + dead.lease / 2, 5) == []
    await dead.renew(T0 + dead.lease / 2)  # alive and working: the lease is extended
    assert await alive.claim(T0 + dead.lease, 5) == []
    [again] = await alive.claim(T0 + dead.lease * 2, 5)  # the owner stopped renewing
    assert (again.update_id, again.attempts) == (7, 2)


async def test_an_instance_takes_back_its_own_claims_when_it_starts_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    died, other = Inbox(sessions, "host:8443"), Inbox(sessions, "host:8444")
    for n in (1, 2):
        await died.add(n, 10 * n, update(n, 10 * n), T0)
    await died.claim(T0, 1)
    await other.claim(T0, 1)
    again = Inbox(sessions, "host:8443")  # the same instance, restarted
    assert await again.release() == 1  # its own claim, not the other's
    [claimed] = await again.claim(T0, 5)
    assert (claimed.update_id, claimed.attempts) == (1, 2)
    assert await Inbox(sessions, "sqlite").release(everyone=True) == 2  # the single process


async def test_an_update_handed_back_waits_then_is_claimed_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """With the answers its calls got that were kept in memory, now in the journal: the next
    run does not make those calls again."""
    inbox, journal = Inbox(sessions, "a"), SentJournal(sessions)
    await inbox.add(1, 10, update(1, 10), T0)
    await inbox.claim(T0, 5)
    answer = Entry(1, "sendMessage", "10", b'{"ok": true}')
    await inbox.later(1, T0 + timedelta(seconds=15), [answer])
    assert await journal.entries(1) == [answer]
    assert await inbox.claim(T0 + timedelta(seconds=10), 5) == []
    assert [c.attempts for c in await inbox.claim(T0 + timedelta(seconds=16), 5)] == [2]
    assert await inbox.pending() == 1


async def test_a_handled_update_keeps_only_its_id_and_is_forgotten_after_a_day(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox, journal = Inbox(sessions, "a"), SentJournal(sessions)
    await inbox.add(1, 10, update(1, 10), T0)
    await inbox.claim(T0, 5)
    await record(journal, 1, Entry(1, "sendMessage", "10", b'{"ok": true}'))
    assert await journal.count(1) == 1
    await inbox.done(1, T0)
    async with sessions() as session:
        row = await session.scalar(select(InboxUpdate))
        assert row is not None and (row.payload, row.chat_id, row.owner) == (None, None, None)
    assert await inbox.pending() == 0
    assert await inbox.purge(T0 + KEEP_IDS - timedelta(minutes=1)) == 0
    assert await inbox.purge(T0 + KEEP_IDS + timedelta(minutes=1)) == 1
    assert await journal.count(1) == 0  # the journal of a handled update goes with it


async def test_the_journal_gives_the_calls_in_order_and_keeps_the_first_of_a_number(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    journal = SentJournal(sessions)
    await record(journal, 5, Entry(2, "editMessageText", "11", b"second"))
    await record(journal, 5, Entry(1, "sendMessage", "10", b"first"))
    await record(journal, 5, Entry(1, "sendMessage", "12", b"racing"))  # two runs at once: no error
    assert await journal.entries(5) == [
        Entry(1, "sendMessage", "10", b"first"),
        Entry(2, "editMessageText", "11", b"second"),
    ]
    assert await journal.entries(6) == []
    assert await journal.purge(T0 + KEEP_IDS - timedelta(minutes=1)) == 0
    assert await journal.purge(T0 + KEEP_IDS + timedelta(minutes=1)) == 2  # set aside long ago


async def test_a_send_stays_marked_in_flight_until_its_answer_fills_it_or_a_refusal_strikes_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    journal = SentJournal(sessions)
    await journal.mark(7, 1, "sendMessage", "10", T0)
    await journal.mark(7, 1, "sendMessage", "10", T0)  # a second attempt of the same call
    assert await journal.entries(7) == [Entry(1, "sendMessage", "10", IN_FLIGHT)]
    await record(journal, 7, Entry(1, "sendMessage", "10", b"answer"))
    await journal.unmark(7, 1)  # an answered send is never struck out
    await journal.mark(7, 2, "sendPhoto", "10", T0)
    await journal.unmark(7, 2)  # refused: Telegram did not send it
    await record(journal, 7, Entry(1, "sendMessage", "10", b"racing"))
    assert await journal.entries(7) == [Entry(1, "sendMessage", "10", b"answer")]


async def test_a_job_is_held_by_one_process_taken_over_after_its_holder_and_never_claimed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Jobs (the support timers' steps) share the inbox with negative ids: one process holds
    one at a time, a dead holder's job is taken over after its own lease, a job handed back
    waits, a finished one is not run again, and the update worker never claims one."""
    a, b = Inbox(sessions, "a"), Inbox(sessions, "b")
    lease = timedelta(minutes=5)
    assert await a.hold_job(-42, T0, lease) == 1
    assert await b.hold_job(-42, T0 + timedelta(minutes=1), lease) is None  # a holds it
    await a.renew(T0 + timedelta(minutes=1))  # the update worker's 3 s leases are not a job's
    assert await b.hold_job(-42, T0 + timedelta(minutes=2), lease) is None
    assert await b.claim(T0 + timedelta(hours=1), 5) == []  # not an update
    assert await a.pending() == 0
    assert await b.hold_job(-42, T0 + lease + timedelta(seconds=1), lease) == 2  # a died
    await b.later(-42, T0 + timedelta(minutes=10))  # an outage
    assert await a.hold_job(-42, T0 + timedelta(minutes=9), lease) is None
    assert await a.hold_job(-42, T0 + timedelta(minutes=11), lease) == 3
    await a.done(-42, T0 + timedelta(minutes=11))
    assert await b.hold_job(-42, T0 + timedelta(hours=2), lease) is None  # done
    assert await a.hold_job(-43, T0, lease) == 1  # left unfinished, no longer due
    assert await a.purge(T0 + KEEP_IDS + timedelta(hours=1)) == 2  # both forgotten a day on


async def test_updates_that_end_together_are_marked_done_in_one_commit(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    inbox = Inbox(sessions, "a")
    for n in range(1, 21):
        await inbox.add(n, 100 + n, update(n, 100 + n), T0)
    claimed = await inbox.claim(T0, 20)
    commits: list[int] = []

    def committed(_connection: object) -> None:
        commits.append(1)

    event.listen(engine.sync_engine, "commit", committed)
    try:
        await asyncio.gather(*(inbox.done(c.update_id, T0, journalled=False) for c in claimed))
        assert len(commits) <= 2  # the first alone, the 19 that came meanwhile together
        await inbox.done(99, T0)  # a lone update, later: written at once
    finally:
        event.remove(engine.sync_engine, "commit", committed)
    assert len(commits) <= 3
    assert len(claimed) == 20 and await inbox.pending() == 0
    assert not await inbox.add(7, 107, update(7, 107), T0)  # each id is still known


async def test_a_failed_group_commit_fails_each_of_its_updates_and_the_next_ones_go_on(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = Inbox(sessions, "a")
    await inbox.add(1, 10, update(1, 10), T0)
    await inbox.add(2, 20, update(2, 20), T0)
    await inbox.claim(T0, 10)
    bad: datetime = "not a time"  # type: ignore[assignment]
    results = await asyncio.gather(inbox.done(1, T0), inbox.done(2, bad), return_exceptions=True)
    assert [type(r) for r in results] == [TypeError, TypeError]  # written together, failed together
    assert await inbox.pending() == 2  # both stay unfinished, to be handled again
    await inbox.done(1, T0)
    await inbox.done(2, T0)
    assert await inbox.pending() == 0
