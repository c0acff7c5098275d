"""`staff ...` and `console` as staff type them: people added with roles, sign-in links, and
the console alone in a real process that stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from bot import cli_console
from bot.app import open_app
from bot.channels.telegram.run import WEBHOOK_MAX_BODY
from bot.settings import Settings, TelegramSettings, WebSettings
from bot.storage.database import create_engine, sessionmaker
from bot.storage.editing import Editor, Stored
from bot.storage.staff import Role, StaffStore
from tests.cli_harness import ROOT, Cli
from tests.conftest import free_port
from tests.fakes.bot_api import FakeBotApi


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


async def test_review_lists_the_citys_suggestions_without_identity(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from tests.storage.suggestions import suggested

    cli = Cli(monkeypatch, database_url)
    assert (await cli("review", "--city", "brussels")).out.startswith("0 to review")
    app = await open_app(Settings(database_url=database_url, semantic=False))
    try:
        sid, _ = await suggested(
            app.sessions, question="Où dormir ce soir ?", answer="Samusocial, 0800 99 340",
            now=datetime.now(UTC),
        )  # fmt: skip
    finally:
        await app.close()
    listed = await cli("review", "--city", "brussels")
    assert listed.code == 0, listed.err
    assert f"#{sid}  " in listed.out and "  fr  housing" in listed.out
    assert "question: Où dormir ce soir ?" in listed.out and "Samusocial" in listed.out
    assert "Amal" not in listed.out and "1 to review: " in listed.out
    assert (await cli("review", "--city", "atlantis")).code == 2


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


async def test_a_coordinator_is_added_with_an_organisation_of_their_city(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(monkeypatch, database_url)
    invited = await cli("network", "invite", "--city", "brussels", "--org", "Red Cross")
    assert invited.code == 0, invited.err
    added = await cli(
        "staff", "add", "--name", "Ines", "--role", "coordinator", "--city", "brussels",
        "--org", "red  cross",
    )  # fmt: skip
    assert added.code == 0, added.err
    assert "Added Ines (#1) as coordinator of Red Cross in brussels." in added.out
    assert "/start s_" in added.out
    listed = await cli("staff", "list")
    assert "#1  coordinator brussels" in listed.out and "Ines (Red Cross)" in listed.out
    app = await open_app(Settings(database_url=database_url, semantic=False))
    try:
        [ines] = await app.console().staff.members()
        [(org_id, *_)] = await app.support.network.organisations("brussels")
        assert (ines.role, ines.organisation_id) == (Role.COORDINATOR, org_id)
    finally:
        await app.close()


async def test_a_coordinators_organisation_must_exist_in_the_city_and_only_they_have_one(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(monkeypatch, database_url)
    coordinator = ("staff", "add", "--name", "Ines", "--role", "coordinator")
    none_yet = await cli(*coordinator, "--city", "brussels", "--org", "Red Cross")
    assert none_yet.code == 2 and "brussels has no organisation named 'Red Cross'" in none_yet.err
    assert "network invite --city brussels" in none_yet.err
    await cli("network", "invite", "--city", "brussels", "--org", "Red Cross")
    await cli("network", "invite", "--city", "mechelen", "--org", "Caritas")
    elsewhere = await cli(*coordinator, "--city", "brussels", "--org", "Caritas")
    assert elsewhere.code == 2 and "Its organisations: Red Cross" in elsewhere.err
    missing = await cli(*coordinator, "--city", "brussels")
    assert missing.code == 2 and "a coordinator needs --org" in missing.err
    editor = await cli(
        "staff", "add", "--name", "Ana", "--role", "editor", "--city", "brussels",
        "--org", "Red Cross",
    )  # fmt: skip
    assert editor.code == 2 and "--org is only for a coordinator" in editor.err
    assert (await cli("staff", "list")).out == ""  # nobody was added


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
            form = await client.get(f"/login/{token}")
            assert form.status_code == 200  # spends nothing
            csrf = {"csrf": form.text.split('name="csrf" value="')[1].split('"')[0]}
            assert (await client.post(f"/login/{token}")).status_code == 403  # no CSRF token
            signed = await client.post(f"/login/{token}", data=csrf)
            assert signed.status_code == 303
            home = await client.get("/")
            assert home.status_code == 200 and "/city/mechelen" in home.text
            again = await client.get(f"/login/{token}")
            csrf = {"csrf": again.text.split('name="csrf" value="')[1].split('"')[0]}
            assert (await client.post(f"/login/{token}", data=csrf)).status_code == 410  # used
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


async def _healthy(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(900):
            try:
                if (await client.get("/healthz")).text == "ok":
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise AssertionError(f"nothing serves {base}")


async def test_run_in_webhook_mode_serves_the_webhook_and_the_console_until_sigterm(
    database_url: str, tmp_path: Path
) -> None:
    """In this process (so that coverage sees it): one uvicorn server takes Telegram's updates
    and serves the console; SIGTERM stops the server, then the bot, and `run` returns."""
    port = free_port()
    async with FakeBotApi() as fake:
        telegram = TelegramSettings(
            token=fake.token, api_base_url=fake.base_url, mode="webhook",
            webhook_url="https://guichet.example.org/telegram", webhook_port=port,
            webhook_secret="a-long-random-secret", state_dir=tmp_path,
        )  # fmt: skip
        web = WebSettings(port=free_port(), state_dir=tmp_path)
        settings = Settings(database_url=database_url, semantic=False, telegram=telegram, web=web)
        app = await open_app(settings)
        running = asyncio.create_task(cli_console.run_bot_and_console(app, settings))
        try:
            base = f"http://127.0.0.1:{port}"
            await _healthy(base)
            secret = {"X-Telegram-Bot-Api-Secret-Token": "a-long-random-secret"}
            update = fake.message(741, "/start", language_code="it") | {"update_id": 7}
            async with httpx.AsyncClient(base_url=base) as client:
                bad = {"X-Telegram-Bot-Api-Secret-Token": "nope"}
                assert (await client.post("/telegram", json=update, headers=bad)).status_code == 403
                big = fake.message(741, "x" * (WEBHOOK_MAX_BODY + 1)) | {"update_id": 8}
                refused = await client.post("/telegram", json=big, headers=secret)
                assert refused.status_code == 413
                junk = await client.post("/telegram", content=b"[1, 2", headers=secret)
                assert junk.status_code == 400
                assert (
                    await client.post("/telegram", json=update, headers=secret)
                ).status_code == 200
                assert (await client.get("/")).status_code == 401
            sent = await fake.wait_for("sendMessage", chat_id=741, timeout=60)
            assert sent[0].button_data()[0].startswith("1c:")
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's handler, then ours, take it
            stopped = await asyncio.wait_for(running, timeout=30)
            await app.close()
        assert stopped is True


async def test_the_console_alone_runs_in_this_process_until_sigterm(
    database_url: str, tmp_path: Path
) -> None:
    web = WebSettings(port=free_port(), state_dir=tmp_path)
    settings = Settings(database_url=database_url, semantic=False, web=web)
    running = asyncio.create_task(cli_console.run_console(settings))
    await _healthy(f"http://127.0.0.1:{web.port}")
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(running, timeout=30) == 0
    taken = asyncio.create_task(cli_console.run_console(settings))  # the port is free again
    await _healthy(f"http://127.0.0.1:{web.port}")
    blocked = await cli_console.run_console(settings)  # the port is taken: exit status 1
    assert blocked == 1
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(taken, timeout=30) == 0
