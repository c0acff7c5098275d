"""Text normalisation shared by the index and the messages, so both sides compare alike.

Case, diacritics (Latvian and Greek typed without them), Arabic and Persian letter variants
(ي/ی/ى, ك/ک, ة/ه, the forms of alef), tatweel, harakat, zero-width joiners and digits of
other scripts are folded; punctuation becomes a space.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

#: Longest message text the matcher reads; a longer message is cut here (it still gets a reply).
MAX_MATCH_CHARS: Final = 1000

_FOLD: Final = str.maketrans(
    {
        "ی": "ي",  # Persian yeh
        "ى": "ي",  # alef maksura
        "ې": "ي",
        "ک": "ك",  # Persian keheh
        "ڪ": "ك",
        "ة": "ه",  # teh marbuta
        "ۀ": "ه",
        "ە": "ه",
        "ٱ": "ا",  # alef wasla
        "ـ": None,  # tatweel
        "ı": "i",  # Turkish dotless i
        "\u200c": None,  # zero-width non-joiner (Persian)
        "\u200d": None,
        "\u200b": None,
        "\u00ad": None,  # soft hyphen
        "ς": "σ",
    }
)
_DIGITS: Final = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")} | {
    ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")
}
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize(text: str) -> str:
    """Fold `text` to the form the matcher compares: lower case, no marks, single spaces."""
    text = unicodedata.normalize("NFKC", text[: MAX_MATCH_CHARS * 2]).casefold()
    text = text.translate(_DIGITS).translate(_FOLD)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and unicodedata.category(ch) not in ("Cc", "Cf")
    )
    stripped = _NON_WORD.sub(" ", stripped).replace("_", " ")
    return " ".join(stripped.split())[:MAX_MATCH_CHARS]


def tokens(text: str) -> list[str]:
    """Normalised words of `text`, in order."""
    return normalize(text).split()


def clean_message(text: str) -> str:
    """Drop control characters (but keep line breaks) from a message before anything else."""
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co")
    ).strip()
