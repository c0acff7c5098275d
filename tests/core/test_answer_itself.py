"""The examples of the issue "The answer itself": in the migrant's language, for the right
place (the other examples are in test_fit.py, test_sample_knowledge.py and test_console.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.core.assistant import Asked, Assistant
from bot.core.knowledge import Knowledge

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ARABIC = re.compile(r"[\u0600-\u06ff]")


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if re.match(r"\d+\. ", p)]


def test_an_arabic_question_in_mechelen_gets_arabic_entries_marked_as_translated(
    assistant: Assistant,
) -> None:
    reply = assistant.reply(Asked("أين أسجل عنواني في البلدية؟", "mechelen", now=NOW))
    assert reply.decision.language == "ar" and reply.decision.topic
    entries = paragraphs(reply.text)
    assert entries
    for entry in entries:
        description = entry.splitlines()[1]
        assert ARABIC.search(description), description  # not an English paragraph
        assert "لم تراجعه المدينة بعد" in entry  # "Translated, not yet checked by the city"
    assert "ℹ️ This text" not in reply.text


@pytest.mark.parametrize("city", ["brussels", "mechelen", "capaci", "jelgava"])
def test_a_turkish_speaker_reads_turkish_in_every_entry_of_every_topic(
    knowledge: Knowledge, city: str
) -> None:
    for entry in knowledge.layered_entries(city):
        for field in ("name", "description"):
            shown = entry.text(field, "tr")
            assert shown is not None and shown.status in ("original", "reviewed", "unreviewed")


def test_mechelen_lists_no_brussels_or_wallonia_services(knowledge: Knowledge) -> None:
    listed = {e.id for e in knowledge.layered_entries("mechelen")}
    for brussels_only in (
        "brussels-bapa-bxl",
        "be-brussels-integration",
        "be-lire-et-ecrire",
        "be-one",
        "be-actiris",
    ):
        assert brussels_only not in listed
    assert "be-kind-en-gezin" in {e.id for e in knowledge.entries_for("mechelen", "health-care")}


def test_doctor_does_not_lead_with_the_poison_centre(assistant: Assistant) -> None:
    reply = assistant.reply(Asked("doctor?", "brussels", now=NOW))
    assert reply.decision.topic == "health-care"
    first_two = "\n\n".join(paragraphs(reply.text)[:2])
    assert "Poison" not in first_two and "Antipoison" not in first_two
