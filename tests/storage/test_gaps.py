"""The gaps of a city (bot/storage/gaps.py) on the real database and the real assistant: which
questions count, grouped by meaning across languages, the trend, retention, and decisions made
once, scoped and audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.assistant import Assistant
from bot.core.knowledge import Knowledge
from bot.storage.gaps import GapDecision, Gaps
from bot.storage.knowledge_store import import_knowledge
from bot.storage.models import AuditEvent, Question
from bot.storage.phrasings import Phrasings
from bot.storage.questions import QuestionLog
from bot.storage.review import Refused
from bot.storage.staff import Role, StaffStore
from bot.storage.tickets import Tickets
from bot.storage.users import UserStore

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
WINTER = {
    "ar": "أين يمكنني الحصول على ملابس شتوية مجانية لأطفالي؟",
    "uk": "Де можна отримати безкоштовний зимовий одяг для дітей?",
    "fr": "Où trouver des vêtements d'hiver gratuits pour mes enfants ?",
}
WEATHER = "Quel temps fera-t-il demain à Bruxelles ?"


def gaps_of(sessions: async_sessionmaker[AsyncSession], assistant: Assistant) -> Gaps:
    return Gaps(sessions, Phrasings(sessions), lambda: assistant, timedelta(days=30))


async def ask(
    sessions: async_sessionmaker[AsyncSession],
    text: str,
    *,
    action: str = "unknown",
    language: str = "en",
    city: str = "brussels",
    ago: timedelta = timedelta(days=1),
    topic: str | None = None,
    retention: timedelta = timedelta(days=30),
    user_id: int | None = None,
) -> int:
    log = QuestionLog(sessions, retention)
    return await log.record(
        user_id=user_id, city=city, language=language, action=action, topic=topic,
        confidence=0.1, text=text, now=NOW - ago,
    )  # fmt: skip


async def test_unanswered_questions_are_grouped_by_meaning_across_languages(
    sessions: async_sessionmaker[AsyncSession], assistant: Assistant
) -> None:
    winter = [await ask(sessions, t, language=lang) for lang, t in WINTER.items()]
    weather = await ask(sessions, WEATHER, action="out-of-scope", language="fr")
    before = await ask(sessions, WINTER["fr"], language="fr", ago=timedelta(days=10))
    await ask(sessions, "Où trouver des vêtements d'hiver ?", action="answer", language="fr")
    await ask(sessions, WINTER["uk"], language="uk", city="mechelen")  # another city
    await ask(sessions, WINTER["ar"], language="ar", ago=timedelta(days=20))  # before the before

    report = await gaps_of(sessions, assistant).report("brussels", 7, NOW)

    assert report.semantic and report.trend_complete and report.expired == 0
    assert [c.ids for c in report.clusters] == [tuple(reversed(winter)), (weather,)]
    first = report.clusters[0]
    assert (first.size, first.previous, first.trend) == (3, 1, 2)
    assert set(first.languages) == {"ar", "uk", "fr"}
    assert [m.language for m in first.examples()] == ["fr", "uk", "ar"]  # newest first
    assert before not in first.ids  # counted for the trend only


async def test_a_thumbs_down_and_a_question_sent_to_a_person_are_gaps(
    sessions: async_sessionmaker[AsyncSession], lexical_assistant: Assistant
) -> None:
    user = await UserStore(sessions).get_or_create("telegram", "m1")
    unhelpful = await ask(
        sessions, "Le CPAS ne répond jamais", action="answer", topic="social-aid", user_id=user.id
    )
    log = QuestionLog(sessions, timedelta(days=30))
    assert await log.mark_helpful(unhelpful, False, user_id=user.id)
    handed = await ask(sessions, "Je veux parler au CPAS de mon dossier", action="clarify")
    await Tickets(sessions).open(
        user_id=user.id, city="brussels", language="fr", topic=None, urgent=False,
        question="Je veux parler au CPAS de mon dossier", now=NOW, question_id=handed,
    )  # fmt: skip
    await ask(sessions, "Je veux parler au CPAS de ma carte", action="clarify")  # not a gap

    report = await gaps_of(sessions, lexical_assistant).report("brussels", 7, NOW)

    assert not report.semantic  # the lexical-only mode: grouped by shared words, no crash
    assert sorted(i for c in report.clusters for i in c.ids) == [unhelpful, handed]


async def test_expired_texts_are_counted_but_never_read(
    sessions: async_sessionmaker[AsyncSession], lexical_assistant: Assistant
) -> None:
    kept = await ask(sessions, "Où trouver un vélo ?", language="fr")
    await ask(sessions, "Où trouver un vélo pas cher ?", retention=timedelta(hours=1))

    report = await gaps_of(sessions, lexical_assistant).report("brussels", 7, NOW)
    assert [c.ids for c in report.clusters] == [(kept,)] and report.expired == 1
    long = await gaps_of(sessions, lexical_assistant).report("brussels", 30, NOW)
    assert not long.trend_complete  # 30 days before the last 30: beyond the retention


async def test_a_cluster_is_decided_once_by_its_citys_editor_and_audited(
    sessions: async_sessionmaker[AsyncSession], lexical_assistant: Assistant
) -> None:
    ids = [await ask(sessions, "Quel temps fera-t-il demain ?", language="fr") for _ in "ab"]
    staff = StaffStore(sessions)
    ana, _ = await staff.add("Ana", Role.EDITOR, "brussels")
    jan, _ = await staff.add("Jan", Role.EDITOR, "mechelen")
    sara, _ = await staff.add("Sara", Role.TRANSLATOR, "brussels", ["ar"])
    gaps = gaps_of(sessions, lexical_assistant)
    for who in (jan, sara):
        assert await gaps.decide(who, "brussels", ids, GapDecision.OUT_OF_SCOPE) is None
        assert await gaps.of_city(who, "brussels", 7, NOW) is None

    assert await gaps.decide(ana, "brussels", ids, GapDecision.OUT_OF_SCOPE) == 2
    again = await gaps.decide(ana, "brussels", ids, GapDecision.OUT_OF_SCOPE)
    assert isinstance(again, Refused)
    assert (await gaps.report("brussels", 7, NOW)).clusters == ()
    async with sessions() as session:
        assert set(await session.scalars(select(Question.gap))) == {"out-of-scope"}
        [event] = await session.scalars(select(AuditEvent).where(AuditEvent.action.like("gap.%")))
    assert (event.action, event.target, event.detail) == (
        "gap.out-of-scope",
        "city:brussels",
        {"questions": 2},
    )  # no text in the audit log


async def test_chosen_questions_become_phrasings_in_their_languages(
    sessions: async_sessionmaker[AsyncSession], lexical_assistant: Assistant, knowledge: Knowledge
) -> None:
    await import_knowledge(sessions, knowledge, "tests")
    fr = await ask(sessions, "La Maison Bleue du quartier, c'est où ?", language="fr")
    nl = await ask(sessions, "Waar is het Blauwe Huis van de wijk?", language="nl")
    other = await ask(sessions, "La Maison Bleue, elle ouvre quand ?", language="fr")
    ana, _ = await StaffStore(sessions).add("Ana", Role.EDITOR, "brussels")
    gaps = gaps_of(sessions, lexical_assistant)
    ids = [fr, nl, other]

    wrong = await gaps.add_phrasings(ana, "brussels", ids, "weather", {fr: "x"}, NOW)
    assert isinstance(wrong, Refused) and wrong.problems[0].template == "Choose one of the topics."
    none = await gaps.add_phrasings(ana, "brussels", ids, "food-aid", {}, NOW)
    assert isinstance(none, Refused)
    chosen = {fr: "La Maison Bleue, c'est où ?", nl: "Waar is het Blauwe Huis?"}
    assert await gaps.add_phrasings(ana, "brussels", ids, "food-aid", chosen, NOW) == 3

    phrasings = await Phrasings(sessions).of_city(ana, "brussels")
    assert phrasings is not None
    assert phrasings["food-aid"]["fr"][-1] == "La Maison Bleue, c'est où ?"
    assert phrasings["food-aid"]["nl"][-1] == "Waar is het Blauwe Huis?"
    async with sessions() as session:
        assert set(await session.scalars(select(Question.gap))) == {"phrased"}
