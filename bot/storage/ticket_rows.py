"""The ticket queries that the ticket store and its clock share: list, conditional update,
the one statement that hands claimed tickets back to the network, and the one that erases
what relayed messages said."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, Update, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import Ticket, TicketMessage
from bot.storage.ticket_types import Status, TicketInfo, ticket_info


def rows_changed(result: Any) -> int:
    return int(result.rowcount or 0)


def hand_back(*where: ColumnElement[bool]) -> Update:
    """Reopen the claimed tickets that match `where` (their reminder times stay)."""
    return (
        update(Ticket)
        .where(Ticket.status == Status.CLAIMED.value, *where)
        .values(status=Status.OPEN.value, claimed_by=None, claimed_at=None, claim_reminded_at=None)
    )


def erase_messages(tickets: Select[int]) -> Update:
    """Erase what the relayed messages of `tickets` said: their text, a voice note's automatic
    transcript, and the id to copy an original from. Kinds, times and counts stay."""
    return (
        update(TicketMessage)
        .where(TicketMessage.ticket_id.in_(tickets))
        .values(text=None, transcript=None, file_id=None, origin_message_id=None)
    )


class TicketRows:
    """Reads and conditional writes of ticket rows, as plain `TicketInfo` records."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def list(self, *where: ColumnElement[bool], newest: bool = False) -> list[TicketInfo]:
        order = (Ticket.created_at.desc(), Ticket.id.desc()) if newest else (Ticket.id,)
        count = (
            select(func.count(TicketMessage.id))
            .where(TicketMessage.ticket_id == Ticket.id)
            .correlate(Ticket)
            .scalar_subquery()
        )
        async with self.sessions() as session:
            rows = await session.execute(select(Ticket, count).where(*where).order_by(*order))
            return [ticket_info(t, n) for t, n in rows.all()]

    async def update(self, ticket_id: int, *where: ColumnElement[bool], **values: Any) -> bool:
        """Change one ticket where `where` holds; True when this caller made the change."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(Ticket).where(Ticket.id == ticket_id, *where).values(**values)
            )
            return rows_changed(result) == 1

    async def change(self, statement: Update) -> int:
        """Run one UPDATE in its own transaction; how many rows it changed."""
        async with self.sessions() as session, session.begin():
            return rows_changed(await session.execute(statement))
