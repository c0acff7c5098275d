"""The support desk on a real database, talking to a recording messenger.

`RecordingMessenger` is a test double of the channel (what a chat would show), not of the
desk: it keeps every message sent, edited or copied, in order, and can make a chat unreachable.
`Scene` builds the people of a test: migrants with a city, a language and a logged question,
and volunteers who joined, chose languages and are available.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import Knowledge
from bot.core.render import HtmlFormatter
from bot.settings import SupportSettings
from bot.storage.models import User
from bot.storage.network import Network, VolunteerInfo
from bot.storage.questions import QuestionLog
from bot.storage.ticket_upkeep import TicketUpkeep
from bot.storage.tickets import Tickets
from bot.storage.users import UserStore
from bot.support.desk import SupportDesk
from bot.support.messenger import Button, Buttons, Do, Original
from bot.support.relay import Relay
from bot.support.words import Said, Words

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class Shown:
    """One message as its chat shows it: sent, edited in place, or a copy of an `Original`."""

    chat_id: str
    message_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...]
    original: Original | None = None
    edited: bool = False

    def actions(self) -> list[tuple[Do, tuple[str | int, ...]]]:
        return [(b.do, b.args) for row in self.buttons for b in row]


@dataclass
class RecordingMessenger:
    shown: list[Shown] = field(default_factory=list)
    unreachable: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    async def send(self, chat_id: str, text: str, buttons: Buttons = ()) -> int | None:
        return self._show(chat_id, text, buttons)

    async def edit(self, chat_id: str, message_id: int, text: str, buttons: Buttons = ()) -> None:
        rows = tuple(tuple(row) for row in buttons)
        self.shown.append(Shown(chat_id, message_id, text, rows, edited=True))

    async def copy(
        self, original: Original, chat_id: str, note: str, buttons: Buttons = ()
    ) -> int | None:
        return self._show(chat_id, note, buttons, original)

    def _show(
        self, chat_id: str, text: str, buttons: Buttons, original: Original | None = None
    ) -> int | None:
        if chat_id in self.unreachable:
            return None
        rows = tuple(tuple(row) for row in buttons)
        message_id = next(self._ids)
        self.shown.append(Shown(chat_id, message_id, text, rows, original))
        return message_id

    def mark(self) -> int:
        return len(self.shown)

    def to(self, chat_id: str, since: int = 0) -> list[Shown]:
        return [s for s in self.shown[since:] if s.chat_id == chat_id]


@dataclass
class Scene:
    desk: SupportDesk
    messenger: RecordingMessenger
    sessions: async_sessionmaker[AsyncSession]
    _chats: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def migrant(self, language: str = "ar", city: str = "brussels") -> User:
        users = self.desk.users
        user = await users.get_or_create("telegram", f"m{next(self._chats)}")
        user.city, user.language = city, language
        await users.save(user)
        return user

    async def question(
        self, user: User, text: str, topic: str | None = "housing", language: str | None = None
    ) -> int:
        """A logged question of the user's, in `language` (else in the user's)."""
        assert user.city is not None
        return await self.desk.questions.record(
            user_id=user.id,
            city=user.city,
            language=language or user.language,
            action="answer",
            topic=topic,
            confidence=0.9,
            text=text,
            now=NOW,
        )

    async def volunteer(
        self,
        name: str,
        languages: Sequence[str],
        *,
        city: str = "brussels",
        organisation: str = "Caritas",
    ) -> VolunteerInfo:
        network = self.desk.network
        invite = await network.invite(city, organisation, now=NOW)
        joined = await network.redeem(
            invite.code,
            "telegram",
            f"v{next(self._chats)}",
            display_name=name,
            ui_language="en",
            now=NOW,
        )
        assert isinstance(joined, VolunteerInfo)
        ready = await network.update(joined.id, languages=languages, available=True)
        assert ready is not None
        return ready

    async def ticket(
        self, user: User, text: str, language: str | None = None, now: datetime = NOW
    ) -> int:
        """The migrant asks a person about `text` and consents; the ticket's number."""
        asked = await self.question(user, text, language=language)
        said = await self.desk.open(user, asked, now=now)
        return closing(said)


def closing(said: Said) -> int:
    """The ticket number on the "Close my question" button of what the migrant was told."""
    (number,) = [b.args[0] for row in said.buttons for b in row if b.do is Do.CLOSE]
    assert isinstance(number, int)
    return number


@pytest.fixture
def scene(sessions: async_sessionmaker[AsyncSession], knowledge: Knowledge) -> Scene:
    settings = SupportSettings()
    messenger = RecordingMessenger()
    network, tickets, users = Network(sessions), Tickets(sessions), UserStore(sessions)
    words = Words(knowledge, HtmlFormatter())
    relay = Relay(tickets=tickets, network=network, users=users, messenger=messenger, words=words)
    desk = SupportDesk(
        network=network,
        tickets=tickets,
        upkeep=TicketUpkeep(sessions),
        users=users,
        questions=QuestionLog(sessions, timedelta(days=30)),
        messenger=messenger,
        words=words,
        relay=relay,
        settings=settings,
    )
    return Scene(desk, messenger, sessions)
