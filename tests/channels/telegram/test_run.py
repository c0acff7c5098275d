"""Running the bot as a city would: `python main.py run`, polling or a webhook."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import delivery_stores
from bot.channels.telegram.run import WEBHOOK_MAX_BODY, TokenFilter, repeat, run, start, stop
from bot.cli import main
from bot.settings import TelegramSettings
from bot.storage.database import create_engine, sessionmaker
from bot.storage.inbox import Inbox
from bot.storage.models import Question
from bot.storage.users import UserStore
from tests.channels.telegram.conftest import Harness
from tests.cli_harness import Cli
from tests.fakes.bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def webhook(settings: TelegramSettings, port: int) -> TelegramSettings:
    return replace(
        settings,
        mode="webhook",
        webhook_url="https://guichet.example.org/telegram",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_path="telegram",
        webhook_secret="a-long-random-secret",
    )


SECRET = {"X-Telegram-Bot-Api-Secret-Token": "a-long-random-secret"}


async def test_webhook_mode_registers_the_webhook_and_checks_the_secret(tg: Harness) -> None:
    await tg.stop()
    port = free_port()
    served = await start(tg.conversation, webhook(tg.settings, port), tg.delivery)
    try:
        assert tg.fake.webhook is not None
        assert tg.fake.webhook["url"] == "https://guichet.example.org/telegram"
        assert tg.fake.webhook["secret_token"] == "a-long-random-secret"
        update = tg.fake.message(701, "/start", language_code="nl") | {"update_id": 1}
        url = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient() as client:
            header = "X-Telegram-Bot-Api-Secret-Token"
            refused = await client.post(url, json=update, headers={header: "wrong"})
            assert refused.status_code == 403
            mark = tg.fake.mark()
            accepted = await client.post(
                url,
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "a-long-random-secret"},
            )
            assert accepted.status_code == 200
        sent = await tg.fake.wait_for("sendMessage", chat_id=701, since=mark)
        assert sent[0].button_data()[0].startswith("1c:")
        assert len(tg.fake.calls_of("sendMessage", chat_id=701)) == 1  # the refused one was not
    finally:
        await stop(served)


async def test_a_webhook_body_over_a_megabyte_is_refused_before_it_is_read(tg: Harness) -> None:
    await tg.stop()
    port = free_port()
    served = await start(tg.conversation, webhook(tg.settings, port), tg.delivery)
    try:
        url = f"http://127.0.0.1:{port}/telegram"
        big = tg.fake.message(704, "x" * (WEBHOOK_MAX_BODY + 1)) | {"update_id": 1}
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.HTTPError):  # the connection is closed, nothing read
                refused = await client.post(url, json=big, headers=SECRET)
                assert refused.status_code >= 400
            small = tg.fake.message(704, "/start") | {"update_id": 2}
            assert (await client.post(url, json=small, headers=SECRET)).status_code == 200
        await tg.fake.wait_for("sendMessage", chat_id=704)
        assert await tg.delivery.inbox.add(1, 704, {}, datetime.now(UTC))  # 1 was never stored
    finally:
        await stop(served)


async def test_two_webhook_processes_on_one_database_answer_each_update_once_in_order(
    tg: Harness, database_url: str
) -> None:
    """A load balancer spreads the updates over two processes, and Telegram sends one again
    after a timeout, to the other process: every message is answered once, in its order."""
    await tg.stop()
    other_engine = create_engine(database_url)
    ports = [free_port(), free_port()]
    here = await start(tg.conversation, webhook(tg.settings, ports[0]), tg.delivery)
    there = await start(
        tg.conversation, webhook(tg.settings, ports[1]), delivery_stores(sessionmaker(other_engine))
    )
    chats = list(range(730, 736))
    try:
        async with httpx.AsyncClient() as client:
            for chat in chats:  # /start, then a city: two messages in order
                for n, text in enumerate(["/start", "/start mechelen"]):
                    update = tg.fake.message(chat, text, language_code="en")
                    update["update_id"] = chat * 10 + n
                    port = ports[(chat + n) % 2]
                    url = f"http://127.0.0.1:{port}/telegram"
                    assert (await client.post(url, json=update, headers=SECRET)).status_code == 200
                    if n == 1:  # sent again to the other process
                        again = f"http://127.0.0.1:{ports[(chat + n + 1) % 2]}/telegram"
                        assert (await client.post(again, json=update, headers=SECRET)).is_success
        await tg.fake.wait_for("sendMessage", count=len(chats) * 3, timeout=30)
        while await tg.delivery.inbox.pending() or here.worker.busy or there.worker.busy:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
    finally:
        await stop(here)
        await stop(there)
        await other_engine.dispose()
    for chat in chats:
        sent = tg.fake.calls_of("sendMessage", chat)
        # /start asks for the city; "/start mechelen" answers with the city and the language
        assert len(sent) == 3, [c.text for c in sent]
        assert sent[0].button_data()[0].startswith("1c:")
        assert "Mechelen" in (sent[1].text or "")


async def test_main_run_serves_a_user_and_stops_cleanly(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one test of the real process: polling, the support network, logs, SIGTERM."""
    async with FakeBotApi() as fake:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "GUICHET_LOG_LEVEL": "INFO",
        }
        cli = Cli(monkeypatch, database_url)
        invited = await cli("network", "invite", "--city", "capaci", "--org", "Arci")
        assert invited.code == 0, invited.err
        code = next(
            line.split(":", 1)[1].strip()
            for line in invited.out.splitlines()
            if line.startswith("Code:")
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "main.py", "run", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            # The support network is wired in: a volunteer joins with the invitation.
            fake.push_update(fake.message(703, f"/start v_{code}", language_code="it"))
            joined = await fake.wait_for("sendMessage", chat_id=703, timeout=90)
            assert any(d.startswith("1w:") for d in joined[0].button_data())
            fake.push_update(fake.message(702, "/start capaci", language_code="it"))
            sent = await fake.wait_for("sendMessage", chat_id=702, count=2, timeout=90)
            assert "Capaci" in (sent[0].text or "")
            assert sent[1].button_data()[0] == "1l:it"
            fake.push_update(fake.message(702, "ho bisogno di un medico"))
            await fake.wait_for("sendMessage", chat_id=702, count=3, timeout=30)
            # The staff console is served by the same process.
            port = env["GUICHET_WEB_PORT"]
            async with httpx.AsyncClient() as client:
                health = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert health.text == "ok"
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), timeout=30)
        log = err.decode()
        assert process.returncode == 0, log
        assert "polling for updates" in log
        assert fake.token not in log and fake.token.split(":")[1] not in log
        assert "medico" not in log  # no message text at INFO


async def test_a_bot_killed_mid_reply_answers_every_message_once_after_its_restart(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """SIGKILL while a reply is on its way (written whole: Telegram carries it out, and its
    answer dies with the process), with a message stored behind it and more arriving while the
    bot is down: after the restart, each message is answered exactly once, in order."""
    users, inbox = UserStore(sessions), Inbox(sessions, "test")
    chats = list(range(720, 726))
    for chat in chats:
        user = await users.get_or_create("telegram", str(chat))
        user.city, user.language, user.language_explicit = "capaci", "en", True
        await users.save(user)
    first, second = "I need a doctor", "where can I learn Italian"
    stuck = chats[2]
    async with FakeBotApi() as fake:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "GUICHET_SEMANTIC": "off",  # a quicker start; understanding is not under test
        }

        async def bot() -> asyncio.subprocess.Process:
            return await asyncio.create_subprocess_exec(
                sys.executable, "main.py", "run", cwd=ROOT, env=env,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip

        async def pending(n: int) -> None:
            while await inbox.pending() != n:
                await asyncio.sleep(0.02)

        held = fake.hold_next("sendMessage", chat_id=stuck, carried_out=True)
        process = await bot()
        try:
            for chat in chats:
                fake.push_update(fake.message(chat, first, language_code="en"))
            await fake.wait_for("sendMessage", count=len(chats) - 1, timeout=90)
            await pending(1)  # the others are done; the stuck chat's answer is on its way
            fake.push_update(fake.message(stuck, second, language_code="en"))
            await pending(2)  # stored, waiting behind the first
            assert fake.held  # written whole, and noted in the local file in the same instant
            process.kill()
            await process.wait()
            held.set()  # carried out; its answer has no one to go to
            for chat in chats:
                if chat != stuck:  # these arrive while the bot is down
                    fake.push_update(fake.message(chat, second, language_code="en"))
            process = await bot()
            await fake.wait_for("sendMessage", count=len(chats) * 2, timeout=90)
            await pending(0)
            await asyncio.sleep(0.5)  # time for a second copy, if there were one
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        for chat in chats:
            answers = [c.text or "" for c in fake.calls_of("sendMessage", chat) if not c.failed]
            assert len(answers) == 2, (chat, [a[:30] for a in answers])
            assert "Health" in answers[0] and "Health" not in answers[1]  # in their order


def test_run_without_a_token_points_at_the_demo(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN" in err and "python main.py chat" in err


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_URL": ""}, "TELEGRAM_WEBHOOK_URL"),
        (
            {"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_URL": "https://guichet.example.org/t"},
            "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET",
        ),
        ({"TELEGRAM_MODE": "carrier-pigeon"}, "TELEGRAM_MODE"),
        ({"TELEGRAM_WEBHOOK_SECRET": "has spaces!"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_WEBHOOK_PORT": "eighty"}, "TELEGRAM_"),
    ],
)
def test_a_bad_telegram_setting_is_reported_clearly(
    env: dict[str, str],
    named: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["run"]) == 2
    assert named in capsys.readouterr().err


def test_the_token_never_reaches_a_log(caplog: pytest.LogCaptureFixture) -> None:
    token = "123456:SECRET-token"
    logger = logging.getLogger("test.token")
    caplog.handler.addFilter(TokenFilter(token))
    logger.warning("POST https://api.telegram.org/bot%s/getMe failed", token)
    assert token not in caplog.text and "<token>" in caplog.text


async def test_run_serves_until_sigterm_and_erases_expired_texts_at_start(
    desk_tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await desk_tg.stop()  # run() builds and starts its own Application
    old = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    question = await desk_tg.conversation.questions.record(
        user_id=None,
        city="capaci",
        language="it",
        action="answer",
        topic="health-care",
        confidence=1.0,
        text="ho bisogno di un medico",
        now=old,
    )
    later = old + timedelta(days=31)  # past the 30 days the texts are kept
    fake = desk_tg.fake
    served = asyncio.create_task(
        run(
            desk_tg.conversation,
            desk_tg.settings,
            desk_tg.delivery,
            desk_tg.support,
            clock=lambda: later,
        )
    )
    try:
        mark = fake.mark()
        fake.push_update(fake.message(704, "/start capaci", language_code="it"))
        sent = await fake.wait_for("sendMessage", chat_id=704, since=mark, timeout=30)
        assert "Capaci" in (sent[0].text or "")
        async with asyncio.timeout(10):
            while await text_of(sessions, question) is not None:
                await asyncio.sleep(0.01)  # the first purge runs beside the first update
    finally:
        if not served.done():
            os.kill(os.getpid(), signal.SIGTERM)  # run() took SIGTERM over from the default
        await asyncio.wait_for(served, timeout=30)
    assert served.exception() is None


async def text_of(sessions: async_sessionmaker[AsyncSession], question: int) -> str | None:
    async with sessions() as session:
        return await session.scalar(select(Question.text).where(Question.id == question))


async def test_a_failing_step_is_logged_and_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0
    again = asyncio.Event()

    async def step() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the database went away")
        again.set()

    with caplog.at_level(logging.ERROR):
        task = asyncio.create_task(repeat(step, 0.0, "erasing expired texts"))
        try:
            await asyncio.wait_for(again.wait(), timeout=5)
        finally:
            task.cancel()
    assert calls >= 2
    assert "erasing expired texts failed; will try again" in caplog.text
    assert "the database went away" in caplog.text
