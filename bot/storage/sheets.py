"""Spreadsheets for translators: a city's texts in one language out as XLSX, and back in.

Usage (what the console's download and upload buttons call):

    data = await export_sheet(editor, who, "mechelen", "ar")     # bytes of an .xlsx file
    result = await import_sheet(editor, who, uploaded)
    if not result.ok:
        ...  # result.errors, by row: nothing at all was changed

An export holds one row per text of the city's own entries that this person may see (the
Editor's scoping), in every field the entry has: the source text beside the current text in
the language, its status, and (hidden) the fingerprints of both as exported.

An import is checked as a whole before anything is saved: the file's shape, the person's right
to the city and the language, then every row. Any error refuses the whole file. Otherwise the
changed rows are saved through the Editor in one transaction (revisions, audit lines and one
published knowledge version, as for the console's edits); if one entry is refused there,
nothing is saved. Saved translations are reviewed, as the console saves them: only a person
who may write the language (its translator, an editor, an admin) may import it, and the
importer vouches for what they upload.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from bot.core.i18n import N_, Message, Translator
from bot.core.knowledge.model import TEXT_FIELDS, Entry, TextField, Translation, fingerprint
from bot.core.languages import UI_LANGUAGES, is_rtl
from bot.storage.editing import Conflict, Editor, EntryTexts, Invalid, Stored, TextEdit
from bot.storage.sheet_book import (
    FORMAT,
    HEADERS,
    SheetRow,
    TooManyRows,
    Unreadable,
    read_book,
    write_book,
)
from bot.storage.staff import Staff

#: An upload larger than this is refused unread (a city's sheet is some tens of kilobytes),
#: and one with more rows is not read to its end (a city has some hundreds of texts).
MAX_BYTES: Final = 5_000_000
MAX_ROWS: Final = 20_000

_FINGERPRINT = re.compile(r"^[0-9a-f]{12}$")


ROW: Final = N_("Row {row}: {message}")


class Say:
    """Every message of an export or an import, in one place, marked for the catalogs: a
    Message of one of them is shown in its reader's language (placeholders: str.format)."""

    TOO_LARGE = N_("The file is too large to be a translation sheet.")
    TOO_LONG = N_("The sheet has more rows than a translation sheet can have.")
    UNREADABLE = N_("This is not a translation sheet exported from Guichet (an .xlsx file).")
    NOT_OURS = N_("This file was not exported from Guichet, or its 'about' sheet was changed.")
    HEADER = N_("Column {column} should be headed '{expected}', not '{found}'.")
    UNKNOWN_LANGUAGE = N_("The sheet is for an unknown language '{language}'.")
    NOT_YOUR_LANGUAGE = N_("You may not change texts in '{language}'.")
    NOT_YOUR_CITY = N_("This sheet is for '{city}', whose texts you may not change.")
    NO_ID = N_("The row has no id.")
    BAD_ID = N_("'{id}' is not an id of this sheet (entry/field).")
    DUPLICATE = N_("The id '{id}' is also on row {first}.")
    OTHER_LANGUAGE = N_("The row is for '{found}', but the sheet is for '{language}'.")
    NO_ENTRY = N_("There is no entry '{entry}' in {city} that you may change.")
    NO_TEXT = N_("The entry '{entry}' has no {field} text.")
    HIDDEN = N_("The hidden fingerprint columns of this row were changed.")
    NO_SOURCE = N_("The entry has no {field} text in '{source}' to translate from.")
    CHANGED_SINCE = N_(
        "This text was changed in the console after the sheet was exported; export a new "
        "sheet, or make your change in the console."
    )
    EMPTIED_ORIGINAL = N_("A text the entry is written in cannot be emptied.")
    EMPTIED = N_("The translation was emptied; a sheet removes nothing, so it was left as it is.")
    SOURCE_CHANGED = N_(
        "The {source} text changed after the export: the translation was saved, marked as "
        "outdated, for someone to check against the new text."
    )
    CHANGED_WHILE = N_("The entry '{entry}' was changed while the sheet was imported; try again.")
    INVALID = N_("{entry}: {problem}")
    GONE = N_("The entry '{entry}' is no longer one you may change.")


@dataclass(frozen=True, slots=True)
class Problem:
    """An error or a warning; `row` is the sheet's row number (1 is the header), None for
    the file as a whole."""

    row: int | None
    message: Message

    def __str__(self) -> str:
        return self.in_(None)

    def in_(self, t: Translator | None) -> str:
        """In the reader's language (None: English)."""
        message = self.message.in_(t) if t is not None else str(self.message)
        if self.row is None:
            return message
        row = t.gettext(ROW) if t is not None else ROW
        return row.format(row=self.row, message=message)


@dataclass(frozen=True, slots=True)
class SheetResult:
    """What an import did. With errors, nothing at all was changed."""

    city: str | None = None
    language: str | None = None
    saved: tuple[str, ...] = ()  # the ids (entry/field) of the texts saved
    unchanged: int = 0  # rows skipped because their text was not changed
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class SheetRefused(Exception):
    """An export this person may not have; the message says why."""


# --- export ----------------------------------------------------------------------------------


def _english_name(entry: Entry) -> str:
    return entry.name.get("en") or next(iter(entry.name.values()))


def _source_of(own: dict[str, str], language: str, tr: Translation | None) -> str:
    """The text a row shows beside its own: what a translation is made from, and for a text
    the entry is written in, another it is written in (English first) to compare with."""
    if language in own:
        others = [lang for lang in own if lang != language]
        return "en" if "en" in others else (others[0] if others else language)
    if tr is not None and tr.source in own:
        return tr.source
    return "en" if "en" in own else next(iter(own))


def sheet_rows(entries: Iterable[Entry], language: str) -> list[SheetRow]:
    """One row per text the entries have (an entry without `cost` has no cost row)."""
    rows = []
    for entry in entries:
        for name in TEXT_FIELDS:
            status = entry.text_status(name, language)
            if status is None:
                continue
            own = entry.originals(name)
            source = _source_of(own, language, entry.translations.get(language, {}).get(name))
            found = entry.text(name, language)
            text = found.text if found else ""
            rows.append(
                SheetRow(
                    id=f"{entry.id}/{name}",
                    entry=_english_name(entry),
                    field=name,
                    source_language=source,
                    source_text=own[source],
                    translation=text,
                    status=status,
                    language=language,
                    source_fingerprint=fingerprint(own[source]),
                    text_fingerprint=fingerprint(text) if text else "",
                )
            )
    return rows


async def export_sheet(
    editor: Editor, who: Staff, city: str, language: str, *, now: datetime | None = None
) -> bytes:
    """The city's texts in `language` as an XLSX file, for this person to translate."""
    if language not in UI_LANGUAGES:
        raise SheetRefused(Message(Say.UNKNOWN_LANGUAGE, {"language": language}))
    if not who.may_translate(language):
        raise SheetRefused(Message(Say.NOT_YOUR_LANGUAGE, {"language": language}))
    if city not in await editor.cities(who):
        raise SheetRefused(Message(Say.NOT_YOUR_CITY, {"city": city}))
    entries = [s.entry for s in await editor.city_entries(who, city)]
    about = (
        ("format", FORMAT),
        ("city", city),
        ("language", language),
        ("exported", (now or datetime.now(UTC)).isoformat(timespec="seconds")),
        ("by", who.name),
    )
    return write_book(
        f"{city} {language}", about, sheet_rows(entries, language), rtl=is_rtl(language)
    )


def sheet_filename(city: str, language: str, day: datetime | None = None) -> str:
    """What the download is called: guichet-mechelen-ar-2026-03-01.xlsx."""
    return f"guichet-{city}-{language}-{(day or datetime.now(UTC)).date().isoformat()}.xlsx"


# --- import ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What the rows of one upload ask for, checked against the entries as they are now."""

    city: str
    language: str
    entries: dict[str, Stored]
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    edits: dict[str, dict[str, tuple[int, TextEdit]]] = field(default_factory=dict)
    unchanged: int = 0
    seen: dict[str, int] = field(default_factory=dict)

    def error(self, row: int | None, message: Message) -> None:
        self.errors.append(Problem(row, message))

    def row(self, number: int, cells: tuple[str, ...]) -> None:
        """Check one row; a change it asks for is planned, a problem noted."""
        if not any(c.strip() for c in cells):
            return  # a blank row, such as one left after deleting another
        cell = {h: v.strip() for h, v in zip(HEADERS, cells, strict=True)}
        ident, language = cell["id"], cell["language"]
        if not ident:
            return self.error(number, Message(Say.NO_ID))
        if ident in self.seen:
            return self.error(
                number, Message(Say.DUPLICATE, {"id": ident, "first": self.seen[ident]})
            )
        self.seen[ident] = number
        entry_id, _, name = ident.partition("/")
        if name not in TEXT_FIELDS:
            return self.error(number, Message(Say.BAD_ID, {"id": ident}))
        if language != self.language:
            return self.error(
                number, Message(Say.OTHER_LANGUAGE, {"found": language, "language": self.language})
            )
        stored = self.entries.get(entry_id)
        if stored is None:
            return self.error(number, Message(Say.NO_ENTRY, {"entry": entry_id, "city": self.city}))
        own = stored.entry.originals(name)
        if not own:
            return self.error(number, Message(Say.NO_TEXT, {"entry": entry_id, "field": name}))
        source_fp, text_fp = cell["source fingerprint"], cell["text fingerprint"]
        if not _FINGERPRINT.match(source_fp) or not (text_fp == "" or _FINGERPRINT.match(text_fp)):
            return self.error(number, Message(Say.HIDDEN))
        source, text = cell["source language"], cell["translation"]
        self._compare(number, stored, name, source, text, source_fp, text_fp)

    def _compare(
        self,
        number: int,
        stored: Stored,
        name: TextField,
        source: str,
        text: str,
        source_fp: str,
        exported_fp: str,
    ) -> None:
        """Plan the row's text if it was changed in the sheet and not in the console since."""
        entry = stored.entry
        own = entry.originals(name)
        original = self.language in own
        tr = entry.translations.get(self.language, {}).get(name)
        current = own[self.language] if original else (tr.text if tr else "")
        if (fingerprint(text) if text else "") == exported_fp:
            self.unchanged += 1  # as exported
            return
        if text and current and fingerprint(text) == fingerprint(current):
            self.unchanged += 1  # someone made the same change already
            return
        if (fingerprint(current) if current else "") != exported_fp:
            return self.error(number, Message(Say.CHANGED_SINCE))
        if not text:
            if original:
                return self.error(number, Message(Say.EMPTIED_ORIGINAL))
            self.warnings.append(Problem(number, Message(Say.EMPTIED)))
            return
        if original:
            edit = TextEdit(name, text)
        else:
            if source not in own:
                return self.error(number, Message(Say.NO_SOURCE, {"field": name, "source": source}))
            made_from = None
            if fingerprint(own[source]) != source_fp:
                self.warnings.append(
                    Problem(number, Message(Say.SOURCE_CHANGED, {"source": source}))
                )
                made_from = source_fp  # it translates the text as exported: outdated now
            edit = TextEdit(name, text, source, made_from)
        self.edits.setdefault(entry.id, {})[name] = (number, edit)

    def rows_of(self, entry_id: str, loc: str = "") -> list[int]:
        """The rows an entry's problem belongs to: the field's, else all of the entry's."""
        planned = self.edits.get(entry_id, {})
        parts = loc.split(".")
        named = [planned[p][0] for p in parts if p in planned]
        return named[:1] or sorted(number for number, _ in planned.values())


def _sheet_problems(about: dict[str, str], header: tuple[str, ...]) -> list[Problem]:
    problems = []
    if about.get("format") != FORMAT:
        problems.append(Problem(None, Message(Say.NOT_OURS)))
    for i, expected in enumerate(HEADERS):
        found = header[i] if i < len(header) else ""
        if found != expected:
            column = chr(ord("A") + i)
            problems.append(
                Problem(
                    1, Message(Say.HEADER, {"column": column, "expected": expected, "found": found})
                )
            )
    return problems


async def import_sheet(editor: Editor, who: Staff, data: bytes) -> SheetResult:
    """Save the translations of an exported sheet: all its changes, or none and why."""
    if len(data) > MAX_BYTES:
        return SheetResult(errors=(Problem(None, Message(Say.TOO_LARGE)),))
    try:
        book = read_book(data, MAX_ROWS)
    except Unreadable:
        return SheetResult(errors=(Problem(None, Message(Say.UNREADABLE)),))
    except TooManyRows:
        return SheetResult(errors=(Problem(None, Message(Say.TOO_LONG)),))
    problems = _sheet_problems(book.about, book.header)
    if problems:
        return SheetResult(errors=tuple(problems))
    city, language = book.about.get("city", ""), book.about.get("language", "")
    problem: Message | None = None
    if language not in UI_LANGUAGES:
        problem = Message(Say.UNKNOWN_LANGUAGE, {"language": language})
    elif not who.may_translate(language):
        problem = Message(Say.NOT_YOUR_LANGUAGE, {"language": language})
    elif city not in await editor.cities(who):
        problem = Message(Say.NOT_YOUR_CITY, {"city": city})
    if problem is not None:
        return SheetResult(city, language, errors=(Problem(None, problem),))

    entries = {s.entry.id: s for s in await editor.city_entries(who, city)}
    plan = _Plan(city, language, entries)
    for number, cells in book.rows:
        plan.row(number, cells)
    if not plan.errors:
        await _save(editor, who, plan)
    saved = (
        ()
        if plan.errors
        else tuple(
            f"{entry_id}/{name}" for entry_id, fields in plan.edits.items() for name in fields
        )
    )
    return SheetResult(
        city,
        language,
        saved,
        plan.unchanged,
        tuple(sorted(plan.errors, key=lambda p: (p.row or 0, p.message))),
        tuple(plan.warnings) if not plan.errors else (),
    )


async def _save(editor: Editor, who: Staff, plan: _Plan) -> None:
    """Save every planned change in one transaction; a refusal there becomes a row's error."""
    if not plan.edits:
        return
    changes = [
        EntryTexts(entry_id, plan.entries[entry_id].content_hash, tuple(e for _, e in f.values()))
        for entry_id, f in plan.edits.items()
    ]
    together = await editor.save_texts_together(who, plan.language, changes)
    if together is None:
        plan.error(None, Message(Say.NOT_YOUR_LANGUAGE, {"language": plan.language}))
        return
    for entry_id, refused in together.refused.items():
        if isinstance(refused, Invalid):
            for loc, messages in refused.errors.items():
                for number in plan.rows_of(entry_id, loc):
                    for problem in messages:
                        said = Message(Say.INVALID, {"entry": entry_id, "problem": problem})
                        plan.error(number, said)
        else:
            why = Say.CHANGED_WHILE if isinstance(refused, Conflict) else Say.GONE
            for number in plan.rows_of(entry_id):
                plan.error(number, Message(why, {"entry": entry_id}))
