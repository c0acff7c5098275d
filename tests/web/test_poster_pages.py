"""The console's posters through the real Starlette app: an editor's city only, never a
translator's, and a polite page without the bot's username."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx

from bot.app import App
from bot.storage.staff import Role, Staff
from tests.web.clients import signed_in


@asynccontextmanager
async def _client(
    app: App, who: Staff, username: str | None = "GuichetBot"
) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(replace(app.console(), bot_username=username), who) as client:
        yield client


async def test_an_editor_downloads_her_citys_posters_as_pdf_and_png(app: App) -> None:
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    async with _client(app, ana) as client:
        page = await client.get("/city/brussels")
        assert "Posters" in page.text and "/city/brussels/poster/housing.pdf" in page.text
        pdf = await client.get("/city/brussels/poster.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert 'filename="guichet-brussels.pdf"' in pdf.headers["content-disposition"]
        png = await client.get("/city/brussels/poster/housing.png")
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG")
        for wrong in ("/city/brussels/poster.gif", "/city/brussels/poster/weather.pdf"):
            assert (await client.get(wrong)).status_code == 404


async def test_another_citys_editor_and_a_translator_get_no_poster(app: App) -> None:
    staff = app.console().staff
    mechelen, _ = await staff.add("Jan", Role.EDITOR, "mechelen")
    sara, _ = await staff.add("Sara", Role.TRANSLATOR, "brussels", ["ar"])
    async with _client(app, mechelen) as client:
        assert (await client.get("/city/brussels/poster.pdf")).status_code == 404
        assert (await client.get("/city/mechelen/poster.pdf")).status_code == 200
    async with _client(app, sara) as client:
        assert "Posters" not in (await client.get("/city/brussels")).text
        assert (await client.get("/city/brussels/poster.pdf")).status_code == 404
        assert (await client.get("/city/brussels/poster/housing.png")).status_code == 404


async def test_without_the_bots_username_the_console_says_what_to_set(app: App) -> None:
    admin, _ = await app.console().staff.add("Admin", Role.ADMIN, None)
    async with _client(app, admin, username=None) as client:
        assert "set GUICHET_BOT_USERNAME" in (await client.get("/city/capaci")).text
        refused = await client.get("/city/capaci/poster.pdf")
        assert refused.status_code == 503 and "GUICHET_BOT_USERNAME" in refused.text
