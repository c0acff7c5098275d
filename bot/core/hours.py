"""Opening hours: is a service open now, and when does it next open, in its city's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.knowledge.model import WEEKDAYS, Entry, TimeRange

#: How far ahead to look for the next opening (closures can be long, such as summer breaks).
LOOKAHEAD_DAYS = 45


@dataclass(frozen=True, slots=True)
class OpenStatus:
    """None for `open_now` means the entry has no hours we can tell from."""

    open_now: bool | None
    always_open: bool = False
    closes_at: datetime | None = None
    next_open: datetime | None = None
    #: closed for a while: the last day of the closure, or None when no end is known
    closed_until: date | None = None
    temporarily_closed: bool = False


def ranges_on(entry: Entry, day: date) -> list[TimeRange]:
    """The opening slots of one calendar day, after exceptions and closures."""
    for exc in entry.exceptions:
        if exc.date == day:
            return sorted(exc.hours, key=lambda r: r.start)
    if any(c.covers(day) for c in entry.closures):
        return []
    if entry.temporarily_closed and entry.temporarily_closed.covers(day):
        return []
    weekly = entry.hours or {}
    return sorted(weekly.get(WEEKDAYS[day.weekday()], []), key=lambda r: r.start)


def _at(day: date, moment: time | None, zone: ZoneInfo) -> datetime:
    if moment is None:
        return datetime.combine(day + timedelta(days=1), time(0), zone)
    return datetime.combine(day, moment, zone)


def status(entry: Entry, now: datetime, zone: ZoneInfo) -> OpenStatus:
    """Where `entry` stands at `now` (any time zone), computed in the city's `zone`."""
    closure = entry.temporarily_closed
    if closure and closure.covers(now.astimezone(zone).date()):
        return OpenStatus(open_now=False, closed_until=closure.until, temporarily_closed=True)
    if entry.always_open:
        return OpenStatus(open_now=True, always_open=True)
    if not entry.hours and not entry.exceptions:
        return OpenStatus(open_now=None)
    local = now.astimezone(zone)
    today = local.date()
    for r in ranges_on(entry, today):
        start, end = _at(today, r.start, zone), _at(today, r.end, zone)
        if start <= local < end:
            return OpenStatus(open_now=True, closes_at=end)
    for offset in range(LOOKAHEAD_DAYS):
        day = today + timedelta(days=offset)
        for r in ranges_on(entry, day):
            start = _at(day, r.start, zone)
            if start > local:
                return OpenStatus(open_now=False, next_open=start)
    return OpenStatus(open_now=False)
