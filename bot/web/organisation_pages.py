"""An organisation of the support network, for its NGO coordinator and for network admins:
its volunteers and the anonymous figures of the questions they took (bot/storage/
network_figures.py). Counts and durations only: no question, message or person who asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from babel.dates import format_timedelta
from starlette.exceptions import HTTPException
from starlette.responses import Response

if TYPE_CHECKING:
    from bot.web.app import View


async def organisation(view: View) -> Response:
    who = view.who
    assert who is not None
    found = await view.console.figures.organisation(
        who, view.request.path_params["organisation"], datetime.now(UTC)
    )
    if found is None:  # another organisation's, or none: the same "no such page"
        raise HTTPException(404)
    knowledge = view.console.knowledge()
    topics = {
        tid: topic.title.get(view.language) or topic.title["en"]
        for tid, topic in knowledge.topics.items()
    }
    city = knowledge.cities.get(found.city)
    city_name = (city.name.get(view.language) or city.name.get("en")) if city else None
    locale = view.t.locale

    def duration(value: timedelta | None) -> str:
        if value is None:
            return "–"
        return format_timedelta(value, threshold=1.5, format="short", locale=locale)

    return view.render(
        "organisation.html",
        org=found,
        city_name=city_name or found.city,
        topics=topics,
        duration=duration,
        since=view.t.date(found.since),
    )
