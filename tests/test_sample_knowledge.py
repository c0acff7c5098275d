"""The sample knowledge base keeps its promises: coverage, languages and honesty."""

import re

import pytest

from bot.core.knowledge import Knowledge
from bot.core.languages import UI_LANGUAGES

CITIES = (
    "brussels",
    "schaerbeek",
    "mechelen",
    "saint-jean-de-la-ruelle",
    "capaci",
    "fuenlabrada",
    "livadia",
    "jelgava",
)


def test_the_eight_cities_are_there(knowledge: Knowledge) -> None:
    assert set(knowledge.cities) == set(CITIES)


@pytest.mark.parametrize("city", CITIES)
def test_every_topic_is_answerable_in_every_city(knowledge: Knowledge, city: str) -> None:
    assert knowledge.missing_topics(city) == []


@pytest.mark.parametrize("city", CITIES)
def test_entries_speak_english_and_the_local_languages(knowledge: Knowledge, city: str) -> None:
    c = knowledge.cities[city]
    for entry in knowledge.city_entries[city]:
        for lang in ("en", *c.languages):
            assert entry.name.get(lang) and entry.description.get(lang), (entry.id, lang)


def test_topics_have_phrasings_in_all_twelve_languages(knowledge: Knowledge) -> None:
    for topic in knowledge.topics.values():
        for lang in UI_LANGUAGES:
            assert topic.title[lang] and topic.keywords[lang] and topic.phrasings[lang]


def test_every_entry_has_a_source_and_review_date(knowledge: Knowledge) -> None:
    for slug in CITIES:
        for entry in knowledge.layered_entries(slug):
            assert entry.source and entry.last_reviewed


def test_unverified_entries_carry_no_invented_contact_details(knowledge: Knowledge) -> None:
    """Demo data: a local phone number, e-mail or opening hours must not be made up.

    Unverified entries may only list short national numbers (hotlines such as 115 or
    800 290 290), never a local number, e-mail or weekly hours.
    """
    short = re.compile(r"^\+?[0-9 ]{2,12}$")
    for slug in CITIES:
        for entry in knowledge.layered_entries(slug):
            if entry.verified:
                continue
            assert entry.email is None, entry.id
            assert entry.hours is None, entry.id
            if entry.phone:
                assert short.match(entry.phone), (entry.id, entry.phone)


def test_112_is_answered_everywhere(knowledge: Knowledge) -> None:
    for slug in CITIES:
        assert any(e.phone == "112" for e in knowledge.entries_for(slug, "emergency"))
