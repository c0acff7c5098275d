"""`staff ...` and `console` as staff type them: people added with roles, sign-in links, and
the console alone in a real process that stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import httpx
import pytest

from bot.storage.database import create_engine, sessionmaker
from bot.storage.editing import Editor, Stored
from bot.storage.staff import Role, StaffStore
from tests.cli_harness import ROOT, Cli
from tests.conftest import free_port


async def test_staff_are_added_with_a_role_listed_and_removed(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(monkeypatch, database_url)
    added = await cli("staff", "add", "--name", "Mia", "--role", "editor", "--city", "mechelen")
    assert added.code == 0, added.err
    assert "Added Mia (#1) as editor of mechelen." in added.out
    assert "/start s_" in added.out
    linked = await cli(
        "staff", "add", "--name", "Sara", "--role", "translator", "--city", "brussels",
        "--languages", "ar", "fa", env={"GUICHET_BOT_USERNAME": "guichet_bot"},
    )  # fmt: skip
    assert "https://t.me/guichet_bot?start=s_" in linked.out
    listed = await cli("staff", "list")
    assert "#1  editor" in listed.out and "Sara [ar, fa]" in listed.out
    removed = await cli("staff", "remove", "1")
    assert removed.code == 0 and "Removed #1" in removed.out
    assert "Mia" not in (await cli("staff", "list")).out
    assert (await cli("staff", "remove", "1")).code == 1


async def test_staff_add_explains_what_is_missing(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(monkeypatch, database_url)
    unknown = await cli("staff", "add", "--name", "X", "--role", "editor", "--city", "paris")
    assert (
        unknown.code == 2 and "--city must be one of" in unknown.err and "mechelen" in unknown.err
    )
    no_lang = await cli("staff", "add", "--name", "X", "--role", "translator", "--city", "brussels")
    assert no_lang.code == 2 and "--languages" in no_lang.err
    assert "There is no admin yet" in (await cli("staff", "login-link")).err


async def test_the_console_alone_signs_the_admin_in_and_stops_on_sigterm(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(monkeypatch, database_url)
    port = free_port()
    web = {"GUICHET_WEB_PORT": str(port), "GUICHET_WEB_BASE_URL": f"http://127.0.0.1:{port}"}
    assert (await cli("staff", "add", "--name", "Admin", "--role", "admin")).code == 0
    link = (await cli("staff", "login-link", env=web)).out.splitlines()[0]
    assert link.startswith(f"http://127.0.0.1:{port}/login/")
    env = {**os.environ, "DATABASE_URL": database_url, "GUICHET_SEMANTIC": "off", **web}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "main.py", "console", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz")).text == "ok":
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            assert (await client.get("/")).status_code == 401  # not signed in
            token = link.rsplit("/", 1)[1]
            assert (await client.get(f"/login/{token}")).status_code == 200  # spends nothing
            signed = await client.post(f"/login/{token}")
            assert signed.status_code == 303
            home = await client.get("/")
            assert home.status_code == 200 and "/city/mechelen" in home.text
            assert (await client.post(f"/login/{token}")).status_code == 410  # used
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    log = err.decode()
    assert process.returncode == 0, log
    assert token not in log  # no sign-in link in the logs


async def test_kb_import_keeps_console_edits_unless_forced(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(monkeypatch, database_url)
    off = {"GUICHET_SEMANTIC": "off"}
    assert (await cli("kb", "import", env=off)).code == 0
    engine = create_engine(database_url)
    try:
        sessions = sessionmaker(engine)
        store, editor = StaffStore(sessions), Editor(sessions)
        mia, _ = await store.add("Mia", Role.EDITOR, "mechelen")
        entry = await editor.get(mia, "mechelen-foreigners")
        assert entry is not None
        saved = await editor.save_texts(
            mia, entry.entry.id, entry.content_hash, "ar", {"name": "قسم الأجانب"}
        )
        assert isinstance(saved, Stored)
        refused = await cli("kb", "import", env=off)
        assert refused.code == 1
        assert "mechelen-foreigners: texts by Mia" in refused.out
        assert "Nothing was imported" in refused.out
        kept = await editor.get(mia, "mechelen-foreigners")
        assert kept is not None and kept.entry.text("name", "ar").text == "قسم الأجانب"  # type: ignore[union-attr]
        forced = await cli("kb", "import", "--force", env=off)
        assert forced.code == 0, forced.out
        back = await editor.get(mia, "mechelen-foreigners")
        assert back is not None and back.entry == entry.entry
        history = await editor.revisions(mia, "mechelen-foreigners")
        assert [r.action for r in history or []] == ["import", "texts", "import"]
    finally:
        await engine.dispose()
