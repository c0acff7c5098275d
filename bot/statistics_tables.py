"""A city's statistics as tables in a language: the console's page draws each as a table and a
chart, and offers it as CSV; `python main.py stats` prints them as Markdown or CSV. A cell of
fewer than 5 people reads "< 5" everywhere (bot/core/statistics.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from bot.core.i18n import Translator
from bot.core.knowledge import Knowledge
from bot.core.statistics import BadPeriod, Outcome, Shown
from bot.storage.statistics import ALL, CityStatistics

HIDDEN: Final = "< 5"


@dataclass(frozen=True, slots=True)
class Value:
    text: str
    number: float | None  # None: "< 5" or nothing to draw


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Table:
    slug: str  # its CSV's name
    title: str
    heading: str  # of the labels' column
    columns: tuple[str, ...]
    lines: tuple[Line, ...]
    total: Line | None
    chart: str | None  # "bar" (horizontal), "column", or None: a table only


def _count(n: int | None) -> Value:
    return Value(HIDDEN, None) if n is None else Value(str(n), n)


def _minutes(d: timedelta | None, tickets: int | None) -> Value:
    """A median in minutes; "< 5" where its tickets' people are fewer than 5."""
    if tickets is None:
        return Value(HIDDEN, None)
    return Value("–", None) if d is None else Value(str(round(d.total_seconds() / 60)), None)


def period_problem(reason: str, t: Translator) -> str:
    """What to say of a period that cannot be shown (bot/core/statistics.py `BadPeriod`)."""
    _ = t.gettext
    return {
        BadPeriod.ORDER: _("The first day is after the last one. Choose the dates again."),
        BadPeriod.FUTURE: _("The last day is still to come. Choose a day up to today."),
        BadPeriod.TOO_LONG: _("A period may be a year at most. Choose a shorter one."),
    }.get(reason, _("Choose 7, 30 or 90 days, or two dates (year-month-day)."))


def outcome_labels(t: Translator) -> dict[str, str]:
    _ = t.gettext
    return {
        Outcome.ANSWERED: _("answered"),
        Outcome.CLARIFIED: _("asked to choose a topic"),
        Outcome.UNKNOWN: _("not understood"),
        Outcome.OUT_OF_SCOPE: _("out of scope"),
        Outcome.ESCALATED: _("asked for a person"),
        Outcome.HELP: _("asked for help (emergency numbers shown)"),
        Outcome.SOCIAL: _("greetings and thanks (not questions)"),
    }


def tables(stats: CityStatistics, knowledge: Knowledge, t: Translator) -> list[Table]:
    _ = t.gettext
    lang = t.language

    def topic(tid: str) -> str:
        found = knowledge.topics.get(tid)
        if not tid:
            return _("no topic")
        return f"{found.emoji} {found.title.get(lang) or found.title['en']}" if found else tid

    entries = {e.id: e for e in knowledge.all_entries()}

    def entry(eid: str) -> str:
        found = entries.get(eid)
        if found is None:
            return eid
        named = found.text("name", lang)
        return named.text if named else found.name.get("en") or eid

    def language(code: str) -> str:
        return t.language_name(code) if code else _("language not told")

    outcomes = outcome_labels(t)
    total = _("Total")

    def counts(
        slug: str, title: str, heading: str, shown: Shown, label: Callable[[str], str],
        chart: str | None = "bar", keys: Iterable[str] | None = None,
    ) -> Table:  # fmt: skip
        order = list(keys) if keys is not None else list(shown.counts)
        lines = tuple(Line(label(k), (_count(shown.counts[k]),)) for k in order)
        return Table(
            slug, title, heading, (_("Questions"),), lines,
            Line(total, (_count(shown.total),)), chart,
        )  # fmt: skip

    votes_topics = sorted(set(stats.helpful_topics.counts) | set(stats.unhelpful_topics.counts))
    votes_entries = sorted(set(stats.helpful_entries.counts) | set(stats.unhelpful_entries.counts))
    return [
        counts("topics", _("Questions by topic"), _("Topic"), stats.topics, topic),
        counts("languages", _("Questions by language"), _("Language"), stats.languages, language),
        counts(
            "outcomes", _("What became of the messages"), _("Outcome"), stats.outcomes,
            lambda k: outcomes.get(k, k),
        ),
        counts(
            "hours", _("Busiest hours (%(zone)s time)") % {"zone": stats.zone}, _("Hour"),
            stats.hours, lambda h: f"{h}:00", "column", sorted(stats.hours.counts),
        ),
        Table(
            "votes-topics", _("👍 and 👎 per topic"), _("Topic"), ("👍", "👎"),
            tuple(
                Line(topic(k), (_count(stats.helpful_topics.counts.get(k, 0)),
                                _count(stats.unhelpful_topics.counts.get(k, 0))))
                for k in votes_topics
            ),
            None, "bar",
        ),
        Table(
            "votes-entries", _("👍 and 👎 per entry (the entry an answer showed first)"),
            _("Entry"), ("👍", "👎"),
            tuple(
                Line(entry(k), (_count(stats.helpful_entries.counts.get(k, 0)),
                                _count(stats.unhelpful_entries.counts.get(k, 0))))
                for k in votes_entries
            ),
            None, None,
        ),
        Table(
            "tickets", _("Questions handed to volunteers, by language"), _("Language"),
            (_("Questions"), _("Answered (%)"), _("Typical minutes until taken"),
             _("Typical minutes to a first answer")),
            tuple(
                Line(
                    _("every language") if line.language == ALL else language(line.language),
                    (
                        _count(line.tickets),
                        Value(HIDDEN, None) if line.answered_share is None
                        else Value(str(round(line.answered_share * 100)), None),
                        _minutes(line.to_claim, line.tickets),
                        _minutes(line.to_answer, line.tickets),
                    ),
                )
                for line in stats.tickets
            ),
            None, None,
        ),
    ]  # fmt: skip


def as_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([table.heading, *table.columns])
    for line in (*table.lines, *((table.total,) if table.total else ())):
        writer.writerow([line.label, *(v.text for v in line.values)])
    return out.getvalue()


def as_long_csv(found: Iterable[Table]) -> str:
    """Every table in one CSV, a row per cell: table, label, column, value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["table", "label", "column", "value"])
    for table in found:
        for line in (*table.lines, *((table.total,) if table.total else ())):
            for column, value in zip(table.columns, line.values, strict=True):
                writer.writerow([table.slug, line.label, column, value.text])
    return out.getvalue()


def as_markdown(table: Table) -> list[str]:
    def row(cells: Iterable[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [f"## {table.title}", "", row([table.heading, *table.columns])]
    lines.append(row(["---"] * (1 + len(table.columns))))
    for line in (*table.lines, *((table.total,) if table.total else ())):
        lines.append(row([line.label, *(v.text for v in line.values)]))
    return [*lines, ""]
