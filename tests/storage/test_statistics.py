"""The statistics store: roll-ups that agree with the questions, the "< 5 people" rule, and
erasure, retention and concurrent sealing (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.statistics import Period
from bot.storage.models import QuestionDay, QuestionDaySealed, Ticket
from bot.storage.question_days import QuestionDays
from bot.storage.questions import QuestionLog
from bot.storage.staff import Role, Staff
from bot.storage.statistics import ALL, Statistics
from bot.storage.users import UserStore

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
BRUSSELS = ZoneInfo("Europe/Brussels")
EDITOR = Staff(1, "Ed", Role.EDITOR, "brussels")


async def _people(sessions: async_sessionmaker[AsyncSession], n: int) -> list[int]:
    users = UserStore(sessions)
    return [(await users.get_or_create("telegram", f"chat-{i}")).id for i in range(n)]


async def _ask(
    log: QuestionLog,
    user: int,
    when: datetime,
    *,
    topic: str = "housing",
    language: str = "ar",
    action: str = "answer",
    entry: str | None = None,
) -> int:
    return await log.record(
        user_id=user, city="brussels", language=language, action=action, topic=topic,
        confidence=0.9, text="where can I sleep tonight", now=when, entry=entry,
    )  # fmt: skip


async def test_cells_of_fewer_than_5_people_are_hidden_and_one_more_beside_a_lone_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    log = QuestionLog(sessions, timedelta(days=30))
    people = await _people(sessions, 12)
    for user in people[:6]:
        await _ask(log, user, NOW - timedelta(days=3), topic="housing")
    for user in people[6:11]:
        await _ask(log, user, NOW - timedelta(days=2), topic="health", language="uk")
    # One person asking many times is still one person.
    for _ in range(9):
        await _ask(log, people[11], NOW - timedelta(hours=1), topic="food", language="fa")
    stats = await Statistics(sessions).figures(
        "brussels", Period.last_days(7, NOW.date()), BRUSSELS, NOW
    )
    assert stats.topics.counts["food"] is None
    # "food" alone hidden would be the total minus the others: the smallest other goes too.
    assert stats.topics.counts["health"] is None
    assert stats.topics.counts["housing"] == 6
    assert stats.topics.total == 20
    assert stats.languages.counts == {"ar": 6, "fa": None, "uk": None}
    assert stats.outcomes.counts == {"answered": 20}


async def test_sealed_days_count_what_the_questions_do_and_today_is_counted_live(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    log = QuestionLog(sessions, timedelta(days=30))
    people = await _people(sessions, 5)
    for day in range(1, 4):
        for user in people:
            await _ask(log, user, NOW - timedelta(days=day), action="unknown", topic="")
    for user in people:
        await _ask(log, user, NOW - timedelta(minutes=5), action="greeting", topic="")
    stats = Statistics(sessions)
    period = Period.last_days(7, NOW.date())
    first = await stats.figures("brussels", period, BRUSSELS, NOW)
    again = await stats.figures("brussels", period, BRUSSELS, NOW)
    assert first == again
    assert first.outcomes.counts == {"unknown": 15, "social": 5}
    async with sessions() as session:
        sealed = await session.scalar(select(func.count()).select_from(QuestionDaySealed))
    # The days from the first question to yesterday; today is still being written.
    assert sealed == 3
    # Local hours: 13:00 in Brussels is 12:00 UTC in winter.
    assert first.hours.counts["13"] == 15 and len(first.hours.counts) == 24


async def test_erased_people_leave_the_roll_ups_and_the_retention_purge_changes_no_count(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    log = QuestionLog(sessions, timedelta(days=1))
    people = await _people(sessions, 5)
    for user in people:
        await _ask(log, user, NOW - timedelta(days=4))
    stats = Statistics(sessions)
    period = Period.last_days(30, NOW.date())
    assert (await stats.figures("brussels", period, BRUSSELS, NOW)).topics.counts == {"housing": 5}
    assert await log.purge_expired(NOW) == 5
    assert (await stats.figures("brussels", period, BRUSSELS, NOW)).topics.counts == {"housing": 5}
    await UserStore(sessions).erase(people[0])
    after = await stats.figures("brussels", period, BRUSSELS, NOW)
    assert after.topics.counts == {"housing": None}  # 4 people left that anyone can tell apart
    assert after.topics.total is None


async def test_two_processes_sealing_the_same_day_write_it_once(
    sessions: async_sessionmaker[AsyncSession], elsewhere: async_sessionmaker[AsyncSession]
) -> None:
    log = QuestionLog(sessions, timedelta(days=30))
    for user in await _people(sessions, 7):
        await _ask(log, user, NOW - timedelta(days=2))
    day = (NOW - timedelta(days=2)).date()
    won = await asyncio.gather(
        QuestionDays(sessions).seal("brussels", day, BRUSSELS),
        QuestionDays(elsewhere).seal("brussels", day, BRUSSELS),
    )
    assert sorted(won) == [False, True]
    async with sessions() as session:
        counted = await session.scalar(
            select(QuestionDay.questions).where(
                QuestionDay.dimension == "topic", QuestionDay.value == "housing"
            )
        )
    assert counted == 7


async def test_votes_per_topic_and_entry_and_tickets_by_language(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    log = QuestionLog(sessions, timedelta(days=30))
    people = await _people(sessions, 8)
    for i, user in enumerate(people):
        qid = await _ask(log, user, NOW - timedelta(days=1), entry="brussels-samusocial")
        assert await log.mark_helpful(qid, i < 6, user_id=user)
    async with sessions() as session, session.begin():
        for i, user in enumerate(people):
            created = NOW - timedelta(days=1)
            session.add(
                Ticket(
                    user_id=user, city="brussels", language="ar" if i < 6 else "ps",
                    status="closed", created_at=created,
                    claimed_at=created + timedelta(minutes=10),
                    answered_at=created + timedelta(minutes=30) if i < 5 else None,
                )
            )  # fmt: skip
    stats = await Statistics(sessions).figures(
        "brussels", Period.last_days(7, NOW.date()), BRUSSELS, NOW
    )
    assert stats.helpful_topics.counts == {"housing": 6}
    assert stats.unhelpful_topics.counts == {"housing": None}
    assert stats.helpful_entries.counts == {"brussels-samusocial": 6}
    every, *languages = stats.tickets
    assert every.language == ALL and every.tickets == 8
    assert every.to_claim == timedelta(minutes=10)
    assert every.answered_share is None  # 3 unanswered: fewer than 5 people
    assert {line.language: line.tickets for line in languages} == {"ar": None, "ps": None}
    assert stats.volunteers is None


async def test_a_city_is_shown_to_its_own_staff_and_admins_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    stats = Statistics(sessions)
    period = Period.last_days(7, NOW.date())
    assert await stats.city(EDITOR, "brussels", period, BRUSSELS, NOW) is not None
    assert await stats.city(EDITOR, "mechelen", period, BRUSSELS, NOW) is None
    admin = Staff(2, "Ad", Role.ADMIN, None)
    assert await stats.city(admin, "mechelen", period, BRUSSELS, NOW) is not None


async def test_a_day_is_sealed_an_hour_after_it_ends_so_questions_still_being_written_count(
    sessions: async_sessionmaker[AsyncSession], elsewhere: async_sessionmaker[AsyncSession]
) -> None:
    midnight = datetime(2026, 12, 7, tzinfo=UTC)
    log, other = QuestionLog(sessions, timedelta(days=30)), QuestionLog(elsewhere, timedelta(0))
    people = await _people(sessions, 6)
    stats = Statistics(sessions)
    period = Period.last_days(7, midnight.date())
    for user in people[:5]:
        await _ask(log, user, midnight - timedelta(seconds=30))
    early = await stats.figures("brussels", period, BRUSSELS, midnight + timedelta(minutes=30))
    assert early.topics.counts == {"housing": 5}
    # Another process logs a question of 23:59:59 while the first pages are read.
    await asyncio.gather(
        _ask(other, people[5], midnight - timedelta(seconds=1)),
        stats.figures("brussels", period, BRUSSELS, midnight + timedelta(minutes=31)),
    )
    later = await stats.figures("brussels", period, BRUSSELS, midnight + timedelta(hours=2))
    assert later.topics.counts == {"housing": 6}
    async with sessions() as session:
        sealed = await session.scalar(
            select(func.count())
            .select_from(QuestionDaySealed)
            .where(QuestionDaySealed.day == date(2026, 12, 6))
        )
    assert sealed == 1
