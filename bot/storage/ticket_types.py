"""What the ticket store hands out: plain frozen records, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from bot.storage.models import Ticket


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"


ACTIVE: Final = (Status.OPEN.value, Status.CLAIMED.value)


def utc(value: datetime) -> datetime:
    """An aware UTC time. SQLite hands back naive datetimes, stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def median_of(waits: list[timedelta]) -> timedelta:
    """The median of some durations (at least one)."""
    ordered = sorted(waits)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class TicketInfo:
    id: int
    user_id: int | None
    city: str
    language: str
    topic: str | None
    urgent: bool
    status: Status
    question: str | None
    claimed_by: int | None
    created_at: datetime
    claimed_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    helpful: bool | None
    widened_at: datetime | None
    reminded_at: datetime | None
    gave_up_at: datetime | None
    claim_reminded_at: datetime | None
    assigned_at: datetime | None  # given by staff...
    assigned_from: int | None  # ...taken from this volunteer, if someone held it
    assign_told_at: datetime | None  # ...and the bot has told them
    question_id: int | None  # the logged question it was made from (one ticket each)
    messages: int  # number of relayed messages (TicketMessage rows)


@dataclass(frozen=True)
class Offer:
    ticket_id: int
    volunteer_id: int
    chat_id: str
    message_id: int


@dataclass(frozen=True)
class Due:
    remind: list[TicketInfo]
    give_up: list[TicketInfo]
    claim_remind: list[TicketInfo]
    claim_release: list[TicketInfo]
    assigned: list[TicketInfo]  # given by staff, not yet told


class LimitReached(Exception):
    """The user already has as many open tickets as allowed."""


class AlreadyAsked(Exception):
    """This question was sent already (a second tap, or another process): its one ticket."""

    def __init__(self, ticket: TicketInfo) -> None:
        super().__init__(f"question {ticket.question_id} is ticket {ticket.id} already")
        self.ticket = ticket


def plain(value: Any) -> Any:
    return utc(value) if isinstance(value, datetime) else value


def ticket_info(t: Ticket, messages: int) -> TicketInfo:
    names = (f.name for f in fields(TicketInfo) if f.name not in ("status", "messages"))
    values = {name: plain(getattr(t, name)) for name in names}
    return TicketInfo(**values, status=Status(t.status), messages=messages)
