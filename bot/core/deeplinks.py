"""The bot's deep links: `https://t.me/<bot>?start=<payload>`, made and read back.

A poster's link opens the bot in its city (`brussels`) or on one topic in its city
(`brussels--housing`). Telegram allows a start parameter of at most 64 characters of
A-Z a-z 0-9 _ -; city slugs and topic ids are lowercase words joined by single hyphens, so a
double hyphen cannot be part of either and separates them.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from typing import Final

#: Between the city and the topic of a payload.
SEPARATOR: Final = "--"
#: Telegram's rule for a start parameter.
MOST_CHARACTERS: Final = 64
_ALLOWED: Final = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class StartLink:
    """What a /start payload asks for: a city as written (a slug, or a name someone typed)
    and, for a topic's link, the topic to answer there."""

    city: str
    topic: str | None = None


class LinkError(ValueError):
    """A payload Telegram would not carry (too long, or a character it does not allow)."""


def start_payload(city: str, topic: str | None = None) -> str:
    """The start parameter of a city's link, or of one of its topics."""
    payload = city if topic is None else f"{city}{SEPARATOR}{topic}"
    if not _ALLOWED.fullmatch(payload) or len(payload) > MOST_CHARACTERS:
        raise LinkError(
            f"{payload!r} is not a Telegram start parameter "
            f"(at most {MOST_CHARACTERS} of A-Z a-z 0-9 _ -)"
        )
    return payload


def bot_link(username: str, city: str, topic: str | None = None) -> str:
    """`https://t.me/<bot>?start=<payload>`: opens the bot in this city (and topic)."""
    return f"https://t.me/{username.lstrip('@')}?start={start_payload(city, topic)}"


def read_start(raw: str, topics: Container[str]) -> StartLink | None:
    """What a /start payload asks for; None for an empty one.

    Only `<city>--<topic>` with a known topic is a topic's link. Anything else is a city as
    written (a hand-typed "/start Malines" included): the channel looks it up, and a link
    whose topic is unknown (an old poster) still opens its city.
    """
    raw = raw.strip()
    if not raw:
        return None
    city, separator, topic = raw.partition(SEPARATOR)
    if not separator or not city:
        return StartLink(raw)
    return StartLink(city, topic if topic in topics else None)
