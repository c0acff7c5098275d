"""The console's pages that need no browser: the translators' spreadsheets and the city's own
words, through the real Starlette app (httpx's ASGI transport), on the test database."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.app import App
from bot.storage.sheet_book import HEADERS, TRANSLATION
from bot.storage.staff import Role, Staff
from bot.web.app import build_console

NEW = "مركز العمل الاجتماعي في بروكسل"


@asynccontextmanager
async def _client(app: App, who: Staff) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-less session of `who`, signed in with a one-time link."""
    console = app.console()
    transport = httpx.ASGITransport(app=build_console(console))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = await console.staff.login_token(who.id)
        assert (await client.post(f"/login/{token}")).status_code == 303
        yield client


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


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
