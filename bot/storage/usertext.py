"""Text that people typed, made storable: what PostgreSQL (or UTF-8) refuses is cleaned, not lost.

PostgreSQL refuses U+0000 in text, and no UTF-8 database takes a lone surrogate (Telegram's JSON
may carry one, say half an emoji cut off). Either made the whole INSERT fail and the person got
no answer. The columns that hold such text use these types, so every way in is covered.
"""

from __future__ import annotations

import re
from typing import Any, Final

from sqlalchemy import String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` without U+0000, and with each lone surrogate replaced by U+FFFD.

    Two surrogates that together make one character (a string may hold one split in two)
    are joined into that character rather than replaced.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class _Storable(TypeDecorator[str]):
    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return storable(value) if isinstance(value, str) else value


class UserText(_Storable):
    """Text (unbounded) that a person typed: a question, a relayed message, a suggestion."""

    impl = Text
    cache_ok = True  # each subclass says so: SQLAlchemy reads it from the class itself


class UserString(_Storable):
    """A short string that a person typed, such as a volunteer's display name."""

    impl = String
    cache_ok = True
