"""Callback data of inline buttons: compact, versioned, and meaningful without any memory.

A button carries everything its action needs (`1t:health-care`), so it still works after a
restart. Telegram allows 64 bytes. A button whose version or shape we no longer know decodes to
None, and the handler says politely that it has expired; every value is checked again against
the knowledge base and the database before it is acted on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot.core.geo import Point

VERSION: Final = "1"
MAX_BYTES: Final = 64


class Kind(StrEnum):
    TOPIC = "t"  # t:<topic>
    MORE = "m"  # m:<topic>:<offset>[.<entry>...]: the entries the first page showed first
    CITY = "c"  # c:<city slug>
    COUNTRY = "k"  # k:<country code>: the cities of one country
    LANGUAGE = "l"  # l:<language|auto>: the /language keyboard ("auto": follow each message)
    PREFER = "u"  # u:<language>: under a reply, make its language the chosen one
    FEEDBACK = "f"  # f:<question id>:<1|0>
    HUMAN = "h"  # h:<question id>: ask a person about this question
    DELETE = "x"  # x:<y|n>
    NEARBY = "n"  # n:<lat>,<lon>: every topic near a point
    LOCATE = "p"  # p: ask for the location
    MENU = "s"  # s: show the topics
    HEARD = "e"  # e:<question id>:<1|0>: yes, the voice note said that (or no)
    LISTEN = "b"  # b:<language>: read aloud the answer this button is under
    # The support network (see bot/support/).
    CONSENT = "o"  # o:<question id>: yes, send my question to a volunteer
    CANCEL = "q"  # q: do not send it
    TAKE = "v"  # v:<ticket>: a volunteer takes a ticket
    RELEASE = "r"  # r:<ticket>
    CLOSE = "z"  # z:<ticket>: either side closes
    RATE = "a"  # a:<ticket>:<1|0>: the migrant rates the answer
    SUGGEST = "g"  # g:<ticket>: offer the answer to the knowledge base
    SPEAKS = "w"  # w:<language>: a volunteer toggles a language they speak
    READY = "d"  # d: the volunteer is done choosing languages
    PREFERS = "y"  # y:<topic>: a volunteer toggles a topic they prefer


_ARITY: Final = {
    Kind.TOPIC: 1,
    Kind.MORE: 2,
    Kind.CITY: 1,
    Kind.COUNTRY: 1,
    Kind.LANGUAGE: 1,
    Kind.PREFER: 1,
    Kind.FEEDBACK: 2,
    Kind.HUMAN: 1,
    Kind.DELETE: 1,
    Kind.NEARBY: 1,
    Kind.LOCATE: 0,
    Kind.MENU: 0,
    Kind.HEARD: 2,
    Kind.LISTEN: 1,
    Kind.CONSENT: 1,
    Kind.CANCEL: 0,
    Kind.TAKE: 1,
    Kind.RELEASE: 1,
    Kind.CLOSE: 1,
    Kind.RATE: 2,
    Kind.SUGGEST: 1,
    Kind.SPEAKS: 1,
    Kind.READY: 0,
    Kind.PREFERS: 1,
}
_ARG: Final = re.compile(r"^[a-z0-9.,-]{1,40}$")
_INT: Final = re.compile(r"^[0-9]{1,12}$")
_POINT: Final = re.compile(r"^(-?\d{1,2}\.\d{1,5}),(-?\d{1,3}\.\d{1,5})$")


@dataclass(frozen=True, slots=True)
class Tap:
    kind: Kind
    args: tuple[str, ...] = ()

    @property
    def arg(self) -> str:
        return self.args[0]

    def number(self, i: int = 0) -> int | None:
        value = self.args[i]
        return int(value) if _INT.match(value) else None

    def numbers(self, i: int = 0) -> tuple[int, ...] | None:
        """A dotted list of small numbers ("3.5.0.7"), or None when it is not one."""
        parts = self.args[i].split(".")
        if len(parts) > 8 or not all(_INT.match(p) and len(p) <= 4 for p in parts):
            return None
        return tuple(int(p) for p in parts)

    def point(self) -> Point | None:
        m = _POINT.match(self.arg)
        if not m:
            return None
        lat, lon = float(m.group(1)), float(m.group(2))
        return Point(lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def encode(kind: Kind, *args: str | int) -> str:
    parts = [str(a) for a in args]
    if len(parts) != _ARITY[kind] or not all(_ARG.match(p) for p in parts):
        raise ValueError(f"bad callback arguments for {kind.name}: {parts}")
    data = ":".join([VERSION + kind.value, *parts])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data}")
    return data


def decode(data: str | None) -> Tap | None:
    """The tap a button stands for, or None when it is from another version or malformed."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    head, *args = data.split(":")
    if len(head) != len(VERSION) + 1 or not head.startswith(VERSION):
        return None
    try:
        kind = Kind(head[len(VERSION) :])
    except ValueError:
        return None
    if len(args) != _ARITY[kind] or not all(_ARG.match(a) for a in args):
        return None
    return Tap(kind, tuple(args))
