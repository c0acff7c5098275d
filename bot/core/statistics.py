"""What the statistics count and what they may show: the period, the outcome groups, a tally
of questions with up to 5 people's keys per cell, and the "fewer than 5 people" rule.

A cell (a topic, a language, an hour...) counts questions, and knows whether 5 or more
different people asked them. One under 5 people is shown as "< 5", never as a number. Where a
breakdown hides exactly one cell, the next smallest is hidden too (secondary suppression):
otherwise the hidden one would be the total minus the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

#: Fewer different people than this in a cell and it is shown as "< 5".
THRESHOLD: Final = 5
#: The periods offered as links; any other from-to of whole days may be asked.
PRESETS: Final = (7, 30, 90)
LONGEST: Final = timedelta(days=366)


class Dimension(StrEnum):
    TOPIC = "topic"
    LANGUAGE = "language"
    OUTCOME = "outcome"
    HOUR = "hour"  # the hour of the day in the city's time zone, "00" to "23"


class Outcome(StrEnum):
    """What became of a message, as the statistics group the assistant's actions."""

    ANSWERED = "answered"  # an answer, or a topic chosen from the menu
    CLARIFIED = "clarified"  # asked to choose between topics, or to confirm a voice note
    UNKNOWN = "unknown"
    OUT_OF_SCOPE = "out-of-scope"
    ESCALATED = "escalated"  # asked for a person
    HELP = "help"  # "help" alone or distress: the emergency number, the menu and a person
    SOCIAL = "social"  # a greeting or thanks: not a question, counted apart


_OUTCOMES: Final = {
    "answer": Outcome.ANSWERED,
    "choice": Outcome.ANSWERED,
    "clarify": Outcome.CLARIFIED,
    # A voice note's transcript the user was asked to confirm (bot/conversation.py HEARD): like
    # a choice of topics, a question back; what it then asked is logged again once confirmed.
    "heard": Outcome.CLARIFIED,
    "unknown": Outcome.UNKNOWN,
    "out-of-scope": Outcome.OUT_OF_SCOPE,
    "escalate": Outcome.ESCALATED,
    "help": Outcome.HELP,
    "greeting": Outcome.SOCIAL,
    "thanks": Outcome.SOCIAL,
}


def outcome_of(action: str) -> Outcome:
    """The outcome group of a logged action (bot/core/decision.py `Action`, or "choice")."""
    return _OUTCOMES.get(action, Outcome.UNKNOWN)


class BadPeriod(ValueError):
    """A period that cannot be shown: the reason is one of the class constants."""

    ORDER = "order"  # from after to
    FUTURE = "future"
    TOO_LONG = "too-long"
    FORMAT = "format"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Period:
    """Whole UTC days, `first` to `last` included."""

    first: date
    last: date

    @classmethod
    def last_days(cls, days: int, today: date) -> Period:
        return cls(today - timedelta(days=days - 1), today)

    @classmethod
    def parse(
        cls, today: date, days: str | None, start: str | None = None, end: str | None = None
    ) -> Period:
        """From a request's `days`, or `from` and `to` (ISO dates); 30 days when none."""
        if start or end:
            try:
                first = date.fromisoformat(start or "")
                last = date.fromisoformat(end) if end else today
            except ValueError:
                raise BadPeriod(BadPeriod.FORMAT) from None
            if first > last:
                raise BadPeriod(BadPeriod.ORDER)
            if last > today:
                raise BadPeriod(BadPeriod.FUTURE)
            if last - first >= LONGEST:
                raise BadPeriod(BadPeriod.TOO_LONG)
            return cls(first, last)
        if days is None:
            return cls.last_days(30, today)
        if not days.isdigit() or int(days) not in PRESETS:
            raise BadPeriod(BadPeriod.FORMAT)
        return cls.last_days(int(days), today)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def each_day(self) -> Iterable[date]:
        for n in range(self.days):
            yield self.first + timedelta(days=n)


@dataclass(slots=True)
class Cell:
    """Questions counted, and up to `THRESHOLD` different people's keys among them."""

    questions: int = 0
    people: set[str] = field(default_factory=set)

    def add(self, questions: int, people: Iterable[str]) -> None:
        self.questions += questions
        for key in people:
            if len(self.people) >= THRESHOLD:
                break
            self.people.add(key)

    @property
    def enough_people(self) -> bool:
        return len(self.people) >= THRESHOLD


#: Stand-ins for the people of a cell known to have 5 or more (no real key looks like them):
#: the union with any other keys is then 5 or more too, which is all the rule asks.
ENOUGH: Final = tuple(f"+{i}" for i in range(THRESHOLD))

Tally = dict[tuple[str, str], Cell]  # (dimension, value) -> cell


def counted(questions: int, people: int) -> Cell:
    """A cell whose different people the database counted: stand-ins for them, as many as
    the rule needs. Joined with other cells they may count fewer people, never more."""
    return Cell(questions, set(ENOUGH[: min(people, THRESHOLD)]))


def add_to(tally: Tally, dimension: str, value: str, questions: int, people: Iterable[str]) -> None:
    tally.setdefault((dimension, value), Cell()).add(questions, people)


def merge(into: Tally, other: Mapping[tuple[str, str], Cell]) -> None:
    for key, cell in other.items():
        into.setdefault(key, Cell()).add(cell.questions, cell.people)


@dataclass(frozen=True, slots=True)
class Shown:
    """A breakdown as it may be shown: each value's count, None where it is "< 5"."""

    counts: dict[str, int | None]
    total: int | None  # None when the whole breakdown has fewer than 5 people

    @property
    def hidden(self) -> int:
        return sum(1 for n in self.counts.values() if n is None)


def suppressed(cells: Mapping[str, Cell], everyone: Cell | None = None) -> Shown:
    """The counts of a breakdown, those of fewer than 5 people hidden; if that hides exactly
    one, the smallest other is hidden with it, so that no hidden count is the total minus
    the others. Nothing asked is 0: no one to single out. `everyone` is the whole
    breakdown's (for its total), else the cells' union."""
    counts: dict[str, int | None] = {
        value: (cell.questions if cell.enough_people or not cell.questions else None)
        for value, cell in cells.items()
    }
    if sum(1 for n in counts.values() if n is None) == 1:
        # A zero hidden with it would protect nothing: the smallest that is not zero.
        visible = [(n, value) for value, n in counts.items() if n]
        if visible:
            counts[min(visible)[1]] = None
    if everyone is None:
        everyone = Cell()
        for cell in cells.values():
            everyone.add(cell.questions, cell.people)
    total = everyone.questions if everyone.enough_people else None
    ordered = dict(sorted(counts.items(), key=lambda kv: (-(kv[1] or 0), kv[0])))
    return Shown(ordered, total)
