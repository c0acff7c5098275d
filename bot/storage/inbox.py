"""The durable inbox: every incoming update is stored before it is acknowledged, handled until
its effects are committed, and handled once however often it arrives.

A channel adds an update (`add`) before it tells its platform the update was received: before
it asks Telegram for the next batch in polling mode, before it answers 200 in webhook mode. A
worker claims updates (`claim`) and marks each done (`done`) when its handling has finished.
An update whose process died while handling it is claimed again when its lease runs out, by
any process, or at once by the same instance when it starts again (`release`).

Per chat, updates are handled in order, one at a time, across processes: an update is only
claimed when no earlier update of its chat is still unfinished. On PostgreSQL, claims use
`FOR UPDATE SKIP LOCKED`, so that two processes never claim the same update.

Jobs share the table: work that comes from no update (the support timers' steps) gets a
negative id, is held by one process at a time (`hold_job`, with a lease of its own), is ended by
`done` or handed back by `later`, and is never claimed as an update.

Privacy: the stored update is what the platform sent, with the sender's names removed
(`payload`); when it is done, its payload, its chat and the journal of what it sent are erased
and only its id is kept, for a day, so that a late duplicate is still recognised.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Final, cast

from sqlalchemy import (
    Delete,
    Executable,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.conflicts import dialect as dialect_of
from bot.storage.conflicts import insert_for
from bot.storage.models import InboxUpdate, SentCall
from bot.storage.sent import KEEP_IDS, Entry, Handling, journal_rows, record_statement

#: How long a claim holds an update without being renewed (its owner renews it every second
#: while it works): a dead process's updates are taken over by the others after this.
LEASE: Final = timedelta(seconds=3)
#: After this many failed attempts an update is set aside (done, with its failure logged).
MAX_ATTEMPTS: Final = 5


# Every message goes through these statements: they are built once, on the tables (SQLAlchemy's
# ORM layer would cost twice their time in Python on each call), with parameters bound by name.
_inbox: Final = cast(Table, InboxUpdate.__table__)
_sent: Final = cast(Table, SentCall.__table__)


@cache
def _add(dialect: str) -> Executable:
    added: Executable = insert_for(dialect, _inbox).on_conflict_do_nothing(
        index_elements=["update_id"]
    )
    return added


@cache
def _claim(dialect: str) -> Executable:
    """The oldest unfinished update of each chat that nobody holds, oldest first, claimed.

    One statement, so that two claims cannot both read an update as free: SQLite runs it under
    its write lock; on PostgreSQL the rows chosen are locked and others' locked rows skipped."""
    candidate, earlier = _inbox.alias("candidate"), _inbox.alias("earlier")
    waiting = (
        select(candidate.c.update_id)
        .where(
            candidate.c.update_id >= 0,  # jobs (negative ids) are run by whoever holds them
            candidate.c.done_at.is_(None),
            or_(candidate.c.lease_until.is_(None), candidate.c.lease_until < bindparam("now")),
            ~exists().where(
                and_(
                    earlier.c.chat_id == candidate.c.chat_id,
                    earlier.c.done_at.is_(None),
                    earlier.c.update_id < candidate.c.update_id,
                )
            ),
        )
        .order_by(candidate.c.update_id)
        .limit(bindparam("limit"))
    )
    if dialect == "postgresql":
        waiting = waiting.with_for_update(skip_locked=True, of=candidate)
    return (
        update(_inbox)
        .where(_inbox.c.update_id.in_(waiting.scalar_subquery()))
        .values(
            owner=bindparam("owner"), lease_until=bindparam("until"), attempts=_inbox.c.attempts + 1
        )
        .returning(_inbox.c.update_id, _inbox.c.chat_id, _inbox.c.payload, _inbox.c.attempts)
    )


@cache
def _hold(dialect: str) -> Executable:
    """A job's row, inserted held by us, or taken over when it is unfinished and nobody holds
    it (its holder died, or handed it back for later); nothing when held or done."""
    free = and_(
        _inbox.c.done_at.is_(None),
        or_(_inbox.c.lease_until.is_(None), _inbox.c.lease_until < bindparam("now")),
    )
    held: Executable = (
        insert_for(dialect, _inbox)
        .on_conflict_do_update(
            index_elements=["update_id"],
            set_={
                "owner": bindparam("holder"),
                "lease_until": bindparam("held_until"),
                "attempts": _inbox.c.attempts + 1,
            },
            where=free,
        )
        .returning(_inbox.c.attempts)
    )
    return held


_RENEW: Final[Update] = (
    update(_inbox)
    .where(
        _inbox.c.owner == bindparam("me"),
        _inbox.c.done_at.is_(None),
        _inbox.c.update_id >= 0,  # a job holds its own, longer lease
    )
    .values(lease_until=bindparam("until"))
)
_FORGET_CALLS: Final[Delete] = delete(_sent).where(
    _sent.c.update_id.in_(bindparam("ids", expanding=True))
)
_DONE: Final[Update] = (
    update(_inbox)
    .where(_inbox.c.update_id.in_(bindparam("ids", expanding=True)))
    .values(done_at=bindparam("now"), payload=None, chat_id=None, owner=None, lease_until=None)
)
_LATER: Final[Update] = (
    update(_inbox)
    .where(_inbox.c.update_id == bindparam("id"), _inbox.c.done_at.is_(None))
    .values(owner=None, lease_until=bindparam("when"))
)


@dataclass(frozen=True, slots=True)
class Claimed:
    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class _Ending:
    update_id: int
    journalled: bool
    now: datetime
    finished: asyncio.Future[None]


class Inbox:
    """`owner` names the process on its claims: the channel sets its instance name when it
    starts (see bot/channels/telegram/run.py)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], owner: str, lease: timedelta = LEASE
    ) -> None:
        self._sessions = sessions
        self.owner = owner
        self.lease = lease
        self._ending: list[_Ending] = []  # updates done, waiting for their commit
        self._ender: asyncio.Task[None] | None = None

    async def add(
        self, update_id: int, chat_id: int | None, payload: dict[str, Any], now: datetime
    ) -> bool:
        """Store an update, committed when this returns; False if it was already there."""
        async with self._sessions() as session, session.begin():
            row = {"update_id": update_id, "chat_id": chat_id, "payload": payload}
            result = await session.execute(
                _add(dialect_of(session)), {**row, "received_at": now, "attempts": 0}
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim(self, now: datetime, limit: int) -> list[Claimed]:
        """Up to `limit` updates for this owner to handle: the oldest unfinished update of each
        chat that nobody holds, oldest first."""
        if limit <= 0:
            return []
        async with self._sessions() as session, session.begin():
            rows = await session.execute(
                _claim(dialect_of(session)),
                {"now": now, "limit": limit, "owner": self.owner, "until": now + self.lease},
            )
            claimed = [Claimed(r.update_id, r.chat_id, r.payload or {}, r.attempts) for r in rows]
        return sorted(claimed, key=lambda c: c.update_id)

    async def hold_job(self, job_id: int, now: datetime, lease: timedelta) -> int | None:
        """Hold a job (a negative id, never claimed as an update): how many times it has been
        held, this time included; None when another process holds it or it is done. `done`
        ends it; `later` hands it back; a holder that dies lets it go when `lease` runs out."""
        if job_id >= 0:
            raise ValueError("a job's id is negative")
        until = now + lease
        row: dict[str, Any] = {"update_id": job_id, "chat_id": None, "payload": None}
        row |= {"received_at": now, "owner": self.owner, "lease_until": until, "attempts": 1}
        held = {"holder": self.owner, "held_until": until, "now": now}
        async with self._sessions() as session, session.begin():
            attempts = await session.scalar(_hold(dialect_of(session)), {**row, **held})
        return None if attempts is None else int(attempts)

    async def renew(self, now: datetime) -> None:
        """Extend the leases of every update this owner is handling."""
        async with self._sessions() as session, session.begin():
            await session.execute(_RENEW, {"me": self.owner, "until": now + self.lease})

    async def done(self, update_id: int, now: datetime, *, journalled: bool = True) -> None:
        """The update's effects are committed: forget its content and the journal of what it
        sent (bot/storage/sent.py; not looked for when its handling wrote nothing there, as
        `journalled` says); keep its id. Returns once that is committed.

        Updates that end together are marked in one transaction (a group commit): while one
        is being written, the next ones wait and are written together after it. A lone
        update is written at once, as before; under load this is a fraction of a statement
        per update."""
        finished = asyncio.get_running_loop().create_future()
        self._ending.append(_Ending(update_id, journalled, now, finished))
        if self._ender is None or self._ender.done():
            self._ender = asyncio.create_task(self._end_all(), name="inbox: updates done")
        await finished

    async def _end_all(self) -> None:
        while self._ending:
            ending, self._ending = self._ending, []
            ids = [e.update_id for e in ending]
            forget = [e.update_id for e in ending if e.journalled]
            try:
                async with self._sessions() as session, session.begin():
                    if forget:
                        await session.execute(_FORGET_CALLS, {"ids": forget})
                    now = max(e.now for e in ending)
                    await session.execute(_DONE, {"ids": ids, "now": now})
            except asyncio.CancelledError:  # the process is stopping: handled again at start
                for e in [*ending, *self._ending]:
                    e.finished.cancel()
                self._ending = []
                raise
            except Exception as exc:
                for e in ending:
                    if not e.finished.done():
                        e.finished.set_exception(exc)
            else:
                for e in ending:
                    if not e.finished.done():
                        e.finished.set_result(None)

    async def later(
        self, update_id: int, when: datetime, unwritten: list[Entry] | None = None
    ) -> None:
        """Handling could not finish (a platform outage): let anyone try again at `when`. The
        answers its calls got and that are not in the journal yet (`unwritten`) are recorded
        in the same transaction, so that the next run does not make those calls again."""
        async with self._sessions() as session, session.begin():
            if unwritten:
                rows = journal_rows(update_id, unwritten, when)
                await session.execute(record_statement(dialect_of(session)), rows)
            await session.execute(_LATER, {"id": update_id, "when": when})

    async def end(self, current: Handling, now: datetime, *, later: datetime | None = None) -> None:
        """The end of an update's (or a job's) handling: done, or handed back to be tried
        again at `later` with the answers it kept in memory. Their notes go once that is
        committed, and stay if it fails (bot/storage/sent.py)."""
        try:
            if later is None:
                await self.done(current.update_id, now, journalled=current.journalled)
            else:
                await self.later(current.update_id, later, current.take())
        except BaseException:
            current.unsettled()
            raise
        current.written()

    async def release(self, *, everyone: bool = False) -> int:
        """Free this owner's claims, or everyone's (the single process on SQLite), when it
        starts: whoever held them died. Return how many."""
        held = InboxUpdate.owner.is_not(None) if everyone else InboxUpdate.owner == self.owner
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.done_at.is_(None), held)
                .values(owner=None, lease_until=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def pending(self) -> int:
        """How many updates (not jobs) are not done yet."""
        async with self._sessions() as session:
            waiting = select(func.count()).where(
                InboxUpdate.done_at.is_(None), InboxUpdate.update_id >= 0
            )
            return int(await session.scalar(waiting) or 0)

    async def purge(self, now: datetime) -> int:
        """Forget the ids of updates handled more than a day ago, and jobs begun more than a
        day ago (one left unfinished is no longer due); return how many."""
        old = now - KEEP_IDS
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(InboxUpdate).where(
                    or_(
                        and_(InboxUpdate.done_at.is_not(None), InboxUpdate.done_at < old),
                        and_(InboxUpdate.update_id < 0, InboxUpdate.received_at < old),
                    )
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
