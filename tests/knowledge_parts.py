"""Parts of the sample knowledge, for tests that need a whole base (every topic and intent,
a city, its country) but not all of it: writing and reading YAML costs time per line."""

from __future__ import annotations

from typing import TypeVar

from bot.core.knowledge import Intent, Knowledge, Topic

T = TypeVar("T", Topic, Intent)


def lean(topic: T) -> T:
    """The first keyword and phrasing in each language: all a knowledge base needs to load."""
    return topic.model_copy(
        update={
            "keywords": {lang: words[:1] for lang, words in topic.keywords.items()},
            "phrasings": {lang: lines[:1] for lang, lines in topic.phrasings.items()},
        }
    )


def only(sample: Knowledge, city: str) -> Knowledge:
    """One city of the sample with its region, its country and the network, the topics and
    intents with one keyword and phrasing per language."""
    c = sample.cities[city]
    regions = [c.region] if c.region else []
    return Knowledge(
        topics={k: lean(t) for k, t in sample.topics.items()},
        intents={k: lean(i) for k, i in sample.intents.items()},
        network_entries=sample.network_entries,
        countries={c.country: sample.countries[c.country]},
        country_entries={c.country: sample.country_entries[c.country]},
        cities={city: c},
        city_entries={city: sample.city_entries[city]},
        city_phrasings={city: sample.city_phrasings[city]},
        regions={r: sample.regions[r] for r in regions},
        region_entries={r: sample.region_entries[r] for r in regions},
    )
