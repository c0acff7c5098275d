"""Pseudonymous users: who to answer, in which city and language. Erasable on request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, cast

from sqlalchemy import Table, bindparam, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.conflicts import insert
from bot.storage.models import Question, Ticket, User, Volunteer
from bot.storage.question_days import forget_person
from bot.storage.ticket_types import ACTIVE
from bot.storage.ticket_upkeep import forget_tickets

_MUTABLE = (
    "city",
    "language",
    "language_explicit",
    "consent_at",
    "last_topic",
    "active",
    "last_seen_at",
)
_users: Final = cast(Table, User.__table__)
#: Written on every message: built once, on the table (the ORM would cost more than the write).
_SAVE: Final = (
    update(_users)
    .where(_users.c.id == bindparam("user_id"))
    .values({field: bindparam(f"new_{field}") for field in _MUTABLE})
)


#: Who writes from a chat, in one read: the user, whether an active volunteer writes from the
#: same chat, and whether one of the user's tickets is active.
_WHO: Final = select(
    User,
    exists()
    .where(
        Volunteer.channel == User.channel,
        Volunteer.chat_id == User.chat_id,
        Volunteer.removed_at.is_(None),
    )
    .label("volunteer"),
    exists().where(Ticket.user_id == User.id, Ticket.status.in_(ACTIVE)).label("tickets"),
).where(User.channel == bindparam("channel"), User.chat_id == bindparam("chat_id"))


@dataclass(frozen=True, slots=True)
class Who:
    """A known chat's user, and what the support network may want of their message."""

    user: User
    volunteer: bool  # an active volunteer of some organisation writes from this chat
    tickets: bool  # a ticket of the user's is open or claimed


def state(user: User) -> tuple[object, ...]:
    """What a conversation may change in a user's row (but the last-seen moment)."""
    return tuple(getattr(user, field) for field in _MUTABLE[:-1])


def needs_saving(user: User, before: tuple[object, ...], now: datetime) -> bool:
    """Has the row changed since `before` (`state` when it was read), or was the user last
    seen on another day? Last seen is kept to the day: most messages then write nothing."""
    seen = user.last_seen_at
    if state(user) != before or seen is None:
        return True
    return seen.date() != now.astimezone(UTC).date()


async def save_in(session: AsyncSession, user: User) -> None:
    """The UPDATE of `save`, in the caller's transaction."""
    user.last_seen_at = datetime.now(UTC)
    values = {f"new_{field}": getattr(user, field) for field in _MUTABLE}
    await session.execute(_SAVE, {"user_id": user.id, **values})


class UserStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, channel: str, chat_id: str) -> User | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(User).where(User.channel == channel, User.chat_id == chat_id)
            )

    async def who(self, channel: str, chat_id: str) -> Who | None:
        """The chat's user with the support network's two questions answered, in one read;
        None for a chat never seen (nothing is created)."""
        async with self._sessions() as session:
            row = (await session.execute(_WHO, {"channel": channel, "chat_id": chat_id})).first()
        if row is None:
            return None
        return Who(row[0], bool(row[1]), bool(row[2]))

    async def by_id(self, user_id: int) -> User | None:
        async with self._sessions() as session:
            return await session.get(User, user_id)

    async def get_or_create(self, channel: str, chat_id: str) -> User:
        """The user of a chat, created on first contact. Two processes handling a new user's
        first two updates at once both get the same row: the INSERT does nothing on conflict."""
        user = await self.get(channel, chat_id)
        if user is not None:
            return user
        async with self._sessions() as session, session.begin():
            await session.execute(
                insert(session, User)
                .values(channel=channel, chat_id=chat_id, language_explicit=False, active=True)
                .on_conflict_do_nothing(index_elements=["channel", "chat_id"])
            )
        user = await self.get(channel, chat_id)
        assert user is not None  # inserted, by us or by whoever came first
        return user

    async def save(self, user: User) -> None:
        """Write back what a conversation may change: one UPDATE, no read first."""
        async with self._sessions() as session, session.begin():
            await save_in(session, user)

    async def set_active(self, channel: str, chat_id: str, active: bool) -> bool:
        """Mark whether we can still write to a user (False once they blocked the bot)."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(User)
                .where(User.channel == channel, User.chat_id == chat_id)
                .values(active=active)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def erase(self, user_id: int) -> None:
        """Forget a user: their row, their question texts, their tickets' texts, their key in
        the statistics' roll-ups."""
        async with self._sessions() as session, session.begin():
            key = await session.scalar(select(User.stats_key).where(User.id == user_id))
            await forget_person(session, key)
            await session.execute(
                update(Question)
                .where(Question.user_id == user_id)
                .values(text=None, text_expires_at=None, user_id=None)
            )
            await forget_tickets(session, user_id)
            await session.execute(delete(User).where(User.id == user_id))
