"""Inline keyboards built from the core's choices and the knowledge base."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.channels.choosing import AUTOMATIC
from bot.channels.commands import erase_texts
from bot.channels.telegram.callbacks import Kind, encode
from bot.core.assistant import Choice, ChoiceKind
from bot.core.i18n import Translator
from bot.core.knowledge import Knowledge
from bot.core.languages import UI_LANGUAGES, native_name
from bot.core.render import pick

Row = list[InlineKeyboardButton]
Rows = list[Row]
T = TypeVar("T")
#: Up to this many cities, one keyboard lists them all; beyond it, a country comes first.
ONE_STEP_CITIES = 12


def batched(items: Sequence[T], n: int) -> list[Sequence[T]]:
    return [items[i : i + n] for i in range(0, len(items), n)]


def button(choice: Choice, question_id: int | None = None) -> InlineKeyboardButton:
    if choice.kind is ChoiceKind.TOPIC and choice.topic:
        data = encode(Kind.TOPIC, choice.topic)
    elif choice.kind is ChoiceKind.MORE and choice.topic:
        # the offset, then the entries the first page showed first: "3.5.0.7"
        data = encode(Kind.MORE, choice.topic, ".".join(map(str, (choice.offset, *choice.first))))
    elif choice.kind is ChoiceKind.NEARBY and choice.near:
        # About 100 m: enough for "near me", and short in the button's 64 bytes.
        data = encode(Kind.NEARBY, f"{choice.near.lat:.3f},{choice.near.lon:.3f}")
    elif choice.kind is ChoiceKind.LANGUAGE and choice.language:
        data = encode(Kind.PREFER, choice.language)
    elif choice.kind is ChoiceKind.HUMAN:  # a person is asked about this reply's question
        data = encode(Kind.HUMAN, question_id or 0)
    else:
        raise ValueError(f"a {choice.kind} choice without what it needs: {choice}")
    return InlineKeyboardButton(choice.label, callback_data=data)


def choice_rows(
    choices: Sequence[Choice], columns: int = 2, question_id: int | None = None
) -> list[Row]:
    """Topics two by two (a menu is long); paging and people on rows of their own."""
    topics = [c for c in choices if c.kind is ChoiceKind.TOPIC]
    others = [c for c in choices if c.kind is not ChoiceKind.TOPIC]
    per_row = columns if len(topics) > 4 else 1
    rows = [[button(c) for c in group] for group in batched(topics, per_row)]
    rows.extend([button(c, question_id)] for c in others)
    return rows


def markup(rows: Iterable[Row]) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def feedback_row(question_id: int) -> Row:
    return [
        InlineKeyboardButton("👍", callback_data=encode(Kind.FEEDBACK, question_id, 1)),
        InlineKeyboardButton("👎", callback_data=encode(Kind.FEEDBACK, question_id, 0)),
    ]


def listen_row(t: Translator, language: str) -> Row:
    """ "🔊 Listen": the answer above, read aloud in its language."""
    data = encode(Kind.LISTEN, language)
    return [InlineKeyboardButton("🔊 " + t.gettext("Listen"), callback_data=data)]


def human_row(t: Translator, question_id: int | None = None) -> Row:
    data = encode(Kind.HUMAN, question_id or 0)
    return [InlineKeyboardButton(t.gettext("Ask a person"), callback_data=data)]


def locate_row(t: Translator) -> Row:
    label = "📍 " + t.gettext("Nearest to me")
    return [InlineKeyboardButton(label, callback_data=encode(Kind.LOCATE))]


def flag(country: str) -> str:
    """🇧🇪 from "be" (regional indicator symbols)."""
    return "".join(chr(0x1F1E6 + ord(ch) - ord("a")) for ch in country.lower())


def _city_label(knowledge: Knowledge, slug: str, t: Translator) -> str:
    city = knowledge.cities[slug]
    name = pick(city.name, t.language, city)  # as Renderer.city_name, without a renderer
    return f"{flag(city.country)} {name.text if name else slug}"


def _country_label(knowledge: Knowledge, code: str, t: Translator) -> str:
    country = knowledge.countries.get(code)
    name = country.name.get(t.language) or country.name.get("en") if country else None
    return f"{flag(code)} {name or code.upper()}"


def _countries(knowledge: Knowledge, t: Translator) -> dict[str, list[str]]:
    """Cities by country, countries and cities in alphabetical order of their shown names."""
    grouped: dict[str, list[str]] = {}
    for slug, city in knowledge.cities.items():
        grouped.setdefault(city.country, []).append(slug)
    order = sorted(grouped, key=lambda code: _country_label(knowledge, code, t).casefold())
    return {
        code: sorted(grouped[code], key=lambda s: _city_label(knowledge, s, t).casefold())
        for code in order
    }


def city_keyboard(knowledge: Knowledge, t: Translator, country: str | None = None) -> Rows:
    """Cities grouped by country: one row block per country, or a country first when many."""
    grouped = _countries(knowledge, t)
    if country is None and len(knowledge.cities) > ONE_STEP_CITIES:
        return [
            [
                InlineKeyboardButton(
                    _country_label(knowledge, code, t), callback_data=encode(Kind.COUNTRY, code)
                )
            ]
            for code in grouped
        ]
    rows: list[Row] = []
    for code, slugs in grouped.items():
        if country is not None and code != country:
            continue
        for group in batched(slugs, 2):
            rows.append(
                [
                    InlineKeyboardButton(
                        _city_label(knowledge, slug, t), callback_data=encode(Kind.CITY, slug)
                    )
                    for slug in group
                ]
            )
    return rows


def language_keyboard(suggested: str | None, t: Translator) -> Rows:
    """Every interface language in its own name; the suggested one first, marked; "automatic"."""
    codes = list(UI_LANGUAGES)
    rows: Rows = []
    if suggested in codes:
        codes.remove(suggested)
        rows.append(
            [
                InlineKeyboardButton(
                    f"✓ {native_name(suggested)}", callback_data=encode(Kind.LANGUAGE, suggested)
                )
            ]
        )
    for group in batched(codes, 3):
        rows.append(
            [
                InlineKeyboardButton(native_name(c), callback_data=encode(Kind.LANGUAGE, c))
                for c in group
            ]
        )
    auto = t.gettext("Automatic: the language I write in")
    rows.append([InlineKeyboardButton(auto, callback_data=encode(Kind.LANGUAGE, AUTOMATIC))])
    return rows


def delete_keyboard(t: Translator) -> Rows:
    texts = erase_texts(t)
    return [
        [
            InlineKeyboardButton(texts.yes, callback_data=encode(Kind.DELETE, "y")),
            InlineKeyboardButton(texts.no, callback_data=encode(Kind.DELETE, "n")),
        ]
    ]


def location_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """A one-time keyboard whose button shares the location (only reply keyboards can)."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton("📍 " + t.gettext("Send my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def private_chat_keyboard(username: str, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("Write to me privately"), url=f"https://t.me/{username}")]]
    )
