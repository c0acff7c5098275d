"""Split a Telegram-HTML reply into messages under Telegram's length limit.

Each piece is valid HTML on its own: cuts fall between paragraphs, lines or words where
possible, never inside a tag or an entity, and elements open at a cut are closed and reopened.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Final

MIN_LIMIT: Final = 64

# One atom: a tag, an entity, or a single character. Cuts only ever fall between atoms.
_ATOM: Final = re.compile(r"<[^>]*>|&#?\w+;|.", re.DOTALL)
_TAG_NAME: Final = re.compile(r"</?(\w+)")
# Unicode isolates (LRI, RLI, FSI … PDI) nest like tags, so a cut closes and reopens them too.
_ISOLATES: Final = "\u2066\u2067\u2068"
_PDI: Final = "\u2069"
_INVISIBLE: Final = re.compile(r"<[^>]*>|[\s\u2066-\u2069]")


def _closer(opener: str) -> str:
    if opener in _ISOLATES:
        return _PDI
    match = _TAG_NAME.match(opener)
    return f"</{match.group(1) if match else ''}>"


def _is_opener(atom: str) -> bool:
    return atom in _ISOLATES or (len(atom) > 1 and atom[0] == "<" and atom[1] != "/")


def _is_closer(atom: str) -> bool:
    return atom == _PDI or atom.startswith("</")


def _cut_points(text: str) -> dict[int, tuple[str, ...]]:
    """Where a cut may fall, each with the opening tags still open there.

    No cut right after an opening tag or right before a closing one, so that a piece never
    ends with an empty element.
    """
    points: dict[int, tuple[str, ...]] = {0: ()}
    stack: list[str] = []
    opened: tuple[str, ...] = ()
    after_opener = False
    for match in _ATOM.finditer(text):
        atom = match.group()
        if match.start() and not after_opener and not _is_closer(atom):
            points[match.start()] = opened
        if _is_opener(atom):
            stack.append(atom)
        elif _is_closer(atom):
            for i in range(len(stack) - 1, -1, -1):
                if _closer(stack[i]) == atom:
                    del stack[i]
                    break
        opened = tuple(stack) if _is_opener(atom) or _is_closer(atom) else opened
        after_opener = _is_opener(atom)
    points[len(text)] = opened
    return points


def _glued(text: str, pos: int) -> bool:
    """Whether `pos` falls inside a grapheme: before a combining mark or next to a joiner."""
    return unicodedata.category(text[pos])[0] == "M" or "\u200d" in text[pos - 1 : pos + 1]


# Where to prefer cutting, best first: a blank line, a newline, a space, anywhere but
# inside a grapheme, anywhere at all.
_PREFERENCES: Final[tuple[Callable[[str, int], bool], ...]] = (
    lambda text, pos: text.startswith("\n\n", pos),
    lambda text, pos: text[pos] == "\n",
    lambda text, pos: text[pos] in " \t\r\n",  # not a no-break space
    lambda text, pos: not _glued(text, pos),
    lambda text, pos: True,
)


def _closing(opened: tuple[str, ...]) -> str:
    return "".join(_closer(opener) for opener in reversed(opened))


def _cut(text: str, points: dict[int, tuple[str, ...]], start: int, budget: int) -> int:
    """The furthest best-preferred cut after `start` that leaves the piece within `budget`."""
    window = range(min(len(text) - 1, start + budget), start, -1)
    for prefer in _PREFERENCES:
        for pos in window:
            if (
                prefer(text, pos)
                and pos in points
                and pos - start + len(_closing(points[pos])) <= budget
            ):
                return pos
    raise ValueError(f"cannot split this message into pieces of {budget} characters")


def split_html(text: str, limit: int = 4000) -> list[str]:
    """Pieces of `text`, each balanced HTML of at most `limit` characters."""
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT}, not {limit}")
    if len(text) <= limit:
        return [text]
    points = _cut_points(text)
    pieces: list[str] = []
    start = 0
    while start < len(text):
        opened = points[start]
        budget = limit - len("".join(opened))
        end = len(text)
        if end - start + len(_closing(points[end])) > budget:
            end = _cut(text, points, start, budget)
        piece = "".join(opened) + text[start:end].strip() + _closing(points[end])
        if _INVISIBLE.sub("", piece):
            pieces.append(piece)
        start = end
    return pieces
