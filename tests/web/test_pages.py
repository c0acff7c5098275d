"""The console's pages that need no browser: the translators' spreadsheets and the city's own
words, through the real Starlette app (httpx's ASGI transport), on the test database."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from markupsafe import escape
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.app import App
from bot.core.assistant import Asked
from bot.core.i18n import Message, translator
from bot.core.knowledge.model import PROBLEMS
from bot.storage.sheet_book import HEADERS, TRANSLATION
from bot.storage.sheets import Say
from bot.storage.staff import Role, Staff
from bot.web.app import build_console
from tests.storage.organisation_seed import FOLLOW_UP, QUESTION, seed

NEW = "مركز العمل الاجتماعي في بروكسل"


@asynccontextmanager
async def _client(app: App, who: Staff) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-less session of `who`, signed in with a one-time link."""
    console = app.console()
    transport = httpx.ASGITransport(app=build_console(console))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = await console.staff.login_token(who.id)
        form = await client.get(f"/login/{token}")
        signed = await client.post(f"/login/{token}", data={"csrf": _csrf(form.text)})
        assert signed.status_code == 303
        yield client


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


def _base(html: str) -> str:
    """The content hash a form's save starts from."""
    return html.split('name="base" value="')[1].split('"')[0]


async def test_a_translator_downloads_a_sheet_and_its_upload_sets_the_texts(app: App) -> None:
    sara, _ = await app.console().staff.add("Sara", Role.TRANSLATOR, "brussels", ["ar"])
    async with _client(app, sara) as client:
        page = await client.get("/city/brussels")
        assert "/city/brussels/sheet/ar.xlsx" in page.text
        assert "/city/brussels/sheet/fr.xlsx" not in page.text  # not her language
        assert (await client.get("/city/brussels/sheet/fr.xlsx")).status_code == 404
        sheet = await client.get("/city/brussels/sheet/ar.xlsx")
        assert sheet.status_code == 200 and "attachment" in sheet.headers["content-disposition"]
        book = load_workbook(io.BytesIO(sheet.content))
        texts = book.worksheets[0]
        row = next(
            r for r in texts.iter_rows(min_row=2)
            if r[HEADERS.index("id")].value == "brussels-cpas/name"
        )  # fmt: skip
        row[TRANSLATION].value = NEW
        out = io.BytesIO()
        book.save(out)
        csrf = _csrf(page.text)
        files = {"sheet": ("brussels-ar.xlsx", out.getvalue())}
        done = await client.post("/city/brussels/sheet", data={"csrf": csrf}, files=files)
        assert done.status_code == 200, done.text
        assert "1 text saved." in done.text
        entry = await app.console().editor.get(sara, "brussels-cpas")
        assert entry is not None
        found = entry.entry.text("name", "ar")
        assert found is not None and (found.text, found.status) == (NEW, "reviewed")
        broken = await client.post(
            "/city/brussels/sheet", data={"csrf": csrf}, files={"sheet": ("x.xlsx", b"not a zip")}
        )
        assert broken.status_code == 422 and "Nothing was saved" in broken.text


async def test_an_editor_sets_the_citys_own_words_and_a_translator_cannot(app: App) -> None:
    staff = app.console().staff
    ana, _ = await staff.add("Ana", Role.EDITOR, "brussels")
    sara, _ = await staff.add("Sara", Role.TRANSLATOR, "brussels", ["ar"])
    async with _client(app, ana) as client:
        page = await client.get("/city/brussels/words")
        assert page.status_code == 200 and "CPAS de Bruxelles" in page.text
        form = {"csrf": _csrf(page.text), "w-housing-fr": "Maison Bleue\nlogement social"}
        saved = await client.post("/city/brussels/words", data=form)
        assert saved.status_code == 303
        words = await app.console().phrasings.of_city(ana, "brussels")
        assert words is not None and words["housing"]["fr"] == ["Maison Bleue", "logement social"]
        too_long = await client.post(
            "/city/brussels/words", data={**form, "w-housing-fr": "x" * 121}
        )
        assert too_long.status_code == 422 and "120" in too_long.text
        assert (await client.get("/city/mechelen/words")).status_code == 404
    async with _client(app, sara) as client:
        assert (await client.get("/city/brussels/words")).status_code == 404


async def test_signing_in_needs_the_sign_in_pages_token_and_a_refused_try_spends_nothing(
    app: App,
) -> None:
    """Login CSRF: a page elsewhere that posts someone's link must not sign a browser in."""
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    token = await app.console().staff.login_token(ana.id)
    transport = httpx.ASGITransport(app=build_console(app.console()))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        refused = await client.post(f"/login/{token}")
        assert refused.status_code == 403
        assert (await client.get("/")).status_code == 401  # not signed in
        form = await client.get(f"/login/{token}")
        wrong = await client.post(f"/login/{token}", data={"csrf": "not-the-token"})
        assert wrong.status_code == 403
        signed = await client.post(f"/login/{token}", data={"csrf": _csrf(form.text)})
        assert signed.status_code == 303  # the link still worked
        assert (await client.get("/city/brussels")).status_code == 200


async def test_a_refused_change_is_explained_in_the_persons_language(app: App) -> None:
    """The model's checks and the spreadsheet's are shown in the console's language, with
    their values (English stays what `kb check` prints)."""
    lea, _ = await app.console().staff.add("Léa", Role.EDITOR, "brussels")
    fr = translator("fr")
    async with _client(app, lea) as client:
        page = await client.get("/entries/brussels-cpas?ui=fr")
        form = {
            "csrf": _csrf(page.text),
            "base": _base(page.text),
            "topics": "social-assistance",
            "phone": "call us",
        }
        refused = await client.post("/entries/brussels-cpas/facts", data=form)
        assert refused.status_code == 422
        said = Message(PROBLEMS["guichet_phone"], {"value": "call us"})
        assert said.in_(fr) != str(said)  # the catalog has it
        assert str(escape(said.in_(fr))) in refused.text
        assert str(escape(str(said))) not in refused.text

        sheet = await client.post(
            "/city/brussels/sheet",
            data={"csrf": _csrf(page.text)},
            files={"sheet": ("x.xlsx", b"not a zip")},
        )
        assert sheet.status_code == 422
        assert str(escape(Message(Say.UNREADABLE).in_(fr))) in sheet.text
    stored = await app.console().editor.get(lea, "brussels-cpas")
    assert stored is not None and stored.entry.phone != "call us"  # nothing was changed


async def test_an_editors_keywords_go_live_and_put_the_service_first(app: App) -> None:
    """A city's nickname for a service, typed in the entry's texts panel, is what the bot
    goes by once the change is live: asked with it, the bot lists that service first."""
    question = "je cherche un logement social à Bruxelles, on m'a parlé de Zinnia"
    entry = "brussels-regie-fonciere"

    def first_listed() -> str:
        decision = app.assistant.understand(Asked(question, "brussels"))
        assert (decision.action, decision.topic) == ("answer", "housing")
        entries = app.knowledge.entries_for("brussels", "housing")
        return entries[app.assistant.fitted("brussels", "housing", question, "fr")[0]].id

    assert first_listed() != entry
    lea, _ = await app.console().staff.add("Léa", Role.EDITOR, "brussels")
    live = app.live()
    async with _client(app, lea) as client:
        page = await client.get(f"/entries/{entry}?lang=fr")
        form = {"csrf": _csrf(page.text), "base": _base(page.text)}
        too_long = await client.post(
            f"/entries/{entry}/texts/fr", data={**form, "keywords": "z" * 121}
        )
        assert too_long.status_code == 422 and 'id="err-keywords"' in too_long.text
        saved = await client.post(
            f"/entries/{entry}/texts/fr", data={**form, "keywords": "Zinnia\n\nZinnia\nla Zinnia"}
        )
        assert saved.status_code == 303
        page = await client.get(f"/entries/{entry}?lang=fr")
        assert "Zinnia\nla Zinnia</textarea>" in page.text
    stored = await app.console().editor.get(lea, entry)
    assert stored is not None and stored.entry.keywords is not None
    assert stored.entry.keywords["fr"] == ["Zinnia", "la Zinnia"]
    assert await live.check()
    assert first_listed() == entry


# --- an organisation, for its NGO coordinator ------------------------------------------------


async def test_a_coordinator_lands_on_their_organisation_and_sees_figures_but_no_text(
    app: App,
) -> None:
    seeded = await seed(app.sessions, datetime.now(UTC))
    ines, _ = await app.console().staff.add(
        "Ines", Role.COORDINATOR, "brussels", organisation_id=seeded.red_cross
    )
    async with _client(app, ines) as client:
        home = await client.get("/")
        assert home.status_code == 303
        assert home.headers["location"] == f"/organisations/{seeded.red_cross}"
        page = await client.get(home.headers["location"])
    assert page.status_code == 200
    html = page.text
    assert "<h1>Red Cross</h1>" in html and "NGO coordinator" in html
    assert '<th scope="row">Amal</th>' in html and '<th scope="row">Bram</th>' in html
    assert "Cleo" not in html and "1 volunteer left or was removed." in html
    assert "Dina" not in html  # Caritas's
    assert "Arabic, French" in html and "Housing" in html
    assert "<dt>Taken in the last 30 days</dt><dd>4</dd>" in html
    assert "<dt>Waiting in the city for any volunteer, now</dt><dd>2</dd>" in html
    assert "👍 1" in html and "👎 1" in html and "15 min" in html
    for private in (QUESTION, FOLLOW_UP, "Samusocial", "v-Amal", seeded.amal.chat_id):
        assert private not in html


async def test_a_coordinator_finds_no_other_organisation_and_no_knowledge_page(app: App) -> None:
    seeded = await seed(app.sessions, datetime.now(UTC))
    ines, _ = await app.console().staff.add(
        "Ines", Role.COORDINATOR, "brussels", organisation_id=seeded.red_cross
    )
    async with _client(app, ines) as client:
        for url in (
            f"/organisations/{seeded.caritas}",
            f"/organisations/{seeded.caritas + 100}",
            "/city/brussels",
            "/city/brussels/words",
            "/city/brussels/sheet/ar.xlsx",
            "/entries/brussels-cpas",
            "/entries/brussels-cpas/revisions",
        ):
            found = await client.get(url)
            assert found.status_code == 404, url
            assert "There is no such page." in found.text and "Caritas" not in found.text
        own = await client.get(f"/organisations/{seeded.red_cross}")
        forged = await client.post("/entries/brussels-cpas/confirm", data={"csrf": _csrf(own.text)})
        assert forged.status_code == 404
    admin = Staff(0, "Admin", Role.ADMIN, None)
    assert not await app.console().editor.revisions(admin, "brussels-cpas")  # not confirmed


async def test_an_admin_finds_every_organisation_and_an_editor_none(app: App) -> None:
    seeded = await seed(app.sessions, datetime.now(UTC))
    staff = app.console().staff
    root, _ = await staff.add("Root", Role.ADMIN, None)
    ana, _ = await staff.add("Ana", Role.EDITOR, "brussels")
    async with _client(app, root) as client:
        cities = await client.get("/")
        assert cities.status_code == 200
        assert f'<a href="/organisations/{seeded.caritas}">Caritas</a>' in cities.text
        assert "2 active volunteers" in cities.text
        caritas = await client.get(f"/organisations/{seeded.caritas}")
        assert caritas.status_code == 200 and '<th scope="row">Dina</th>' in caritas.text
        assert (await client.get("/city/brussels")).status_code == 200
    async with _client(app, ana) as client:
        assert (await client.get(f"/organisations/{seeded.red_cross}")).status_code == 404
        assert (await client.get("/")).headers["location"] == "/city/brussels"


async def test_an_editor_adds_an_entry_that_the_bot_then_lists(app: App) -> None:
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    mia, _ = await app.console().staff.add("Mia", Role.EDITOR, "mechelen")
    sara, _ = await app.console().staff.add("Sara", Role.TRANSLATOR, "brussels", ["ar"])
    live = app.live()
    form = {
        "topics": "employment",
        "name-en": "Job Corner",
        "name-fr": "Coin Emploi",
        "description-en": "Help to write a CV, every week.",
        "description-fr": "Aide pour écrire un CV, chaque semaine.",
        "description-nl": "Hulp bij het schrijven van een cv, elke week.",
        "source": "Leaflet of the service, 2026",
    }
    async with _client(app, ana) as client:
        page = await client.get("/city/brussels/new")
        assert page.status_code == 200 and 'name="name-nl"' in page.text
        form["csrf"] = _csrf(page.text)
        refused = await client.post("/city/brussels/new", data=form)  # no Dutch name
        assert refused.status_code == 422
        assert "missing language(s) nl" in refused.text and 'value="Coin Emploi"' in refused.text
        made = await client.post("/city/brussels/new", data={**form, "name-nl": "Jobhoek"})
        assert made.status_code == 303
        assert made.headers["location"] == "/entries/brussels-job-corner?done=created"
        editor = await client.get(made.headers["location"])
        assert editor.status_code == 200 and "Job Corner" in editor.text
        assert "brussels-job-corner" in (await client.get("/city/brussels")).text
        assert (await client.get("/city/mechelen/new")).status_code == 404
    for other in (mia, sara):
        async with _client(app, other) as client:
            assert (await client.get("/city/brussels/new")).status_code == 404
    assert await live.check()
    listed = [e.id for e in app.knowledge.entries_for("brussels", "employment")]
    assert "brussels-job-corner" in listed


# --- coverage across the network ---------------------------------------------------------------


async def test_the_coverage_matrix_and_a_learner_starting_from_its_mentors_entry(
    app: App,
) -> None:
    sophie, _ = await app.console().staff.add("Sophie", Role.EDITOR, "saint-jean-de-la-ruelle")
    async with _client(app, sophie) as client:
        grid = await client.get("/coverage")
        assert grid.status_code == 200
        for city in app.knowledge.cities:
            assert f'href="/coverage/{city}/housing"' in grid.text
        assert 'href="/coverage/mentor/saint-jean-de-la-ruelle"' in grid.text
        cell = await client.get("/coverage/brussels/housing")
        assert cell.status_code == 200 and "brussels-regie-fonciere" in cell.text
        assert (await client.get("/coverage/brussels/gardening")).status_code == 404
        assert (await client.get("/coverage/mentor/brussels")).status_code == 404  # no mentor
        mentor = await client.get("/coverage/mentor/saint-jean-de-la-ruelle")
        assert mentor.status_code == 200
        start = "/city/saint-jean-de-la-ruelle/new?from=be-samusocial"
        assert f'href="{start}"' in mentor.text.replace("&amp;", "&")
        form = await client.get(start)
        samusocial = app.knowledge.entry("be-samusocial")
        assert samusocial is not None
        assert str(escape(samusocial.name["fr"])) in form.text  # the French name, to adapt
        assert 'value="shelter" checked' in form.text
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    async with _client(app, ana) as client:  # Brussels' editor may look, not add for them
        mentor = await client.get("/coverage/mentor/saint-jean-de-la-ruelle")
        assert mentor.status_code == 200 and "/new?from=" not in mentor.text
