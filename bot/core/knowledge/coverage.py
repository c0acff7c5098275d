"""How complete the knowledge is, city by city: texts per language, and the facts to act on.

`python main.py kb report` prints these figures and `bench/content.py` measures them; both read
them from here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from bot.core.knowledge.model import TEXT_FIELDS, Entry, Knowledge, TextStatus
from bot.core.languages import UI_LANGUAGES

STATUSES: Final[tuple[TextStatus, ...]] = (
    "original",
    "reviewed",
    "unreviewed",
    "outdated",
    "missing",
)
#: The facts a migrant needs to go there or get through, in the order of the to-do list.
FACTS: Final = ("address", "phone", "hours")


def has_fact(entry: Entry, fact: str) -> bool:
    if fact == "hours":
        return bool(entry.hours) or entry.always_open
    return bool(getattr(entry, fact))


@dataclass
class CityCoverage:
    slug: str
    #: language -> status -> how many texts a person of this city can be shown
    texts: dict[str, Counter[str]] = field(default_factory=dict)
    #: the entries of the city's own layers (city, region), and every entry it lists
    own: list[Entry] = field(default_factory=list)
    listed: list[Entry] = field(default_factory=list)

    def lacking(self, fact: str) -> list[str]:
        """The ids of the city's own entries without this fact: its first to-do list."""
        return [e.id for e in self.own if not has_fact(e, fact)]

    def share_with(self, fact: str) -> float:
        """The share of every entry the city lists (all layers) that has this fact."""
        return (
            sum(has_fact(e, fact) for e in self.listed) / len(self.listed) if self.listed else 0.0
        )


def city_coverage(knowledge: Knowledge, slug: str) -> CityCoverage:
    listed = knowledge.layered_entries(slug)
    report = CityCoverage(slug, own=knowledge.own_entries(slug), listed=listed)
    for lang in UI_LANGUAGES:
        counts: Counter[str] = Counter({s: 0 for s in STATUSES})
        for entry in listed:
            for name in TEXT_FIELDS:
                status = entry.text_status(name, lang)
                if status is not None:
                    counts[status] += 1
        report.texts[lang] = counts
    return report


def coverage(knowledge: Knowledge) -> list[CityCoverage]:
    return [city_coverage(knowledge, slug) for slug in sorted(knowledge.cities)]


def missing_texts(report: list[CityCoverage]) -> int:
    return sum(c.texts[lang]["missing"] for c in report for lang in c.texts)


def report_lines(report: list[CityCoverage]) -> list[str]:
    """The `kb report` table: texts per city and language, then each city's missing facts."""
    head = f"{'city':<24} {'lang':<4} " + " ".join(f"{s:>10}" for s in STATUSES)
    lines = ["Texts a migrant can be shown, per city and language:", head, "-" * len(head)]
    for city in report:
        for lang, counts in city.texts.items():
            row = " ".join(f"{counts[s]:>10}" for s in STATUSES)
            lines.append(f"{city.slug:<24} {lang:<4} {row}")
    totals: Counter[str] = Counter()
    for city in report:
        for counts in city.texts.values():
            totals.update(counts)
    lines.append("-" * len(head))
    lines.append(f"{'all cities':<29} " + " ".join(f"{totals[s]:>10}" for s in STATUSES))
    lines.append("")
    lines.append("Facts to act on: the city's own entries (city and region) without them.")
    for city in report:
        shares = ", ".join(f"{fact} {city.share_with(fact):.0%}" for fact in FACTS)
        lines.append(f"{city.slug}: {len(city.listed)} entries listed ({shares} of them have it)")
        for fact in FACTS:
            ids = city.lacking(fact)
            if ids:
                lines.append(f"  no {fact} ({len(ids)}): {', '.join(ids)}")
    return lines


def outside_region(
    knowledge: Knowledge, places: dict[str, str], national: str
) -> list[tuple[str, str, list[str]]]:
    """(city, entry id, other regions) for each entry a city lists whose text or source names
    only regions other than the city's own. `places` maps a region to a regular expression of
    its place names; `national` matches words that make an entry about the whole country."""
    found = []
    for slug, city in knowledge.cities.items():
        own = city.region
        if own not in places:
            continue
        for entry in knowledge.layered_entries(slug):
            about = " ".join(
                [entry.name.get("en", ""), entry.description.get("en", ""), entry.source]
            )
            others = [r for r, words in places.items() if r != own and re.search(words, about)]
            if others and not re.search(f"{places[own]}|{national}", about):
                found.append((slug, entry.id, others))
    return found
