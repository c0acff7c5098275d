"""A city's statistics for a period, for its staff (the console's page and `python main.py
stats`): questions by topic, language, outcome and hour (bot/storage/question_days.py),
👍/👎 per topic and per entry, tickets by language, volunteers active.

Counts only, each cell of fewer than 5 people hidden (bot/core/statistics.py). No text, no
id of anyone is read: people are told apart by their random `users.stats_key` alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.statistics import (
    THRESHOLD,
    Cell,
    Dimension,
    Period,
    Shown,
    Tally,
    add_to,
    suppressed,
)
from bot.storage.models import Question, Ticket, User
from bot.storage.network_figures import TicketRow, Work, work_of
from bot.storage.question_days import QuestionDays, day_start
from bot.storage.staff import Role, Staff
from bot.storage.ticket_types import utc

HOURS: Final = tuple(f"{h:02d}" for h in range(24))
ALL: Final = ""  # the tickets' row of every language


@dataclass(frozen=True, slots=True)
class TicketLine:
    """The tickets of one language (or of all, `ALL`); None where fewer than 5 people."""

    language: str
    tickets: int | None
    answered_share: float | None  # 0 to 1
    to_claim: timedelta | None  # median
    to_answer: timedelta | None  # median


@dataclass(frozen=True, slots=True)
class CityStatistics:
    city: str
    period: Period
    zone: str
    topics: Shown
    languages: Shown
    outcomes: Shown
    hours: Shown  # every hour "00" to "23", in the city's time zone
    helpful_topics: Shown
    unhelpful_topics: Shown
    helpful_entries: Shown
    unhelpful_entries: Shown
    tickets: tuple[TicketLine, ...]  # every language first, then by tickets
    volunteers: int | None  # who took a ticket of the period; None: fewer than 5


def may_see(who: Staff, city: str) -> bool:
    """Admins see every city; every other staff member their own city's."""
    return who.role is Role.ADMIN or who.city == city


def _breakdown(tally: Tally, dimension: str, values: Iterable[str] = ()) -> Shown:
    cells = {v: Cell() for v in values}
    for (dim, value), cell in tally.items():
        if dim == dimension:
            cells[value] = cell
    return suppressed(cells)


def _everyone(tally: Tally) -> Cell:
    union = Cell()
    for (dim, _), cell in tally.items():
        if dim == Dimension.OUTCOME:
            union.add(cell.questions, cell.people)
    return union


def _with_total(shown: Shown, everyone: Cell) -> Shown:
    return Shown(shown.counts, everyone.questions if everyone.enough_people else None)


class Statistics:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.days = QuestionDays(sessions)

    async def city(
        self, who: Staff, city: str, period: Period, zone: ZoneInfo, now: datetime
    ) -> CityStatistics | None:
        """The figures, or None when `who` may not see this city's."""
        if not may_see(who, city):
            return None
        return await self.figures(city, period, zone, now)

    async def figures(
        self, city: str, period: Period, zone: ZoneInfo, now: datetime
    ) -> CityStatistics:
        """The figures without a person's scope: for the CLI, run by whoever runs the bot."""
        tally = await self.days.tally(city, period, zone, now)
        everyone = _everyone(tally)
        start, end = day_start(period.first), day_start(period.last + timedelta(days=1))
        async with self._sessions() as session:
            feedback = await _feedback(session, city, start, end)
            tickets, volunteers = await _tickets(session, city, start, end)
        return CityStatistics(
            city=city,
            period=period,
            zone=str(zone),
            topics=_with_total(_breakdown(tally, Dimension.TOPIC), everyone),
            languages=_with_total(_breakdown(tally, Dimension.LANGUAGE), everyone),
            outcomes=_with_total(_breakdown(tally, Dimension.OUTCOME), everyone),
            hours=_with_total(_breakdown(tally, Dimension.HOUR, HOURS), everyone),
            helpful_topics=_breakdown(feedback, Dimension.TOPIC, ()),
            unhelpful_topics=_breakdown(feedback, _UNHELPFUL_TOPIC, ()),
            helpful_entries=_breakdown(feedback, _ENTRY, ()),
            unhelpful_entries=_breakdown(feedback, _UNHELPFUL_ENTRY, ()),
            tickets=tickets,
            volunteers=volunteers,
        )


# The feedback tally's dimensions besides Dimension.TOPIC (👍 per topic).
_UNHELPFUL_TOPIC: Final = "topic-down"
_ENTRY: Final = "entry"
_UNHELPFUL_ENTRY: Final = "entry-down"


async def _feedback(session: AsyncSession, city: str, start: datetime, end: datetime) -> Tally:
    """👍/👎 per topic and per entry, from the questions (a vote may come days later, so it is
    not rolled up; few questions get one, and a partial index finds them)."""
    result = await session.execute(
        select(Question.topic, Question.entry, Question.helpful, User.stats_key)
        .outerjoin(User, User.id == Question.user_id)
        .where(
            Question.city == city,
            Question.helpful.is_not(None),
            Question.created_at >= start,
            Question.created_at < end,
        )
    )
    tally: Tally = {}
    for topic, entry, helpful, key in result:
        people = (key,) if key else ()
        if topic:
            add_to(tally, Dimension.TOPIC if helpful else _UNHELPFUL_TOPIC, topic, 1, people)
        if entry:
            add_to(tally, _ENTRY if helpful else _UNHELPFUL_ENTRY, entry, 1, people)
    return tally


def _line(
    language: str, rows: list[TicketRow], people: Cell, answered: Cell, open_: Cell
) -> TicketLine:
    if not people.enough_people:
        return TicketLine(language, None, None, None, None)
    work: Work = work_of(rows)
    # The share would tell the size of a group under 5 people: answered or not.
    share_ok = all(c.enough_people or c.questions == 0 for c in (answered, open_))
    return TicketLine(
        language,
        len(rows),
        work.answered / len(rows) if share_ok else None,
        work.to_claim,
        work.to_answer,
    )


async def _tickets(
    session: AsyncSession, city: str, start: datetime, end: datetime
) -> tuple[tuple[TicketLine, ...], int | None]:
    result = await session.execute(
        select(
            Ticket.claimed_by, Ticket.status, Ticket.language, Ticket.topic, Ticket.created_at,
            Ticket.claimed_at, Ticket.answered_at, Ticket.helpful, User.stats_key,
        )
        .outerjoin(User, User.id == Ticket.user_id)
        .where(Ticket.city == city, Ticket.created_at >= start, Ticket.created_at < end)
    )  # fmt: skip
    by_language: dict[str, list[TicketRow]] = {}
    people: dict[str, Cell] = {}
    answered: dict[str, Cell] = {}
    unanswered: dict[str, Cell] = {}
    volunteers: set[int] = set()
    for volunteer, status, language, topic, created, claimed, answer, helpful, key in result:
        row = TicketRow(
            volunteer, status, language, topic, utc(created),
            utc(claimed) if claimed else None, utc(answer) if answer else None, helpful,
        )  # fmt: skip
        keys = (key,) if key else ()
        for lang in (ALL, language):
            by_language.setdefault(lang, []).append(row)
            people.setdefault(lang, Cell()).add(1, keys)
            (answered if answer else unanswered).setdefault(lang, Cell()).add(1, keys)
        if volunteer is not None:
            volunteers.add(volunteer)
    counts = suppressed({lang: c for lang, c in people.items() if lang != ALL})
    lines = [
        _line(lang, by_language[lang], people[lang], answered.get(lang, Cell()),
              unanswered.get(lang, Cell()))
        for lang in ([ALL] if ALL in people else []) + list(counts.counts)
    ]  # fmt: skip
    # A language hidden by the secondary suppression is hidden whole.
    lines = [
        line if line.language == ALL or counts.counts[line.language] is not None
        else TicketLine(line.language, None, None, None, None)
        for line in lines
    ]  # fmt: skip
    return tuple(lines), (len(volunteers) if len(volunteers) >= THRESHOLD else None)
