"""Translators' spreadsheets: a city's texts go out as XLSX and come back through the Editor,
all of a sheet or nothing, with every problem named by its row."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.i18n import Message
from bot.core.knowledge import Knowledge
from bot.core.knowledge.model import TEXT_FIELDS, fingerprint
from bot.storage import sheets
from bot.storage.editing import Editor, EntryTexts, Invalid, Stored, TextEdit, Together
from bot.storage.knowledge_store import import_knowledge, load_knowledge
from bot.storage.models import AuditEvent, EntryRevision, KbEntry, KnowledgeVersion
from bot.storage.network import Network
from bot.storage.sheet_book import HEADERS, SheetRow, TooManyRows, read_book, write_book
from bot.storage.sheets import Say, SheetRefused, export_sheet, import_sheet, sheet_filename
from bot.storage.staff import Role, Staff, StaffStore

CITY_HALL = "mechelen-city-hall"


@dataclass
class Desk:
    editor: Editor
    store: StaffStore
    knowledge: Knowledge

    async def person(
        self, role: Role, city: str | None = "mechelen", languages: tuple[str, ...] = ()
    ) -> Staff:
        org = None
        if role is Role.COORDINATOR and city is not None:
            org = await Network(self.store.sessions).organisation(city, "Red Cross")
        who, _ = await self.store.add(
            f"{role.value} {city}", role, city, list(languages), organisation_id=org
        )
        return who

    async def stored(self, who: Staff, entry_id: str) -> Stored:
        found = await self.editor.get(who, entry_id)
        assert found is not None
        return found


@pytest.fixture
async def desk(sessions: async_sessionmaker[AsyncSession], knowledge: Knowledge) -> Desk:
    await import_knowledge(sessions, knowledge, "test")
    return Desk(Editor(sessions), StaffStore(sessions), knowledge)


# --- reading and changing a sheet as a translator's spreadsheet program would -----------------


def rows_of(data: bytes) -> dict[str, dict[str, str]]:
    """The texts sheet's rows by id, as header -> value."""
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    lines = list(ws.iter_rows(values_only=True))
    return {
        str(line[0]): {h: "" if v is None else str(v) for h, v in zip(HEADERS, line, strict=True)}
        for line in lines[1:]
    }


def edited(data: bytes, change: Callable[[Any, Any], None]) -> bytes:
    """The file after `change(workbook, texts sheet)`, saved again."""
    wb = load_workbook(io.BytesIO(data))
    change(wb, wb.worksheets[0])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row_number(ws: Any, ident: str) -> int:
    for cells in ws.iter_rows(min_row=2):
        if cells[0].value == ident:
            return int(cells[0].row)
    raise AssertionError(f"no row {ident}")


def translate(texts: Mapping[str, str | float]) -> Callable[[Any, Any], None]:
    """Write these translations (by row id) in the translation column."""
    column = HEADERS.index("translation") + 1

    def change(_: Any, ws: Any) -> None:
        for ident, text in texts.items():
            ws.cell(row=row_number(ws, ident), column=column, value=text)

    return change


def both(*changes: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def change(wb: Any, ws: Any) -> None:
        for one in changes:
            one(wb, ws)

    return change


def set_cell(ident: str, header: str, value: str) -> Callable[[Any, Any], None]:
    def change(_: Any, ws: Any) -> None:
        ws.cell(row=row_number(ws, ident), column=HEADERS.index(header) + 1, value=value)

    return change


async def snapshot(
    sessions: async_sessionmaker[AsyncSession],
) -> tuple[dict[str, str], int, int, int]:
    """Everything an import could change: entries, revisions, audit lines, versions."""
    async with sessions() as session:
        rows = await session.execute(select(KbEntry.id, KbEntry.content_hash))
        hashes = {entry_id: digest for entry_id, digest in rows}
        revisions, audits, versions = [
            await session.scalar(select(func.count()).select_from(model)) or 0
            for model in (EntryRevision, AuditEvent, KnowledgeVersion)
        ]
    return hashes, revisions, audits, versions


# --- export ----------------------------------------------------------------------------------


async def test_export_has_a_row_for_every_text_of_the_citys_entries_with_its_status(
    desk: Desk,
) -> None:
    mia = await desk.person(Role.EDITOR)
    rows = rows_of(await export_sheet(desk.editor, mia, "mechelen", "ar"))
    own = desk.knowledge.own_entries("mechelen")
    assert set(rows) == {f"{e.id}/{f}" for e in own for f in TEXT_FIELDS if e.originals(f)}
    for entry in own:
        for name in TEXT_FIELDS:
            if not entry.originals(name):
                continue
            row = rows[f"{entry.id}/{name}"]
            found = entry.text(name, "ar")
            assert row["status"] == entry.text_status(name, "ar")
            assert row["translation"] == (found.text if found else "")
            assert row["entry"] == entry.name["en"]
            assert row["language"] == "ar"
            source = entry.originals(name)[row["source language"]]
            assert row["source text"] == source
            assert row["source fingerprint"] == fingerprint(source)


async def test_export_in_a_language_the_entries_are_written_in_marks_them_original(
    desk: Desk,
) -> None:
    mia = await desk.person(Role.EDITOR)
    rows = rows_of(await export_sheet(desk.editor, mia, "mechelen", "nl"))
    assert {r["status"] for r in rows.values()} == {"original"}
    hall = rows[f"{CITY_HALL}/name"]
    assert (hall["source language"], hall["translation"]) == (
        "en",
        "Stad Mechelen (Huis van de Mechelaar)",
    )


@pytest.mark.parametrize(("language", "rtl"), [("ar", True), ("fa", True), ("fr", False)])
async def test_sheet_is_frozen_protected_and_right_to_left_for_arabic_script(
    desk: Desk, language: str, rtl: bool
) -> None:
    mia = await desk.person(Role.EDITOR)
    wb = load_workbook(io.BytesIO(await export_sheet(desk.editor, mia, "mechelen", language)))
    ws = wb.worksheets[0]
    assert ws.sheet_view.rightToLeft is rtl
    assert ws.freeze_panes == "A2"
    assert ws.protection.sheet
    unlocked = {h for h, cell in zip(HEADERS, ws[2], strict=True) if not cell.protection.locked}
    assert unlocked == {"translation"}
    hidden = {h for i, h in enumerate(HEADERS) if ws.column_dimensions[chr(65 + i)].hidden}
    assert hidden == {"language", "source fingerprint", "text fingerprint"}
    assert all(cell.alignment.wrap_text for cell in ws[2])


async def test_a_text_that_looks_like_a_formula_is_exported_as_text(desk: Desk) -> None:
    mia = await desk.person(Role.EDITOR)
    hall = await desk.stored(mia, CITY_HALL)
    await desk.editor.save_texts(mia, CITY_HALL, hall.content_hash, "ar", {"name": "=1+1"})
    data = await export_sheet(desk.editor, mia, "mechelen", "ar")
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    cell = ws.cell(row=row_number(ws, f"{CITY_HALL}/name"), column=HEADERS.index("translation") + 1)
    assert (cell.value, cell.data_type) == ("=1+1", "s")


async def test_export_is_refused_for_a_language_or_city_not_ones_own(desk: Desk) -> None:
    translator = await desk.person(Role.TRANSLATOR, languages=("ar",))
    with pytest.raises(SheetRefused, match="'fa'"):
        await export_sheet(desk.editor, translator, "mechelen", "fa")
    with pytest.raises(SheetRefused, match="'brussels'"):
        await export_sheet(desk.editor, translator, "brussels", "ar")
    with pytest.raises(SheetRefused, match="unknown language"):
        await export_sheet(desk.editor, translator, "mechelen", "xx")
    assert sheet_filename("mechelen", "ar").startswith("guichet-mechelen-ar-")


# --- import ----------------------------------------------------------------------------------


async def test_round_trip_saves_the_changed_translations_and_skips_the_rest(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mia = await desk.person(Role.EDITOR)
    data = await export_sheet(desk.editor, mia, "mechelen", "ar")
    before = await snapshot(sessions)
    changes = {f"{CITY_HALL}/name": "بلدية ميخلن", "mechelen-sociaal-huis/description": "وصف جديد"}
    result = await import_sheet(desk.editor, mia, edited(data, translate(changes)))

    assert result.ok and not result.warnings, result
    assert set(result.saved) == set(changes)
    assert result.unchanged == len(rows_of(data)) - 2
    for ident, text in changes.items():
        entry_id, _, name = ident.partition("/")
        found = (await desk.stored(mia, entry_id)).entry.text(name, "ar")  # type: ignore[arg-type]
        assert found is not None and (found.text, found.status) == (text, "reviewed")
    untouched = (await desk.stored(mia, CITY_HALL)).entry.text("description", "ar")
    assert untouched is not None and untouched.status == "unreviewed"
    history = await desk.editor.revisions(mia, CITY_HALL)
    assert [(r.action, r.staff_id) for r in history or []] == [("texts", mia.id), ("import", None)]

    hashes, revisions, audits, versions = await snapshot(sessions)
    assert (revisions, audits, versions) == (
        before[1] + 4,  # per entry: the imported version kept, and the new one
        before[2] + 2,  # one line per entry
        before[3] + 1,  # one knowledge version for the whole sheet
    )
    live = await load_knowledge(sessions)  # what every bot process reloads
    hall = live.entry(CITY_HALL) if live is not None else None
    assert hall is not None and hall.translations["ar"]["name"].text == "بلدية ميخلن"

    # The same file again: every row is as the database has it now; nothing is written.
    again = await import_sheet(desk.editor, mia, edited(data, translate(changes)))
    assert again.ok and again.saved == () and again.unchanged == len(rows_of(data))
    assert await snapshot(sessions) == (hashes, revisions, audits, versions)

    # A new export shows the saved translations as reviewed.
    fresh = rows_of(await export_sheet(desk.editor, mia, "mechelen", "ar"))
    assert {fresh[i]["status"] for i in changes} == {"reviewed"}


@pytest.mark.parametrize(
    ("role", "languages"), [(Role.TRANSLATOR, ("ar",)), (Role.EDITOR, ()), (Role.ADMIN, ())]
)
async def test_whoever_may_write_the_language_saves_reviewed_translations(
    desk: Desk, role: Role, languages: tuple[str, ...]
) -> None:
    who = await desk.person(role, None if role is Role.ADMIN else "mechelen", languages)
    data = await export_sheet(desk.editor, who, "mechelen", "ar")
    school = "mechelen-school-registration"
    result = await import_sheet(
        desk.editor, who, edited(data, translate({f"{school}/cost": "مجانًا للجميع"}))
    )
    assert result.ok, result
    found = (await desk.stored(who, school)).entry.text("cost", "ar")
    assert found is not None and (found.text, found.status) == ("مجانًا للجميع", "reviewed")


async def test_a_translator_cannot_import_another_language(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mia = await desk.person(Role.EDITOR)
    farsi = await desk.person(Role.TRANSLATOR, languages=("fa",))
    coordinator = await desk.person(Role.COORDINATOR)
    data = edited(
        await export_sheet(desk.editor, mia, "mechelen", "ar"),
        translate({f"{CITY_HALL}/name": "بلدية ميخلن"}),
    )
    before = await snapshot(sessions)
    for who in (farsi, coordinator):
        result = await import_sheet(desk.editor, who, data)
        assert [str(p) for p in result.errors] == [Say.NOT_YOUR_LANGUAGE.format(language="ar")]
        assert result.saved == ()
    assert await snapshot(sessions) == before


async def test_a_sheet_exported_for_another_city_is_refused(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mia = await desk.person(Role.EDITOR)
    brussels = await desk.person(Role.EDITOR, "brussels")
    data = edited(
        await export_sheet(desk.editor, mia, "mechelen", "ar"),
        translate({f"{CITY_HALL}/name": "بلدية ميخلن"}),
    )
    before = await snapshot(sessions)
    result = await import_sheet(desk.editor, brussels, data)
    assert [str(p) for p in result.errors] == [Say.NOT_YOUR_CITY.format(city="mechelen")]
    assert await snapshot(sessions) == before
    # Even with its about sheet claiming Brussels, Mechelen's rows are not Brussels' to change.
    relabelled = edited(data, lambda wb, _: wb["about"].cell(row=2, column=2, value="brussels"))
    result = await import_sheet(desk.editor, brussels, relabelled)
    assert not result.ok and all(
        p.row is not None and "no entry" in str(p.message) for p in result.errors
    )
    assert len(result.errors) == len(rows_of(data))
    assert await snapshot(sessions) == before


def _rename_header(wb: Any, ws: Any) -> None:
    ws.cell(row=1, column=HEADERS.index("translation") + 1, value="my translation")


def _drop_column(wb: Any, ws: Any) -> None:
    ws.protection.sheet = False
    ws.delete_cols(HEADERS.index("status") + 1)


def _drop_about(wb: Any, ws: Any) -> None:
    del wb["about"]


HALL_NAME, HALL_TEXT = f"{CITY_HALL}/name", f"{CITY_HALL}/description"
CPAS = "mechelen-sociaal-huis/description"
BROKEN: dict[str, tuple[Callable[[Any, Any], None], str, str | None]] = {
    # what is done to the sheet, what the error says, and which row it names (None: the file)
    "renamed header": (_rename_header, "should be headed 'translation'", "header"),
    "missing column": (_drop_column, "should be headed 'status'", "header"),
    "about sheet removed": (_drop_about, "its 'about' sheet", None),
    "unknown id": (set_cell(HALL_TEXT, "id", f"{CITY_HALL}/opening"), "not an id", HALL_TEXT),
    "unknown entry": (set_cell(HALL_TEXT, "id", "no-such-entry/name"), "no entry", HALL_TEXT),
    "duplicate id": (set_cell(HALL_TEXT, "id", HALL_NAME), "also on row", HALL_TEXT),
    "a field the entry lacks": (
        set_cell(HALL_TEXT, "id", f"{CITY_HALL}/cost"),
        "no cost",
        HALL_TEXT,
    ),
    "another city's entry": (
        set_cell(HALL_TEXT, "id", "brussels-cpas/name"),
        "no entry 'brussels-cpas' in mechelen",
        HALL_TEXT,
    ),
    "language cell": (set_cell(HALL_TEXT, "language", "fa"), "is for 'fa'", HALL_TEXT),
    "fingerprint garbled": (
        set_cell(HALL_TEXT, "source fingerprint", "12"),
        "fingerprint columns",
        HALL_TEXT,
    ),
    "source language changed": (
        both(set_cell(HALL_TEXT, "source language", "fr"), translate({HALL_TEXT: "نص"})),
        "no description text in 'fr'",
        HALL_TEXT,
    ),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
async def test_a_broken_sheet_changes_nothing_and_names_the_row(
    desk: Desk, sessions: async_sessionmaker[AsyncSession], kind: str
) -> None:
    mia = await desk.person(Role.EDITOR)
    data = await export_sheet(desk.editor, mia, "mechelen", "ar")
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    breakage, says, where = BROKEN[kind]
    row = None if where is None else 1 if where == "header" else row_number(ws, where)
    before = await snapshot(sessions)
    good_rows = translate({HALL_NAME: "بلدية ميخلن", CPAS: "وصف جديد"})
    result = await import_sheet(desk.editor, mia, edited(data, both(good_rows, breakage)))
    assert not result.ok and result.saved == () and result.warnings == ()
    assert [p.row for p in result.errors if says in str(p.message)][:1] == [row], result.errors
    assert await snapshot(sessions) == before


async def test_blank_rows_are_skipped_and_a_row_without_an_id_is_named(desk: Desk) -> None:
    mia = await desk.person(Role.EDITOR)
    data = await export_sheet(desk.editor, mia, "mechelen", "ar")

    def add_rows(_: Any, ws: Any) -> None:
        ws.insert_rows(3, amount=2)  # two blank rows in the middle
        ws.cell(row=ws.max_row + 2, column=HEADERS.index("translation") + 1, value="نص")

    changed = edited(data, add_rows)
    last = load_workbook(io.BytesIO(changed)).worksheets[0].max_row
    result = await import_sheet(desk.editor, mia, changed)
    assert [str(p) for p in result.errors] == [f"Row {last}: {Say.NO_ID}"]
    assert result.unchanged == len(rows_of(data))


def test_a_sheet_longer_than_any_citys_is_not_read_to_its_end() -> None:
    rows = [SheetRow(f"e/{i}", "", "name", "en", "", "", "", "ar", "", "") for i in range(5)]
    data = write_book("t", [("format", "x")], rows, rtl=False)
    assert len(read_book(data, max_rows=5).rows) == 5
    with pytest.raises(TooManyRows):
        read_book(data, max_rows=4)


async def test_a_sheet_for_an_unknown_language_or_too_long_is_refused(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    mia = await desk.person(Role.EDITOR)
    data = await export_sheet(desk.editor, mia, "mechelen", "ar")
    klingon = edited(data, lambda wb, _: wb["about"].cell(row=3, column=2, value="tlh"))
    result = await import_sheet(desk.editor, mia, klingon)
    assert [str(p) for p in result.errors] == [Say.UNKNOWN_LANGUAGE.format(language="tlh")]
    monkeypatch.setattr(sheets, "MAX_ROWS", 3)
    result = await import_sheet(desk.editor, mia, data)
    assert [str(p) for p in result.errors] == [Say.TOO_LONG]


async def test_a_number_in_a_translation_cell_is_saved_as_its_text(desk: Desk) -> None:
    mia = await desk.person(Role.EDITOR)
    data = await export_sheet(desk.editor, mia, "mechelen", "ar")
    cost = "mechelen-school-registration/cost"
    result = await import_sheet(desk.editor, mia, edited(data, translate({cost: 112.0})))
    assert result.ok and result.saved == (cost,)
    saved = (await desk.stored(mia, "mechelen-school-registration")).entry.text("cost", "ar")
    assert saved is not None and saved.text == "112"


async def test_a_refusal_by_the_editors_checks_is_put_on_the_row_of_its_field(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The sheet's own checks leave the Editor nothing to refuse today; should its rules grow,
    what it says lands on the row it is about."""

    class Stricter(Editor):
        async def save_texts_together(self, who: Staff, language: str, changes: Any) -> Any:
            first = changes[0].entry_id
            return Together(
                {}, {first: Invalid({f"translations.{language}.name.text": [Message("no")]})}
            )

    mia = await desk.person(Role.EDITOR)
    data = await export_sheet(desk.editor, mia, "mechelen", "ar")
    sheet = edited(data, translate({HALL_NAME: "بلدية ميخلن", HALL_TEXT: "نص"}))
    result = await import_sheet(Stricter(sessions), mia, sheet)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [(p.row, str(p.message)) for p in result.errors] == [
        (row_number(ws, HALL_NAME), f"{CITY_HALL}: no")
    ]


async def test_a_file_that_is_not_a_spreadsheet_is_refused(desk: Desk) -> None:
    mia = await desk.person(Role.EDITOR)
    result = await import_sheet(desk.editor, mia, b"id,translation\nx,y\n")
    assert [str(p) for p in result.errors] == [Say.UNREADABLE]
    too_large = await import_sheet(desk.editor, mia, b"x" * 5_000_001)
    assert [str(p) for p in too_large.errors] == [Say.TOO_LARGE]


async def test_a_text_changed_in_the_console_since_the_export_is_not_overwritten(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mia = await desk.person(Role.EDITOR)
    data = await export_sheet(desk.editor, mia, "mechelen", "ar")
    hall = await desk.stored(mia, CITY_HALL)
    await desk.editor.save_texts(mia, CITY_HALL, hall.content_hash, "ar", {"name": "من الكونسول"})
    before = await snapshot(sessions)

    clash = await import_sheet(
        desk.editor, mia, edited(data, translate({HALL_NAME: "من الجدول", CPAS: "وصف"}))
    )
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [(p.row, str(p.message)) for p in clash.errors] == [
        (row_number(ws, HALL_NAME), Say.CHANGED_SINCE)
    ]
    assert await snapshot(sessions) == before

    # A sheet that leaves that row as exported saves its other rows and keeps the console's.
    fine = await import_sheet(desk.editor, mia, edited(data, translate({CPAS: "وصف"})))
    assert fine.ok and fine.saved == (CPAS,)
    kept = (await desk.stored(mia, CITY_HALL)).entry.text("name", "ar")
    assert kept is not None and kept.text == "من الكونسول"


async def test_a_translation_of_a_source_changed_since_the_export_is_saved_as_outdated(
    desk: Desk,
) -> None:
    mia = await desk.person(Role.EDITOR)
    data = await export_sheet(desk.editor, mia, "mechelen", "ar")
    hall = await desk.stored(mia, CITY_HALL)
    await desk.editor.save_texts(mia, CITY_HALL, hall.content_hash, "en", {"description": "New."})
    result = await import_sheet(desk.editor, mia, edited(data, translate({HALL_TEXT: "نص مترجم"})))
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert result.ok and result.saved == (HALL_TEXT,)
    assert [(p.row, str(p.message)) for p in result.warnings] == [
        (row_number(ws, HALL_TEXT), Say.SOURCE_CHANGED.format(source="en"))
    ]
    found = (await desk.stored(mia, CITY_HALL)).entry.text("description", "ar")
    assert found is not None and (found.text, found.status) == ("نص مترجم", "outdated")
    assert rows_of(data)[HALL_TEXT]["source fingerprint"] == (
        (await desk.stored(mia, CITY_HALL)).entry.translations["ar"]["description"].fingerprint
    )


async def test_an_emptied_cell_removes_nothing(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mia = await desk.person(Role.EDITOR)
    ar = await export_sheet(desk.editor, mia, "mechelen", "ar")
    before = await snapshot(sessions)
    result = await import_sheet(desk.editor, mia, edited(ar, translate({HALL_NAME: ""})))
    assert (
        result.ok
        and result.saved == ()
        and [str(p.message) for p in result.warnings] == [Say.EMPTIED]
    )
    assert await snapshot(sessions) == before
    nl = await export_sheet(desk.editor, mia, "mechelen", "nl")
    result = await import_sheet(desk.editor, mia, edited(nl, translate({HALL_NAME: ""})))
    assert [str(p.message) for p in result.errors] == [Say.EMPTIED_ORIGINAL]
    assert await snapshot(sessions) == before


async def test_an_original_text_is_changed_from_its_own_language_sheet(desk: Desk) -> None:
    mia = await desk.person(Role.EDITOR)
    nl = await export_sheet(desk.editor, mia, "mechelen", "nl")
    result = await import_sheet(
        desk.editor, mia, edited(nl, translate({HALL_NAME: "Stad Mechelen"}))
    )
    assert result.ok and result.saved == (HALL_NAME,)
    assert (await desk.stored(mia, CITY_HALL)).entry.name["nl"] == "Stad Mechelen"


async def test_an_entry_changed_while_importing_leaves_every_entry_as_it_was(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A console save lands between the sheet's check and its save: the whole sheet is
    refused, including the entries saved before the one that clashed."""

    class Racing(Editor):
        async def save_texts_together(self, who: Staff, language: str, changes: Any) -> Any:
            last = await self.get(who, "mechelen-sociaal-huis")
            assert last is not None
            await self.save_texts(
                who, "mechelen-sociaal-huis", last.content_hash, "en", {"description": "New."}
            )
            return await super().save_texts_together(who, language, changes)

    mia = await desk.person(Role.EDITOR)
    data = await export_sheet(desk.editor, mia, "mechelen", "ar")
    racing = Racing(sessions)
    before = await snapshot(sessions)
    result = await import_sheet(
        racing, mia, edited(data, translate({HALL_NAME: "بلدية ميخلن", CPAS: "وصف جديد"}))
    )
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [(p.row, str(p.message)) for p in result.errors] == [
        (row_number(ws, CPAS), Say.CHANGED_WHILE.format(entry="mechelen-sociaal-huis"))
    ]
    hashes, revisions, audits, versions = await snapshot(sessions)
    assert hashes[CITY_HALL] == before[0][CITY_HALL]
    assert (revisions, audits, versions) == (before[1] + 2, before[2] + 1, before[3] + 1)


async def test_saving_entries_together_is_all_or_nothing(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mia = await desk.person(Role.EDITOR)
    hall, cpas = await desk.stored(mia, CITY_HALL), await desk.stored(mia, "mechelen-sociaal-huis")
    before = await snapshot(sessions)
    name = (TextEdit("name", "بلدية ميخلن"),)
    refused = await desk.editor.save_texts_together(
        mia,
        "ar",
        [EntryTexts(CITY_HALL, hall.content_hash, name), EntryTexts(cpas.entry.id, "stale", name)],
    )
    assert refused is not None and refused.saved == {} and list(refused.refused) == [cpas.entry.id]
    assert await snapshot(sessions) == before
    nl = await desk.person(Role.TRANSLATOR, languages=("nl",))
    assert await desk.editor.save_texts_together(nl, "ar", []) is None
