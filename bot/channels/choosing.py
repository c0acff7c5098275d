"""A city or a language as a person types it: its slug or code, or its name in any language.

"Mechelen", "malines", "MALINES" and "mechelen" are the same city; "français", "Francais",
"French" and "fr" the same language. Case, accents, hyphens and spaces do not matter.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale

from bot.core.knowledge import Knowledge
from bot.core.languages import UI_LANGUAGES

#: The /language choice that follows the language of each message instead of a fixed one.
AUTOMATIC = "auto"


def fold(text: str) -> str:
    """ "Saint-Jean-de-la-Ruelle " → "saint jean de la ruelle": for comparing names only."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.replace("-", " ").replace("_", " ").split())


def find_city(knowledge: Knowledge, typed: str) -> str | None:
    """The slug of the city typed by slug or by any of its names, or None."""
    wanted = fold(typed)
    if not wanted:
        return None
    for slug, city in knowledge.cities.items():
        if wanted == fold(slug) or any(wanted == fold(name) for name in city.name.values()):
            return slug
    return None


#: Names people use that the locale data does not give (Dari is answered in Persian).
_ALIASES = {"farsi": "fa", "dari": "fa"}


@cache
def _language_names() -> dict[str, str]:
    """Folded names of each interface language, in each interface language, → its code."""
    names: dict[str, str] = dict(_ALIASES)
    for code in UI_LANGUAGES:
        locale = Locale.parse(code)
        names[fold(code)] = code
        for shown_in in UI_LANGUAGES:
            name = locale.get_display_name(shown_in)
            if name:
                names.setdefault(fold(name), code)
    return names


def find_language(typed: str) -> str | None:
    """The code of the interface language typed by code or by its name in a language we speak."""
    return _language_names().get(fold(typed))
