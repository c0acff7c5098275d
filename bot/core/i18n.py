"""Interface strings (gettext, catalogs in `locales/`) and locale-aware formatting (Babel).

The `.po` files are committed and compiled in memory on first use, so neither tests nor the
demo need a build step. Source strings are English; `_`-marked strings are extracted with
`pybabel extract` (see the README).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Final

from babel import Locale, dates, numbers, units
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.core.languages import UI_LANGUAGES, is_rtl

LOCALES_DIR: Final = Path(__file__).resolve().parents[2] / "locales"
DOMAIN: Final = "guichet"

# Unicode isolates keep phone numbers, addresses and Latin names readable inside RTL text.
FSI: Final = "\u2068"
PDI: Final = "\u2069"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


@dataclass(frozen=True, slots=True)
class Message:
    """A message for whoever reads it, in their language: an N_-marked template and the
    values of its {placeholders}. str() gives the English (the command line, logs, tests)."""

    template: str
    values: Mapping[str, object] = field(default_factory=dict)

    def in_(self, t: Translator) -> str:
        values = {k: v.in_(t) if isinstance(v, Message) else v for k, v in self.values.items()}
        return self._fill(t.gettext(self.template), values)

    def __str__(self) -> str:
        return self._fill(self.template, self.values)

    @staticmethod
    def _fill(template: str, values: Mapping[str, object]) -> str:
        # A template without values is shown as it is: it may hold braces of its own.
        return template.format(**values) if values else template


@cache
def _translations(language: str) -> gettext.NullTranslations:
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


class Translator:
    """Strings and formats for one interface language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in UI_LANGUAGES else "en"
        self.locale = Locale.parse(self.language)
        self._t = _translations(self.language)
        self.rtl = is_rtl(self.language)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def isolate(self, text: str) -> str:
        """Wrap left-to-right material so that it stays readable in a right-to-left reply."""
        return f"{FSI}{text}{PDI}" if self.rtl else text

    def time(self, moment: datetime) -> str:
        return dates.format_time(moment, format="short", locale=self.locale)

    def weekday(self, moment: datetime) -> str:
        return dates.format_date(moment, format="EEEE", locale=self.locale)

    def date(self, moment: datetime | date) -> str:
        return dates.format_date(moment, format="medium", locale=self.locale)

    def distance(self, meters: float) -> str:
        if meters < 1000:
            value = round(meters / 10) * 10
            return units.format_unit(value, "length-meter", length="short", locale=self.locale)
        return units.format_unit(
            round(meters / 1000, 1), "length-kilometer", length="short", locale=self.locale
        )

    def duration(self, span: timedelta) -> str:
        """ "3 hours", "2 days": rounded to one unit, for the locale."""
        return dates.format_timedelta(span, threshold=1.5, locale=self.locale)

    def number(self, value: float) -> str:
        return numbers.format_decimal(value, locale=self.locale)

    def language_name(self, code: str) -> str:
        """The language's name in the reader's language, from CLDR; else the code itself."""
        name = self.locale.languages.get(_CLDR_NAMES.get(code, code)) or code
        return name[:1].upper() + name[1:]


#: ISO 639-3 codes that CLDR names under another key (Dari is Persian as spoken in Afghanistan).
_CLDR_NAMES: Final = {"prs": "fa_AF"}


@cache
def translator(language: str) -> Translator:
    return Translator(language)
