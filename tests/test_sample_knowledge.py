"""The sample knowledge base keeps its promises: coverage, languages and honesty."""

import re
from dataclasses import replace
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.core.knowledge import Knowledge
from bot.core.knowledge.coverage import outside_region
from bot.core.languages import UI_LANGUAGES

PLACES = Path(__file__).resolve().parents[1] / "bench" / "places.yaml"

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


def test_unverified_facts_are_national_numbers_or_sourced(knowledge: Knowledge) -> None:
    """Demo data: no phone number, e-mail, address or opening hour may be made up.

    An unverified entry may list a short national number (112, 115, 800 290 290) on the word
    of its main source; every other contact fact must name the source that states it.
    """
    short = re.compile(r"^\+?[0-9 ]{2,12}$")
    for slug in CITIES:
        for entry in knowledge.layered_entries(slug):
            if entry.verified:
                continue
            for fact in ("email", "hours", "languages", "booking", "temporarily_closed"):
                if getattr(entry, fact):
                    assert entry.sourced(fact), (entry.id, fact)
            if entry.phone and not short.match(entry.phone):
                assert entry.sourced("phone"), (entry.id, entry.phone)
            if entry.address:
                assert entry.sourced("address"), (entry.id, entry.address)


def test_no_city_lists_another_regions_services(knowledge: Knowledge) -> None:
    """An entry whose text or source names only regions other than the city's own belongs to
    those regions (Brussels-Capital, Flanders: the regions the sample has several cities in)."""
    places = YAML(typ="safe").load(PLACES.read_text(encoding="utf-8"))
    assert {"brussels-capital", "flanders"} <= set(places["regions"])
    assert outside_region(knowledge, places["regions"], places["national"]) == []


def test_the_region_check_finds_a_service_in_the_wrong_region(knowledge: Knowledge) -> None:
    places = YAML(typ="safe").load(PLACES.read_text(encoding="utf-8"))
    mechelen = knowledge.city_entries["mechelen"]
    misplaced = knowledge.entry("be-actiris")  # Brussels' employment office
    assert misplaced is not None
    moved = replace(
        knowledge, city_entries={**knowledge.city_entries, "mechelen": (*mechelen, misplaced)}
    )
    found = outside_region(moved, places["regions"], places["national"])
    assert ("mechelen", "be-actiris", ["brussels-capital"]) in found


def test_112_is_answered_everywhere(knowledge: Knowledge) -> None:
    for slug in CITIES:
        assert any(e.phone == "112" for e in knowledge.entries_for(slug, "emergency"))


def test_only_statutory_emergency_numbers_are_marked_verified(knowledge: Knowledge) -> None:
    """112 and each country's police, ambulance and fire numbers are set by law; every other
    entry, national helplines included, waits for a city to confirm it."""
    for entry in knowledge.all_entries():
        if entry.verified:
            assert "emergency" in entry.topics and entry.phone, entry.id
            assert re.fullmatch(r"1\d\d|0\d\d|\d\d", entry.phone), (entry.id, entry.phone)
