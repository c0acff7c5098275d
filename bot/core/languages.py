"""The languages Guichet speaks, and how it detects the language of a message.

Detection checks the Unicode script first (Greek, Ethiopic, Cyrillic and Arabic-script letter
rules settle most messages), then asks py3langid, restricted to the languages we expect.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Final

from babel import Locale

#: The interface languages, in the order menus show them.
UI_LANGUAGES: Final = ("en", "fr", "nl", "es", "it", "el", "lv", "ar", "uk", "ru", "fa", "tr")
RTL_LANGUAGES: Final = frozenset({"ar", "fa", "ps", "ku-arab"})
#: Recognised but not (yet) an interface language: the reply falls back to a UI language.
FALLBACK_UI: Final = {"ps": "fa", "ku": "tr", "so": "en", "ti": "en"}

_LATIN_CANDIDATES: Final = ["en", "fr", "nl", "es", "it", "lv", "tr", "so", "ku"]
_ARABIC_CANDIDATES: Final = ["ar", "fa", "ps"]
_CYRILLIC_CANDIDATES: Final = ["uk", "ru"]

_UK_LETTERS: Final = frozenset("іїєґ")
_RU_LETTERS: Final = frozenset("ыэъё")
_PASHTO_LETTERS: Final = frozenset("ټډړښګڼېځڅ")
_SORANI_LETTERS: Final = frozenset("ڵڕۆێە")
_PERSIAN_LETTERS: Final = frozenset("پچژگکی")
_LATVIAN_LETTERS: Final = frozenset("āēīūģķļņ")
_TURKISH_LETTERS: Final = frozenset("ğı")
_WORD = re.compile(r"\w+", re.UNICODE)

#: Below this many words a detection never overrides what we already know about the user.
MIN_WORDS_TO_SWITCH: Final = 2
MIN_PROBABILITY: Final = 0.90
#: Within one script only two or three languages remain, so a lower probability is enough.
MIN_PROBABILITY_IN_SCRIPT: Final = 0.70


@dataclass(frozen=True, slots=True)
class Detection:
    """The language of one message, and whether it is sure enough to act on."""

    language: str | None
    probability: float
    confident: bool
    words: int


def native_name(code: str) -> str:
    """The language's own name, from Babel ("العربية", "Українська")."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def base_language(code: str) -> str:
    """ "pt-BR", "en_US" → "pt", "en": the language without its region."""
    return code.split("-")[0].split("_")[0].lower()


def ui_language(code: str) -> str:
    """The interface language to use for a detected language."""
    return code if code in UI_LANGUAGES else FALLBACK_UI.get(code, "en")


def is_rtl(code: str) -> bool:
    return code in RTL_LANGUAGES


def _script(ch: str) -> str | None:
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    for script in ("LATIN", "CYRILLIC", "GREEK", "ARABIC", "ETHIOPIC"):
        if name.startswith(script):
            return script
    return None


class LanguageDetector:
    """Script rules first, then a restricted py3langid model."""

    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        # One model in memory; each script gets a shallow copy restricted to its candidates.
        base = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifiers: dict[tuple[str, ...], LanguageIdentifier] = {}
        for candidates in (_LATIN_CANDIDATES, _ARABIC_CANDIDATES, _CYRILLIC_CANDIDATES):
            ident = copy.copy(base)
            ident.set_languages(candidates)
            self._identifiers[tuple(candidates)] = ident

    def _classify(self, candidates: list[str], text: str) -> tuple[str, float]:
        lang, prob = self._identifiers[tuple(candidates)].classify(text)
        return str(lang), float(prob)

    def detect(self, text: str) -> Detection:
        words = _WORD.findall(text.lower())
        letters = [c for c in "".join(words) if c.isalpha()]
        if not letters:
            return Detection(None, 0.0, False, len(words))
        counts: dict[str, int] = {}
        for ch in letters:
            script = _script(ch)
            if script:
                counts[script] = counts.get(script, 0) + 1
        if not counts:
            return Detection(None, 0.0, False, len(words))
        script = max(counts, key=counts.__getitem__)
        letter_set = set(letters)
        lang, prob, by_rule = self._by_script(script, letter_set, text)
        if lang is None:
            return Detection(None, 0.0, False, len(words))
        long_enough = len(words) >= MIN_WORDS_TO_SWITCH
        needed = MIN_PROBABILITY if script == "LATIN" else MIN_PROBABILITY_IN_SCRIPT
        confident = long_enough and (by_rule or prob >= needed)
        return Detection(lang, prob, confident, len(words))

    def _by_script(
        self, script: str, letters: set[str], text: str
    ) -> tuple[str | None, float, bool]:
        """Return (language, probability, decided by an unambiguous letter rule)."""
        if script == "GREEK":
            return "el", 1.0, True
        if script == "ETHIOPIC":
            return "ti", 1.0, True
        if script == "CYRILLIC":
            if letters & _UK_LETTERS and not letters & _RU_LETTERS:
                return "uk", 1.0, True
            if letters & _RU_LETTERS and not letters & _UK_LETTERS:
                return "ru", 1.0, True
            lang, prob = self._classify(_CYRILLIC_CANDIDATES, text)
            return lang, prob, False
        if script == "ARABIC":
            if letters & _PASHTO_LETTERS:
                return "ps", 1.0, True
            if letters & _SORANI_LETTERS:
                return "ku", 1.0, True
            if letters & _PERSIAN_LETTERS:
                return "fa", 1.0, True
            lang, prob = self._classify(_ARABIC_CANDIDATES, text)
            return lang, prob, False
        if script == "LATIN":
            candidates = _LATIN_CANDIDATES
            if letters & _LATVIAN_LETTERS:
                return "lv", 1.0, True
            if letters & _TURKISH_LETTERS:
                return "tr", 1.0, True
            lang, prob = self._classify(candidates, text)
            return lang, prob, False
        return None, 0.0, False


@cache
def default_detector() -> LanguageDetector:
    """One detector per process: the model takes a few megabytes and ~100 ms to load."""
    return LanguageDetector()


_SCRIPT_OF: Final = {
    "ar": "ARABIC",
    "fa": "ARABIC",
    "ps": "ARABIC",
    "uk": "CYRILLIC",
    "ru": "CYRILLIC",
    "el": "GREEK",
    "ti": "ETHIOPIC",
}


def script_of(code: str) -> str:
    return _SCRIPT_OF.get(code, "LATIN")


def choose_reply_language(
    *,
    explicit: str | None,
    detection: Detection | None,
    client: str | None,
    city_default: str,
) -> str:
    """Explicit choice, then a confident detection, then the client's language, then the city's.

    One exception: a message of two words or more in a non-Latin script is not answered in a
    language of another script (a Russian question in Jelgava gets Russian, not Latvian) even
    when the detector hesitates between, say, Russian and Ukrainian.
    """
    if explicit in UI_LANGUAGES:
        return explicit
    if detection is not None and detection.confident and detection.language:
        return ui_language(detection.language)
    fallback = city_default
    if client:
        base = base_language(client)
        if base in UI_LANGUAGES:
            fallback = base
    if (
        detection is not None
        and detection.language
        and detection.words >= MIN_WORDS_TO_SWITCH
        and script_of(detection.language) != "LATIN"
        and script_of(detection.language) != script_of(fallback)
    ):
        return ui_language(detection.language)
    return fallback
