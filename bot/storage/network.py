"""A city's support network: organisations, their volunteers, invites and a coordination group.

Volunteers join with an invite code that city staff create (`python main.py network invite`).
A chat is at most one active volunteer: redeeming another organisation's invite moves them,
and a removed volunteer who comes back gets their old row back, reset like a new one.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import CityNetwork, Organisation, Ticket, Volunteer
from bot.storage.models import Invite as InviteRow
from bot.storage.ticket_rows import hand_back, rows_changed
from bot.storage.ticket_types import Status, utc


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used-up"


@dataclass(frozen=True)
class Invite:
    code: str
    organisation_id: int
    organisation: str
    city: str
    expires_at: datetime
    uses_left: int


@dataclass(frozen=True)
class VolunteerInfo:
    id: int
    organisation_id: int
    organisation: str
    city: str
    channel: str
    chat_id: str
    display_name: str
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    available: bool
    ui_language: str
    load: int  # tickets currently claimed by them


def _codes(values: Iterable[str], *, lower: bool) -> list[str]:
    """Stripped, de-duplicated, in the order given."""
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip().lower() if lower else value.strip()
        if value:
            seen.setdefault(value, None)
    return list(seen)


def _load() -> Any:
    return (
        select(func.count(Ticket.id))
        .where(Ticket.claimed_by == Volunteer.id, Ticket.status == Status.CLAIMED.value)
        .correlate(Volunteer)
        .scalar_subquery()
    )


class Network:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def _volunteers(
        self, session: AsyncSession, *where: ColumnElement[bool]
    ) -> list[VolunteerInfo]:
        rows = await session.execute(
            select(Volunteer, Organisation.name, Organisation.city, _load())
            .join(Organisation, Volunteer.organisation_id == Organisation.id)
            .where(*where)
            .order_by(Volunteer.id)
        )
        return [
            VolunteerInfo(
                id=v.id,
                organisation_id=v.organisation_id,
                organisation=name,
                city=city,
                channel=v.channel,
                chat_id=v.chat_id,
                display_name=v.display_name,
                languages=tuple(v.languages.get("codes", ())),
                topics=tuple(v.topics.get("ids", ())),
                available=v.available,
                ui_language=v.ui_language,
                load=load,
            )
            for v, name, city, load in rows.all()
        ]

    async def _active(self, *where: ColumnElement[bool]) -> list[VolunteerInfo]:
        async with self._sessions() as session:
            return await self._volunteers(session, Volunteer.removed_at.is_(None), *where)

    # --- organisations and invites ------------------------------------------------------

    async def organisation(self, city: str, name: str) -> int:
        """The organisation's id, created on first use; the name is matched ignoring case."""
        name = " ".join(name.split())
        if not name:
            raise ValueError("an organisation needs a name")
        for _attempt in range(2):
            try:
                async with self._sessions() as session, session.begin():
                    rows = await session.execute(
                        select(Organisation.id, Organisation.name).where(Organisation.city == city)
                    )
                    for org_id, existing in rows.all():
                        if existing.casefold() == name.casefold():
                            return org_id
                    org = Organisation(city=city, name=name)
                    session.add(org)
                    await session.flush()
                    return org.id
            except IntegrityError:  # created by someone else meanwhile: look again
                continue
        raise RuntimeError(f"could not create the organisation {name!r} in {city}")

    async def organisations(self, city: str | None = None) -> list[tuple[int, str, str, int]]:
        """(id, city, name, active volunteers), by city and name."""
        active = (
            select(func.count(Volunteer.id))
            .where(Volunteer.organisation_id == Organisation.id, Volunteer.removed_at.is_(None))
            .correlate(Organisation)
            .scalar_subquery()
        )
        query = select(Organisation.id, Organisation.city, Organisation.name, active)
        if city is not None:
            query = query.where(Organisation.city == city)
        async with self._sessions() as session:
            rows = [(i, c, name, n) for i, c, name, n in await session.execute(query)]
        return sorted(rows, key=lambda r: (r[1], r[2].casefold(), r[0]))

    async def invite(
        self,
        city: str,
        organisation: str,
        *,
        uses: int = 5,
        valid: timedelta = timedelta(days=7),
        now: datetime,
    ) -> Invite:
        """A new invite code for an organisation (created if needed)."""
        if uses < 1 or valid <= timedelta(0):
            raise ValueError("an invite needs at least one use and some time to be used")
        org_id = await self.organisation(city, organisation)
        expires_at = utc(now) + valid
        for _attempt in range(3):
            code = secrets.token_urlsafe(12)
            try:
                async with self._sessions() as session, session.begin():
                    session.add(
                        InviteRow(
                            code=code,
                            organisation_id=org_id,
                            uses_left=uses,
                            expires_at=expires_at,
                            created_at=utc(now),
                        )
                    )
                    org = await session.get_one(Organisation, org_id)
                    return Invite(code, org_id, org.name, org.city, expires_at, uses)
            except IntegrityError:  # the same code twice: astronomically rare, draw again
                continue
        raise RuntimeError("could not draw a unique invite code")

    async def redeem(
        self,
        code: str,
        channel: str,
        chat_id: str,
        *,
        display_name: str,
        ui_language: str,
        now: datetime,
    ) -> VolunteerInfo | InviteProblem:
        """Use one use of an invite and make this chat an active volunteer of its organisation."""
        now = utc(now)
        for _attempt in range(2):
            try:
                async with self._sessions() as session, session.begin():
                    return await self._redeem(
                        session, code, channel, chat_id, display_name, ui_language, now
                    )
            except IntegrityError:  # the same chat joined twice at once: the retry moves it
                continue
        raise RuntimeError("could not redeem the invite")

    async def _redeem(
        self,
        session: AsyncSession,
        code: str,
        channel: str,
        chat_id: str,
        display_name: str,
        ui_language: str,
        now: datetime,
    ) -> VolunteerInfo | InviteProblem:
        used = await session.execute(
            update(InviteRow)
            .where(InviteRow.code == code, InviteRow.uses_left > 0, InviteRow.expires_at > now)
            .values(uses_left=InviteRow.uses_left - 1)
        )
        if not used.rowcount:  # type: ignore[attr-defined]
            invite = await session.get(InviteRow, code)
            if invite is None:
                return InviteProblem.UNKNOWN
            return InviteProblem.EXPIRED if utc(invite.expires_at) <= now else InviteProblem.USED_UP
        org_id = await session.scalar(
            select(InviteRow.organisation_id).where(InviteRow.code == code)
        )
        assert org_id is not None
        mine = (Volunteer.channel == channel, Volunteer.chat_id == chat_id)
        rows = list(await session.scalars(select(Volunteer).where(*mine)))
        # The active row first, then a removed one of this organisation, then the newest.
        rows.sort(key=lambda v: (v.removed_at is not None, v.organisation_id != org_id, -v.id))
        volunteer = rows[0] if rows else None
        if volunteer is None:
            volunteer = Volunteer(organisation_id=org_id, channel=channel, chat_id=chat_id)
            session.add(volunteer)
        if volunteer.removed_at is not None or volunteer.id is None:  # (re)joins: a fresh start
            volunteer.display_name = display_name[:64]
            volunteer.ui_language = ui_language
            volunteer.languages, volunteer.topics = {"codes": []}, {"ids": []}
            volunteer.available = False
            volunteer.removed_at = None
        if volunteer.organisation_id != org_id:
            # Old removed rows of this chat in the target organisation would clash: drop them.
            await session.execute(
                delete(Volunteer).where(
                    *mine, Volunteer.organisation_id == org_id, Volunteer.removed_at.is_not(None)
                )
            )
            volunteer.organisation_id = org_id
        await session.flush()
        return (await self._volunteers(session, Volunteer.id == volunteer.id))[0]

    # --- volunteers ---------------------------------------------------------------------

    async def volunteer(self, channel: str, chat_id: str) -> VolunteerInfo | None:
        found = await self._active(Volunteer.channel == channel, Volunteer.chat_id == chat_id)
        return found[0] if found else None

    async def get(self, volunteer_id: int) -> VolunteerInfo | None:
        found = await self._active(Volunteer.id == volunteer_id)
        return found[0] if found else None

    async def update(
        self,
        volunteer_id: int,
        *,
        display_name: str | None = None,
        languages: Sequence[str] | None = None,
        topics: Sequence[str] | None = None,
        available: bool | None = None,
        ui_language: str | None = None,
    ) -> VolunteerInfo | None:
        """Change what is given (None leaves a field alone); None if no such active volunteer."""
        values: dict[str, Any] = {}
        if display_name is not None:
            values["display_name"] = display_name[:64]
        if languages is not None:
            values["languages"] = {"codes": _codes(languages, lower=True)}
        if topics is not None:
            values["topics"] = {"ids": _codes(topics, lower=False)}
        if available is not None:
            values["available"] = available
        if ui_language is not None:
            values["ui_language"] = ui_language
        if values:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    update(Volunteer)
                    .where(Volunteer.id == volunteer_id, Volunteer.removed_at.is_(None))
                    .values(**values)
                )
        return await self.get(volunteer_id)

    async def remove(self, volunteer_id: int, *, now: datetime) -> VolunteerInfo | None:
        """Remove a volunteer at once; their claimed tickets go back to open. The result's
        `load` is how many tickets went back; None if there was no such active volunteer."""
        async with self._sessions() as session, session.begin():
            gone = await session.execute(
                update(Volunteer)
                .where(Volunteer.id == volunteer_id, Volunteer.removed_at.is_(None))
                .values(removed_at=utc(now), available=False)
            )
            if not gone.rowcount:  # type: ignore[attr-defined]
                return None
            (found,) = await self._volunteers(session, Volunteer.id == volunteer_id)
            released = await session.execute(hand_back(Ticket.claimed_by == volunteer_id))
            return replace(found, load=rows_changed(released))

    async def members(self, city: str) -> list[VolunteerInfo]:
        """A city's active volunteers, by organisation, then name."""
        found = await self._active(Organisation.city == city)
        return sorted(found, key=lambda v: (v.organisation.casefold(), v.display_name.casefold()))

    async def candidates(
        self, city: str, language: str, topic: str | None, *, any_language: bool = False
    ) -> list[VolunteerInfo]:
        """Who to offer a ticket to: available volunteers of the city who speak `language`
        (anyone, with `any_language`); those who prefer `topic` first, then the least busy."""
        found = await self._active(Organisation.city == city, Volunteer.available.is_(True))
        if not any_language:
            found = [v for v in found if language.lower() in v.languages]
        return sorted(found, key=lambda v: (topic is None or topic not in v.topics, v.load, v.id))

    # --- the coordination group ---------------------------------------------------------

    async def set_group(self, city: str, chat_id: str | None) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(CityNetwork, city)
            if row is None:
                session.add(CityNetwork(city=city, group_chat_id=chat_id))
            else:
                row.group_chat_id = chat_id

    async def group(self, city: str) -> str | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(CityNetwork.group_chat_id).where(CityNetwork.city == city)
            )
