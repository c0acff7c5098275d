"""The commands every channel shares, worded once for any markup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.commands import (
    Command,
    command_of,
    find_command,
    help_text,
    no_person_text,
    privacy_text,
)
from bot.core.assistant import Assistant
from bot.core.i18n import translator
from bot.core.render import HtmlFormatter, PlainFormatter


def test_a_command_is_read_as_telegram_writes_it() -> None:
    assert command_of("/Help") == "help"
    assert command_of("/city@GuichetBot mechelen") == "city"
    assert command_of("/") == ""
    assert command_of("help") is None
    assert find_command("delete") is Command.DELETE
    assert find_command("quit") is None


def test_help_escapes_for_html_and_leaves_plain_text_alone() -> None:
    t = translator("en")
    html = help_text(t, HtmlFormatter(), "A & B")
    plain = help_text(t, PlainFormatter(), "A & B", location=False)
    assert "A &amp; B" in html and "<b>In danger right now?" in html
    assert "A & B" in plain and "<b>" not in plain
    assert "Share your location" in html and "Share your location" not in plain


def test_privacy_names_the_volunteers_only_where_there_are_some() -> None:
    t = translator("fr")
    without = privacy_text(t, PlainFormatter(), timedelta(days=30))
    with_them = privacy_text(t, PlainFormatter(), timedelta(days=30), timedelta(days=90))
    assert "30 jours" in without and "90 jours" not in without
    assert "90 jours" in with_them


def test_no_person_gives_the_city_contact_and_112(assistant: Assistant) -> None:
    text = no_person_text(
        assistant.renderer, "mechelen", datetime.now(UTC), translator("en"), PlainFormatter()
    )
    assert "You can contact the city directly:" in text
    assert "City of Mechelen (Huis van de Mechelaar)" in text
    assert text.endswith("In danger right now? Call 112 (free, day and night).")
    nowhere = no_person_text(
        assistant.renderer, None, datetime.now(UTC), translator("en"), PlainFormatter()
    )
    assert "contact the city" not in nowhere and "112" in nowhere
