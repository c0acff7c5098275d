"""The review queue's page: each suggestion of a city (question, answer, language, guessed
topic; never who asked or answered) with one button per decision (bot/storage/review.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from bot.core.knowledge import TOPIC_IDS
from bot.storage.editing import Stored
from bot.storage.review import Outcome, Refused, Suggestion
from bot.web.pages import entry_name, known_city_name

if TYPE_CHECKING:
    from bot.web.app import View


def _entry_choices(
    stored: list[Stored], suggestion: Suggestion, name: dict[str, str]
) -> list[tuple[str, str]]:
    """The city's entries for the "common question" select: those of the guessed topic first
    (the first of them preselected)."""
    ordered = sorted(stored, key=lambda s: suggestion.topic not in s.entry.topics)
    return [(s.entry.id, name[s.entry.id]) for s in ordered]


def topic_choices(view: View) -> dict[str, str]:
    """The topics to choose from, in the menu's order, with their emoji and title."""
    topics = view.console.knowledge().topics
    titles = {tid: t.title.get(view.language) or t.title["en"] for tid, t in topics.items()}
    return {tid: f"{topics[tid].emoji} {titles[tid]}" for tid in TOPIC_IDS if tid in topics}


async def _page(
    view: View,
    slug: str,
    *,
    status: int = 200,
    problems: dict[int, list[str]] | None = None,
    sent: dict[int, str] | None = None,
) -> Response:
    who = view.who
    assert who is not None
    name = known_city_name(view, slug)
    found = await view.console.review.queue(who, slug, datetime.now(UTC))
    if found is None:
        raise HTTPException(404)
    stored = await view.console.editor.city_entries(who, slug) if found else []
    names = {s.entry.id: entry_name(s.entry, view.language) for s in stored}
    topics = topic_choices(view)
    return view.render(
        "review.html", status, slug=slug, suggestions=found, topics=topics,
        city_name=name, entries={s.id: _entry_choices(stored, s, names) for s in found},
        problems=problems or {}, sent=sent or {}, when=view.t.date,
        done=view.request.query_params.get("done"),
    )  # fmt: skip


async def queue(view: View) -> Response:
    return await _page(view, view.request.path_params["city"])


async def decide(view: View) -> Response:
    """One decision on one suggestion; a refused one shows the queue again, saying why."""
    who = view.who
    assert who is not None
    slug, number = view.request.path_params["city"], view.request.path_params["suggestion"]
    form = await view.request.form()
    action, text = form.get("action"), str(form.get("text", ""))
    now = datetime.now(UTC)
    review = view.console.review
    outcome: Outcome
    if action == "phrasing":
        topic = str(form.get("topic", ""))
        outcome = await review.add_phrasing(who, slug, number, topic, text, now)
    elif action == "common":
        entry = str(form.get("entry", ""))
        outcome = await review.add_common_question(who, slug, number, entry, text, now)
    elif action == "dismiss":
        outcome = await review.dismiss(who, slug, number, now)
    else:
        outcome = None
    if outcome is None:
        raise HTTPException(404)
    if isinstance(outcome, Refused):
        problems = {number: [m.in_(view.t) for m in outcome.problems]}
        return await _page(view, slug, status=422, problems=problems, sent={number: text})
    return RedirectResponse(f"/city/{slug}/review?done={outcome.value}", status_code=303)
