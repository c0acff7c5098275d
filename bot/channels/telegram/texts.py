"""The longer interface texts of the Telegram channel, in the user's language.

Each returns Telegram HTML: the translated sentences are escaped, the commands stay plain. The
texts the demo chat shares (help, privacy) are worded once in `bot.channels.commands`.
"""

from __future__ import annotations

import html
from datetime import timedelta

from bot.channels import commands
from bot.core.i18n import Translator
from bot.core.render import HtmlFormatter

_HTML = HtmlFormatter()


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def command_descriptions(t: Translator) -> list[tuple[str, str]]:
    """The command list registered with Telegram for one language (shown in the "/" menu)."""
    return [(str(name), text) for name, text in commands.command_descriptions(t)]


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
    return commands.help_text(t, _HTML, city)


def privacy_text(t: Translator, retention: timedelta, tickets: timedelta | None = None) -> str:
    """What is stored and who sees it; `tickets`: the support network's retention, if any."""
    return commands.privacy_text(t, _HTML, retention, tickets)


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
