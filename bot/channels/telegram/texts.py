"""The longer interface texts of the Telegram channel, in the user's language.

Each returns Telegram HTML: the translated sentences are escaped, the commands stay plain.
"""

from __future__ import annotations

import html
from datetime import timedelta

from bot.core.i18n import Translator
from bot.core.render import EMERGENCY_LINE


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def command_descriptions(t: Translator) -> list[tuple[str, str]]:
    """The command list registered with Telegram for one language (shown in the "/" menu)."""
    _ = t.gettext
    return [
        ("menu", _("Topics to choose from")),
        ("city", _("Change your city")),
        ("language", _("Change the language")),
        ("help", _("How to use this assistant")),
        ("privacy", _("What is stored about you")),
        ("delete", _("Erase everything about you")),
    ]


def bot_description(t: Translator) -> str:
    return t.gettext(
        "Guichet answers newcomers' questions about the services of their city: language "
        "courses, legal advice, housing, health, school and more. Write in your own language."
    )


def bot_short_description(t: Translator) -> str:
    return t.gettext("Where to find help in your city, in your language.")


def welcome(t: Translator, city: str) -> str:
    _ = t.gettext
    lines = [
        _("Welcome to Guichet, the help desk for newcomers in {city}.").format(
            city=t.isolate(city)
        ),
        _("Write your question in your own language, or choose a topic below."),
        _("I keep as little as possible about you: /privacy says what, /delete erases it."),
    ]
    return "\n\n".join(_esc(line) for line in lines)


def help_text(t: Translator, city: str | None) -> str:
    _ = t.gettext
    head = (
        _(
            "I tell you where to find help in {city}: language courses, legal advice, housing, "
            "health, school and more."
        ).format(city=t.isolate(city))
        if city
        else _("I tell you where to find help in your city.")
    )
    tips = [
        _("Write your question in your own language, in a few words."),
        _("Or tap a topic: /menu"),
        _("Share your location to see the nearest services."),
    ]
    commands = command_descriptions(t)[1:]
    emergency = _(EMERGENCY_LINE)
    return "\n".join(
        [
            _esc(head),
            "",
            *(f"• {_esc(tip)}" for tip in tips),
            "",
            *(f"/{name} – {_esc(text)}" for name, text in commands),
            "",
            f"<b>{_esc(emergency)}</b>",
        ]
    )


def privacy_text(t: Translator, retention: timedelta, tickets: timedelta | None = None) -> str:
    """What is stored and who sees it; `tickets`: the support network's retention, if any."""
    _ = t.gettext
    days = max(0, retention.days)
    kept = t.ngettext(
        "The text of your questions is deleted after {n} day. Their topic and language, "
        "and whether the answer helped, are kept for statistics without anything that "
        "identifies you.",
        "The text of your questions is deleted after {n} days. Their topic and language, "
        "and whether the answer helped, are kept for statistics without anything that "
        "identifies you.",
        days,
    ).format(n=days)
    stored = _("What Guichet stores about you")
    who = _("Who sees it")
    lines = [
        f"<b>{_esc(stored)}</b>",
        "• "
        + _esc(
            _(
                "Your Telegram chat number, so that I can answer you. Never your name, "
                "your username or your phone number."
            )
        ),
        "• " + _esc(_("The city and the language you chose, and the last topic you asked about.")),
        "• " + _esc(kept),
        "• " + _esc(_("A location you share is used for that one answer and is not stored.")),
        "",
        f"<b>{_esc(who)}</b>",
        _esc(_("The city's staff see only statistics, never who asked what.")),
        *([_esc(person_text(t, tickets))] if tickets is not None else []),
        "",
        _esc(_("/delete erases everything about you at once.")),
    ]
    return "\n".join(lines)


def person_text(t: Translator, retention: timedelta) -> str:
    days = max(0, retention.days)
    return t.ngettext(
        "If you ask a person, and only after you confirm, your question, its language and your "
        "messages with them are shared with the volunteers of your city's support network. "
        "They are deleted {n} day after the question is closed.",
        "If you ask a person, and only after you confirm, your question, its language and your "
        "messages with them are shared with the volunteers of your city's support network. "
        "They are deleted {n} days after the question is closed.",
        days,
    ).format(n=days)


def media_text(t: Translator) -> str:
    return _esc(
        t.gettext(
            "I can only read text for now, not voice messages, pictures, stickers, files or "
            "videos. Please write your question in a few words, or choose a topic with /menu."
        )
    )


def group_text(t: Translator) -> str:
    return _esc(
        t.gettext(
            "To protect your privacy, I answer questions only in a private chat. "
            "Tap the button below to write to me."
        )
    )
