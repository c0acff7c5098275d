"""`python main.py stats`: the console's statistics as Markdown or CSV, "< 5" below 5 people,
and a clear word for a bad city or period."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import open_app
from bot.settings import Settings
from bot.storage.users import UserStore
from tests.cli_harness import Cli

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def _seed(database_url: str) -> None:
    app = await open_app(Settings(database_url=database_url, semantic=False))
    try:
        users = UserStore(app.sessions)
        for i, (topic, language) in enumerate([("housing", "ar")] * 6 + [("shelter", "uk")] * 2):
            user = await users.get_or_create("telegram", f"chat-{i}")
            await app.questions.record(
                user_id=user.id, city="brussels", language=language, action="answer",
                topic=topic, confidence=0.9, text=None, now=NOW - timedelta(days=2),
            )  # fmt: skip
    finally:
        await app.close()


async def test_stats_prints_the_citys_tables_with_fewer_than_5_people_hidden(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed(database_url)
    cli = Cli(monkeypatch, database_url, now=NOW)
    md = await cli("stats", "--city", "brussels", "--days", "7")
    assert md.code == 0, md.err
    assert "# Statistics of brussels, 2026-12-01 to 2026-12-07" in md.out
    assert "## Questions by topic" in md.out and "| Total | 8 |" in md.out
    assert "| Arabic | < 5 |" in md.out  # beside a lone "< 5" (Ukrainian), hidden too
    ran = await cli("stats", "--city", "brussels", "--days", "7", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    topics = {r["label"]: r["value"] for r in rows if r["table"] == "topics"}
    assert topics["Total"] == "8" and set(topics.values()) == {"8", "< 5"}
    outcomes = {r["label"]: r["value"] for r in rows if r["table"] == "outcomes"}
    assert outcomes == {"answered": "8", "Total": "8"}


async def test_stats_explains_a_bad_city_or_period(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(monkeypatch, database_url, now=NOW)
    city = await cli("stats", "--city", "atlantis")
    assert city.code == 2 and "--city must be one of" in city.err and "brussels" in city.err
    days = await cli("stats", "--city", "brussels", "--days", "12")
    assert days.code == 2 and "Choose 7, 30 or 90 days" in days.err
    later = await cli("stats", "--city", "brussels", "--from", "2026-12-01", "--to", "2027-01-01")
    assert later.code == 2 and "still to come" in later.err
