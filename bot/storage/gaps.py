"""Gaps: what a city's people asked that Guichet could not answer, grouped by meaning.

A question is a gap when it ended as not understood or out of scope, got a 👎, or went to a
person (the assistant handed it over, or the migrant sent it as a ticket). The questions of a
period and of the period before (for the trend) are clustered (bot/core/gaps.py), only those
whose text is still kept (retention); who asked is never read.

Editors of the city and admins decide a cluster once, for all its questions (`questions.gap`,
with an audit line): its texts become phrasings of a topic (published at once, so the same
questions are then answered), a new entry is asked for, or it is out of scope. Decided
questions leave the page.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.assistant import Assistant
from bot.core.decision import Action
from bot.core.gaps import EXAMPLES, REMEMBERED, Cluster, Missed, group, labels_for
from bot.core.i18n import N_, Message
from bot.core.knowledge import TOPIC_IDS
from bot.core.languages import UI_LANGUAGES
from bot.core.semantic import QueryCache
from bot.storage.models import Question, Ticket
from bot.storage.phrasings import Phrasings, clean_lines
from bot.storage.review import CHOOSE_A_TOPIC, Refused, may_review
from bot.storage.staff import Staff, audit
from bot.storage.ticket_rows import rows_changed
from bot.storage.ticket_types import utc

log = logging.getLogger(__name__)

#: The periods the page offers, in days; any of 1 to LONGEST may be asked for.
PERIODS: Final = (7, 30, 90)
LONGEST: Final = 365
#: The newest questions (of both periods) grouped at once: an embedding each, on one core, the
#: first time (18 s for 500 new ones on two busy cores, bench/gaps.py), remembered afterwards.
MOST: Final = 500
MISSED: Final = (Action.UNKNOWN.value, Action.OUT_OF_SCOPE.value, Action.ESCALATE.value)
DECIDED_ALREADY: Final = N_("These questions were decided already.")
CHOOSE_A_QUESTION: Final = N_("Choose at least one question to add.")


class GapDecision(StrEnum):
    """What staff made of a cluster: `questions.gap` of each of its questions."""

    OUT_OF_SCOPE = "out-of-scope"
    PHRASED = "phrased"
    ENTRY = "entry"


@dataclass(frozen=True, slots=True)
class GapReport:
    """A city's open gaps in a period, the largest and fastest growing first."""

    city: str
    days: int
    since: datetime
    until: datetime
    clusters: tuple[Cluster, ...]
    expired: int  # questions of the period whose text is erased: counted, not grouped
    left_out: int  # older questions beyond MOST, not grouped
    semantic: bool  # grouped by meaning (False: by shared words, the lexical-only mode)
    trend_complete: bool  # the period before is within retention: its texts are all kept


def _open_gap(city: str) -> ColumnElement[bool]:
    """The city's questions that were not answered and that nobody has decided yet."""
    handed = exists().where(Ticket.question_id == Question.id)
    return and_(
        Question.city == city,
        Question.gap.is_(None),
        or_(Question.action.in_(MISSED), Question.helpful.is_(False), handed),
    )


def _kept(now: datetime) -> ColumnElement[bool]:
    return and_(
        Question.text.is_not(None),
        or_(Question.text_expires_at.is_(None), Question.text_expires_at > utc(now)),
    )


class Gaps:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        phrasings: Phrasings,
        assistant: Callable[[], Assistant],
        retention: timedelta,
    ) -> None:
        self.sessions = sessions
        self.phrasings = phrasings
        self.assistant = assistant  # the live one: its embedder and topic texts
        self.retention = retention
        self._clustering = asyncio.Lock()  # one clustering at a time: it takes a core
        self._memo = QueryCache(REMEMBERED)

    async def _questions(
        self, *where: ColumnElement[bool], limit: int | None = None
    ) -> list[Missed]:
        """Questions as the page may show them (no identity), newest first."""
        query = (
            select(
                Question.id, Question.text, Question.language, Question.created_at,
                Question.topic,
            )
            .where(*where)
            .order_by(Question.created_at.desc(), Question.id.desc())
            .limit(limit)
        )  # fmt: skip
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        return [Missed(i, str(t), lang, utc(at), topic, True) for i, t, lang, at, topic in rows]

    async def report(self, city: str, days: int, now: datetime) -> GapReport:
        """The city's open gaps of the last `days` days, with the `days` before for the trend
        (unscoped: the operator's CLI)."""
        since, before = now - timedelta(days=days), now - timedelta(days=2 * days)
        found = await self._questions(
            _open_gap(city), Question.created_at >= before, Question.created_at < now,
            _kept(now), limit=MOST + 1,
        )  # fmt: skip
        left_out = max(0, len(found) - MOST)
        found = [
            Missed(m.id, m.text, m.language, m.created_at, m.topic, m.created_at >= since)
            for m in found[:MOST]
        ]
        async with self.sessions() as session:
            expired = await session.scalar(
                select(func.count(Question.id)).where(
                    _open_gap(city), Question.created_at >= since, Question.created_at < now,
                    ~_kept(now),
                )
            )  # fmt: skip
        assistant = self.assistant()
        async with self._clustering:
            started = time.perf_counter()
            labels = await asyncio.get_running_loop().run_in_executor(
                None, labels_for, assistant, [m.text for m in found], city, self._memo
            )
        clusters = group(found, labels)
        log.info(
            "gaps of %s over %d days: %d questions in %d clusters (%.1f s)",
            city, days, len(found), len(clusters), time.perf_counter() - started,
        )  # fmt: skip
        return GapReport(
            city, days, since, now, tuple(clusters), int(expired or 0), left_out,
            assistant.ranker.hybrid, before >= now - self.retention,
        )  # fmt: skip

    async def of_city(self, who: Staff, city: str, days: int, now: datetime) -> GapReport | None:
        """The report this person may see; None when the city is not theirs."""
        return await self.report(city, days, now) if may_review(who, city) else None

    async def asked(
        self, who: Staff, city: str, ids: Sequence[int], now: datetime
    ) -> list[Missed] | None:
        """A few of the city's questions whose text is kept (a new entry's form shows what
        people asked); None when the city is not theirs."""
        if not may_review(who, city):
            return None
        shown = ids[:EXAMPLES]
        return await self._questions(Question.city == city, Question.id.in_(shown), _kept(now))

    async def decide(
        self, who: Staff, city: str, ids: Sequence[int], decision: GapDecision, **detail: str
    ) -> Refused | int | None:
        """Mark the open gaps among `ids` as decided, with an audit line: how many. None: not
        this person's city; Refused: all of them were decided already."""
        if not may_review(who, city):
            return None
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(Question)
                .where(_open_gap(city), Question.id.in_(ids))
                .values(gap=decision.value)
                .execution_options(synchronize_session=False)
            )
            changed = rows_changed(result)
            if not changed:
                return Refused((Message(DECIDED_ALREADY),))
            audit(
                session, who, f"gap.{decision.value}", f"city:{city}",
                questions=changed, **detail,
            )  # fmt: skip
            return changed

    async def add_phrasings(
        self,
        who: Staff,
        city: str,
        ids: Sequence[int],
        topic: str,
        chosen: dict[int, str],
        now: datetime,
    ) -> Refused | int | None:
        """The chosen questions (id -> the text as staff left it) become phrasings of `topic`
        in their languages (published: the same questions are then answered with it); the
        whole cluster (`ids`) is then decided as phrased."""
        if not may_review(who, city):
            return None
        if topic not in TOPIC_IDS:
            return Refused((Message(CHOOSE_A_TOPIC),))
        asked = {m.id: m for m in await self._open(city, [i for i in chosen if i in ids], now)}
        by_language: dict[str, list[str]] = {}
        for qid, text in chosen.items():
            found = asked.get(qid)
            if found is not None and found.language in UI_LANGUAGES:
                by_language.setdefault(found.language, []).append(" ".join(text.split()))
        lines = [line for texts in by_language.values() for line in texts if line]
        if not lines:
            return Refused((Message(CHOOSE_A_QUESTION),))
        current = await self.phrasings.of_city(who, city)
        if current is None:
            return None
        merged = {}
        for language, texts in by_language.items():
            kept, problems = clean_lines("\n".join([*current[topic].get(language, []), *texts]))
            if problems:
                return Refused(tuple(problems))
            merged[language] = kept
        for language, kept in merged.items():
            await self.phrasings.save(who, city, topic, language, kept)
        languages = ",".join(sorted(merged))
        return await self.decide(
            who, city, ids, GapDecision.PHRASED, topic=topic, languages=languages
        )

    async def _open(self, city: str, ids: Sequence[int], now: datetime) -> list[Missed]:
        """The open gaps among `ids` whose text is kept."""
        return await self._questions(_open_gap(city), Question.id.in_(ids), _kept(now))
