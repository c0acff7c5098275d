"""Daily roll-ups of the question log, so that the statistics of a million questions add up
a few thousand rows instead of reading them all.

A city's day is sealed once it is over (and `GRACE` has passed, so that no question of it is
still being written): its questions are counted per topic, language, outcome and local hour
into `question_days`, with up to 5 people's random keys per cell (`question_day_people`).
The union of those keys over days, capped at 5, tells exactly whether a period's cell has 5
people or more; the keys are `users.stats_key`, random, and erasing a user deletes theirs.
Days not sealed yet (today) are counted from the questions themselves. Sealing writes a
`question_days_sealed` row first, so that of two processes sealing at once one does it.
The retention purge erases texts only: the counts never read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, any_, bindparam, cast, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.statistics import (
    ENOUGH,
    THRESHOLD,
    Dimension,
    Period,
    Tally,
    add_to,
    merge,
    outcome_of,
)
from bot.storage.conflicts import dialect as dialect_of
from bot.storage.conflicts import insert
from bot.storage.models import Question, QuestionDay, QuestionDayPerson, QuestionDaySealed, User
from bot.storage.ticket_types import utc

#: A day is sealed this long after it ended: a question handled then is logged by now.
GRACE: Final = timedelta(hours=1)
_IDS_AT_ONCE: Final = 5000  # users' keys looked up per query (SQLite's bound parameters)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


#: A question as the roll-ups count it: the UTC hour it was asked in (hours since 1970),
#: topic, language, action, the key of who asked (None: erased) and how many such questions.
Counted = tuple[int, str | None, str | None, str, str | None, int]


def tally_rows(rows: Iterable[Counted], zone: ZoneInfo) -> Tally:
    """Count questions per dimension, the hour in the city's time zone."""
    tally: Tally = {}
    local: dict[int, str] = {}  # UTC hour -> local hour, each looked up once
    for utc_hour, topic, language, action, key, n in rows:
        people = (key,) if key else ()
        hour = local.get(utc_hour)
        if hour is None:
            moment = datetime.fromtimestamp(utc_hour * 3600, UTC)
            hour = local[utc_hour] = moment.astimezone(zone).strftime("%H")
        add_to(tally, Dimension.TOPIC, topic or "", n, people)
        add_to(tally, Dimension.LANGUAGE, language or "", n, people)
        add_to(tally, Dimension.OUTCOME, outcome_of(action).value, n, people)
        add_to(tally, Dimension.HOUR, hour, n, people)
    return tally


class QuestionDays:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def tally(self, city: str, period: Period, zone: ZoneInfo, now: datetime) -> Tally:
        """The period's cells: sealed days from the roll-up (sealing those that are due),
        the rest from the questions."""
        sealable = await self.seal_due(city, period, zone, now)
        tally = await self._rolled_up(city, period)
        live_from = day_start(sealable[-1] + timedelta(days=1)) if sealable else None
        start = live_from or day_start(period.first)
        end = day_start(period.last + timedelta(days=1))
        if start < end:
            async with self._sessions() as session:
                merge(tally, tally_rows(await _questions(session, city, start, end), zone))
        return tally

    async def seal_due(
        self, city: str, period: Period, zone: ZoneInfo, now: datetime
    ) -> list[date]:
        """Seal the period's days that are over and not sealed yet; the days that are over.
        Days before the city's first question of the period have nothing to count and are
        left as they are (nothing is written into a day that is over)."""
        due = utc(now) - GRACE
        sealable = [d for d in period.each_day() if day_start(d) + timedelta(days=1) <= due]
        if not sealable:
            return sealable
        sealed = await self._sealed(city, period)
        async with self._sessions() as session:
            first = await session.scalar(
                select(func.min(Question.created_at)).where(
                    Question.city == city,
                    Question.created_at >= day_start(period.first),
                    Question.created_at < day_start(sealable[-1] + timedelta(days=1)),
                )
            )
        if first is None:
            return sealable
        for day in sealable:
            if day not in sealed and day >= utc(first).date():
                await self.seal(city, day, zone)
        return sealable

    async def seal(self, city: str, day: date, zone: ZoneInfo) -> bool:
        """Write a city's day to the roll-up, unless someone did already; True if we did."""
        async with self._sessions() as session, session.begin():
            won = await session.scalar(
                insert(session, QuestionDaySealed)
                .values(city=city, day=day)
                .on_conflict_do_nothing(index_elements=["city", "day"])
                .returning(QuestionDaySealed.city)
            )
            if won is None:
                return False
            start = day_start(day)
            rows = await _questions(session, city, start, start + timedelta(days=1))
            tally = tally_rows(rows, zone)
            if tally:
                await session.execute(
                    insert(session, QuestionDay),
                    [
                        {"city": city, "day": day, "dimension": dim, "value": value,
                         "questions": cell.questions, "people": len(cell.people)}
                        for (dim, value), cell in tally.items()
                    ],
                )  # fmt: skip
            people = [
                {"city": city, "day": day, "dimension": dim, "value": value, "person": key}
                for (dim, value), cell in tally.items()
                for key in cell.people
            ]
            if people:
                await session.execute(insert(session, QuestionDayPerson), people)
            return True

    async def _sealed(self, city: str, period: Period) -> set[date]:
        async with self._sessions() as session:
            found = await session.scalars(
                select(QuestionDaySealed.day).where(
                    QuestionDaySealed.city == city,
                    QuestionDaySealed.day.between(period.first, period.last),
                )
            )
            return set(found)

    async def _rolled_up(self, city: str, period: Period) -> Tally:
        """The sealed days' cells. A cell that had 5 people on one day has 5 for the period;
        only the others need their people's keys, to tell how many they are together."""
        tally: Tally = {}
        few: list[tuple[str, str]] = []
        async with self._sessions() as session:
            counts = await session.execute(
                select(
                    QuestionDay.dimension, QuestionDay.value,
                    func.sum(QuestionDay.questions), func.max(QuestionDay.people),
                )
                .where(QuestionDay.city == city, QuestionDay.day.between(period.first, period.last))
                .group_by(QuestionDay.dimension, QuestionDay.value)
            )  # fmt: skip
            for dim, value, n, most in counts:
                add_to(tally, dim, value, int(n), ENOUGH if most >= THRESHOLD else ())
                if most < THRESHOLD:
                    few.append((dim, value))
            if few:
                person = QuestionDayPerson
                keys = await session.execute(
                    select(person.dimension, person.value, person.person)
                    .where(
                        person.city == city,
                        person.day.between(period.first, period.last),
                        tuple_(person.dimension, person.value).in_(few),
                    )
                    .distinct()
                )
                for dim, value, key in keys:
                    add_to(tally, dim, value, 0, (key,))
        return tally


async def _keys(session: AsyncSession, ids: list[int]) -> dict[int, str | None]:
    """The users' keys by id: on PostgreSQL in one array parameter, elsewhere in chunks of
    bound parameters (SQLite allows a few thousand)."""
    if dialect_of(session) == "postgresql":
        wanted = [User.id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))]
        found = await session.execute(select(User.id, User.stats_key).where(*wanted))
        return {user: key for user, key in found}
    keys: dict[int, str | None] = {}
    for at in range(0, len(ids), _IDS_AT_ONCE):
        found = await session.execute(
            select(User.id, User.stats_key).where(User.id.in_(ids[at : at + _IDS_AT_ONCE]))
        )
        keys.update((user, key) for user, key in found)
    return keys


def _utc_hour(session: AsyncSession) -> Any:
    """The UTC hour a question was asked in, as hours since 1970, computed by the database
    (thousands of integers are read back faster than as many datetimes)."""
    if dialect_of(session) == "postgresql":
        return cast(func.floor(func.extract("epoch", Question.created_at) / 3600), Integer)
    return cast(func.strftime("%s", Question.created_at), Integer) / 3600


async def _questions(
    session: AsyncSession, city: str, start: datetime, end: datetime
) -> list[Counted]:
    """A city's questions in [start, end), grouped by hour, topic, language, action and who
    asked; the key of who asked is None once they are erased (their questions count, as no
    one). The keys are looked up by id afterwards: joining the users would read them all."""
    q = Question
    grouped = (_utc_hour(session).label("hour"), q.topic, q.language, q.action, q.user_id)
    result = await session.execute(
        select(*grouped, func.count())
        .where(q.city == city, q.created_at >= start, q.created_at < end)
        .group_by(*grouped)
    )
    rows = result.all()
    keys = await _keys(session, sorted({row[4] for row in rows if row[4] is not None}))
    return [
        (int(h), topic, language, action, keys.get(user) if user is not None else None, n)
        for h, topic, language, action, user, n in rows
    ]


async def forget_person(session: AsyncSession, key: str | None) -> None:
    """A user's keys leave the roll-ups with them (bot/storage/users.py `erase`), and each cell
    they were in counts one person fewer: an erased person never makes a cell reach 5."""
    if not key:
        return
    person = QuestionDayPerson
    theirs = select(person.city, person.day, person.dimension, person.value).where(
        person.person == key
    )
    day = QuestionDay
    await session.execute(
        update(day)
        .where(tuple_(day.city, day.day, day.dimension, day.value).in_(theirs))
        .values(people=day.people - 1)
    )
    await session.execute(delete(person).where(person.person == key))
