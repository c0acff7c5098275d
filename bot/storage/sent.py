"""The journal of what handling an update sent: each outgoing call, numbered in the order the
handler made it, with its method, its target (a chat, or a button press) and the platform's
answer.

A call is recorded once the platform has answered it. A process that dies with a call in
flight (sent, not yet answered, or answered but not yet recorded) leaves no entry, and the
call is made again when the update is handled again: the message may arrive twice, but it is
not lost. (Recording before the call instead, and counting an unanswered entry as made, would
turn that window into a lost message; for a help desk a repeated message is the lesser harm.
The window is the time a request and its answer spend on the wire.)

When an update is handled again (its process died before it was marked done), the handler runs
again and makes its calls again. Each call takes the first entry not yet taken with the same
method and target, in the order they were made, and is answered from it instead of being sent
a second time. A call with no such entry is sent and recorded after the others. A second run
may skip calls (the first run's ticket exists now, so no offer is made again): their entries
are simply not taken. With idempotent state changes (one question per update, one ticket per
question) the second run converges on the first: nothing is lost and nothing is sent twice.

An entry lives as long as its update is unfinished: `Inbox.done` deletes the update's entries
with its content. An answer keeps a message's id and date, not its text.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Final, cast

from sqlalchemy import Executable, Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.conflicts import dialect as dialect_of
from bot.storage.conflicts import insert_for
from bot.storage.inbox import KEEP_IDS
from bot.storage.models import SentCall

_sent: Final = cast(Table, SentCall.__table__)


@cache
def _record(dialect: str) -> Executable:
    """Built once (each answered call is recorded), on the table: two runs racing under one
    number keep the first."""
    recorded: Executable = insert_for(dialect, _sent).on_conflict_do_nothing(
        index_elements=["update_id", "seq"]
    )
    return recorded


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    method: str
    target: str
    answer: bytes


@dataclass
class Handling:
    """The update (or timer step) being handled in this task: its calls are numbered for
    the journal. A channel's inbox worker, and the support timers, set it."""

    update_id: int
    replay: bool  # handled before: its journal may hold answers
    seq: int = 0  # the number of the last call recorded
    failed: bool = False  # a call ran out of budget: hand the update back
    done: list[Entry] | None = None  # on a replay: the journal's calls not yet made again


handling: ContextVar[Handling | None] = ContextVar("guichet_handling", default=None)


class SentJournal:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def entries(self, update_id: int) -> list[Entry]:
        """The calls recorded while handling `update_id`, in the order they were made."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(SentCall).where(SentCall.update_id == update_id).order_by(SentCall.seq)
            )
            return [Entry(r.seq, r.method, r.target, r.answer) for r in rows]

    async def record(
        self,
        update_id: int,
        seq: int,
        method: str,
        target: str,
        answer: bytes,
        now: datetime,
    ) -> None:
        """Record a call that was answered (once: two runs racing under one number keep the
        first)."""
        call = {"method": method, "target": target[:64], "answer": answer, "at": now}
        async with self._sessions() as session, session.begin():
            await session.execute(
                _record(dialect_of(session)), {"update_id": update_id, "seq": seq, **call}
            )

    async def count(self, update_id: int) -> int:
        async with self._sessions() as session:
            entries = select(func.count()).where(SentCall.update_id == update_id)
            return int(await session.scalar(entries) or 0)

    async def purge(self, now: datetime, keep: timedelta = KEEP_IDS) -> int:
        """Entries of updates set aside long ago (a handled update's go with it)."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(SentCall).where(SentCall.at < now - keep))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
