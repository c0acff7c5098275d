from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.core.hours import status
from bot.core.knowledge import Entry

BRUSSELS = ZoneInfo("Europe/Brussels")


def entry(**extra: object) -> Entry:
    base: dict[str, object] = {
        "id": "x",
        "topics": ["city-hall"],
        "name": {"en": "X"},
        "description": {"en": "X"},
        "source": "https://example.org",
        "last_reviewed": "2026-11-25",
        "verified": False,
    }
    base.update(extra)
    return Entry.model_validate(base)


WEEKDAYS = {"mon": ["08:30-12:00", "13:00-16:00"], "tue": ["08:30-12:00"], "fri": ["09:00-12:00"]}


def test_open_now_in_the_city_time_zone() -> None:
    # 2026-11-23 is a Monday; 10:00 UTC is 11:00 in Brussels.
    st = status(entry(hours=WEEKDAYS), datetime(2026, 11, 23, 10, 0, tzinfo=UTC), BRUSSELS)
    assert st.open_now is True
    assert st.closes_at == datetime(2026, 11, 23, 12, 0, tzinfo=BRUSSELS)


def test_lunch_break_gives_the_afternoon_opening() -> None:
    st = status(entry(hours=WEEKDAYS), datetime(2026, 11, 23, 11, 30, tzinfo=UTC), BRUSSELS)
    assert st.open_now is False
    assert st.next_open == datetime(2026, 11, 23, 13, 0, tzinfo=BRUSSELS)


def test_closed_days_skip_to_the_next_open_day() -> None:
    # Tuesday afternoon: next opening is Friday morning.
    st = status(entry(hours=WEEKDAYS), datetime(2026, 11, 24, 15, 0, tzinfo=UTC), BRUSSELS)
    assert st.next_open == datetime(2026, 11, 27, 9, 0, tzinfo=BRUSSELS)


def test_closures_and_exceptions_override_the_week() -> None:
    e = entry(
        hours=WEEKDAYS,
        closures=[{"from": date(2026, 11, 23), "to": date(2026, 11, 24)}],
        exceptions=[{"date": date(2026, 11, 25), "hours": ["10:00-11:00"]}],
    )
    st = status(e, datetime(2026, 11, 23, 9, 0, tzinfo=UTC), BRUSSELS)
    assert st.open_now is False
    assert st.next_open == datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS)


def test_always_open_and_unknown_hours() -> None:
    assert status(entry(always_open=True), datetime.now(UTC), BRUSSELS).always_open
    assert status(entry(), datetime.now(UTC), BRUSSELS).open_now is None


def test_daylight_saving_change_keeps_local_hours() -> None:
    # 2026-03-30 is the Monday after the switch to summer time: 08:00 UTC is 10:00 local.
    st = status(entry(hours=WEEKDAYS), datetime(2026, 3, 30, 8, 0, tzinfo=UTC), BRUSSELS)
    assert st.open_now is True
