"""The console's posters: a city's, or one topic's, as PDF or PNG, for the city's editors and
admins (the section on the city's page lists them; see bot/posters/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from bot.core.i18n import N_
from bot.posters.content import FORMATS, filename, make_poster

if TYPE_CHECKING:
    from bot.web.app import View

NO_USERNAME: Final = N_("Posters need the bot's Telegram username: set GUICHET_BOT_USERNAME.")


@dataclass(frozen=True)
class Section:
    """The city page's "Posters": each topic's id and title in the console's language."""

    topics: tuple[tuple[str, str], ...]
    ready: bool  # False without the bot's username: the section says what to set


def section(view: View) -> Section | None:
    """The section for an editor or admin; None for anyone else."""
    if view.who is None or not view.who.may_edit_entries():
        return None
    topics = view.console.knowledge().topics.values()
    titles = tuple((t.id, t.title.get(view.language) or t.title["en"]) for t in topics)
    return Section(titles, bool(view.console.bot_username))


async def poster(view: View) -> Response:
    """`/city/<slug>/poster.<pdf|png>` and `/city/<slug>/poster/<topic>.<pdf|png>`."""
    who = view.who
    assert who is not None
    params = view.request.path_params
    slug, fmt, topic = params["city"], params["format"], params.get("topic")
    knowledge = view.console.knowledge()
    if (
        fmt not in FORMATS
        or slug not in knowledge.cities
        or (topic is not None and topic not in knowledge.topics)
        or not who.may_edit_entries()
        or (not who.admin and slug != who.city)
    ):
        raise HTTPException(404)
    username = view.console.bot_username
    if not username:
        return view.render("error.html", 503, message=view.t.gettext(NO_USERNAME))
    made = make_poster(knowledge, slug, username, topic)
    # Imported when first asked for: fpdf2 and PDFium cost the bot process about 60 MB.
    from bot.posters.render import render

    data = await run_in_threadpool(render, made, fmt)  # about a second of CPU: off the loop
    disposition = f'attachment; filename="{filename(made, fmt)}"'
    return Response(data, media_type=FORMATS[fmt], headers={"Content-Disposition": disposition})
