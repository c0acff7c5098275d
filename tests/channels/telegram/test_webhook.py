"""Webhook mode with the staff console: one server, on the webhook's address, receives
Telegram's updates and serves the console (`python main.py run`, a real process)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import httpx

from bot.channels.telegram.run import WEBHOOK_MAX_BODY
from tests.cli_harness import ROOT
from tests.conftest import free_port
from tests.fakes.bot_api import FakeBotApi

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "a-long-random-secret"}


async def test_one_server_receives_the_webhook_and_serves_the_console(database_url: str) -> None:
    port = free_port()
    async with FakeBotApi() as fake:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_URL": "https://guichet.example.org/telegram",
            "TELEGRAM_WEBHOOK_PORT": str(port),
            "TELEGRAM_WEBHOOK_SECRET": SECRET["X-Telegram-Bot-Api-Secret-Token"],
            "GUICHET_SEMANTIC": "off",
            "GUICHET_LOG_LEVEL": "INFO",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "main.py", "run", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base) as client:
                # The webhook is set as the bot starts, just before the server listens.
                for _ in range(900):
                    try:
                        if (await client.get("/healthz")).text == "ok":
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                assert fake.webhook is not None
                assert fake.webhook["url"] == "https://guichet.example.org/telegram"
                update = fake.message(731, "/start", language_code="nl") | {"update_id": 1}
                wrong = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                assert (
                    await client.post("/telegram", json=update, headers=wrong)
                ).status_code == 403
                big = fake.message(731, "x" * (WEBHOOK_MAX_BODY + 1)) | {"update_id": 2}
                assert (await client.post("/telegram", json=big, headers=SECRET)).status_code == 413
                junk = await client.post("/telegram", content=b"{not json", headers=SECRET)
                assert junk.status_code == 400
                # A caller that goes away halfway through its post: nothing stored, no error.
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(
                    b"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"X-Telegram-Bot-Api-Secret-Token: a-long-random-secret\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
                    b'{"update_id": 3, "message": '
                )
                await writer.drain()
                writer.close()
                await writer.wait_closed()
                accepted = await client.post("/telegram", json=update, headers=SECRET)
                assert accepted.status_code == 200
                sent = await fake.wait_for("sendMessage", chat_id=731, timeout=60)
                assert sent[0].button_data()[0].startswith("1c:")
                # The same server is the console.
                assert (await client.get("/healthz")).text == "ok"
                assert (await client.get("/")).status_code == 401  # sign in through the bot
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    log = err.decode()
    assert process.returncode == 0, log
    assert "webhook mode: listening" in log and "with the staff console" in log
    assert "ended before its update had arrived whole" in log
    assert "Exception in ASGI application" not in log
    assert len(fake.calls_of("sendMessage", chat_id=731)) == 1
