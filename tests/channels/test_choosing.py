"""A city or a language typed by slug, code or name, in any case, with or without accents."""

from __future__ import annotations

import pytest

from bot.channels.choosing import find_city, find_language, fold
from bot.core.knowledge import Knowledge


def test_fold_ignores_case_accents_hyphens_and_spaces() -> None:
    assert fold("  Saint-Jean-de-la-Ruelle ") == "saint jean de la ruelle"
    assert fold("FRANÇAIS") == fold("francais")


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("mechelen", "mechelen"),
        ("MALINES", "mechelen"),
        ("saint jean de la ruelle", "saint-jean-de-la-ruelle"),
        ("Єлгава", "jelgava"),
        ("λιβαδεια", "livadia"),
        ("Schaarbeek", "schaerbeek"),
    ],
)
def test_a_city_by_slug_or_any_of_its_names(knowledge: Knowledge, typed: str, slug: str) -> None:
    assert find_city(knowledge, typed) == slug


@pytest.mark.parametrize("typed", ["", "  ", "atlantis", "town hall", "3"])
def test_anything_else_is_no_city(knowledge: Knowledge, typed: str) -> None:
    assert find_city(knowledge, typed) is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("fr", "fr"),
        ("Français", "fr"),
        ("francais", "fr"),
        ("French", "fr"),
        ("Frans", "fr"),
        ("УКРАЇНСЬКА", "uk"),
        ("العربية", "ar"),
        ("Farsi", "fa"),
        ("dari", "fa"),
        ("turkce", "tr"),
    ],
)
def test_a_language_by_code_or_name_in_a_language_we_speak(typed: str, code: str) -> None:
    assert find_language(typed) == code


@pytest.mark.parametrize("typed", ["", "klingon", "pt", "3"])
def test_anything_else_is_no_interface_language(typed: str) -> None:
    assert find_language(typed) is None
