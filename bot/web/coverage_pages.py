"""Coverage across the network, for every staff member who works on the knowledge: a matrix of
topics x cities (bot/core/knowledge/matrix.py), a cell's entries, and what a learning city can
take from its mentor. The knowledge is public information: every city's column is shown to
every editor and translator; what they may change is still checked where they change it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.responses import Response

from bot.core.knowledge import matrix
from bot.core.knowledge.coverage import STATUSES

if TYPE_CHECKING:
    from bot.web.app import View


def _names(view: View) -> dict[str, str]:
    cities = view.console.knowledge().cities
    return {s: c.name.get(view.language) or c.name.get("en") or s for s, c in cities.items()}


def _titles(view: View) -> dict[str, str]:
    topics = view.console.knowledge().topics
    return {
        t: f"{x.emoji} {x.title.get(view.language) or x.title['en']}" for t, x in topics.items()
    }


async def network(view: View) -> Response:
    knowledge = view.console.knowledge()
    cells = matrix.matrix(knowledge)
    learners = {s: c.mentor for s, c in knowledge.cities.items() if c.mentor in knowledge.cities}
    return view.render(
        "coverage.html", cells=cells, cities=list(knowledge.cities), topics=_titles(view),
        names=_names(view), today=datetime.now(UTC).date(), learners=learners,
    )  # fmt: skip


async def cell(view: View) -> Response:
    knowledge = view.console.knowledge()
    city, topic = view.request.path_params["city"], view.request.path_params["topic"]
    if city not in knowledge.cities or topic not in knowledge.topics:
        raise HTTPException(404)
    found = matrix.cell(knowledge, city, topic)
    own = {e.id for e in knowledge.own_entries(city)}
    return view.render(
        "coverage_cell.html", cell=found, city=city, topic=topic, names=_names(view),
        topics=_titles(view), own=own, statuses=STATUSES, today=datetime.now(UTC).date(),
    )  # fmt: skip


async def mentor(view: View) -> Response:
    knowledge = view.console.knowledge()
    city = view.request.path_params["city"]
    if city not in knowledge.cities or knowledge.cities[city].mentor not in knowledge.cities:
        raise HTTPException(404)
    who = view.who
    assert who is not None
    may_add = who.may_edit_entries() and (who.admin or who.city == city)
    return view.render(
        "coverage_mentor.html", city=city, mentor=knowledge.cities[city].mentor,
        templates=list(matrix.from_mentor(knowledge, city)), names=_names(view),
        topics=_titles(view), may_add=may_add,
    )  # fmt: skip
