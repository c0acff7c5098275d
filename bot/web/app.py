"""The staff console: a Starlette app, as thin as the Telegram handlers, on the same stores.

Usage:
    python main.py console          # the console alone, before the bot goes live
    python main.py run              # the bot and the console in one process

Pages are Jinja2 templates with htmx (vendored in static/) for the parts that update in place.
Every request reads who is signed in, and a page that is not for their role (the knowledge
for an NGO coordinator, an organisation for an editor) is "not found" (404). Every query goes
through a store that scopes it to what that person may see (the Editor, NetworkFigures), so
another city's entry or another organisation is "not found" too, not a page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Lifespan

from bot.core.i18n import translator
from bot.core.knowledge import Knowledge
from bot.core.knowledge.model import WEEKDAYS
from bot.core.languages import UI_LANGUAGES, is_rtl
from bot.settings import WebSettings
from bot.storage.editing import Editor
from bot.storage.gaps import Gaps
from bot.storage.network_figures import NetworkFigures
from bot.storage.phrasings import Phrasings
from bot.storage.questions import QuestionLog
from bot.storage.review import Review
from bot.storage.staff import KNOWLEDGE_ROLES, NETWORK_ROLES, Role, Staff, StaffStore
from bot.storage.statistics import Statistics
from bot.web import (
    coverage_pages,
    gap_pages,
    organisation_pages,
    pages,
    poster_pages,
    review_pages,
    statistics_pages,
)
from bot.web.auth import (
    CONSOLE_LANGUAGES,
    SESSION_SECONDS,
    console_language,
    csrf_ok,
    csrf_token,
    session_secret,
    signed_in,
)

HERE: Final = Path(__file__).resolve().parent
EVERYONE: Final = frozenset(Role)
#: Every page's Content-Security-Policy: scripts and styles from the console's own files only
#: (htmx, Chart.js and statistics.js in static/), no inline script or style, no plugin, no
#: frame around it. Files (CSV, PDF, spreadsheets) are not pages and get none.
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
POSTER_ROLES: Final = frozenset({Role.ADMIN, Role.EDITOR})


@dataclass(frozen=True)
class Console:
    """What the console's pages work with, built by the one wiring place (bot/app.py)."""

    staff: StaffStore
    editor: Editor
    questions: QuestionLog
    phrasings: Phrasings
    figures: NetworkFigures
    review: Review  # volunteers' answers for editors to turn into knowledge
    gaps: Gaps  # what Guichet could not answer, grouped by meaning
    statistics: Statistics  # a city's anonymous figures, for its staff
    knowledge: Callable[[], Knowledge]  # the live knowledge, for topic titles and city names
    settings: WebSettings
    bot_username: str | None = None  # for the posters' QR codes (GUICHET_BOT_USERNAME)


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


class View:
    """One request's context: the person, their console language and the template render."""

    def __init__(self, console: Console, env: Environment, request: Request) -> None:
        self.console = console
        self.env = env
        self.request = request
        self.language = console_language(request)
        self.t = translator(self.language)
        self.who: Staff | None = None

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        t = self.t
        html = self.env.get_template(template).render(
            _=t.gettext,
            t=t,
            ngettext=t.ngettext,
            ui=self.language,
            ui_languages=CONSOLE_LANGUAGES,
            language_name=t.language_name,
            rtl=is_rtl,
            who=self.who,
            csrf=csrf_token(self.request),
            path=self.request.url.path,
            all_languages=UI_LANGUAGES,
            weekday_names=dict(
                zip(WEEKDAYS, (t.locale.days["format"]["wide"][i] for i in range(7)), strict=True)
            ),
            **context,
        )
        return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP})


def build_console(
    console: Console,
    lifespan: Lifespan[Any] | None = None,
    extra: Sequence[BaseRoute] = (),
) -> Starlette:
    """The console's app; `extra` routes are served beside it (Telegram's webhook)."""
    env = templates()

    def page(
        handler: Callable[[View], Any],
        *,
        public: bool = False,
        roles: frozenset[Role] = KNOWLEDGE_ROLES,
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                return stay(request, await checked(request))
            finally:
                await request.close()  # a form's uploaded files (temporary copies) too

        async def checked(request: Request) -> Response:
            view = View(console, env, request)
            _ = view.t.gettext
            # Every POST, the sign-in's too: the sign-in page gave this browser a token, so a
            # page elsewhere cannot sign it in as someone else (login CSRF).
            if request.method == "POST" and not await csrf_ok(request):
                expired = _("This form has expired. Go back, reload the page and try again.")
                return view.render("error.html", 403, message=expired)
            if not public:
                view.who = await signed_in(request, console.staff)
                if view.who is None:
                    return view.render("signin.html", 401)
                if view.who.role not in roles:
                    raise HTTPException(404)
            response: Response = await handler(view)
            return response

        return endpoint

    async def not_found(request: Request, exc: Exception) -> Response:
        view = View(console, env, request)
        view.who = await signed_in(request, console.staff)
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        _ = view.t.gettext
        message = _("You may not do this.") if status == 403 else _("There is no such page.")
        return stay(request, view.render("error.html", status, message=message))

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [
        Route("/", page(pages.home, roles=EVERYONE)),
        Route("/login/{token}", page(pages.login_form, public=True)),
        Route("/login/{token}", page(pages.login, public=True), methods=["POST"]),
        Route("/logout", page(pages.logout, roles=EVERYONE), methods=["POST"]),
        Route(
            "/organisations/{organisation:int}",
            page(organisation_pages.organisation, roles=NETWORK_ROLES),
        ),
        Route("/coverage", page(coverage_pages.network)),
        Route("/coverage/mentor/{city}", page(coverage_pages.mentor)),
        Route("/coverage/{city}/{topic}", page(coverage_pages.cell)),
        Route("/city/{city}", page(pages.city)),
        Route("/city/{city}/sheet/{language}.xlsx", page(pages.sheet_download)),
        Route("/city/{city}/sheet", page(pages.sheet_upload), methods=["POST"]),
        Route("/city/{city}/poster.{format}", page(poster_pages.poster, roles=POSTER_ROLES)),
        Route(
            "/city/{city}/poster/{topic}.{format}",
            page(poster_pages.poster, roles=POSTER_ROLES),
        ),
        Route("/city/{city}/new", page(pages.new_entry)),
        Route("/city/{city}/new", page(pages.create_entry), methods=["POST"]),
        Route("/city/{city}/review", page(review_pages.queue)),
        Route("/city/{city}/review/{suggestion:int}", page(review_pages.decide), methods=["POST"]),
        Route("/city/{city}/gaps", page(gap_pages.gaps)),
        Route("/city/{city}/gaps", page(gap_pages.decide), methods=["POST"]),
        Route("/city/{city}/statistics", page(statistics_pages.page, roles=EVERYONE)),
        Route(
            "/city/{city}/statistics/{table}.csv",
            page(statistics_pages.download, roles=EVERYONE),
        ),
        Route("/city/{city}/words", page(pages.words)),
        Route("/city/{city}/words", page(pages.save_words), methods=["POST"]),
        Route("/entries/{entry}", page(pages.entry)),
        Route("/entries/{entry}/facts", page(pages.save_facts), methods=["POST"]),
        Route("/entries/{entry}/texts/{language}", page(pages.save_texts), methods=["POST"]),
        Route("/entries/{entry}/confirm", page(pages.confirm), methods=["POST"]),
        Route("/entries/{entry}/revisions", page(pages.revisions)),
        Route("/entries/{entry}/revisions/{number:int}", page(pages.revision)),
        Route(
            "/entries/{entry}/revisions/{number:int}/restore",
            page(pages.restore),
            methods=["POST"],
        ),
        Route("/healthz", health),
        *extra,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    https = console.settings.public_url.startswith("https://")
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=session_secret(console.settings),
            session_cookie="guichet_console",
            max_age=SESSION_SECONDS,
            same_site="lax",
            https_only=https,
        )
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: not_found},
        lifespan=lifespan,
    )


def stay(request: Request, response: Response) -> Response:
    """A form's answer that is a page, not a redirect (a problem to show, or signed out): the
    address stays the form's page. Otherwise htmx shows the POST's address, which reloading or
    a link built on it would GET (405)."""
    if request.method == "POST" and not 300 <= response.status_code < 400:
        response.headers["HX-Push-Url"] = "false"
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


LifespanFactory = Callable[[Starlette], AbstractAsyncContextManager[None]]
