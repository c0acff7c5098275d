"""Within a topic, the entry that fits the question comes first (issue: "the best entry first")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.assistant import Asked, Assistant, ChoiceKind
from bot.core.fit import generic_words, order_by_fit
from bot.core.knowledge import Knowledge
from bot.core.render import PlainFormatter

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def first_entry(reply_text: str) -> str:
    """The name of the first entry in a plain-text answer ("1. Name")."""
    return next(line for line in reply_text.splitlines() if line.startswith("1. "))[3:]


def order(knowledge: Knowledge, city: str, topic: str, question: str, lang: str) -> list[str]:
    entries = knowledge.entries_for(city, topic)
    ranked = order_by_fit(entries, question, lang, generic_words(knowledge, lang)[topic])
    return [entries[i].id for i in ranked]


@pytest.mark.parametrize(
    ("city", "question", "lang"),
    [
        ("brussels", "où puis-je apprendre le néerlandais", "fr"),
        ("schaerbeek", "I want to learn Dutch", "en"),
        ("brussels", "أريد أن أتعلم اللغة الهولندية", "ar"),
    ],
)
def test_a_question_about_dutch_shows_a_dutch_course_first(
    knowledge: Knowledge, city: str, question: str, lang: str
) -> None:
    first = knowledge.entry(order(knowledge, city, "language-courses", question, lang)[0])
    assert first is not None and first.keywords is not None
    assert "Dutch course" in first.keywords["en"]


def test_a_question_about_french_shows_a_french_course_first(knowledge: Knowledge) -> None:
    for question, lang in (
        ("je veux apprendre le français", "fr"),
        ("I want to learn French", "en"),
    ):
        first = knowledge.entry(order(knowledge, "brussels", "language-courses", question, lang)[0])
        assert first is not None and first.keywords is not None
        assert any("French" in k for k in first.keywords["en"]), (question, first.id)


def test_a_sick_child_in_mechelen_shows_a_doctor_or_a_childrens_service_first(
    assistant: Assistant,
) -> None:
    reply = assistant.reply(Asked("ik zoek een huisarts, mijn kind is ziek", "mechelen", now=NOW))
    assert reply.decision.topic == "health-care"
    first = first_entry(reply.text)
    assert "huisarts" in first.lower() or "Kind en Gezin" in first, first


@pytest.mark.parametrize(
    ("city", "question", "number"),
    [
        ("brussels", "My child drank bleach", "070 245 245"),
        ("capaci", "la mia bambina ha ingoiato della candeggina", "02 6610 1029"),
        ("fuenlabrada", "mi hijo se ha bebido lejía", "91 562 04 20"),
    ],
)
def test_poisoning_is_an_emergency_with_the_poison_centre_first(
    assistant: Assistant, city: str, question: str, number: str
) -> None:
    reply = assistant.reply(Asked(question, city, now=NOW))
    assert reply.decision.topic == "emergency", reply.decision
    text = reply.text
    assert "112" in text.split("\n\n")[1]  # the emergency line comes before any entry
    entry_one = text.split("\n\n")[2]
    assert entry_one.startswith("1. ") and number in entry_one, entry_one


def test_equal_fit_keeps_the_layer_order_city_first(knowledge: Knowledge) -> None:
    entries = [e.id for e in knowledge.entries_for("brussels", "housing")]
    assert order(knowledge, "brussels", "housing", "hello there", "en") == entries
    assert order(knowledge, "brussels", "housing", "", "en") == entries


def test_every_entry_is_shown_once_across_the_pages_of_a_fitted_answer(
    assistant: Assistant, knowledge: Knowledge
) -> None:
    fmt = PlainFormatter()
    reply = assistant.reply(Asked("where can I see a doctor", "brussels", now=NOW))
    assert reply.decision.topic == "health-care"
    shown = [first_entry(reply.text)]
    texts = [reply.text]
    while reply.choices and reply.choices[0].kind is ChoiceKind.MORE:
        more = reply.choices[0]
        assert more.first  # the first page's choice travels with the button
        reply = assistant.topic_reply(
            reply.decision, "brussels", "health-care", NOW, fmt, more.offset, first=more.first
        )
        texts.append(reply.text)
    names = [
        line.split(". ", 1)[1]
        for text in texts
        for line in text.splitlines()
        if line[:1].isdigit() and ". " in line
    ]
    expected = knowledge.entries_for("brussels", "health-care")
    assert len(names) == len(set(names)) == len(expected)
    assert shown[0] == names[0]
