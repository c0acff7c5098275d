"""An organisation's volunteers and its anonymous ticket figures, for the console's NGO
coordinators (their own organisation) and network admins (every organisation).

Nothing here reads what identifies a migrant or what anyone wrote: no question or message
text, no user or chat id. The figures are counts and durations of the tickets that the
organisation's volunteers hold or held, over the last 30 days.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import Organisation, Ticket, Volunteer
from bot.storage.network import Network
from bot.storage.staff import Role, Staff
from bot.storage.ticket_types import Status, median_of, utc

WINDOW: Final = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Work:
    """What tickets created in the window came to: how many, and how fast."""

    claimed: int
    answered: int
    closed: int
    to_claim: timedelta | None  # median, from the question to the claim
    to_answer: timedelta | None  # median, from the question to the first answer


@dataclass(frozen=True, slots=True)
class VolunteerFigures:
    display_name: str
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    available: bool
    joined: date
    work: Work


@dataclass(frozen=True, slots=True)
class TicketFigures:
    work: Work
    by_status: dict[str, int]
    by_language: dict[str, int]
    by_topic: dict[str, int]  # "" for no topic
    helpful: int  # 👍
    unhelpful: int  # 👎


@dataclass(frozen=True, slots=True)
class OrganisationFigures:
    id: int
    city: str
    name: str
    since: datetime
    volunteers: tuple[VolunteerFigures, ...]  # the active ones, by name
    removed: int  # volunteers who left or were removed
    tickets: TicketFigures
    waiting: int  # the city's questions waiting for anyone to take them, now


@dataclass(frozen=True, slots=True)
class _Row:
    """One ticket, as these figures read it: times and labels, never a text or an id of
    whoever asked."""

    volunteer: int | None  # never None here: the query joins on it
    status: str
    language: str
    topic: str | None
    created: datetime
    claimed: datetime | None
    answered: datetime | None
    helpful: bool | None


def _utc(moment: datetime | None) -> datetime | None:
    return utc(moment) if moment is not None else None


def _median(values: Iterable[timedelta]) -> timedelta | None:
    found = list(values)
    return median_of(found) if found else None


def _work(rows: list[_Row]) -> Work:
    return Work(
        claimed=len(rows),
        answered=sum(1 for r in rows if r.answered is not None),
        closed=sum(1 for r in rows if r.status == Status.CLOSED.value),
        to_claim=_median(r.claimed - r.created for r in rows if r.claimed is not None),
        to_answer=_median(r.answered - r.created for r in rows if r.answered is not None),
    )


def _may_see(who: Staff, organisation_id: int) -> bool:
    if who.role is Role.ADMIN:
        return True
    return who.role is Role.COORDINATOR and who.organisation_id == organisation_id


class NetworkFigures:
    """The organisations' pages, scoped to who asks: a coordinator sees their own, an admin
    every one, anyone else none (None, which the console shows as "no such page")."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def organisations(self, who: Staff) -> dict[str, list[tuple[int, str, int]]]:
        """An admin's list: each city's organisations (id, name, active volunteers)."""
        if who.role is not Role.ADMIN:
            return {}
        out: dict[str, list[tuple[int, str, int]]] = {}
        for org_id, city, name, active in await Network(self.sessions).organisations():
            out.setdefault(city, []).append((org_id, name, active))
        return out

    async def organisation(
        self, who: Staff, organisation_id: int, now: datetime
    ) -> OrganisationFigures | None:
        if not _may_see(who, organisation_id):
            return None
        since = utc(now) - WINDOW
        async with self.sessions() as session:
            org = await session.get(Organisation, organisation_id)
            if org is None:
                return None
            members = list(
                await session.scalars(
                    select(Volunteer).where(Volunteer.organisation_id == organisation_id)
                )
            )
            rows = await self._tickets(session, organisation_id, since)
            waiting = await session.scalar(
                select(func.count(Ticket.id)).where(
                    Ticket.city == org.city, Ticket.status == Status.OPEN.value
                )
            )
        by_volunteer: dict[int | None, list[_Row]] = {}
        for row in rows:
            by_volunteer.setdefault(row.volunteer, []).append(row)
        active = sorted(
            (v for v in members if v.removed_at is None),
            key=lambda v: (v.display_name.casefold(), v.id),
        )
        volunteers = tuple(
            VolunteerFigures(
                display_name=v.display_name,
                languages=tuple(v.languages.get("codes", ())),
                topics=tuple(v.topics.get("ids", ())),
                available=v.available,
                joined=utc(v.created_at).date(),
                work=_work(by_volunteer.get(v.id, [])),
            )
            for v in active
        )
        return OrganisationFigures(
            id=org.id,
            city=org.city,
            name=org.name,
            since=since,
            volunteers=volunteers,
            removed=len(members) - len(active),
            tickets=TicketFigures(
                work=_work(rows),
                by_status=dict(Counter(r.status for r in rows).most_common()),
                by_language=dict(Counter(r.language for r in rows).most_common()),
                by_topic=dict(Counter(r.topic or "" for r in rows).most_common()),
                helpful=sum(1 for r in rows if r.helpful is True),
                unhelpful=sum(1 for r in rows if r.helpful is False),
            ),
            waiting=waiting or 0,
        )

    @staticmethod
    async def _tickets(session: AsyncSession, organisation_id: int, since: datetime) -> list[_Row]:
        """The tickets asked since `since` that a volunteer of the organisation (still there
        or not) holds or held to the end."""
        result = await session.execute(
            select(
                Ticket.claimed_by,
                Ticket.status,
                Ticket.language,
                Ticket.topic,
                Ticket.created_at,
                Ticket.claimed_at,
                Ticket.answered_at,
                Ticket.helpful,
            )
            .join(Volunteer, Ticket.claimed_by == Volunteer.id)
            .where(Volunteer.organisation_id == organisation_id, Ticket.created_at >= since)
        )
        return [
            _Row(
                volunteer,
                status,
                language,
                topic,
                utc(created),
                _utc(claimed),
                _utc(answered),
                helpful,
            )
            for volunteer, status, language, topic, created, claimed, answered, helpful in result
        ]
