"""`kb check` semantics: every problem with its file and line, and nothing half-loaded."""

from pathlib import Path

import pytest

from bot.core.knowledge.loader import KnowledgeError, load_directory
from tests.core.knowledge.conftest import ROOT, problems


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_sample_knowledge_is_valid() -> None:
    knowledge, _warnings = load_directory(ROOT)
    assert len(knowledge.cities) == 8


def append_entries(city: Path, text: str) -> None:
    """Add entries at the end of a city file (its `entries:` list comes last)."""
    with city.open("a", encoding="utf-8") as fh:
        fh.write("\n" + text)


def test_unknown_topic_is_reported_with_file_and_line(kb: Path) -> None:
    city = kb / "cities" / "mechelen.yaml"
    append_entries(
        city,
        "  - id: mechelen-test-astrology\n"
        "    topics: [astrology]\n"
        "    name: {en: Test, nl: Test}\n"
        "    description: {en: Test, nl: Test}\n"
        "    source: https://example.org\n"
        "    last_reviewed: 2026-11-25\n"
        "    verified: false\n",
    )
    found = problems(kb)
    line = line_of(city, "topics: [astrology]")
    assert any(
        f"cities/mechelen.yaml:{line}:" in p and "unknown topic 'astrology'" in p for p in found
    ), found


def test_bad_hours_duplicate_id_and_broken_reference(kb: Path) -> None:
    city = kb / "cities" / "brussels.yaml"
    append_entries(
        city,
        (
            "  - id: brussels-test-bad-hours\n"
            "    topics: [housing]\n"
            "    name: {en: Test, fr: Test, nl: Test}\n"
            "    description: {en: Test, fr: Test, nl: Test}\n"
            "    hours:\n"
            '      mon: ["25:00-12:00"]\n'
            "    source: https://example.org\n"
            "    last_reviewed: 2026-11-25\n"
            "    verified: false\n"
            "  - id: eu-112\n"
            "    topics: [emergency]\n"
            "    name: {en: Dup, fr: Dup, nl: Dup}\n"
            "    description: {en: Dup, fr: Dup}\n"
            "    source: https://example.org\n"
            "    last_reviewed: 2026-11-25\n"
            "    verified: false\n"
            "    see_also: [no-such-entry]\n"
        ),
    )
    found = problems(kb)
    hours_line = line_of(city, '"25:00-12:00"')
    assert any(
        f"cities/brussels.yaml:{hours_line}:" in p and "bad opening hours" in p for p in found
    ), found
    assert any("duplicate id 'eu-112'" in p and "network/network.yaml" in p for p in found), found
    assert any("broken reference: no entry 'no-such-entry'" in p for p in found), found
    dup_desc = line_of(city, "description: {en: Dup, fr: Dup}")
    assert any(
        f"brussels.yaml:{dup_desc}:" in p and "missing language(s) nl" in p for p in found
    ), found


def test_missing_required_language_in_a_topic(kb: Path) -> None:
    topic = kb / "network" / "topics" / "banking.yaml"
    lines = topic.read_text(encoding="utf-8").splitlines(keepends=True)
    # Drop the Turkish title line.
    title_at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    tr_at = next(i for i in range(title_at, len(lines)) if lines[i].strip().startswith("tr:"))
    del lines[tr_at]
    topic.write_text("".join(lines), encoding="utf-8")
    found = problems(kb)
    assert any("banking.yaml" in p and "title: missing language(s) tr" in p for p in found), found


def test_yaml_syntax_error_names_the_line(kb: Path) -> None:
    city = kb / "cities" / "jelgava.yaml"
    city.write_text(city.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    found = problems(kb)
    assert any("cities/jelgava.yaml" in p and "YAML syntax" in p for p in found), found


def test_every_problem_is_reported_not_only_the_first(kb: Path) -> None:
    (kb / "cities" / "capaci.yaml").write_text("city: {slug: capaci}\n", encoding="utf-8")
    (kb / "cities" / "livadia.yaml").write_text("- not a mapping\n", encoding="utf-8")
    found = problems(kb)
    assert any("capaci.yaml" in p for p in found)
    assert any("livadia.yaml" in p for p in found)


def all_problems(path: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as exc:
        load_directory(path)
    return [str(p) for p in exc.value.problems]


def test_a_duplicate_id_with_another_error_is_reported_after_that_error(kb: Path) -> None:
    city = kb / "cities" / "brussels.yaml"
    append_entries(
        city,
        "  - id: eu-112\n"
        "    topics: [emergency]\n"
        "    name: {en: Dup, fr: Dup, nl: Dup}\n"
        "    description: {en: Dup, fr: Dup, nl: Dup}\n"
        "    hours:\n"
        '      mon: ["25:00-12:00"]\n'
        "    source: https://example.org\n"
        "    last_reviewed: 2026-11-25\n"
        "    verified: false\n",
    )
    found = all_problems(kb)
    hours = f"knowledge/cities/brussels.yaml:{line_of(city, '25:00-12:00')}: error: "
    dup_line = line_of(city, "- id: eu-112")
    duplicate = (
        f"knowledge/cities/brussels.yaml:{dup_line}: error: duplicate id 'eu-112' "
        "(first used in knowledge/network/network.yaml:5)"
    )
    assert [p.startswith(hours) and "bad opening hours" in p for p in found] == [True, False]
    assert found[1] == duplicate


def test_a_reference_to_an_entry_with_errors_is_not_called_broken(kb: Path) -> None:
    city = kb / "cities" / "brussels.yaml"
    text = city.read_text(encoding="utf-8")
    # brussels-foreigners is referenced by another entry; give it an error of its own.
    at = text.index("  - id: brussels-foreigners\n")
    city.write_text(
        text[:at] + "  - id: brussels-foreigners\n    colour: blue\n" + text[at + 28 :],
        encoding="utf-8",
    )
    found = all_problems(kb)
    assert len(found) == 1, found
    assert "colour: unknown field" in found[0]
    assert "broken reference" not in found[0]


def test_a_contact_with_errors_and_a_country_with_errors_cause_nothing_else(kb: Path) -> None:
    city = kb / "cities" / "brussels.yaml"
    text = city.read_text(encoding="utf-8")
    at = text.index("  - id: brussels-city-hall\n")
    city.write_text(
        text[:at] + "  - id: brussels-city-hall\n    colour: blue\n" + text[at + 27 :],
        encoding="utf-8",
    )
    country = kb / "countries" / "be.yaml"
    country.write_text(
        country.read_text(encoding="utf-8").replace("country:\n", "country:\n  flag: yes\n", 1),
        encoding="utf-8",
    )
    found = all_problems(kb)
    assert [p.split(": error: ")[1] for p in found] == [
        f"entries[{brussels_index(city, 'brussels-city-hall')}].colour: unknown field",
        "country.flag: unknown field",
    ], found


def brussels_index(city: Path, entry_id: str) -> int:
    ids = [
        line for line in city.read_text(encoding="utf-8").splitlines() if line.startswith("  - id:")
    ]
    return ids.index(f"  - id: {entry_id}")


def test_a_broken_reference_and_an_unknown_country_are_still_errors(kb: Path) -> None:
    city = kb / "cities" / "capaci.yaml"
    text = city.read_text(encoding="utf-8").replace("  country: it\n", "  country: xx\n")
    city.write_text(text, encoding="utf-8")
    append_entries(
        kb / "cities" / "jelgava.yaml",
        "  - id: jelgava-test\n"
        "    topics: [housing]\n"
        "    name: {en: T, lv: T}\n"
        "    description: {en: T, lv: T}\n"
        "    source: https://example.org\n"
        "    last_reviewed: 2026-11-25\n"
        "    verified: false\n"
        "    see_also: [nowhere]\n",
    )
    found = all_problems(kb)
    assert [p.split(": error: ")[1] for p in found] == [
        "unknown country 'xx' (no countries/xx.yaml)",
        "broken reference: no entry 'nowhere'",
    ], found


def test_a_topic_a_city_does_not_cover_is_a_warning_not_an_error(kb: Path) -> None:
    city = kb / "cities" / "jelgava.yaml"
    knowledge, _ = load_directory(kb)
    kept = [t for t in knowledge.topics if t not in knowledge.missing_topics("jelgava")]
    assert "banking" in kept
    # Take banking from every layer Jelgava reads: the network, Latvia and Jelgava itself.
    for path in (kb / "network" / "network.yaml", kb / "countries" / "lv.yaml", city):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("[banking]", "[employment]").replace("banking, ", ""), "utf-8")
    _, warnings = load_directory(kb)
    assert [str(w) for w in warnings] == [
        "knowledge/cities/jelgava.yaml:1: warning: topic 'banking' has no entry for this city "
        "(city, country or network)"
    ]


def test_a_file_edited_between_two_checks_is_read_anew(kb: Path) -> None:
    """Unchanged files are not parsed twice; an edited one is, even back to a known text."""
    load_directory(kb)
    city = kb / "cities" / "capaci.yaml"
    original = city.read_text(encoding="utf-8")
    city.write_text(original.replace("slug: capaci", "slug: [capaci"), encoding="utf-8")
    assert any("YAML syntax" in p for p in problems(kb))
    city.write_text(original, encoding="utf-8")
    knowledge, _warnings = load_directory(kb)
    assert "capaci" in knowledge.cities
