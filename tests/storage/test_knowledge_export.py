"""`kb export`: the database's knowledge, with the console's edits, written back as files that
load and import as the same knowledge; the same bytes every time; nothing half-written."""

import difflib
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import Knowledge
from bot.core.knowledge.export import differences
from bot.core.knowledge.loader import load_directory
from bot.storage.editing import FACT_KEYS, Editor, Stored
from bot.storage.knowledge_export import ExportError, export_directory, stored_knowledge
from bot.storage.knowledge_store import import_knowledge, load_knowledge
from bot.storage.staff import Role, StaffStore
from tests.knowledge_parts import only

HOUSE = "mechelen-sociaal-huis"  # phone +32 800 20 800, translated into Arabic
NEW_PHONE = "+32 15 44 51 00"
NEW_ARABIC = "البيت الاجتماعي في ميخلن"


async def live(sessions: async_sessionmaker[AsyncSession]) -> Knowledge:
    found = await load_knowledge(sessions)
    assert found is not None
    return found


@pytest.fixture
async def mechelen(sessions: async_sessionmaker[AsyncSession], knowledge: Knowledge) -> Knowledge:
    """Mechelen's layers of the sample (lean topics), imported, as the database gives them
    back."""
    await import_knowledge(sessions, only(knowledge, "mechelen"), "test")
    return await live(sessions)


def files(root: Path) -> dict[str, bytes]:
    """Every file under `root`, YAML or not."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def leftovers(folder: Path) -> list[str]:
    """Working directories an export left beside its target."""
    return [p.name for p in folder.iterdir() if ".export-" in p.name]


async def test_an_imported_base_exports_as_files_that_load_and_import_as_the_same_knowledge(
    sessions: async_sessionmaker[AsyncSession], mechelen: Knowledge, tmp_path: Path
) -> None:
    """(tests/core/knowledge/test_export.py does the same with the whole sample, without a
    database.)"""
    export_directory(mechelen, tmp_path / "kb")
    back, warnings = load_directory(tmp_path / "kb")  # what `kb check` runs
    assert differences(mechelen, back) == []
    assert back == mechelen
    assert warnings == []
    report = await import_knowledge(sessions, back, str(tmp_path / "kb"))
    assert report.unchanged, report.lines()


async def test_exporting_again_writes_nothing_and_a_fresh_export_has_the_same_bytes(
    mechelen: Knowledge, tmp_path: Path
) -> None:
    first = export_directory(mechelen, tmp_path / "a")
    assert "cities/mechelen.yaml" in first.written and first.unchanged == []
    written = files(tmp_path / "a")
    again = export_directory(mechelen, tmp_path / "a")
    assert again.written == [] and again.removed == []
    assert files(tmp_path / "a") == written
    export_directory(mechelen, tmp_path / "b")
    assert files(tmp_path / "b") == written


async def edit_in_the_console(sessions: async_sessionmaker[AsyncSession]) -> None:
    """A Mechelen editor changes the Sociaal Huis's Arabic name and its phone."""
    who, _token = await StaffStore(sessions).add("Mia", Role.EDITOR, "mechelen")
    editor = Editor(sessions)
    current = await editor.get(who, HOUSE)
    assert current is not None
    saved = await editor.save_texts(who, HOUSE, current.content_hash, "ar", {"name": NEW_ARABIC})
    assert isinstance(saved, Stored), saved
    facts: dict[str, Any] = {k: v for k, v in saved.data.items() if k in FACT_KEYS}
    saved = await editor.save_facts(who, HOUSE, saved.content_hash, {**facts, "phone": NEW_PHONE})
    assert isinstance(saved, Stored), saved


async def test_a_console_edit_shows_in_the_exported_files_as_the_lines_it_changed(
    sessions: async_sessionmaker[AsyncSession], mechelen: Knowledge, tmp_path: Path
) -> None:
    kb = tmp_path / "kb"
    export_directory(mechelen, kb)  # the files as the city keeps them in git
    before = files(kb)
    await edit_in_the_console(sessions)
    stored = await live(sessions)
    done = export_directory(stored, kb)
    assert done.written == ["cities/mechelen.yaml", "translations/ar.yaml"]
    after = files(kb)
    assert changed_lines(before["cities/mechelen.yaml"], after["cities/mechelen.yaml"]) == [
        "-    phone: +32 800 20 800",
        f"+    phone: {NEW_PHONE}",
    ]
    ar = changed_lines(before["translations/ar.yaml"], after["translations/ar.yaml"])
    assert ar[1::2] == [f'+      text: "{NEW_ARABIC}"', "+      reviewed: true"], ar
    back, _warnings = load_directory(kb)
    entry = back.entry(HOUSE)
    assert entry is not None and entry.phone == NEW_PHONE
    assert entry.translations["ar"]["name"].text == NEW_ARABIC
    assert entry.translations["ar"]["name"].reviewed
    assert back == stored
    report = await import_knowledge(sessions, back, str(kb))  # no console edit in the way
    assert report.unchanged, report.lines()


async def test_a_failure_while_moving_the_files_into_place_leaves_the_old_ones(
    sessions: async_sessionmaker[AsyncSession],
    mechelen: Knowledge,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kb = tmp_path / "kb"
    export_directory(mechelen, kb)
    (kb / "cities" / "atlantis.yaml").write_text("city: {slug: atlantis}\n")  # would go
    (kb / "README.md").write_text("Our knowledge\n")
    before = files(kb)
    await edit_in_the_console(sessions)
    stored = await live(sessions)
    calls = 0
    real_replace = os.replace

    def full_disk_once(src: Any, dst: Any) -> None:
        """The second file cannot be moved into place (the first one already was)."""
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full_disk_once)
    with pytest.raises(OSError, match="No space left"):
        export_directory(stored, kb)
    assert files(kb) == before
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    done = export_directory(stored, kb)  # and the next try goes through
    assert done.removed == ["cities/atlantis.yaml"]
    assert (kb / "README.md").read_text() == "Our knowledge\n"


async def test_files_that_would_not_load_as_the_stored_knowledge_are_not_written(
    mechelen: Knowledge, tmp_path: Path
) -> None:
    kb = tmp_path / "kb"
    export_directory(mechelen, kb)
    before = files(kb)
    broken = replace(  # with entries of a city it does not describe
        mechelen,
        city_entries={**mechelen.city_entries, "atlantis": mechelen.city_entries["mechelen"][:1]},
    )
    with pytest.raises(ExportError) as exc:
        export_directory(broken, kb)
    assert exc.value.problems == ["entries of city atlantis would not load back as stored"]
    assert files(kb) == before
    assert leftovers(tmp_path) == []


async def test_files_of_places_no_longer_stored_go_and_other_files_stay(
    mechelen: Knowledge, tmp_path: Path
) -> None:
    kb = tmp_path / "kb"
    export_directory(mechelen, kb)
    others = {
        "README.md": b"# Our knowledge\n",
        "embeddings/vectors.npz": b"\x93NUMPY",
        "research/2026-12-01.txt": b"what we searched\n",
        "cities/notes.txt": b"not a city\n",
    }
    gone = ["cities/brussels.yaml", "regions/palermo.yaml", "translations/de.yaml"]
    for path, data in others.items():
        (kb / path).parent.mkdir(exist_ok=True)
        (kb / path).write_bytes(data)
    for path in gone:
        (kb / path).write_text("# an old file\n")
    done = export_directory(mechelen, kb)
    assert done.removed == sorted(gone)
    assert done.written == []
    after = files(kb)
    assert {p: after[p] for p in others} == others
    assert not any(p in after for p in gone)


async def test_the_stored_knowledge_is_none_before_any_import_and_the_live_one_after(
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    knowledge: Knowledge,
    tmp_path: Path,
) -> None:
    missing = f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"
    assert await stored_knowledge(missing) is None
    assert not (tmp_path / "none.db").exists()
    assert await stored_knowledge(database_url) is None  # migrated, nothing imported
    await import_knowledge(sessions, only(knowledge, "jelgava"), "test")
    assert await stored_knowledge(database_url) == await live(sessions)
