"""The review queue: volunteers' answers that city staff turn into knowledge.

A suggestion (a ticket's question and the volunteer's answer, kept when the volunteer agreed)
waits as `new` until an editor of its city, or an admin, decides: the question becomes a
phrasing of a topic or a keyword ("common question") of an entry, the answer starts a new
entry, or it is dismissed. Each decision sets the status once (a second click, or a colleague's,
is told it was reviewed already) with an audit line; the knowledge change itself goes through
Phrasings or the Editor, which publish it (bot/live.py puts it live in every process).

No identity is ever shown: no user, no volunteer. The question's text is shown only while its
ticket still keeps it (retention, see Tickets.purge); else the queue says it expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.i18n import N_, Message
from bot.core.knowledge import TOPIC_IDS
from bot.storage.editing import Conflict, Editor, Invalid
from bot.storage.models import KbSuggestion, Ticket
from bot.storage.phrasings import Phrasings, clean_lines
from bot.storage.staff import Staff, audit
from bot.storage.ticket_rows import rows_changed
from bot.storage.ticket_types import utc

NEW: Final = "new"
REVIEWED_ALREADY: Final = N_("This suggestion was reviewed already.")
WRITE_THE_QUESTION: Final = N_("Write the question to add (its text has expired).")
CHOOSE_A_TOPIC: Final = N_("Choose one of the topics.")
CHOOSE_AN_ENTRY: Final = N_("Choose one of the city's entries.")
SAVED_MEANWHILE: Final = N_("Someone saved this entry meanwhile. Try again.")


class Decision(StrEnum):
    """What staff made of a suggestion: its status once reviewed."""

    PHRASING = "phrasing"
    ENTRY = "entry"
    COMMON = "common"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggestion as the queue shows it: never who asked or who answered."""

    id: int
    city: str
    language: str
    topic: str | None  # guessed when the question was handed over
    question: str | None  # None: its text has expired
    answer: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a decision was not made: nothing changed."""

    problems: tuple[Message, ...]


Outcome = Decision | Refused | None  # None: no such suggestion for this person


def may_review(who: Staff, city: str) -> bool:
    """Editors of the city and admins; translators, coordinators and other cities: no."""
    return who.admin or (who.may_edit_entries() and who.city == city)


def _kept(now: datetime) -> ColumnElement[bool]:
    """The ticket still keeps its question's text (not purged, not past its expiry)."""
    return and_(
        Ticket.question.is_not(None),
        or_(Ticket.text_expires_at.is_(None), Ticket.text_expires_at > utc(now)),
    )


def _shown(row: KbSuggestion, kept: bool) -> Suggestion:
    question = row.question if kept and row.question else None
    return Suggestion(
        row.id, row.city, row.language, row.topic, question, row.answer, utc(row.created_at)
    )


class Review:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], phrasings: Phrasings, editor: Editor
    ) -> None:
        self.sessions = sessions
        self.phrasings = phrasings
        self.editor = editor

    async def pending(
        self, city: str, now: datetime, *, only: int | None = None
    ) -> list[Suggestion]:
        """The city's new suggestions, newest first (unscoped: for the operator's CLI)."""
        kept = _kept(now)
        query = (
            select(KbSuggestion, kept)
            .outerjoin(Ticket, Ticket.id == KbSuggestion.ticket_id)
            .where(KbSuggestion.city == city, KbSuggestion.status == NEW)
            .order_by(KbSuggestion.created_at.desc(), KbSuggestion.id.desc())
        )
        if only is not None:
            query = query.where(KbSuggestion.id == only)
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        return [_shown(s, bool(shown)) for s, shown in rows]

    async def queue(self, who: Staff, city: str, now: datetime) -> list[Suggestion] | None:
        """The queue this person may review; None when the city is not theirs."""
        return await self.pending(city, now) if may_review(who, city) else None

    async def count(self, who: Staff, city: str) -> int:
        if not may_review(who, city):
            return 0
        async with self.sessions() as session:
            found = await session.scalar(
                select(func.count(KbSuggestion.id)).where(
                    KbSuggestion.city == city, KbSuggestion.status == NEW
                )
            )
        return int(found or 0)

    async def get(
        self, who: Staff, city: str, suggestion_id: int, now: datetime
    ) -> Suggestion | None:
        """One new suggestion of the city, for this person; None: not theirs, or reviewed."""
        if not may_review(who, city):
            return None
        found = await self.pending(city, now, only=suggestion_id)
        return found[0] if found else None

    async def _decide(self, who: Staff, s: Suggestion, decision: Decision, **detail: str) -> bool:
        """Set the status once, with an audit line; False: someone decided first."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(KbSuggestion)
                .where(KbSuggestion.id == s.id, KbSuggestion.status == NEW)
                .values(status=decision.value)
            )
            if not rows_changed(result):
                return False
            audit(
                session, who, f"suggestion.{decision.value}", f"suggestion:{s.id}",
                city=s.city, language=s.language, **detail,
            )  # fmt: skip
            return True

    async def _line(
        self, who: Staff, city: str, suggestion_id: int, text: str, now: datetime
    ) -> Suggestion | Refused | None:
        """The suggestion, and the one line to add (the question as shown, or as edited)."""
        s = await self.get(who, city, suggestion_id, now)
        if s is None:
            return Refused((Message(REVIEWED_ALREADY),)) if may_review(who, city) else None
        lines, problems = clean_lines(text.replace("\n", " "))
        if problems:
            return Refused(tuple(problems))
        if not lines:
            return Refused((Message(WRITE_THE_QUESTION),))
        return s

    async def add_phrasing(
        self, who: Staff, city: str, suggestion_id: int, topic: str, text: str, now: datetime
    ) -> Outcome:
        """The question (`text`, as staff left it) becomes one of the city's phrasings of
        `topic` in the suggestion's language: published, so the same question is answered."""
        s = await self._line(who, city, suggestion_id, text, now)
        if not isinstance(s, Suggestion):
            return s
        if topic not in TOPIC_IDS:
            return Refused((Message(CHOOSE_A_TOPIC),))
        current = await self.phrasings.of_city(who, city)
        if current is None:
            return None
        lines, problems = clean_lines("\n".join([*current[topic].get(s.language, []), text]))
        if problems:
            return Refused(tuple(problems))
        if await self.phrasings.save(who, city, topic, s.language, lines) is None:
            return None
        if not await self._decide(who, s, Decision.PHRASING, topic=topic):
            return Refused((Message(REVIEWED_ALREADY),))
        return Decision.PHRASING

    async def add_common_question(
        self, who: Staff, city: str, suggestion_id: int, entry_id: str, text: str, now: datetime
    ) -> Outcome:
        """The question becomes a keyword of one of the city's entries in its language, so
        that asked again it lists that entry first."""
        s = await self._line(who, city, suggestion_id, text, now)
        if not isinstance(s, Suggestion):
            return s
        entries = {e.entry.id: e for e in await self.editor.city_entries(who, city)}
        stored = entries.get(entry_id)
        if stored is None:
            return Refused((Message(CHOOSE_AN_ENTRY),))
        kept = (stored.entry.keywords or {}).get(s.language, [])
        lines, problems = clean_lines("\n".join([*kept, text]))
        if problems:
            return Refused(tuple(problems))
        saved = await self.editor.save_texts(
            who, entry_id, stored.content_hash, s.language, {}, lines
        )
        if saved is None:
            return None
        if isinstance(saved, Invalid):
            return Refused(tuple(m for ms in saved.errors.values() for m in ms))
        if isinstance(saved, Conflict):
            return Refused((Message(SAVED_MEANWHILE),))
        if not await self._decide(who, s, Decision.COMMON, entry=entry_id):
            return Refused((Message(REVIEWED_ALREADY),))
        return Decision.COMMON

    async def drafted(
        self, who: Staff, city: str, suggestion_id: int, entry_id: str, now: datetime
    ) -> Outcome:
        """A new entry was made from the suggestion's answer (the console's new-entry form)."""
        s = await self.get(who, city, suggestion_id, now)
        if s is None:
            return None
        if not await self._decide(who, s, Decision.ENTRY, entry=entry_id):
            return Refused((Message(REVIEWED_ALREADY),))
        return Decision.ENTRY

    async def dismiss(self, who: Staff, city: str, suggestion_id: int, now: datetime) -> Outcome:
        s = await self.get(who, city, suggestion_id, now)
        if s is None:
            return Refused((Message(REVIEWED_ALREADY),)) if may_review(who, city) else None
        if not await self._decide(who, s, Decision.DISMISSED):
            return Refused((Message(REVIEWED_ALREADY),))
        return Decision.DISMISSED
