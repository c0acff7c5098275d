"""The journal of what handling an update sent: each outgoing call, numbered in the order the
handler made it, with the platform's answer.

When an update is handled again (its process died before it was marked done), the handler runs
again and makes its calls again; the calls the journal already holds are answered from it and
not sent a second time. With idempotent state changes (one question per update, one ticket
per question) the second run converges on the first: nothing is lost and nothing is sent
twice. An entry's answer is what the platform answered (a message id, a date, the chat); the
texts sent are not kept. Entries go with their update's id, a day after it was handled.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.conflicts import insert
from bot.storage.inbox import KEEP_IDS
from bot.storage.models import SentCall


class SentJournal:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def answer(self, update_id: int, seq: int) -> bytes | None:
        """The stored answer to the `seq`th call made while handling `update_id`, if any."""
        async with self._sessions() as session:
            return await session.scalar(
                select(SentCall.answer).where(SentCall.update_id == update_id, SentCall.seq == seq)
            )

    async def record(
        self, update_id: int, seq: int, method: str, answer: bytes, now: datetime
    ) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                insert(session, SentCall)
                .values(update_id=update_id, seq=seq, method=method, answer=answer, at=now)
                .on_conflict_do_nothing(index_elements=["update_id", "seq"])
            )

    async def purge(self, now: datetime, keep: timedelta = KEEP_IDS) -> int:
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(SentCall).where(SentCall.at < now - keep))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
