"""What the commands of every channel do, and the texts they answer with, in any markup.

The Telegram channel and the demo chat both answer /help, /privacy, /delete, an unknown command
and "Ask a person" from here, so the two cannot drift apart. A `Formatter` gives the markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.i18n import Translator
from bot.core.render import EMERGENCY_LINE, Formatter, Renderer


class Command(StrEnum):
    """The commands a migrant can type, in the order menus list them."""

    MENU = "menu"
    CITY = "city"
    LANGUAGE = "language"
    HELP = "help"
    PRIVACY = "privacy"
    DELETE = "delete"


def command_of(text: str) -> str | None:
    """ "/City@GuichetBot mechelen" → "city": the command's name, or None when not a command."""
    if not text.startswith("/"):
        return None
    words = text[1:].split(maxsplit=1)
    return words[0].partition("@")[0].lower() if words else ""


def find_command(name: str) -> Command | None:
    try:
        return Command(name)
    except ValueError:
        return None


def command_descriptions(t: Translator) -> list[tuple[Command, str]]:
    """Every command with what it does, in the user's language."""
    _ = t.gettext
    return [
        (Command.MENU, _("Topics to choose from")),
        (Command.CITY, _("Change your city")),
        (Command.LANGUAGE, _("Change the language")),
        (Command.HELP, _("How to use this assistant")),
        (Command.PRIVACY, _("What is stored about you")),
        (Command.DELETE, _("Erase everything about you")),
    ]


def _command_lines(t: Translator, fmt: Formatter, skip: Command | None = None) -> list[str]:
    return [
        f"/{name} – {fmt.escape(text)}" for name, text in command_descriptions(t) if name != skip
    ]


def help_text(t: Translator, fmt: Formatter, city: str | None, *, location: bool = True) -> str:
    """How to use the assistant; `location`: whether this channel can share a location."""
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
        *([_("Share your location to see the nearest services.")] if location else []),
    ]
    return "\n".join(
        [
            fmt.escape(head),
            "",
            *(f"• {fmt.escape(tip)}" for tip in tips),
            "",
            *_command_lines(t, fmt, skip=Command.MENU),
            "",
            fmt.bold(fmt.escape(_(EMERGENCY_LINE))),
        ]
    )


def unknown_command_text(t: Translator, fmt: Formatter, name: str) -> str:
    """A command we do not know, politely, with the ones we do."""
    head = t.gettext("I do not know the command /{command}. These are the ones I know:")
    return "\n".join([fmt.escape(head.format(command=name)), "", *_command_lines(t, fmt)])


def privacy_text(
    t: Translator, fmt: Formatter, retention: timedelta, tickets: timedelta | None = None
) -> str:
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
    stored = [
        _(
            "Your Telegram chat number, so that I can answer you. Never your name, "
            "your username or your phone number."
        ),
        _("The city and the language you chose, and the last topic you asked about."),
        kept,
        _("A location you share is used for that one answer and is not stored."),
    ]
    return "\n".join(
        [
            fmt.bold(fmt.escape(_("What Guichet stores about you"))),
            *(f"• {fmt.escape(line)}" for line in stored),
            "",
            fmt.bold(fmt.escape(_("Who sees it"))),
            fmt.escape(_("The city's staff see only statistics, never who asked what.")),
            *([fmt.escape(person_text(t, tickets))] if tickets is not None else []),
            "",
            fmt.escape(_("/delete erases everything about you at once.")),
        ]
    )


def person_text(t: Translator, retention: timedelta) -> str:
    """What the volunteers of the support network see, and for how long (plain text)."""
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


@dataclass(frozen=True, slots=True)
class EraseTexts:
    """/delete asks first; each answer has its own reply (plain text)."""

    question: str
    yes: str
    no: str
    erased: str
    kept: str


def erase_texts(t: Translator) -> EraseTexts:
    _ = t.gettext
    return EraseTexts(
        question=_(
            "Do you want to erase everything Guichet stores about you? This cannot be undone."
        ),
        yes=_("Yes, erase everything"),
        no=_("No, keep it"),
        erased=_(
            "Everything Guichet stored about you has been erased. "
            "If you write again, I will start from the beginning."
        ),
        kept=_("Nothing was erased."),
    )


def no_person_text(
    renderer: Renderer, city: str | None, now: datetime, t: Translator, fmt: Formatter
) -> str:
    """ "Ask a person" where no volunteer answers: say so honestly, with the city's contact."""
    parts = [
        fmt.escape(t.gettext("The person-to-person service is not yet available in this city."))
    ]
    contact = renderer.contact(city, now, t, fmt) if city else None
    if contact is not None:
        parts.append(fmt.escape(t.gettext("You can contact the city directly:")))
        parts.append(contact)
    parts.append(fmt.bold(fmt.escape(t.gettext(EMERGENCY_LINE))))
    return "\n\n".join(parts)
