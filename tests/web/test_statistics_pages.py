"""The statistics page through the real Starlette app: a city's own staff only, "< 5" below 5
people in the page and in the CSV, polite errors for a bad period, a strict CSP."""

from __future__ import annotations

import csv
import io
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import httpx

from bot.app import App
from bot.storage.staff import Role, Staff
from bot.storage.users import UserStore
from tests.web.clients import signed_in


def _client(app: App, who: Staff) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return signed_in(app.console(), who)


async def _asked(app: App, people: int, topic: str, language: str, days_ago: int) -> None:
    users = UserStore(app.sessions)
    when = datetime.now(UTC) - timedelta(days=days_ago)
    for i in range(people):
        user = await users.get_or_create("telegram", f"{topic}-{language}-{i}")
        await app.questions.record(
            user_id=user.id, city="brussels", language=language, action="answer", topic=topic,
            confidence=0.9, text="a question", now=when,
        )  # fmt: skip


async def test_the_citys_editor_sees_counts_with_fewer_than_5_people_hidden(app: App) -> None:
    await _asked(app, 6, "housing", "ar", 2)
    await _asked(app, 7, "health-care", "uk", 3)
    await _asked(app, 2, "food-aid", "fa", 1)
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    async with _client(app, ana) as client:
        home = await client.get("/city/brussels")
        assert 'href="/city/brussels/statistics"' in home.text
        page = await client.get("/city/brussels/statistics?days=7")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe" not in csp
        assert "Questions by topic" in page.text and "&lt; 5" in page.text
        assert '<td data-value="7">7</td>' in page.text  # health: 7 people
        assert 'src="/static/chart.umd.min.js"' in page.text
        topics = await client.get("/city/brussels/statistics/topics.csv?days=7")
        assert topics.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(topics.text)))
        assert rows[0] == ["Topic", "Questions"]
        counts = {label: n for label, n in rows[1:]}
        assert counts["Total"] == "15"
        assert [n for label, n in counts.items() if "Food" in label] == ["< 5"]
        # Food alone hidden would be the total minus the others: housing (6) goes too.
        assert [n for label, n in counts.items() if "Housing" in label] == ["< 5"]
        assert (await client.get("/city/brussels/statistics/nothing.csv")).status_code == 404


async def test_a_bad_period_is_explained_in_the_persons_language(app: App) -> None:
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    async with _client(app, ana) as client:
        wrong = await client.get("/city/brussels/statistics?days=12")
        assert wrong.status_code == 400 and "Choose 7, 30 or 90 days" in wrong.text
        later = await client.get("/city/brussels/statistics?from=2026-01-10&to=2026-01-01")
        assert later.status_code == 400 and "The first day is after the last one" in later.text
        french = await client.get("/city/brussels/statistics?days=12&ui=fr")
        assert french.status_code == 400 and 'lang="fr"' in french.text
        assert "Choose 7, 30 or 90 days" not in french.text
        csv_wrong = await client.get("/city/brussels/statistics/topics.csv?from=nonsense")
        assert csv_wrong.status_code == 400
        assert (await client.get("/city/atlantis/statistics")).status_code == 404


async def test_other_cities_are_no_page_but_an_admin_sees_every_city(app: App) -> None:
    staff = app.console().staff
    jan, _ = await staff.add("Jan", Role.TRANSLATOR, "mechelen", ["nl"])
    admin, _ = await staff.add("Root", Role.ADMIN, None)
    async with _client(app, jan) as client:
        assert (await client.get("/city/brussels/statistics")).status_code == 404
        assert (await client.get("/city/brussels/statistics/topics.csv")).status_code == 404
        own = await client.get("/city/mechelen/statistics?days=90")
        assert own.status_code == 200 and "Nothing in this period." in own.text
    async with _client(app, admin) as client:
        assert (await client.get("/city/brussels/statistics?days=30")).status_code == 200
