"""The languages Guichet speaks, and how it detects the language of a message.

Detection checks the Unicode script first (Greek, Ethiopic, Cyrillic and Arabic-script letter
rules settle most messages), then asks py3langid, restricted to the languages we expect.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable
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
#: A language chosen with /language is a preference: a confident detection of another language
#: in a message this long answers in that language (and offers to switch).
MIN_WORDS_OVER_CHOICE: Final = 3
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
            # Its own small copy of the candidates' columns, and the full model let go:
            # 142 languages' probabilities are 28 MB, the 14 candidates' under 3 MB.
            ident.nb_ptc = ident.nb_ptc.copy()
            ident._full_model = (ident.nb_ptc, ident.nb_pc, ident.nb_classes)
            self._identifiers[tuple(candidates)] = ident

    def prefer(self, text: str, among: Iterable[str]) -> str | None:
        """Of the Latin-script languages `among`, the one the model finds likeliest for `text`."""
        allowed = set(among)
        ranked = self._identifiers[tuple(_LATIN_CANDIDATES)].rank(text)
        return next((str(lang) for lang, _ in ranked if lang in allowed), None)

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
    hint: str | None = None,
) -> str:
    """The user's choice, a confident detection, the client's language, a hint, the city's.

    - A language chosen with /language is a preference, not a lock: a confident detection of
      another language in a message of three words or more answers in that language.
    - A message in a non-Latin script, however short, is not answered in a language of another
      script (a one-word Russian greeting in Brussels gets Russian, not French), unless the user
      chose a language.
    - `hint` is the language whose knowledge words a short Latin-script message uses ("doctor?"
      is English): it comes after what we know of the user, before the city's default.
    """
    detected = ui_language(detection.language) if detection and detection.language else None
    if explicit in UI_LANGUAGES:
        if (
            detected
            and detection is not None
            and detection.confident
            and detection.words >= MIN_WORDS_OVER_CHOICE
        ):
            return detected
        return explicit
    if detected and detection is not None and detection.confident:
        return detected
    fallback = hint if hint in UI_LANGUAGES else city_default
    if client:
        base = base_language(client)
        if base in UI_LANGUAGES:
            fallback = base
    if (
        detected
        and detection is not None
        and detection.language
        and script_of(detection.language) != "LATIN"
        and script_of(detection.language) != script_of(fallback)
    ):
        return hint if hint and script_of(hint) == script_of(detection.language) else detected
    return fallback
