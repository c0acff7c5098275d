"""Tickets: questions handed to volunteers, their offers, relayed messages and ratings.

Every state change is one conditional UPDATE, so that two processes (or a button tapped twice)
cannot both win: a claim, a release and a close report whether this caller made the change.
Texts of closed tickets are erased `retention` after closing; counts and timings stay. The
reminder clock is a separate object (`ticket_upkeep.py`); both share `ticket_rows.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.conflicts import dialect
from bot.storage.conflicts import insert as insert_or
from bot.storage.models import (
    KbSuggestion,
    Organisation,
    Ticket,
    TicketMessage,
    TicketOffer,
    User,
    Volunteer,
)
from bot.storage.ticket_rows import TicketRows, erase_messages, hand_back, rows_changed
from bot.storage.ticket_types import (
    ACTIVE,
    AlreadyAsked,
    Due,
    LimitReached,
    Offer,
    Status,
    TicketInfo,
    plain,
    utc,
)
from bot.storage.ticket_upkeep import Once, forget_tickets

__all__ = [
    "AlreadyAsked",
    "Due",
    "LimitReached",
    "Offer",
    "Once",
    "Status",
    "TicketInfo",
    "Tickets",
]

CLOSERS: Final = ("migrant", "volunteer", "staff", "system")
SENDERS: Final = ("migrant", "volunteer", "system")


@dataclass(frozen=True, slots=True)
class Waiting:
    """A migrant's message on a ticket, not yet shown to any volunteer."""

    id: int
    text: str | None
    kind: str | None  # what else it is (a `Media` kind of the support desk), None for text
    origin_message_id: int | None  # its id in the migrant's chat, to copy it from
    transcript: str | None = None  # a voice note's automatic transcript, when one was made


class Tickets:
    """The ticket store (see the module docstring)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        open_limit: int = 3,
        retention: timedelta = timedelta(days=90),
    ) -> None:
        self._sessions = sessions
        self._rows = TicketRows(sessions)
        self.open_limit = open_limit
        self.retention = retention

    async def open(
        self,
        *,
        user_id: int,
        city: str,
        language: str,
        topic: str | None,
        urgent: bool,
        question: str,
        now: datetime,
        question_id: int | None = None,
    ) -> TicketInfo:
        """A new open ticket for the logged question `question_id`.

        AlreadyAsked (with the ticket) if that question has one already, however many callers
        try at once; else LimitReached if the user has `open_limit` active ones.
        """
        values: dict[str, Any] = {
            "user_id": user_id,
            "city": city,
            "language": language,
            "topic": topic,
            "urgent": urgent,
            "status": Status.OPEN.value,
            "question": question,
            "created_at": utc(now),
            "question_id": question_id,
        }
        cols = Ticket.__table__.c
        active = (
            select(func.count(Ticket.id))
            .where(Ticket.user_id == user_id, Ticket.status.in_(ACTIVE))
            .scalar_subquery()
        )
        # One INSERT ... SELECT ... WHERE count < limit: atomic on SQLite; on PostgreSQL the
        # user's row is locked first so that two concurrent opens are counted one after another.
        # The unique question id makes a second ticket for one question a no-op, not an error.
        row = select(*(literal(v, cols[k].type) for k, v in values.items())).where(
            active < self.open_limit
        )
        async with self._sessions() as session, session.begin():
            if dialect(session) == "postgresql":
                await session.execute(select(User.id).where(User.id == user_id).with_for_update())
            new_id = await session.scalar(
                insert_or(session, Ticket)
                .from_select(list(values), row)
                .on_conflict_do_nothing(index_elements=["question_id"])
                .returning(Ticket.id)
            )
        if new_id is None:
            asked = await self.for_question(question_id) if question_id is not None else None
            if asked is not None:
                raise AlreadyAsked(asked)
            raise LimitReached(f"user {user_id} already has {self.open_limit} open tickets")
        ticket = await self.get(new_id)
        assert ticket is not None
        return ticket

    async def get(self, ticket_id: int) -> TicketInfo | None:
        found = await self._rows.list(Ticket.id == ticket_id)
        return found[0] if found else None

    async def for_question(self, question_id: int) -> TicketInfo | None:
        """The ticket made from a logged question, if it was sent."""
        found = await self._rows.list(Ticket.question_id == question_id)
        return found[0] if found else None

    async def of_user(self, user_id: int, *, active_only: bool = True) -> list[TicketInfo]:
        where = [Ticket.user_id == user_id]
        if active_only:
            where.append(Ticket.status.in_(ACTIVE))
        return await self._rows.list(*where, newest=True)

    async def of_volunteer(self, volunteer_id: int) -> list[TicketInfo]:
        """The tickets this volunteer holds now."""
        return await self._rows.list(
            Ticket.claimed_by == volunteer_id, Ticket.status == Status.CLAIMED.value
        )

    async def add_offer(
        self, ticket_id: int, volunteer_id: int, chat_id: str, message_id: int
    ) -> None:
        """Remember the message that offers a ticket to a volunteer (a re-offer replaces it)."""
        values = {
            "ticket_id": ticket_id,
            "volunteer_id": volunteer_id,
            "chat_id": chat_id,
            "message_id": message_id,
        }
        async with self._sessions() as session, session.begin():
            await session.execute(
                insert_or(session, TicketOffer)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=["ticket_id", "volunteer_id"],
                    set_={"chat_id": chat_id, "message_id": message_id},
                )
            )

    async def offers(self, ticket_id: int) -> list[Offer]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(TicketOffer)
                .where(TicketOffer.ticket_id == ticket_id)
                .order_by(TicketOffer.id)
            )
            return [Offer(o.ticket_id, o.volunteer_id, o.chat_id, o.message_id) for o in rows]

    async def offered_to(self, ticket_id: int) -> set[int]:
        return {offer.volunteer_id for offer in await self.offers(ticket_id)}

    async def claim(self, ticket_id: int, volunteer_id: int, *, now: datetime) -> bool:
        """Take an open ticket that was offered to this volunteer; True for exactly one
        caller, however many try at once. A ticket never offered to them stays out of reach
        (ticket numbers are sequential: a forged button must not reveal the next question)."""
        offered = select(TicketOffer.id).where(
            TicketOffer.ticket_id == ticket_id, TicketOffer.volunteer_id == volunteer_id
        )
        return await self._hold(
            ticket_id, volunteer_id, now, Ticket.status == Status.OPEN.value, offered.exists()
        )

    async def assign(self, ticket_id: int, volunteer_id: int, *, now: datetime) -> bool:
        """Staff give an open or claimed ticket to an active volunteer of its city, offered
        to them or not; False when the ticket or the volunteer does not qualify."""
        city = (
            select(Organisation.city)
            .join(Volunteer, Volunteer.organisation_id == Organisation.id)
            .where(Volunteer.id == volunteer_id)
            .scalar_subquery()
        )
        return await self._hold(
            ticket_id,
            volunteer_id,
            now,
            Ticket.status.in_(ACTIVE),
            Ticket.city == city,
            # The bot tells the volunteer, and whoever held it before (an UPDATE reads the
            # row as it was).
            assigned_at=utc(now),
            assigned_from=Ticket.claimed_by,
            assign_told_at=None,
        )

    async def _hold(
        self,
        ticket_id: int,
        volunteer_id: int,
        now: datetime,
        *where: ColumnElement[bool],
        **also: Any,
    ) -> bool:
        """One conditional UPDATE: the ticket is claimed by an active volunteer where `where`
        (and `also` is set). A volunteer's own claim is no staff assignment to tell of."""
        active = select(Volunteer.id).where(
            Volunteer.id == volunteer_id, Volunteer.removed_at.is_(None)
        )
        return await self._rows.update(
            ticket_id,
            *where,
            active.exists(),
            status=Status.CLAIMED.value,
            claimed_by=volunteer_id,
            claimed_at=utc(now),
            claim_reminded_at=None,
            **{"assigned_at": None, "assigned_from": None, **also},
        )

    async def release(self, ticket_id: int, volunteer_id: int) -> bool:
        """Give a claimed ticket back to the network (its reminder times stay)."""
        statement = hand_back(Ticket.id == ticket_id, Ticket.claimed_by == volunteer_id)
        return await self._rows.change(statement) == 1

    async def close(self, ticket_id: int, *, by: str, now: datetime) -> bool:
        if by not in CLOSERS:
            raise ValueError(f"closed by {by!r}: expected one of {', '.join(CLOSERS)}")
        return await self._rows.update(
            ticket_id,
            Ticket.status != Status.CLOSED.value,
            status=Status.CLOSED.value,
            closed_at=utc(now),
            closed_by=by,
            text_expires_at=utc(now) + self.retention,
        )

    async def rate(self, ticket_id: int, user_id: int, helpful: bool) -> bool:
        """The ticket's own user rates it, once it is closed."""
        return await self._rows.update(
            ticket_id,
            Ticket.user_id == user_id,
            Ticket.status == Status.CLOSED.value,
            helpful=helpful,
        )

    async def add_message(
        self,
        ticket_id: int,
        *,
        sender: str,
        text: str | None,
        kind: str | None = None,
        origin_message_id: int | None = None,
        delivered: tuple[str, int] | None = None,
        transcript: str | None = None,
        now: datetime,
    ) -> int:
        """Log a relayed message: its text, else its `kind` and its id in the sender's chat
        (and a voice note's automatic `transcript`); `delivered`: the (chat id, message id) of
        its copy, None while it waits."""
        if sender not in SENDERS:
            raise ValueError(f"sender {sender!r}: expected one of {', '.join(SENDERS)}")
        chat_id, message_id = delivered if delivered is not None else (None, None)
        async with self._sessions() as session, session.begin():
            message = TicketMessage(
                ticket_id=ticket_id,
                sender=sender,
                text=text,
                file_kind=kind,
                origin_message_id=origin_message_id,
                transcript=transcript,
                delivered_chat_id=chat_id,
                delivered_message_id=message_id,
                created_at=utc(now),
            )
            session.add(message)
            if sender == "volunteer":
                await session.execute(
                    update(Ticket)
                    .where(Ticket.id == ticket_id)
                    .values(
                        answered_at=func.coalesce(Ticket.answered_at, utc(now)),
                        last_answer_at=utc(now),
                    )
                )
            await session.flush()
            return message.id

    async def undelivered(self, ticket_id: int) -> list[Waiting]:
        """The migrant's follow-ups kept while nobody held the ticket, oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(TicketMessage)
                .where(
                    TicketMessage.ticket_id == ticket_id,
                    TicketMessage.sender == "migrant",
                    TicketMessage.delivered_chat_id.is_(None),
                )
                .order_by(TicketMessage.id)
            )
            return [
                Waiting(m.id, m.text, m.file_kind, m.origin_message_id, m.transcript) for m in rows
            ]

    async def mark_delivered(self, message_id: int, chat_id: str, delivered_id: int) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(TicketMessage)
                .where(TicketMessage.id == message_id)
                .values(delivered_chat_id=chat_id, delivered_message_id=delivered_id)
            )

    async def last_answer(self, ticket_id: int, volunteer_id: int) -> str | None:
        """The latest text this volunteer sent on a ticket they hold (since they took it)."""
        async with self._sessions() as session:
            return await session.scalar(
                select(TicketMessage.text)
                .join(Ticket, Ticket.id == TicketMessage.ticket_id)
                .where(
                    Ticket.id == ticket_id,
                    Ticket.claimed_by == volunteer_id,
                    TicketMessage.sender == "volunteer",
                    TicketMessage.text.is_not(None),
                    TicketMessage.created_at >= Ticket.claimed_at,
                )
                .order_by(TicketMessage.id.desc())
                .limit(1)
            )

    async def by_message(self, chat_id: str, message_id: int) -> int | None:
        """The ticket a message belongs to: a relayed copy, or an offer to a volunteer."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(TicketMessage.ticket_id)
                .where(
                    TicketMessage.delivered_chat_id == chat_id,
                    TicketMessage.delivered_message_id == message_id,
                )
                .order_by(TicketMessage.id.desc())
                .limit(1)
            )
            if found is None:
                found = await session.scalar(
                    select(TicketOffer.ticket_id)
                    .where(TicketOffer.chat_id == chat_id, TicketOffer.message_id == message_id)
                    .order_by(TicketOffer.id.desc())
                    .limit(1)
                )
            return found

    async def listing(
        self, city: str, *, now: datetime, recent: timedelta = timedelta(days=7)
    ) -> list[TicketInfo]:
        """A city's open and claimed tickets, and those closed within `recent`; newest first."""
        return await self._rows.list(
            Ticket.city == city,
            or_(Ticket.status.in_(ACTIVE), Ticket.closed_at >= utc(now) - recent),
            newest=True,
        )

    async def suggest(
        self,
        *,
        ticket_id: int,
        volunteer_id: int,
        city: str,
        topic: str | None,
        language: str,
        question: str,
        answer: str,
        now: datetime,
    ) -> int:
        """Propose a volunteer's answer for the knowledge base; its id."""
        async with self._sessions() as session, session.begin():
            row = KbSuggestion(
                city=city,
                topic=topic,
                language=language,
                question=question,
                answer=answer,
                ticket_id=ticket_id,
                volunteer_id=volunteer_id,
                status="new",
                created_at=utc(now),
            )
            session.add(row)
            await session.flush()
            return row.id

    async def purge(self, now: datetime) -> int:
        """Erase the texts of tickets closed longer than the retention; return how many."""
        expired = select(Ticket.id).where(
            Ticket.status == Status.CLOSED.value,
            Ticket.text_expires_at.is_not(None),
            Ticket.text_expires_at <= utc(now),
        )
        async with self._sessions() as session, session.begin():
            await session.execute(erase_messages(expired))
            # A suggestion quotes the question: its copy goes too (the answer stays, to review).
            await session.execute(
                update(KbSuggestion).where(KbSuggestion.ticket_id.in_(expired)).values(question="")
            )
            result = await session.execute(
                update(Ticket)
                .where(Ticket.id.in_(expired))
                .values(question=None, text_expires_at=None)
            )
            return rows_changed(result)

    async def erase_user(self, user_id: int) -> None:
        """Close and forget a user's tickets (call it before the user row is deleted)."""
        async with self._sessions() as session, session.begin():
            await forget_tickets(session, user_id)

    async def suggestions(self, city: str) -> list[dict[str, object]]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(KbSuggestion).where(KbSuggestion.city == city).order_by(KbSuggestion.id)
            )
            columns = KbSuggestion.__table__.columns
            return [{c.key: plain(getattr(s, c.key)) for c in columns} for s in rows]
