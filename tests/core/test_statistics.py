"""The statistics' rules: periods, outcome groups and the "fewer than 5 people" rule."""

from __future__ import annotations

from datetime import date

import pytest

from bot.conversation import HEARD
from bot.core.statistics import (
    BadPeriod,
    Cell,
    Outcome,
    Period,
    counted,
    outcome_of,
    suppressed,
)

TODAY = date(2026, 12, 7)


def _cell(questions: int, people: int, prefix: str = "p") -> Cell:
    cell = Cell()
    cell.add(questions, (f"{prefix}{i}" for i in range(people)))
    return cell


def test_periods_are_presets_or_dates_up_to_today_and_at_most_a_year() -> None:
    assert Period.parse(TODAY, None) == Period(date(2026, 11, 8), TODAY)
    assert Period.parse(TODAY, "7").days == 7
    assert Period.parse(TODAY, None, "2026-01-01", "2026-01-31").days == 31
    assert Period.parse(TODAY, None, "2026-12-01") == Period(date(2026, 12, 1), TODAY)
    for days, start, end, reason in [
        ("12", None, None, BadPeriod.FORMAT),
        ("-7", None, None, BadPeriod.FORMAT),
        (None, "yesterday", None, BadPeriod.FORMAT),
        (None, "2026-12-05", "2026-12-01", BadPeriod.ORDER),
        (None, "2026-12-01", "2026-12-08", BadPeriod.FUTURE),
        (None, "2025-01-01", "2026-12-01", BadPeriod.TOO_LONG),
    ]:
        with pytest.raises(BadPeriod) as bad:
            Period.parse(TODAY, days, start, end)
        assert bad.value.reason == reason


def test_greetings_and_thanks_are_counted_apart_from_questions() -> None:
    assert outcome_of("choice") is Outcome.ANSWERED
    assert outcome_of("greeting") is outcome_of("thanks") is Outcome.SOCIAL
    assert outcome_of("escalate") is Outcome.ESCALATED


def test_a_voice_note_to_confirm_is_a_question_back_not_a_failure() -> None:
    """Its transcript, once confirmed, is logged again with its own outcome."""
    assert outcome_of(HEARD) is Outcome.CLARIFIED


def test_a_cell_keeps_at_most_5_people_and_one_person_asking_often_is_one() -> None:
    cell = _cell(40, 9)
    assert len(cell.people) == 5 and cell.enough_people
    alone = Cell()
    for _ in range(30):
        alone.add(1, ("same",))
    assert alone.questions == 30 and not alone.enough_people


def test_a_lone_hidden_cell_takes_the_smallest_other_with_it() -> None:
    shown = suppressed(
        {"a": _cell(50, 9, "a"), "b": _cell(12, 6, "b"), "c": _cell(7, 5, "c"), "d": _cell(3, 2)}
    )
    assert shown.counts == {"a": 50, "b": 12, "c": None, "d": None}
    assert shown.total == 72 and shown.hidden == 2
    two_hidden = suppressed({"a": _cell(50, 9), "b": _cell(3, 2, "b"), "c": _cell(4, 3, "c")})
    assert two_hidden.counts == {"a": 50, "b": None, "c": None}


def test_a_breakdown_of_fewer_than_5_people_hides_its_total_too() -> None:
    shown = suppressed({"a": _cell(10, 2, "x"), "b": _cell(4, 2, "x")})
    assert shown.total is None and set(shown.counts.values()) == {None}


def test_counts_from_the_database_never_count_more_people_than_there_are() -> None:
    assert counted(30, 12).enough_people
    assert not counted(30, 4).enough_people
    union = Cell()
    for cell in (counted(3, 3), counted(4, 4)):
        union.add(cell.questions, cell.people)
    assert not union.enough_people  # maybe the same people: the rule errs on hiding


def test_nothing_asked_is_zero_and_never_the_cell_hidden_beside_a_lone_one() -> None:
    shown = suppressed(
        {"00": Cell(), "13": _cell(40, 9), "14": _cell(30, 8, "b"), "15": _cell(2, 1)}
    )
    assert shown.counts == {"13": 40, "14": None, "00": 0, "15": None}
