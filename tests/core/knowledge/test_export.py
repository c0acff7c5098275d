"""Knowledge written back as files: the same bytes every time, in the sample files' layout and
style, loading back as the same knowledge."""

from pathlib import Path
from typing import Any

import pytest

from bot.core.knowledge import Entry, Knowledge
from bot.core.knowledge.export import differences, render
from bot.core.knowledge.loader import load_directory
from bot.core.knowledge.model import fingerprint
from tests.knowledge_parts import lean

SAMPLE = Path(__file__).resolve().parents[3] / "knowledge"

EVERYTHING: dict[str, Any] = {  # in no particular order, as PostgreSQL's JSONB gives it back
    "verified": False,
    "source": "https://example.org/source",
    "last_reviewed": "2026-11-25",
    "see_also": ["test-open"],
    "id": "test-everything",
    "topics": ["health-care", "emergency"],
    "name": {"nl": "Alles", "en": "Everything"},
    "description": {"nl": "Alles in één.", "en": "All in one."},
    "keywords": {"nl": ["huisarts"], "en": ["GP", "family doctor"]},
    "address": "Grote Markt 1, 2800 Mechelen",
    "coordinates": [51.0259, 4.4776],
    "phone": "+32 15 00 00 00",
    "website": "https://example.org",
    "email": "info@example.org",
    "hours": {"tue": ["13:00-16:00"], "mon": ["08:30-12:00", "13:00-24:00"]},
    "closures": [
        {"from": "2026-12-24", "to": "2026-12-26", "note": {"en": "Christmas"}},
        {"from": "2027-01-01"},
    ],
    "exceptions": [
        {"date": "2026-12-31", "hours": ["09:00-12:00"]},
        {"date": "2027-01-02", "hours": []},
    ],
    "appointment": "required",
    "cost": {"nl": "Gratis", "en": "Free"},
    "booking": "https://example.org/book",
    "temporarily_closed": {"since": "2027-02-01"},
    "languages": ["nl", "en", "ber"],
    "accessibility": {"en": "Step-free entrance"},
    "fact_sources": [
        {
            "url": "https://example.org/a",
            "date": "2024-05-01",
            "facts": ["address", "phone"],
            "quote": "Grote Markt 1: 015 00 00 00",
            "note": "The city's own page.",
        },
        {"url": "https://example.org/b", "date": "2024", "facts": ["hours"]},
        {"url": "https://example.org/c", "date": "2024-05", "facts": ["email"]},
        {"url": "https://example.org/d", "date": "unknown", "facts": ["website"]},
    ],
    "translations": {
        "ar": {
            "name": {
                "text": "كل شيء",
                "from": "en",
                "fingerprint": fingerprint("Everything"),
                "reviewed": False,
            }
        }
    },
}
OPEN: dict[str, Any] = {
    "id": "test-open",
    "topics": ["emergency"],
    "name": {"en": "Emergency 112"},
    "description": {"en": "Call 112."},
    "phone": "112",
    "always_open": True,
    "source": "https://example.org",
    "last_reviewed": "2026-11-25",
    "verified": True,
}

NETWORK_FILE = """\
entries:
  - id: test-everything
    topics: [health-care, emergency]
    name:
      en: "Everything"
      nl: "Alles"
    description:
      en: "All in one."
      nl: "Alles in één."
    keywords:
      en: [GP, family doctor]
      nl: [huisarts]
    website: https://example.org
    address: Grote Markt 1, 2800 Mechelen
    coordinates: [51.0259, 4.4776]
    phone: +32 15 00 00 00
    cost: {en: Free, nl: Gratis}
    appointment: required
    email: info@example.org
    booking: https://example.org/book
    hours:
      mon: [08:30-12:00, 13:00-24:00]
      tue: [13:00-16:00]
    closures:
      - {from: 2026-12-24, to: 2026-12-26, note: {en: Christmas}}
      - {from: 2027-01-01}
    exceptions:
      - {date: 2026-12-31, hours: [09:00-12:00]}
      - {date: 2027-01-02, hours: []}
    temporarily_closed: {since: 2027-02-01}
    languages: [nl, en, ber]
    accessibility: {en: Step-free entrance}
    source: https://example.org/source
    fact_sources:
      - url: https://example.org/a
        date: 2024-05-01
        facts: [address, phone]
        quote: "Grote Markt 1: 015 00 00 00"
        note: The city's own page.
      - url: https://example.org/b
        date: 2024
        facts: [hours]
      - url: https://example.org/c
        date: 2024-05
        facts: [email]
      - url: https://example.org/d
        date: unknown
        facts: [website]
    last_reviewed: 2026-11-25
    verified: false
    see_also: [test-open]

  - id: test-open
    topics: [emergency]
    name:
      en: "Emergency 112"
    description:
      en: "Call 112."
    phone: "112"
    always_open: true
    source: https://example.org
    last_reviewed: 2026-11-25
    verified: true
"""


def small(sample: Knowledge, *entries: dict[str, Any]) -> Knowledge:
    """The sample's topics and intents (lean), one city without entries, and `entries` in the
    network layer."""
    city = sample.cities["jelgava"].model_copy(update={"region": None, "contact": None})
    return Knowledge(
        topics={k: lean(t) for k, t in sample.topics.items()},
        intents={k: lean(i) for k, i in sample.intents.items()},
        network_entries=tuple(Entry.model_validate(e) for e in entries),
        countries={"lv": sample.countries["lv"]},
        country_entries={},
        cities={"jelgava": city},
        city_entries={},
        city_phrasings={},
    )


def write(files: dict[str, str], root: Path) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def loaded(files: dict[str, str], root: Path) -> Knowledge:
    return load_directory(write(files, root))[0]


def test_an_entry_is_written_in_the_key_order_and_style_of_the_sample_files(
    knowledge: Knowledge,
) -> None:
    files = render(small(knowledge, EVERYTHING, OPEN))
    assert files["network/network.yaml"] == NETWORK_FILE


def test_an_entry_with_every_field_loads_back_as_the_same_entry(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    base = small(knowledge, EVERYTHING, OPEN)
    back = loaded(render(base), tmp_path)
    assert back.network_entries == base.network_entries
    assert differences(base, back) == []


def test_translations_go_to_a_file_per_language_not_into_the_entry(
    knowledge: Knowledge,
) -> None:
    files = render(small(knowledge, EVERYTHING, OPEN))
    assert "كل شيء" not in files["network/network.yaml"]
    assert files["translations/ar.yaml"] == (
        "language: ar\n"
        "entries:\n"
        "  test-everything:\n"
        "    name:\n"
        '      text: "كل شيء"\n'
        "      from: en\n"
        f"      fingerprint: {fingerprint('Everything')}\n"
        "      reviewed: false\n"
    )
    assert [p for p in files if p.startswith("translations/")] == ["translations/ar.yaml"]


#: Texts that YAML reads as a number, a date, a boolean, a comment, a list... unless quoted.
TRICKY = [
    "112",
    "yes",
    "null",
    "2024-05-01",
    "1e5",
    "a: b",
    "# not a comment",
    "[not, a, list]",
    "{not: a map}",
    'it\'s "quoted"',
    " leading and trailing ",
    "two\nlines\n",
    "tab\there",
    "zero\u200bwidth and bi\u200fdi",
    "Ελληνικά, العربية, Українська",
    "- dash",
    "%percent",
    "@at",
    "`back`",
    "!tag",
    "&anchor",
    "*alias",
    "|",
    ">",
]


def test_texts_yaml_could_read_as_something_else_load_back_as_written(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    entries = [
        {
            **OPEN,
            "id": f"test-{i}",
            "name": {"en": text},
            "description": {"en": text},
            "cost": {"en": text},
            "keywords": {"en": [text, "plain"]},
            "address": text,
            "fact_sources": [{"url": "https://example.org", "facts": ["address"], "quote": text}],
        }
        for i, text in enumerate(TRICKY)
    ]
    base = small(knowledge, *entries)
    back = loaded(render(base), tmp_path)
    for mine, theirs in zip(base.network_entries, back.network_entries, strict=True):
        assert theirs == mine, mine.address


def test_a_long_text_stays_on_one_line(knowledge: Knowledge) -> None:
    text = "A long description that goes on and on. " * 20
    entry = {**OPEN, "description": {"en": text}, "fact_sources": [], "address": text}
    written = render(small(knowledge, entry))["network/network.yaml"].splitlines()
    assert f'      en: "{text}"' in written
    assert f"    address: {text.strip()}" not in written  # a trailing space needs quotes
    assert f'    address: "{text}"' in written


@pytest.fixture(scope="module")
def sample_files() -> dict[str, str]:
    return {p.relative_to(SAMPLE).as_posix(): p.read_text("utf-8") for p in SAMPLE.rglob("*.yaml")}


@pytest.fixture(scope="module")
def exported(knowledge: Knowledge, sample_files: dict[str, str]) -> dict[str, str]:
    """The sample knowledge exported over the sample files."""
    return render(knowledge, sample_files)


def test_the_sample_exports_as_every_file_of_its_layout(
    exported: dict[str, str], sample_files: dict[str, str]
) -> None:
    assert sorted(exported) == sorted(sample_files)


def test_the_exported_sample_loads_back_as_the_sample(
    knowledge: Knowledge, exported: dict[str, str], tmp_path: Path
) -> None:
    back, warnings = load_directory(write(exported, tmp_path))
    assert differences(knowledge, back) == []
    assert back == knowledge
    assert warnings == []


def test_an_export_keeps_the_opening_comments_of_the_files_it_replaces(
    exported: dict[str, str], sample_files: dict[str, str]
) -> None:
    for path, text in sample_files.items():
        opening = next(line for line in text.splitlines() if line)
        if opening.startswith("#"):
            assert exported[path].splitlines()[0] == opening, path
    assert exported["network/network.yaml"].startswith(
        "# Facts valid in every city of the network.\n"
        "network:\n"
        "  name: {en: Guichet network of welcoming cities}\n"
        "entries:\n"
    )
