"""The tickets' clock: one-time reminder steps, what is due, the typical wait; and the
erasure of a user's tickets inside the caller's transaction.

Each step fires once across processes and restarts: `once()` sets its time only where it is
still NULL. A claim counts as unanswered until a volunteer message comes after it
(`last_answer_at` >= `claimed_at`; `answered_at` keeps the first answer ever, for statistics).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import KbSuggestion, Ticket, TicketMessage, User
from bot.storage.ticket_rows import TicketRows, erase_messages
from bot.storage.ticket_types import Due, Status, median_of, utc

Once = Literal["reminded_at", "widened_at", "gave_up_at", "claim_reminded_at", "assign_told_at"]
_ONCE: Final = ("reminded_at", "widened_at", "gave_up_at", "claim_reminded_at", "assign_told_at")


_NO_ANSWER_SINCE_CLAIM = or_(
    Ticket.last_answer_at.is_(None), Ticket.last_answer_at < Ticket.claimed_at
)


async def forget_tickets(session: AsyncSession, user_id: int) -> None:
    """Inside the caller's transaction: close a user's tickets and drop every text of them.

    Counts and timings stay; suggestions quoting the question go with it. Call it before the
    user row is deleted: the copies delivered to their chat are found by its chat id.
    """
    mine = select(Ticket.id).where(Ticket.user_id == user_id)
    await session.execute(erase_messages(mine))
    # Their chat id where a volunteer's message reached them; copies in volunteers' chats
    # keep theirs, so that a reply to one still finds its (closed) ticket.
    their_chat = select(User.chat_id).where(User.id == user_id).scalar_subquery()
    await session.execute(
        update(TicketMessage)
        .where(TicketMessage.ticket_id.in_(mine), TicketMessage.delivered_chat_id == their_chat)
        .values(delivered_chat_id=None, delivered_message_id=None)
    )
    await session.execute(delete(KbSuggestion).where(KbSuggestion.ticket_id.in_(mine)))
    await session.execute(
        update(Ticket)
        .where(Ticket.user_id == user_id, Ticket.status != Status.CLOSED.value)
        .values(status=Status.CLOSED.value, closed_at=datetime.now(UTC), closed_by="migrant")
    )
    await session.execute(
        update(Ticket)
        .where(Ticket.user_id == user_id)
        .values(question=None, text_expires_at=None, user_id=None)
    )


class TicketUpkeep:
    """The reminder clock of tickets (the timers ask it what is due, and mark steps done)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._rows = TicketRows(sessions)

    async def once(self, ticket_id: int, field: Once, *, status: Status, now: datetime) -> bool:
        """Mark a one-time step done; True only for the caller that did it first."""
        if field not in _ONCE:
            raise ValueError(f"not a one-time step: {field!r}")
        column = getattr(Ticket, field)
        return await self._rows.update(
            ticket_id, column.is_(None), Ticket.status == status.value, **{field: utc(now)}
        )

    async def due(
        self,
        now: datetime,
        *,
        remind_after: timedelta,
        give_up_after: timedelta,
        claim_remind_after: timedelta,
        claim_release_after: timedelta,
    ) -> Due:
        """Tickets whose next step is due. A claim counts as unanswered until a volunteer
        message comes after it (`last_answer_at` >= `claimed_at`)."""
        now = utc(now)
        is_open = Ticket.status == Status.OPEN.value
        claimed = and_(Ticket.status == Status.CLAIMED.value, _NO_ANSWER_SINCE_CLAIM)
        return Due(
            remind=await self._rows.list(
                is_open, Ticket.reminded_at.is_(None), Ticket.created_at <= now - remind_after
            ),
            give_up=await self._rows.list(
                is_open, Ticket.gave_up_at.is_(None), Ticket.created_at <= now - give_up_after
            ),
            claim_remind=await self._rows.list(
                claimed,
                Ticket.claim_reminded_at.is_(None),
                Ticket.claimed_at <= now - claim_remind_after,
            ),
            claim_release=await self._rows.list(
                claimed, Ticket.claimed_at <= now - claim_release_after
            ),
            assigned=await self._rows.list(
                Ticket.status == Status.CLAIMED.value,
                Ticket.assigned_at.is_not(None),
                Ticket.assign_told_at.is_(None),
            ),
        )

    async def typical_wait(
        self, city: str, now: datetime, *, window: timedelta = timedelta(days=30), least: int = 3
    ) -> timedelta | None:
        """The median time to a first answer in a city over `window`; None with fewer than
        `least` answered tickets (too few to promise anything)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Ticket.created_at, Ticket.answered_at).where(
                    Ticket.city == city,
                    Ticket.answered_at.is_not(None),
                    Ticket.created_at >= utc(now) - window,
                )
            )
            waits = sorted(utc(answered) - utc(created) for created, answered in rows if answered)
        if len(waits) < max(1, least):
            return None
        return median_of(waits)
