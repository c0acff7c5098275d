"""What a migrant can read: text coverage per language, facts per city, region placement,
and whether the entry that answers a question is among the first two shown.

Usage:
    python bench/content.py [PATH]      # PATH: a knowledge directory (default: knowledge/)

Targets from the issue: every text present in every language (0 missing, 0 outdated in the
sample), 0 entries outside their region, the right entry among the first two for >= 90% of the
labelled questions. The shares of entries with an address, phone and hours are reported with
no target: they are each city's to-do list.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ruamel.yaml import YAML

from bot.core.knowledge.coverage import FACTS, STATUSES, coverage, has_fact, outside_region
from bot.core.knowledge.loader import load_directory
from bot.core.knowledge.model import TEXT_FIELDS, Knowledge
from bot.core.languages import UI_LANGUAGES
from bot.settings import ROOT

PLACES = ROOT / "bench" / "places.yaml"
QUALITY = ROOT / "bench" / "eval" / "answers" / "quality.yaml"


def texts_per_language(knowledge: Knowledge) -> None:
    entries = knowledge.all_entries()
    print("### Entry texts per language (every entry once)\n")
    print("| language | " + " | ".join(STATUSES) + " | present % |")
    print("|---|" + "---|" * (len(STATUSES) + 1))
    for lang in UI_LANGUAGES:
        counts: Counter[str] = Counter()
        for entry in entries:
            for name in TEXT_FIELDS:
                status = entry.text_status(name, lang)
                if status is not None:
                    counts[status] += 1
        total = sum(counts.values())
        present = 100 * (total - counts["missing"]) / total if total else 0.0
        cells = " | ".join(str(counts[s]) for s in STATUSES)
        print(f"| {lang} | {cells} | {present:.1f} |")
    print()


def facts_per_city(knowledge: Knowledge) -> None:
    print("### Facts to act on, per city (share of the entries it lists, all layers)\n")
    print(
        "| city | entries | " + " | ".join(f"{f} %" for f in FACTS) + " | own entries without any |"
    )
    print("|---|---|" + "---|" * (len(FACTS) + 1))
    for city in coverage(knowledge):
        shares = " | ".join(f"{100 * city.share_with(f):.0f}" for f in FACTS)
        bare = sum(1 for e in city.own if not any(has_fact(e, f) for f in FACTS))
        print(f"| {city.slug} | {len(city.listed)} | {shares} | {bare} of {len(city.own)} |")
    print()


def regions(knowledge: Knowledge) -> None:
    places = YAML(typ="safe").load(PLACES.read_text(encoding="utf-8"))
    found = outside_region(knowledge, places["regions"], places["national"])
    listed = sum(
        len(knowledge.layered_entries(slug))
        for slug, city in knowledge.cities.items()
        if city.region in places["regions"]
    )
    print("### Entries outside their region\n")
    share = 100 * len(found) / max(listed, 1)
    print(f"- {len(found)} of {listed} listings in the cities of checked regions ({share:.1f}%)")
    for slug, entry_id, others in found:
        print(f"  - {slug} lists {entry_id} (about {', '.join(others)})")
    print()


def answer_quality(knowledge: Knowledge) -> None:
    from bot.core.assistant import Assistant
    from bot.core.languages import default_detector
    from bot.core.semantic import VectorCache, cache_file, load_embedder
    from bot.evaluation import answer_quality as measure
    from bot.evaluation import load_quality, load_samples, split

    embedder = load_embedder()
    cache = VectorCache.from_file(cache_file(ROOT / "knowledge")) if embedder else None
    assistant = Assistant(knowledge, default_detector(), embedder=embedder, vectors=cache)
    labels = load_quality(QUALITY)
    samples = load_samples()
    print("### Answer quality: the entry that answers is among the first two\n")
    print(
        "| questions | labelled | right entry in the first two % | ... topic answered directly % |"
    )
    print("|---|---|---|---|")
    halves = {
        part: measure(assistant, split(samples, part), labels) for part in ("tune", "held-out")
    }
    both = halves["tune"] + halves["held-out"]
    for part, result in {"all": both, **halves}.items():
        print(f"| {part} | {result.n} | {result.pct:.1f} | {result.direct_pct:.1f} |")
    print()
    for miss in both.misses:
        print(f"- miss {miss}")
    print()


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "knowledge"
    knowledge, _ = load_directory(path)
    texts_per_language(knowledge)
    facts_per_city(knowledge)
    regions(knowledge)
    answer_quality(knowledge)
    return 0


if __name__ == "__main__":
    sys.exit(main())
