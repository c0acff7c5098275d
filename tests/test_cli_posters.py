"""`python main.py poster`: the file written, and every refusal clear and writing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_harness import Cli

BOT = {"GUICHET_BOT_USERNAME": "@GuichetBot"}


async def test_a_topic_poster_is_written_where_asked(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cli = Cli(monkeypatch, database_url)
    out = tmp_path / "housing.png"
    ran = await cli("poster", "--city", "mechelen", "--topic", "housing", "--format", "png",
                    "--out", str(out), env=BOT)  # fmt: skip
    assert ran.code == 0, ran.err
    assert "https://t.me/GuichetBot?start=mechelen--housing" in ran.out
    assert out.read_bytes().startswith(b"\x89PNG")


async def test_unknown_city_topic_or_username_exit_2_naming_what_is_valid(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cli = Cli(monkeypatch, database_url)
    monkeypatch.chdir(tmp_path)
    city = await cli("poster", "--city", "atlantis", env=BOT)
    assert city.code == 2 and "brussels, capaci, fuenlabrada" in city.err
    topic = await cli("poster", "--city", "capaci", "--topic", "weather", env=BOT)
    assert topic.code == 2 and "housing" in topic.err and "weather" in topic.err
    nameless = await cli("poster", "--city", "capaci")
    assert nameless.code == 2 and "GUICHET_BOT_USERNAME" in nameless.err
    assert list(tmp_path.iterdir()) == []  # nothing written
