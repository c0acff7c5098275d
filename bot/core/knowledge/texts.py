"""Every text the matchers learn a label from, with its language and the layer it belongs to.

The fuzzy matcher and the semantic ranker index the same texts; this is the one walk over the
knowledge base that finds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from bot.core.knowledge.model import Knowledge


@dataclass(frozen=True, slots=True)
class LabelledText:
    label: str  # a topic id or an intent name
    lang: str | None  # None: an entry's name, which people write in any language
    country: str | None  # set for a country's entries
    city: str | None  # set for a city's phrasings and entries; both None: the whole network
    text: str


def labelled_texts(knowledge: Knowledge) -> Iterator[LabelledText]:
    """Phrasings, keywords and titles of topics and intents, then entry names, layer by layer."""

    def each(label: str, per_lang: Mapping[str, Iterable[str]]) -> Iterator[LabelledText]:
        for lang, items in per_lang.items():
            for text in items:
                yield LabelledText(label, lang, None, None, text)

    for topic in knowledge.topics.values():
        yield from each(topic.id, topic.keywords)
        yield from each(topic.id, topic.phrasings)
        yield from each(topic.id, {lang: [title] for lang, title in topic.title.items()})
    for name, intent in knowledge.intents.items():
        yield from each(name, intent.keywords)
        yield from each(name, intent.phrasings)
    for slug, per_topic in knowledge.city_phrasings.items():
        for topic_id, per_lang in per_topic.items():
            for lang, items in per_lang.items():
                for text in items:
                    yield LabelledText(topic_id, lang, None, slug, text)
    # Entry names help with local institution words ("OCMW Mechelen", "Questura").
    for entry in knowledge.network_entries:
        for text in entry.name.values():
            yield LabelledText(entry.topics[0], None, None, None, text)
    for code, entries in knowledge.country_entries.items():
        for entry in entries:
            for text in entry.name.values():
                yield LabelledText(entry.topics[0], None, code, None, text)
    # A region's entries count for each of its cities, as the city's own entries do.
    for slug, city in knowledge.cities.items():
        for entry in knowledge.region_entries.get(city.region or "", ()):
            for text in entry.name.values():
                yield LabelledText(entry.topics[0], None, None, slug, text)
    for slug, entries in knowledge.city_entries.items():
        for entry in entries:
            for text in entry.name.values():
                yield LabelledText(entry.topics[0], None, None, slug, text)
