"""The catalogs are complete, in step with the source, and their placeholders match."""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.core.i18n import DOMAIN, LOCALES_DIR, translator
from bot.core.languages import UI_LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "bot"
#: {name} in Python strings; %(name)s and %(num)d in the console's templates
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sd]")


def source_ids() -> set[str]:
    """Every string `pybabel extract -F babel.cfg` finds: Python source and templates."""
    with (ROOT / "babel.cfg").open() as fh:
        methods, options = parse_mapping_cfg(fh)  # type: ignore[no-untyped-call]
    ids: set[str] = set()
    found = extract_from_dir(str(SOURCE), methods, options)
    for _file, _line, message, _comments, _context in found:
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def test_template_matches_the_source_strings() -> None:
    template = catalog(LOCALES_DIR / f"{DOMAIN}.pot")
    in_template = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert in_template == source_ids(), "run the extract/update workflow in the README"


@pytest.mark.parametrize("lang", UI_LANGUAGES)
def test_catalog_is_complete_without_fuzzy_entries(lang: str) -> None:
    template = catalog(LOCALES_DIR / f"{DOMAIN}.pot")
    cat = catalog(LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", lang)
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    have = {}
    for m in cat:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        have[key] = m
    missing = wanted - set(have)
    assert not missing, f"{lang}: missing {sorted(missing)}"
    assert not cat.obsolete, f"{lang}: obsolete entries left: {sorted(cat.obsolete)[:3]}"
    for key in wanted:
        m = have[key]
        assert not m.fuzzy, f"{lang}: fuzzy entry {key!r}"
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(strings), f"{lang}: untranslated {key!r}"
        if isinstance(m.string, tuple):
            assert len(strings) == cat.num_plurals, f"{lang}: wrong number of plural forms"
        for s in strings:
            assert isinstance(s, str)
            assert set(PLACEHOLDER.findall(s)) == set(PLACEHOLDER.findall(key)), (
                f"{lang}: placeholders differ in {key!r}: {s!r}"
            )


# Every n a plural rule can tell apart: all small numbers and the millions (CLDR's "many").
PLURAL_SAMPLE = [*range(0, 2001), 10**6, 2 * 10**6, 10**6 + 1, 10**7]


@pytest.mark.parametrize("lang", UI_LANGUAGES)
def test_catalog_plural_rules_are_the_languages_own(lang: str) -> None:
    """Guards that each catalog picks the plural form CLDR (through the Babel in use) gives n.

    The headers were generated from CLDR with Babel 2.19 (see the README's Translations): a
    catalog whose rule sends any n to another form index than the language's own rule fails,
    whatever the spelling of the expression. A new Babel that changes a language's rule fails
    here too, and the catalog's forms must then be mapped anew.
    """
    cat = catalog(LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", lang)
    own = Catalog(locale=lang)
    assert cat.num_plurals == own.num_plurals, f"{lang}: {cat.num_plurals} plural forms"
    ours, cldr = gettext.c2py(cat.plural_expr), gettext.c2py(own.plural_expr)
    differ = [n for n in PLURAL_SAMPLE if ours(n) != cldr(n)]
    assert not differ, f"{lang}: the catalog picks another form for n in {differ[:5]}"


def test_plurals_follow_each_language() -> None:
    uk = translator("uk")
    forms = {uk.ngettext("Show {n} more service", "Show {n} more services", n) for n in (1, 2, 5)}
    assert len(forms) == 3  # Ukrainian has three forms here
    en = translator("en")
    assert (
        en.ngettext("Show {n} more service", "Show {n} more services", 1) == "Show {n} more service"
    )


def test_translations_are_used() -> None:
    assert translator("fr").gettext("Ask a person") != "Ask a person"
    assert translator("ar").rtl and not translator("fr").rtl
