"""A city's statistics for a period, for its staff (the console's page and `python main.py
stats`): questions by topic, language, outcome and hour (bot/storage/question_days.py),
👍/👎 per topic and per entry, tickets by language, volunteers active.

Counts only, each cell of fewer than 5 people hidden (bot/core/statistics.py). No text is
read; people are told apart by the database (different user ids; an erased person has none)
or, across the roll-ups' days, by their random `users.stats_key`. No id leaves this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.statistics import (
    THRESHOLD,
    Cell,
    Dimension,
    Period,
    Shown,
    Tally,
    counted,
    suppressed,
)
from bot.storage.conflicts import dialect as dialect_of
from bot.storage.models import Question, Ticket
from bot.storage.question_days import QuestionDays, day_start
from bot.storage.staff import Role, Staff
from bot.storage.ticket_types import median_of

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
            helpful_topics, unhelpful_topics = await _votes(
                session, Question.topic, city, start, end
            )
            helpful_entries, unhelpful_entries = await _votes(
                session, Question.entry, city, start, end
            )
            tickets, volunteers = await _tickets(session, city, start, end)
        return CityStatistics(
            city=city,
            period=period,
            zone=str(zone),
            topics=_with_total(_breakdown(tally, Dimension.TOPIC), everyone),
            languages=_with_total(_breakdown(tally, Dimension.LANGUAGE), everyone),
            outcomes=_with_total(_breakdown(tally, Dimension.OUTCOME), everyone),
            hours=_with_total(_breakdown(tally, Dimension.HOUR, HOURS), everyone),
            helpful_topics=helpful_topics,
            unhelpful_topics=unhelpful_topics,
            helpful_entries=helpful_entries,
            unhelpful_entries=unhelpful_entries,
            tickets=tickets,
            volunteers=volunteers,
        )


async def _votes(
    session: AsyncSession, column: Any, city: str, start: datetime, end: datetime
) -> tuple[Shown, Shown]:
    """👍 and 👎 per value of `column` (topic or entry), counted by the database. A vote may come
    days after its question, so votes are not rolled up; few questions get one, and a partial
    index finds them. Erased people (no user id) are no one."""
    result = await session.execute(
        select(column, Question.helpful, func.count(), func.count(Question.user_id.distinct()))
        .where(
            Question.city == city,
            Question.helpful.is_not(None),
            Question.created_at >= start,
            Question.created_at < end,
            column.is_not(None),
        )
        .group_by(column, Question.helpful)
    )
    up: dict[str, Cell] = {}
    down: dict[str, Cell] = {}
    for value, helpful, n, people in result:
        (up if helpful else down)[value] = counted(n, people)
    nobody = Cell()  # the votes' tables show no total
    return suppressed(up, nobody), suppressed(down, nobody)


def _seconds(session: AsyncSession, since: Any, until: Any) -> Any:
    """`until - since` in seconds, computed by the database (a float is cheap to read back;
    thousands of datetimes are not)."""
    if dialect_of(session) == "postgresql":
        return func.extract("epoch", until - since)
    return (func.julianday(until) - func.julianday(since)) * 86400.0


def _median(seconds: list[float]) -> timedelta | None:
    return median_of([timedelta(seconds=round(s)) for s in seconds]) if seconds else None


def _duration(seconds: float | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=round(float(seconds)))


@dataclass(frozen=True, slots=True)
class _Counts:
    """A group of tickets as the database counts them (people: different user ids)."""

    tickets: int
    people: int
    answered: int
    answered_people: int
    open_people: int
    to_claim: timedelta | None = None  # medians
    to_answer: timedelta | None = None


def _line(language: str, c: _Counts) -> TicketLine:
    if c.people < THRESHOLD:
        return TicketLine(language, None, None, None, None)
    # The share would tell the size of a group under 5 people: answered or not.
    share_ok = (c.answered == 0 or c.answered_people >= THRESHOLD) and (
        c.answered == c.tickets or c.open_people >= THRESHOLD
    )
    share = c.answered / c.tickets if share_ok else None
    return TicketLine(language, c.tickets, share, c.to_claim, c.to_answer)


async def _tickets(
    session: AsyncSession, city: str, start: datetime, end: datetime
) -> tuple[tuple[TicketLine, ...], int | None]:
    """Tickets by language, counted by the database, with the typical (median) times to a
    claim and to a first answer: PostgreSQL computes them; elsewhere they are computed here."""
    in_period = (Ticket.city == city, Ticket.created_at >= start, Ticket.created_at < end)
    answered = Ticket.answered_at.is_not(None)
    to_claim = _seconds(session, Ticket.created_at, Ticket.claimed_at)
    to_answer = _seconds(session, Ticket.created_at, Ticket.answered_at)
    in_sql = dialect_of(session) == "postgresql"
    figures = (
        func.count(),
        func.count(Ticket.user_id.distinct()),
        func.count(Ticket.answered_at),
        func.count(case((answered, Ticket.user_id)).distinct()),
        func.count(case((~answered, Ticket.user_id)).distinct()),
        *(
            (func.percentile_cont(0.5).within_group(to_claim),
             func.percentile_cont(0.5).within_group(to_answer))
            if in_sql else ()
        ),
    )  # fmt: skip
    every: list[Any] | None = None
    volunteers = 0
    for *numbers, taken in await session.execute(
        select(*figures, func.count(Ticket.claimed_by.distinct())).where(*in_period)
    ):
        every, volunteers = numbers, taken
    by_language = {
        language: list(rest)
        for language, *rest in await session.execute(
            select(Ticket.language, *figures).where(*in_period).group_by(Ticket.language)
        )
    }
    if not in_sql:  # the medians, from each claimed ticket's times
        times: dict[str, tuple[list[float], list[float]]] = {ALL: ([], [])}
        durations = select(Ticket.language, to_claim, to_answer).where(
            *in_period, Ticket.claimed_at.is_not(None)
        )
        for language, claim, answer in await session.execute(durations):
            for key in (ALL, language):
                claims, answers = times.setdefault(key, ([], []))
                claims.append(float(claim))
                if answer is not None:
                    answers.append(float(answer))
        for key, found in ((ALL, every), *by_language.items()):
            if found is not None:
                claims, answers = times.get(key, ([], []))
                found += [_median(claims), _median(answers)]
    else:
        for found in (every, *by_language.values()):
            if found is not None:
                found[5:] = [_duration(found[5]), _duration(found[6])]
    shown_languages = suppressed({k: counted(f[0], f[1]) for k, f in by_language.items()})
    lines = [_line(ALL, _Counts(*every))] if every and every[0] else []
    for lang, shown in shown_languages.counts.items():
        if shown is None:  # fewer than 5 people, or hidden beside a lone one
            lines.append(TicketLine(lang, None, None, None, None))
        else:
            lines.append(_line(lang, _Counts(*by_language[lang])))
    return tuple(lines), (volunteers if volunteers >= THRESHOLD else None)
