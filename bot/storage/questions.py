"""The question log for statistics. Texts are erased after the retention period."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Final, cast

from sqlalchemy import Executable, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.conflicts import dialect as dialect_of
from bot.storage.conflicts import insert_for
from bot.storage.models import Question, TicketMessage, User
from bot.storage.origin import origin
from bot.storage.users import save_in

_questions: Final = cast(Table, Question.__table__)


@cache
def _record(dialect: str) -> Executable:
    """Built once (every message is logged), on the table; an update's question once."""
    logged: Executable = (
        insert_for(dialect, _questions)
        .on_conflict_do_nothing(index_elements=["origin"])
        .returning(_questions.c.id)
    )
    return logged


class QuestionLog:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], retention: timedelta) -> None:
        self._sessions = sessions
        self.retention = retention

    async def record(
        self,
        *,
        user_id: int | None,
        city: str,
        language: str | None,
        action: str,
        topic: str | None,
        confidence: float,
        text: str | None,
        now: datetime,
        user: User | None = None,
        entry: str | None = None,
    ) -> int:
        """Log a question; its id. Handled again (see bot/storage/origin.py), an update's
        question is logged once: the second time, the first one's id is returned.

        With `user`, the user's row is written back in the same transaction: one commit for
        all that a message changes."""
        keep = self.retention.total_seconds() > 0 and text is not None
        source = origin.get()
        values = {
            "user_id": user_id,
            "created_at": now,
            "city": city,
            "language": language,
            "action": action,
            "topic": topic,
            "confidence": confidence,
            "text": text[:4000] if keep and text else None,
            "text_expires_at": now + self.retention if keep else None,
            "origin": source,
            "entry": entry,
        }
        async with self._sessions() as session, session.begin():
            if user is not None:
                await save_in(session, user)
            added = await session.scalar(_record(dialect_of(session)), values)
            if added is None:  # this update's question is logged already
                added = await session.scalar(select(Question.id).where(Question.origin == source))
            assert added is not None
            return int(added)

    async def own(self, question_id: int, user_id: int) -> Question | None:
        """The user's own logged question (its text may already be erased)."""
        async with self._sessions() as session:
            question = await session.get(Question, question_id)
            return question if question is not None and question.user_id == user_id else None

    async def mark_helpful(self, question_id: int, helpful: bool, *, user_id: int) -> bool:
        """Store a 👍/👎 on the user's own question; False when it is not theirs (or gone)."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(Question)
                .where(Question.id == question_id, Question.user_id == user_id)
                .values(helpful=helpful)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def purge_expired(self, now: datetime) -> int:
        """Erase the texts whose retention period is over; return how many questions.

        A voice note's transcript kept with a ticket is a question's text heard by a machine:
        it is erased after the same period, even while the ticket's typed texts are kept.
        """
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(Question)
                .where(Question.text_expires_at.is_not(None), Question.text_expires_at <= now)
                .values(text=None, text_expires_at=None)
            )
            await session.execute(
                update(TicketMessage)
                .where(
                    TicketMessage.transcript.is_not(None),
                    TicketMessage.created_at <= now - self.retention,
                )
                .values(transcript=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def unhelpful_topics(self, city: str, since: datetime) -> dict[str, int]:
        """Per topic, the 👎 given to this city's answers since `since` (no texts read)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Question.topic, func.count())
                .where(
                    Question.city == city,
                    Question.helpful.is_(False),
                    Question.created_at >= since,
                    Question.topic.is_not(None),
                )
                .group_by(Question.topic)
            )
            return {str(topic): int(n) for topic, n in rows.all()}
