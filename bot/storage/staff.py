"""City staff: who they are, what they may do, their one-time tokens and the audit log.

Staff are added with `python main.py staff add` (an invitation link for the bot). Opening it
binds their Telegram chat; from then on `/staff` in that chat gets them a one-time sign-in link
to the console (single use, 10 minutes). Tokens are stored as SHA-256 digests only, so a copy
of the database signs no one in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import AuditEvent, Organisation, StaffMember, StaffToken

LOGIN_LIFETIME: Final = timedelta(minutes=10)
INVITE_LIFETIME: Final = timedelta(days=7)


class Role(StrEnum):
    ADMIN = "admin"  # everything, in every city
    EDITOR = "editor"  # the entries of their city and its region
    TRANSLATOR = "translator"  # the texts of their languages, in their city
    COORDINATOR = "coordinator"  # their organisation's volunteers and ticket figures


#: Who may open the knowledge pages (cities, entries, sheets, words), and the network's.
KNOWLEDGE_ROLES: Final = frozenset({Role.ADMIN, Role.EDITOR, Role.TRANSLATOR})
NETWORK_ROLES: Final = frozenset({Role.ADMIN, Role.COORDINATOR})


@dataclass(frozen=True, slots=True)
class Staff:
    """A signed-in person, as every request and query of the console sees them."""

    id: int
    name: str
    role: Role
    city: str | None
    languages: tuple[str, ...] = ()
    organisation_id: int | None = None  # a coordinator's

    @property
    def admin(self) -> bool:
        return self.role is Role.ADMIN

    def may_edit_entries(self) -> bool:
        return self.role in (Role.ADMIN, Role.EDITOR)

    def may_translate(self, language: str) -> bool:
        """May this person change the texts in `language`? Editors may change them all."""
        if self.role is Role.TRANSLATOR:
            return language in self.languages
        return self.may_edit_entries()


class TokenProblem(StrEnum):
    UNKNOWN = "unknown"  # never issued, or mistyped
    USED = "used"
    EXPIRED = "expired"
    INACTIVE = "inactive"  # the person was removed


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _staff(row: StaffMember) -> Staff:
    return Staff(
        row.id,
        row.name,
        Role(row.role),
        row.city,
        tuple(row.languages or ()),
        row.organisation_id,
    )


class StaffStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def add(
        self,
        name: str,
        role: Role,
        city: str | None,
        languages: list[str] | None = None,
        *,
        organisation_id: int | None = None,
        now: datetime | None = None,
    ) -> tuple[Staff, str]:
        """A new staff member and their invitation token (shown once, never stored). A
        coordinator, and only a coordinator, has an organisation, which is of their city."""
        if role is not Role.ADMIN and not city:
            raise ValueError("only a network admin works without a city")
        if role is Role.TRANSLATOR and not languages:
            raise ValueError("a translator needs at least one language")
        if (role is Role.COORDINATOR) != (organisation_id is not None):
            raise ValueError("a coordinator, and only a coordinator, has an organisation")
        now = now or datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            if organisation_id is not None:
                org = await session.get(Organisation, organisation_id)
                if org is None or org.city != city:
                    raise ValueError(f"no organisation #{organisation_id} in {city}")
            row = StaffMember(
                name=name.strip()[:120],
                role=role.value,
                city=city if role is not Role.ADMIN else None,
                languages=sorted(set(languages or [])),
                active=True,
                organisation_id=organisation_id,
            )
            session.add(row)
            await session.flush()
            token = await self._token(session, row.id, "join", now + INVITE_LIFETIME)
            session.add(
                AuditEvent(
                    staff_id=None,
                    action="staff.add",
                    target=f"staff:{row.id}",
                    detail={
                        "role": role.value,
                        "city": row.city,
                        "languages": row.languages,
                        **({"organisation": organisation_id} if organisation_id else {}),
                    },
                )
            )
            return _staff(row), token

    async def _token(
        self, session: AsyncSession, staff_id: int, purpose: str, until: datetime
    ) -> str:
        token = secrets.token_urlsafe(24)
        session.add(
            StaffToken(digest=_digest(token), staff_id=staff_id, purpose=purpose, expires_at=until)
        )
        return token

    async def _use(
        self, session: AsyncSession, token: str, purpose: str, now: datetime
    ) -> StaffMember | TokenProblem:
        """Spend a token once: a conditional update, so two requests cannot both use it."""
        digest = _digest(token)
        row = await session.get(StaffToken, digest)
        if row is None or row.purpose != purpose:
            return TokenProblem.UNKNOWN
        if row.used_at is not None:
            return TokenProblem.USED
        if _aware(row.expires_at) <= now:
            return TokenProblem.EXPIRED
        spent = await session.execute(
            update(StaffToken)
            .where(StaffToken.digest == digest, StaffToken.used_at.is_(None))
            .values(used_at=now)
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            return TokenProblem.USED
        member = await session.get(StaffMember, row.staff_id)
        if member is None or not member.active:
            return TokenProblem.INACTIVE
        return member

    async def join(
        self, token: str, chat_id: str, *, now: datetime | None = None
    ) -> Staff | TokenProblem:
        """Open an invitation from a Telegram chat: that chat now signs this person in."""
        now = now or datetime.now(UTC)
        try:
            async with self.sessions() as session, session.begin():
                member = await self._use(session, token, "join", now)
                if isinstance(member, TokenProblem):
                    return member
                # One chat is one person: a chat bound before is freed first.
                await session.execute(
                    update(StaffMember)
                    .where(StaffMember.chat_id == chat_id, StaffMember.id != member.id)
                    .values(chat_id=None)
                )
                member.chat_id = chat_id
                session.add(
                    AuditEvent(
                        staff_id=member.id,
                        action="staff.join",
                        target=f"staff:{member.id}",
                        detail={},
                    )
                )
                return _staff(member)
        except IntegrityError:
            return TokenProblem.USED

    async def by_chat(self, chat_id: str) -> Staff | None:
        async with self.sessions() as session:
            row = await session.scalar(
                select(StaffMember).where(StaffMember.chat_id == chat_id, StaffMember.active)
            )
            return _staff(row) if row else None

    async def get(self, staff_id: int) -> Staff | None:
        """The person, if still active: a removed person's session stops working at once."""
        async with self.sessions() as session:
            row = await session.get(StaffMember, staff_id)
            return _staff(row) if row is not None and row.active else None

    async def login_token(self, staff_id: int, *, now: datetime | None = None) -> str:
        """A sign-in token for this person: single use, valid 10 minutes."""
        now = now or datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            return await self._token(session, staff_id, "login", now + LOGIN_LIFETIME)

    async def first_admin(self) -> Staff | None:
        async with self.sessions() as session:
            row = await session.scalar(
                select(StaffMember)
                .where(StaffMember.role == Role.ADMIN.value, StaffMember.active)
                .order_by(StaffMember.id)
                .limit(1)
            )
            return _staff(row) if row else None

    async def login(self, token: str, *, now: datetime | None = None) -> Staff | TokenProblem:
        now = now or datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            member = await self._use(session, token, "login", now)
            if isinstance(member, TokenProblem):
                return member
            session.add(
                AuditEvent(
                    staff_id=member.id, action="staff.login", target=f"staff:{member.id}", detail={}
                )
            )
            return _staff(member)

    async def remove(self, staff_id: int) -> bool:
        async with self.sessions() as session, session.begin():
            done = await session.execute(
                update(StaffMember)
                .where(StaffMember.id == staff_id, StaffMember.active)
                .values(active=False, chat_id=None)
            )
            if done.rowcount:  # type: ignore[attr-defined]
                session.add(
                    AuditEvent(
                        staff_id=None, action="staff.remove", target=f"staff:{staff_id}", detail={}
                    )
                )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    async def members(self) -> list[Staff]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(StaffMember).where(StaffMember.active).order_by(StaffMember.id)
            )
            return [_staff(r) for r in rows]


def audit(
    session: AsyncSession, who: Staff | None, action: str, target: str, **detail: Any
) -> None:
    """Add one line to the audit log, in the caller's transaction."""
    session.add(
        AuditEvent(
            staff_id=who.id if who else None, action=action, target=target[:200], detail=detail
        )
    )
