"""The translators' spreadsheet as a file: its columns and look, written and read with openpyxl.

One sheet of texts (one row per text, only the translation column meant to be edited) and an
"about" sheet that says which city and language the file is for. What the rows mean and whether
an import may change anything is bot/storage/sheets.py's business, not this module's.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

# openpyxl is imported where a file is written or read: it costs the bot process 28 MB of
# memory, and only the console's export and upload need it.

#: Written in the about sheet; a file without it is not one of ours.
FORMAT: Final = "guichet-texts/1"
ABOUT: Final = "about"

#: The texts sheet's columns: name, width (None: hidden). Only TRANSLATION is unlocked.
COLUMNS: Final[tuple[tuple[str, int | None], ...]] = (
    ("id", 30),
    ("entry", 32),
    ("field", 13),
    ("source language", 10),
    ("source text", 60),
    ("translation", 60),
    ("status", 12),
    ("language", None),
    ("source fingerprint", None),
    ("text fingerprint", None),
)
HEADERS: Final = tuple(name for name, _ in COLUMNS)
TRANSLATION: Final = HEADERS.index("translation")
STATUS: Final = HEADERS.index("status")

_HEADER_FILL: Final = "D9E1F2"
_LOCKED_FILL: Final = "F2F2F2"
_STATUS_FILLS: Final = {
    "missing": "F8CBAD",
    "outdated": "FFE699",
    "unreviewed": "FFF2CC",
    "reviewed": "C6EFCE",
    "original": "EDEDED",
}
_INSTRUCTIONS: Final = (
    "Write your translations in the column 'translation' of the first sheet, then upload the "
    "file in the console.",
    "Leave the other columns, the header row and this sheet as they are: the upload checks them.",
    "A row you do not change is skipped. Emptying a cell removes nothing.",
    "Texts changed in the console after this export are not overwritten: the upload says so.",
)


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One text, as a row of the texts sheet (in the order of COLUMNS)."""

    id: str
    entry: str
    field: str
    source_language: str
    source_text: str
    translation: str
    status: str
    language: str
    source_fingerprint: str
    text_fingerprint: str

    def cells(self) -> tuple[str, ...]:
        return (
            self.id,
            self.entry,
            self.field,
            self.source_language,
            self.source_text,
            self.translation,
            self.status,
            self.language,
            self.source_fingerprint,
            self.text_fingerprint,
        )


@dataclass(frozen=True, slots=True)
class Book:
    """A file as read back: its about sheet, header row, and numbered rows of plain text."""

    about: dict[str, str]
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (row number in the sheet, cells)


class Unreadable(Exception):
    """Not an XLSX file that openpyxl can read."""


class TooManyRows(Exception):
    """More rows than any city's sheet has: not read to the end."""


def _clean(text: str) -> str:
    """Control characters an XLSX file cannot hold are dropped rather than fail the export."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    return str(ILLEGAL_CHARACTERS_RE.sub("", text))


def _put(ws: Any, row: int, column: int, value: str) -> Any:
    cell = ws.cell(row=row, column=column, value=_clean(value))
    cell.data_type = "s"  # a text that starts with '=' is text, never a formula
    return cell


def write_book(
    title: str, about: Sequence[tuple[str, str]], rows: Iterable[SheetRow], *, rtl: bool
) -> bytes:
    """The XLSX file: the texts sheet first (header frozen, only translations editable)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import (  # type: ignore[import-untyped]
        Alignment,
        Font,
        PatternFill,
        Protection,
    )
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    def fill(colour: str) -> Any:
        return PatternFill("solid", fgColor=colour)

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.sheet_view.rightToLeft = rtl
    for col, (name, width) in enumerate(COLUMNS, start=1):
        cell = _put(ws, 1, col, name)
        cell.font = Font(bold=True)
        cell.fill = fill(_HEADER_FILL)
        dim = ws.column_dimensions[get_column_letter(col)]
        if width is None:
            dim.hidden = True
        else:
            dim.width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    written = Alignment(wrap_text=True, vertical="top", readingOrder=2 if rtl else 0)
    count = 0
    for count, sheet_row in enumerate(rows, start=1):
        for col, value in enumerate(sheet_row.cells(), start=1):
            cell = _put(ws, count + 1, col, value)
            if col - 1 == TRANSLATION:
                cell.alignment = written
                cell.protection = Protection(locked=False)
            else:
                cell.alignment = wrap
                cell.fill = fill(
                    _STATUS_FILLS.get(value, _LOCKED_FILL) if col - 1 == STATUS else _LOCKED_FILL
                )
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(STATUS + 1)}{count + 1}"
    _protect(ws)

    sheet = wb.create_sheet(ABOUT)
    for i, (key, value) in enumerate(about, start=1):
        _put(sheet, i, 1, key).font = Font(bold=True)
        _put(sheet, i, 2, value)
    for i, line in enumerate(_INSTRUCTIONS, start=len(about) + 2):
        _put(sheet, i, 1, line)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 40
    _protect(sheet)
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _protect(ws: Any) -> None:
    """Locked cells stay as exported; columns may still be resized and rows filtered."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False


def _text(value: object) -> str:
    """A cell as text: Excel may have made a number of "112" or a date of "2024-01"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def read_book(data: bytes, max_rows: int) -> Book:
    """The file's about sheet, header and rows; Unreadable if it is no XLSX file at all."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged upload fails in many ways; all are the sender's
        raise Unreadable(str(exc)) from exc
    try:
        return _read(wb, max_rows)
    except TooManyRows:
        raise
    except Exception as exc:  # read-only sheets are parsed while they are read
        raise Unreadable(str(exc)) from exc
    finally:
        wb.close()


def _read(wb: Any, max_rows: int) -> Book:
    names = list(wb.sheetnames)
    about: dict[str, str] = {}
    if ABOUT in names:
        for key, value, *_ in wb[ABOUT].iter_rows(max_col=2, values_only=True):
            if _text(key).strip() and value is not None:
                about.setdefault(_text(key).strip(), _text(value).strip())
    texts = wb[next((n for n in names if n != ABOUT), names[0])]
    lines = texts.iter_rows(max_col=len(COLUMNS), values_only=True)
    header = tuple(_text(v).strip() for v in next(lines, ()))
    rows = []
    for number, values in enumerate(lines, start=2):
        if number > max_rows + 1:
            raise TooManyRows(number)
        padded = (*values, *[None] * len(COLUMNS))[: len(COLUMNS)]
        rows.append((number, tuple(_text(v) for v in padded)))
    return Book(about, header, tuple(rows))
