"""`python main.py gaps`: a city's unanswered questions in groups, never who asked, and a bad
city or period refused with what is valid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import open_app
from bot.settings import Settings
from tests.cli_harness import Cli

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def test_gaps_lists_the_groups_of_the_period_without_identity(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(monkeypatch, database_url, now=NOW)
    env = {"GUICHET_SEMANTIC": "off"}
    empty = await cli("gaps", "--city", "brussels", env=env)
    assert empty.code == 0, empty.err
    assert "0 questions in 0 groups" in empty.out and "/city/brussels/gaps" in empty.out
    app = await open_app(Settings(database_url=database_url, semantic=False))
    try:
        user = await app.users.get_or_create("telegram", "4471235")
        for text, days in (
            ("Où réparer mon vélo ?", 1),
            ("Où réparer mon vélo pas cher ?", 2),
            ("Où réparer mon vélo ?", 9),  # the week before
            ("Où réparer mon vélo ?", 40),  # neither week
        ):
            await app.questions.record(
                user_id=user.id, city="brussels", language="fr", action="unknown", topic=None,
                confidence=0.1, text=text, now=NOW - timedelta(days=days),
            )  # fmt: skip
    finally:
        await app.close()
    listed = await cli("gaps", "--city", "brussels", env=env)
    assert listed.code == 0, listed.err
    assert "2 questions in 1 groups, grouped by shared words" in listed.out
    assert "2 questions (+1 on the period before) · fr" in listed.out
    assert "    [fr] Où réparer mon vélo pas cher ?" in listed.out
    assert "4471235" not in listed.out
    month = await cli("gaps", "--city", "brussels", "--days", "30", env=env)
    assert "3 questions (+3 on the period before)" in month.out  # its texts expired
    city = await cli("gaps", "--city", "atlantis", env=env)
    assert city.code == 2 and "brussels, capaci" in city.err
    period = await cli("gaps", "--city", "brussels", "--days", "0", env=env)
    assert period.code == 2 and "--days must be from 1 to 365" in period.err
