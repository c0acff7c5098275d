"""Buttons are built from the typed fields of the core's choices."""

from __future__ import annotations

import pytest

from bot.channels.telegram.callbacks import Kind, Tap, decode
from bot.channels.telegram.keyboards import button
from bot.core.assistant import Choice, ChoiceKind
from bot.core.geo import Point


def tap_of(choice: Choice, question_id: int | None = None) -> Tap | None:
    data = button(choice, question_id).callback_data
    assert isinstance(data, str)
    return decode(data)


def test_a_page_button_carries_its_topic_and_offset() -> None:
    tap = tap_of(Choice(ChoiceKind.MORE, "Show 4 more services", "health-care", 3))
    assert tap == Tap(Kind.MORE, ("health-care", "3"))


def test_a_nearby_button_carries_its_point_to_about_100_m() -> None:
    tap = tap_of(Choice(ChoiceKind.NEARBY, "All topics near me", near=Point(50.86904, -4.37911)))
    assert tap is not None and tap.kind is Kind.NEARBY
    assert tap.point() == Point(50.869, -4.379)


def test_topic_and_person_buttons() -> None:
    housing = Choice(ChoiceKind.TOPIC, "🏠 Housing", "housing")
    assert tap_of(housing) == Tap(Kind.TOPIC, ("housing",))
    assert tap_of(Choice(ChoiceKind.HUMAN, "Ask a person"), 42) == Tap(Kind.HUMAN, ("42",))


def test_a_choice_without_its_value_is_a_bug_not_a_button() -> None:
    with pytest.raises(ValueError):
        button(Choice(ChoiceKind.MORE, "Show more"))
