"""A city's statistics, for its staff (every role, their own city; admins every city): the
tables of bot/statistics_tables.py, each drawn as a chart by Chart.js (vendored) from the
table itself, and each a CSV download. Counts only, "< 5" below 5 people."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.responses import Response

from bot.core.statistics import PRESETS, BadPeriod, Period
from bot.statistics_tables import as_csv, period_problem, tables
from bot.storage.statistics import CityStatistics
from bot.web.pages import known_city_name

if TYPE_CHECKING:
    from bot.web.app import View


async def _figures(view: View, now: datetime) -> tuple[str, Period, CityStatistics | None]:
    """The city, the period asked and its figures (None: a bad period, said by BadPeriod)."""
    who = view.who
    assert who is not None
    slug = view.request.path_params["city"]
    city = view.console.knowledge().cities.get(slug)
    if city is None:
        raise HTTPException(404)
    q = view.request.query_params
    period = Period.parse(now.date(), q.get("days"), q.get("from"), q.get("to"))
    found = await view.console.statistics.city(who, slug, period, ZoneInfo(city.timezone), now)
    if found is None:  # another city's: "no such page"
        raise HTTPException(404)
    return slug, period, found


async def page(view: View) -> Response:
    now = datetime.now(UTC)
    slug = view.request.path_params["city"]
    knowledge = view.console.knowledge()
    q = view.request.query_params
    try:
        _, period, found = await _figures(view, now)
    except BadPeriod as bad:
        return view.render(
            "statistics.html", 400, slug=slug, stats=None, tables=[], presets=PRESETS,
            city_name=known_city_name(view, slug),
            problem=period_problem(bad.reason, view.t), query="",
            start=q.get("from", ""), end=q.get("to", ""), days=None,
        )  # fmt: skip
    assert found is not None
    query = view.request.url.query
    return view.render(
        "statistics.html", slug=slug, stats=found, tables=tables(found, knowledge, view.t),
        city_name=known_city_name(view, slug),
        presets=PRESETS, problem=None, query=f"?{query}" if query else "",
        start=period.first.isoformat(), end=period.last.isoformat(),
        days=period.days if period.last == now.date() and period.days in PRESETS else None,
        first=view.t.date(period.first), last=view.t.date(period.last),
    )  # fmt: skip


async def download(view: View) -> Response:
    """One table as CSV, in the console's language, for the same period as the page."""
    try:
        slug, period, found = await _figures(view, datetime.now(UTC))
    except BadPeriod as bad:
        return view.render("error.html", 400, message=period_problem(bad.reason, view.t))
    assert found is not None
    name = view.request.path_params["table"]
    for table in tables(found, view.console.knowledge(), view.t):
        if table.slug == name:
            filename = f"{slug}-{name}-{period.first}-{period.last}.csv"
            return Response(
                as_csv(table),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
    raise HTTPException(404)
