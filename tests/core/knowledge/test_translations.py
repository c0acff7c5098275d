"""Translations of entry texts: where they come from, whether a person checked them, and when
they fall out of date. Regions: a layer between country and city."""

from pathlib import Path

from bot.core.knowledge.loader import load_directory
from bot.core.knowledge.model import fingerprint
from tests.core.knowledge.conftest import ROOT
from tests.core.knowledge.conftest import problems as errors


def write_translation(kb: Path, lang: str, body: str) -> Path:
    path = kb / "translations" / f"{lang}.yaml"
    path.write_text(f"language: {lang}\nentries:\n{body}", encoding="utf-8")
    return path


EN_112 = "European emergency number 112"


def test_a_translation_is_shown_with_its_status(kb: Path) -> None:
    knowledge, _ = load_directory(kb)
    entry = knowledge.entry("eu-112")
    assert entry is not None
    text = entry.text("name", "tr")
    assert text is not None and text.status == "unreviewed" and text.text != entry.name["en"]
    own = entry.text("name", "en")
    assert own is not None and own.status == "original"


def test_a_changed_source_makes_its_translations_outdated_not_gone(kb: Path) -> None:
    network = kb / "network" / "network.yaml"
    text = network.read_text(encoding="utf-8")
    original = knowledge_name(kb, "eu-112")
    network.write_text(text.replace(original, "EU emergency number 112", 1), encoding="utf-8")
    knowledge, warnings = load_directory(kb)
    entry = knowledge.entry("eu-112")
    assert entry is not None
    shown = entry.text("name", "ar")
    assert shown is not None and shown.status == "outdated" and shown.text  # still shown
    outdated = [str(w) for w in warnings if "outdated: eu-112.name" in str(w)]
    assert len(outdated) == 11, outdated  # one per language it was translated into
    assert all(w.startswith("knowledge/translations/") for w in outdated)


def knowledge_name(kb: Path, entry_id: str) -> str:
    knowledge, _ = load_directory(kb)
    entry = knowledge.entry(entry_id)
    assert entry is not None
    return entry.name["en"]


def test_a_reviewed_translation_is_reviewed(kb: Path) -> None:
    name = knowledge_name(kb, "eu-112")
    write_translation(
        kb,
        "tr",
        "  eu-112:\n"
        "    name:\n"
        '      text: "Avrupa acil durum numarası 112"\n'
        "      from: en\n"
        f"      fingerprint: {fingerprint(name)}\n"
        "      reviewed: true\n",
    )
    knowledge, _ = load_directory(kb)
    entry = knowledge.entry("eu-112")
    assert entry is not None
    shown = entry.text("name", "tr")
    assert shown is not None and shown.status == "reviewed"
    # the rest of the Turkish file is gone with this rewrite: missing, not invented
    assert entry.text_status("description", "tr") == "missing"


def test_bad_translations_are_errors_with_file_and_line(kb: Path) -> None:
    path = write_translation(
        kb,
        "fr",
        "  eu-112:\n"
        "    name:\n"
        '      text: "Numéro"\n'
        "      from: lv\n"  # line 6: the entry has no Latvian name to translate from
        "      fingerprint: 0123456789ab\n"
        "  be-poison-centre:\n"
        "    description:\n"  # written in French in the entry itself (line 10: its text)
        '      text: "Centre"\n'
        "      from: en\n"
        "      fingerprint: 0123456789ab\n"
        "  be-cgra:\n"
        "    name:\n"
        '      text: "CGRA"\n'
        "      from: en\n"
        "      fingerprint: not-a-hash\n",  # line 17
    )
    found = errors(kb)
    label = "knowledge/translations/fr.yaml"
    assert f"{label}:6: error: eu-112.name has no text in 'lv' to translate from" in found
    assert (
        f"{label}:10: error: be-poison-centre.description is already written in fr in its own file"
        in found
    )
    assert any(p.startswith(f"{label}:17: error: entries.be-cgra.name.fingerprint") for p in found)
    assert path.exists()


def test_a_translation_of_a_removed_entry_is_a_warning(kb: Path) -> None:
    write_translation(
        kb,
        "lv",
        '  gone-entry:\n    name: {text: "X", from: en, fingerprint: 0123456789ab}\n',
    )
    _, warnings = load_directory(kb)
    assert any("no entry 'gone-entry': this translation is not used" in str(w) for w in warnings)


def test_the_sample_base_has_every_text_in_every_language() -> None:
    knowledge, _ = load_directory(ROOT)
    from bot.core.knowledge.coverage import coverage, missing_texts

    assert missing_texts(coverage(knowledge)) == 0


# -- regions ---------------------------------------------------------------------------------


def test_a_region_sits_between_country_and_city() -> None:
    knowledge, _ = load_directory(ROOT)
    assert knowledge.cities["brussels"].region == "brussels-capital"
    assert knowledge.cities["mechelen"].region == "flanders"
    ids = [e.id for e in knowledge.layered_entries("schaerbeek")]
    # city, then region, then country, then network
    assert ids.index("schaerbeek-cpas") < ids.index("be-actiris") < ids.index("be-cgra")
    assert ids.index("be-cgra") < ids.index("eu-112")
    assert "be-actiris" not in {e.id for e in knowledge.layered_entries("mechelen")}
    assert "be-vdab" in {e.id for e in knowledge.layered_entries("mechelen")}


def test_a_city_in_an_unknown_region_or_another_countrys_region_is_an_error(kb: Path) -> None:
    city = kb / "cities" / "jelgava.yaml"
    city.write_text(
        city.read_text(encoding="utf-8").replace("  country: lv\n", "  country: lv\n  region: x\n"),
        encoding="utf-8",
    )
    other = kb / "cities" / "livadia.yaml"
    other.write_text(
        other.read_text(encoding="utf-8").replace("region: central-greece", "region: flanders"),
        encoding="utf-8",
    )
    found = errors(kb)
    assert any("cities/jelgava.yaml" in p and "unknown region 'x'" in p for p in found), found
    assert any(
        "cities/livadia.yaml" in p and "region 'flanders' is in 'be', not in 'gr'" in p
        for p in found
    ), found


def test_a_learning_city_names_its_mentor_and_not_itself(kb: Path) -> None:
    knowledge, _ = load_directory(kb)
    pairs = {c.slug: c.mentor for c in knowledge.cities.values() if c.mentor}
    assert pairs == {
        "saint-jean-de-la-ruelle": "brussels",
        "capaci": "mechelen",
        "livadia": "fuenlabrada",
        "jelgava": "schaerbeek",
    }
    city = kb / "cities" / "jelgava.yaml"
    text = city.read_text(encoding="utf-8")
    city.write_text(text.replace("mentor: schaerbeek", "mentor: jelgava"), encoding="utf-8")
    found = errors(kb)
    line = text.split("\n").index("  mentor: schaerbeek") + 1
    assert f"cities/jelgava.yaml:{line}: error: a city cannot be its own mentor" in " ".join(found)


def test_a_mentor_outside_the_files_is_a_warning_only(kb: Path) -> None:
    (kb / "cities" / "schaerbeek.yaml").unlink()
    knowledge, warnings = load_directory(kb)
    assert knowledge.cities["jelgava"].mentor == "schaerbeek"
    assert any("jelgava.yaml" in str(w) and "mentor 'schaerbeek'" in str(w) for w in warnings)
