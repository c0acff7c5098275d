"""The gaps page: what a city's people asked that Guichet could not answer, in clusters of one
meaning (bot/storage/gaps.py), each with its size, trend, languages and a few example texts
(never who asked), and one decision for the whole cluster: phrasings of a topic, a new entry
asked for, or out of scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from bot.core.gaps import EXAMPLES
from bot.core.i18n import N_, Message
from bot.core.knowledge import TOPIC_IDS
from bot.storage.gaps import LONGEST, PERIODS, GapDecision
from bot.storage.review import Refused, may_review
from bot.web.pages import known_city_name
from bot.web.review_pages import topic_choices

if TYPE_CHECKING:
    from bot.web.app import View

#: Clusters shown on the page; the smaller ones are counted.
SHOWN: Final = 20
CHOOSE_A_PERIOD: Final = N_("Choose a period of 1 to {most} days.")


def _days(raw: str | None) -> int | None:
    """The period asked for (the last 7 days by default); None: not a period we offer."""
    if raw is None or raw == "":
        return PERIODS[0]
    if not raw.isdigit() or not 1 <= int(raw) <= LONGEST:
        return None
    return int(raw)


def _ids(values: Sequence[object]) -> list[int]:
    return [int(v) for v in values if isinstance(v, str) and v.isdigit()]


async def _page(
    view: View,
    slug: str,
    days: int | None,
    *,
    status: int = 200,
    problems: dict[int, list[str]] | None = None,
    sent: dict[int, str] | None = None,
) -> Response:
    who = view.who
    assert who is not None
    name = known_city_name(view, slug)
    common = {"slug": slug, "city_name": name, "periods": PERIODS, "topics": topic_choices(view)}
    if days is None:
        if not may_review(who, slug):
            raise HTTPException(404)
        wrong = Message(CHOOSE_A_PERIOD, {"most": LONGEST}).in_(view.t)
        return view.render("gaps.html", 422, report=None, days=None, error=wrong, **common)
    report = await view.console.gaps.of_city(who, slug, days, datetime.now(UTC))
    if report is None:
        raise HTTPException(404)
    problems = problems or {}
    clusters = report.clusters[:SHOWN]
    shown = {c.ids[0] for c in clusters}
    # A refusal about a group no longer on the page (decided meanwhile) is said at the top.
    elsewhere = [m for key, ms in problems.items() if key not in shown for m in ms]
    return view.render(
        "gaps.html", status, report=report, days=days, clusters=clusters, elsewhere=elsewhere,
        smaller=len(report.clusters[SHOWN:]), problems=problems, sent=sent or {},
        done=view.request.query_params.get("done"), when=view.t.date, **common,
    )  # fmt: skip


async def gaps(view: View) -> Response:
    slug = view.request.path_params["city"]
    return await _page(view, slug, _days(view.request.query_params.get("days")))


async def decide(view: View) -> Response:
    """One decision for a whole cluster (its question ids come with the form); refused, the
    page is shown again saying why, with what was sent."""
    who = view.who
    assert who is not None
    slug = view.request.path_params["city"]
    form = await view.request.form()
    days = _days(str(form.get("days", ""))) or PERIODS[0]
    ids = _ids(form.getlist("q"))
    action = form.get("action")
    gaps_store = view.console.gaps
    if action == "phrasing":
        chosen = {i: str(form.get(f"text-{i}", "")) for i in _ids(form.getlist("phrase"))}
        topic = str(form.get("topic", ""))
        outcome = await gaps_store.add_phrasings(who, slug, ids, topic, chosen, datetime.now(UTC))
        done = GapDecision.PHRASED
    elif action in (GapDecision.OUT_OF_SCOPE.value, GapDecision.ENTRY.value):
        done = GapDecision(str(action))
        outcome = await gaps_store.decide(who, slug, ids, done)
    else:
        outcome = None
    if outcome is None or not ids:
        raise HTTPException(404)
    if isinstance(outcome, Refused):
        problems = {ids[0]: [m.in_(view.t) for m in outcome.problems]}
        sent = {int(k[5:]): str(v) for k, v in form.multi_items() if k.startswith("text-")}
        return await _page(view, slug, days, status=422, problems=problems, sent=sent)
    if done is GapDecision.ENTRY:
        examples = [("gap", str(i)) for i in _ids(form.getlist("example"))[:EXAMPLES]]
        topic = str(form.get("topic", ""))
        query = [("topic", topic)] if topic in TOPIC_IDS else []
        return RedirectResponse(f"/city/{slug}/new?{urlencode([*examples, *query])}", 303)
    return RedirectResponse(f"/city/{slug}/gaps?days={days}&done={done.value}", 303)
