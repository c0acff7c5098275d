"""What a poster says, as plain data: the link, the city, the invitation in every language and
the topics. Nothing on a poster is about a person.

The poster's sentences are gettext messages like the rest of the interface, so that they are
translated, checked and corrected in the same catalogs; a poster reads each of them in several
languages at once (every language, or the city's languages and English).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.core.deeplinks import bot_link
from bot.core.i18n import N_, translator
from bot.core.knowledge import Knowledge
from bot.core.languages import UI_LANGUAGES, is_rtl

ASK: Final = N_("Ask your question in your language")
HELPS_WITH: Final = N_("Guichet helps with")
SCAN: Final = N_("Scan the code with your phone's camera: Guichet opens in Telegram.")


@dataclass(frozen=True)
class Line:
    """A text in one language, with its direction for the layout."""

    text: str
    language: str

    @property
    def rtl(self) -> bool:
        return is_rtl(self.language)


@dataclass(frozen=True)
class TopicLine:
    """A topic's title in the city's languages (first) and English (`also`, when different)."""

    id: str
    titles: tuple[str, ...]
    also: str | None


@dataclass(frozen=True)
class Poster:
    """One A4 poster: a city's, or one of its topics' (`topic` set)."""

    city: str
    city_names: tuple[str, ...]  # in the city's languages, then English, each once
    link: str
    ask: tuple[Line, ...]  # "Ask your question in your language" in the 12 languages
    helps_with: tuple[Line, ...]  # the heading, in the city's languages and English
    scan: tuple[Line, ...]
    topics: tuple[TopicLine, ...]  # the city's poster: every topic; a topic's: that one
    topic: str | None = None


class PosterError(ValueError):
    """A city or topic that does not exist, or a poster made without the bot's username.
    The message names what is valid."""


def poster_languages(knowledge: Knowledge, city: str) -> tuple[str, ...]:
    """The city's languages, then English."""
    languages = [lang for lang in knowledge.cities[city].languages if lang in UI_LANGUAGES]
    return tuple(dict.fromkeys([*languages, "en"]))


def _unique(texts: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(texts))


def _lines(message: str, languages: tuple[str, ...]) -> tuple[Line, ...]:
    seen: dict[str, Line] = {}
    for lang in languages:
        text = translator(lang).gettext(message)
        seen.setdefault(text, Line(text, lang))
    return tuple(seen.values())


def check(knowledge: Knowledge, city: str, topic: str | None = None) -> None:
    """Raise PosterError naming the valid cities or topics when `city` or `topic` is unknown."""
    if city not in knowledge.cities:
        valid = ", ".join(sorted(knowledge.cities))
        raise PosterError(f"There is no city {city!r}. The cities are: {valid}.")
    if topic is not None and topic not in knowledge.topics:
        valid = ", ".join(knowledge.topics)
        raise PosterError(f"There is no topic {topic!r}. The topics are: {valid}.")


def make_poster(
    knowledge: Knowledge, city: str, username: str | None, topic: str | None = None
) -> Poster:
    """The poster of `city` (or of `topic` in it) for the bot `username`."""
    check(knowledge, city, topic)
    if not username:
        raise PosterError(
            "A poster needs the bot's Telegram username for its QR code: "
            "set GUICHET_BOT_USERNAME (for example GuichetBot)."
        )
    languages = poster_languages(knowledge, city)
    names = knowledge.cities[city].name
    city_names = _unique([names.get(lang) or names["en"] for lang in languages])
    chosen = [knowledge.topics[topic]] if topic else list(knowledge.topics.values())
    topics = []
    for t in chosen:
        titles = _unique([t.title.get(lang) or t.title["en"] for lang in languages[:-1]])
        english = t.title["en"]
        if not titles:
            titles, english_also = (english,), None
        else:
            english_also = None if english in titles else english
        topics.append(TopicLine(t.id, titles, english_also))
    return Poster(
        city=city,
        city_names=city_names,
        link=bot_link(username, city, topic),
        ask=tuple(Line(translator(lang).gettext(ASK), lang) for lang in UI_LANGUAGES),
        helps_with=_lines(HELPS_WITH, languages),
        scan=_lines(SCAN, languages),
        topics=tuple(topics),
        topic=topic,
    )


#: The formats a poster comes in, and their media types.
FORMATS: Final = {"pdf": "application/pdf", "png": "image/png"}


def filename(poster: Poster, fmt: str) -> str:
    """`guichet-brussels.pdf`, `guichet-brussels-housing.png`."""
    topic = f"-{poster.topic}" if poster.topic else ""
    return f"guichet-{poster.city}{topic}.{fmt}"
