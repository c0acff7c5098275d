"""Where each city stands, topic by topic and language by language: the coverage matrix of the
staff console and of `python main.py kb coverage`, and what a learning city can take from its
mentor. (`coverage.py` has the per-city figures of `kb report`; the statuses and facts are
the same.)

A cell is what a migrant of the city gets for the topic: the entries of every layer (the
city's, its region's, its country's and the network's), with how many are the city's own
(city and region), the state of their name and description in each of the 12 languages, how
complete their facts are (address, phone, opening hours) and the oldest confirmation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

from bot.core.knowledge.coverage import FACTS, STATUSES, has_fact
from bot.core.knowledge.model import TEXT_FIELDS, TOPIC_IDS, Entry, Knowledge, TextStatus
from bot.core.languages import UI_LANGUAGES

Level = Literal["none", "weak", "fair", "good"]
LEVELS: Final[tuple[Level, ...]] = ("none", "weak", "fair", "good")
#: Confirmed longer ago than this, an entry no longer counts as good (the console's to-do too).
STALE_AFTER: Final = timedelta(days=183)


def _facts(entry: Entry) -> int:
    """How many of address, phone and opening hours the entry gives."""
    return sum(has_fact(entry, fact) for fact in FACTS)


@dataclass(frozen=True, slots=True)
class Cell:
    city: str
    topic: str
    entries: tuple[Entry, ...]  # every layer's, in the order the bot lists them
    own: int  # of which the city's and its region's
    #: language -> status -> how many texts (each entry's texts it has: name, description...)
    texts: dict[str, Counter[TextStatus]]
    facts: int  # address, phone and hours given, over all the entries
    confirmed: date | None  # the oldest confirmation among the entries

    @property
    def facts_share(self) -> float:
        return self.facts / (len(FACTS) * len(self.entries)) if self.entries else 0.0

    def text_share(self, *states: TextStatus) -> float:
        """The share of the texts, over the 12 languages, in one of `states`."""
        total = sum(sum(c.values()) for c in self.texts.values())
        found = sum(c[s] for c in self.texts.values() for s in states)
        return found / total if total else 0.0

    def level(self, today: date) -> Level:
        """For the colours: none (no entry), weak (texts or facts mostly missing), good (texts
        checked, facts mostly there, confirmed in the last 6 months), else fair."""
        if not self.entries:
            return "none"
        readable = self.text_share("original", "reviewed", "unreviewed")
        if readable < 0.5 or self.facts_share < 1 / 3:
            return "weak"
        fresh = self.confirmed is not None and today - self.confirmed <= STALE_AFTER
        checked = self.text_share("original", "reviewed")
        if checked >= 0.8 and self.facts_share >= 2 / 3 and fresh:
            return "good"
        return "fair"


def cell(knowledge: Knowledge, city: str, topic: str) -> Cell:
    entries = tuple(knowledge.entries_for(city, topic))
    own_ids = {e.id for e in knowledge.own_entries(city)}
    texts: dict[str, Counter[TextStatus]] = {
        lang: Counter({s: 0 for s in STATUSES}) for lang in UI_LANGUAGES
    }
    for entry in entries:
        for name in TEXT_FIELDS:
            for lang in UI_LANGUAGES:
                status = entry.text_status(name, lang)
                if status is not None:
                    texts[lang][status] += 1
    return Cell(
        city,
        topic,
        entries,
        sum(1 for e in entries if e.id in own_ids),
        texts,
        sum(_facts(e) for e in entries),
        min((e.last_reviewed for e in entries), default=None),
    )


def matrix(knowledge: Knowledge) -> dict[tuple[str, str], Cell]:
    """Every (topic, city) cell, topics in the network's order, cities in the files'."""
    return {
        (topic, city): cell(knowledge, city, topic)
        for topic in TOPIC_IDS
        if topic in knowledge.topics
        for city in knowledge.cities
    }


@dataclass(frozen=True, slots=True)
class Template:
    """A topic the mentor covers with entries of its own and the learner does not: the
    mentor's entries, to adapt."""

    topic: str
    entries: tuple[Entry, ...]


def from_mentor(knowledge: Knowledge, learner: str) -> Iterator[Template]:
    """The topics where the learner's mentor has entries of its own (city or region) and the
    learner has none, with the mentor's entries; nothing when it has no mentor here."""
    mentor = knowledge.cities[learner].mentor
    if mentor is None or mentor not in knowledge.cities:
        return
    theirs = knowledge.own_entries(mentor)
    mine = {t for e in knowledge.own_entries(learner) for t in e.topics}
    for topic in TOPIC_IDS:
        if topic in mine:
            continue
        entries = tuple(e for e in theirs if topic in e.topics)
        if entries:
            yield Template(topic, entries)


CSV_HEAD: Final = (
    "topic",
    "city",
    "entries",
    "own_entries",
    *(f"texts_{s}" for s in STATUSES),
    "facts_given",
    "facts_possible",
    "oldest_confirmed",
    "level",
)


def csv_rows(cells: dict[tuple[str, str], Cell], today: date) -> Iterator[tuple[object, ...]]:
    """One row per cell, with CSV_HEAD's columns (texts summed over the 12 languages)."""
    for (topic, city), c in cells.items():
        texts = [sum(counts[s] for counts in c.texts.values()) for s in STATUSES]
        yield (
            topic, city, len(c.entries), c.own, *texts, c.facts, len(FACTS) * len(c.entries),
            c.confirmed.isoformat() if c.confirmed else "", c.level(today),
        )  # fmt: skip


def markdown_lines(
    knowledge: Knowledge, cells: dict[tuple[str, str], Cell], today: date
) -> list[str]:
    """The matrix as a Markdown table (entries and level per cell), then what each learning
    city could take from its mentor."""
    cities = list(knowledge.cities)
    lines = [
        "| topic | " + " | ".join(cities) + " |",
        "|---|" + "---|" * len(cities),
    ]
    for topic in dict.fromkeys(t for t, _ in cells):
        row = []
        for city in cities:
            c = cells[topic, city]
            checked = c.text_share("original", "reviewed")
            row.append(
                f"{len(c.entries)} {c.level(today)} ({checked:.0%} checked)" if c.entries else "–"
            )
        lines.append(f"| {topic} | " + " | ".join(row) + " |")
    lines += ["", "Levels: " + ", ".join(LEVELS) + "."]
    for city in cities:
        mentor = knowledge.cities[city].mentor
        templates = list(from_mentor(knowledge, city))
        if mentor and templates:
            lines += ["", f"{city} can start from {mentor} on {len(templates)} topic(s):"]
            for t in templates:
                lines.append(f"- {t.topic}: " + ", ".join(e.id for e in t.entries))
    return lines
