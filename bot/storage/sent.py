"""The journal of what handling an update sent: each outgoing call, numbered in the order the
handler made it, with its method, its target (a chat, or a button press) and the platform's
answer.

A call is recorded before it is made, and its answer added when it comes; a call that fails
is struck out. An entry without an answer is a call made by a process that died before the
answer came: it may have reached the platform, so it counts as made. (Recording afterwards
would leave a wider gap, from the platform's acting to the commit, in which a death means a
second copy.)

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

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.conflicts import insert
from bot.storage.inbox import KEEP_IDS
from bot.storage.models import SentCall


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    method: str
    target: str
    answer: bytes | None  # None: made by a process that died before the answer came


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
        answer: bytes | None,
        now: datetime,
    ) -> None:
        """Record a call about to be made (`answer` None) or made (once: two runs racing
        under one number keep the first)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                insert(session, SentCall)
                .values(
                    update_id=update_id,
                    seq=seq,
                    method=method,
                    target=target[:64],
                    answer=answer,
                    at=now,
                )
                .on_conflict_do_nothing(index_elements=["update_id", "seq"])
            )

    async def answered(self, update_id: int, seq: int, answer: bytes) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(SentCall)
                .where(SentCall.update_id == update_id, SentCall.seq == seq)
                .values(answer=answer)
            )

    async def strike(self, update_id: int, seq: int) -> None:
        """The call failed: it was not made."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(SentCall).where(SentCall.update_id == update_id, SentCall.seq == seq)
            )

    async def count(self, update_id: int) -> int:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(SentCall.seq).where(SentCall.update_id == update_id)
            )
            return len(list(rows))

    async def purge(self, now: datetime, keep: timedelta = KEEP_IDS) -> int:
        """Entries of updates set aside long ago (a handled update's go with it)."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(SentCall).where(SentCall.at < now - keep))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
