"""An update the library cannot read, or that makes a handler fail: no name, username or text
reaches a log at INFO or above, and the bot goes on with the next update."""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.channels.telegram.run import start, stop
from tests.channels.telegram.conftest import Harness
from tests.channels.telegram.test_run import free_port, webhook

SAID = "Mon propriétaire Jan Peeters garde mon passeport"
PRIVATE = ("Fatima", "fatima_k", "Peeters", "passeport")


def unreadable(tg: Harness, chat: int) -> dict[str, object]:
    """A message from Fatima whose entity lacks its offset and length: the library fails on it."""
    return tg.fake.message(
        chat, SAID, first_name="Fatima", username="fatima_k", entities=[{"type": "bold"}]
    )


def assert_nothing_private(caplog: pytest.LogCaptureFixture) -> None:
    """caplog.text holds every record at INFO or above, with its traceback."""
    for private in PRIVATE:
        assert private not in caplog.text, private


async def test_an_unreadable_update_is_skipped_without_its_content_and_the_next_is_answered(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        bad = tg.fake.push_update(unreadable(tg, 531))
        sent = await tg.say(532, "/start")
    assert sent  # the bot did not stay stuck on the unreadable update
    assert not tg.fake.calls_of("sendMessage", chat_id=531)
    assert f"update {bad} could not be read (TypeError)" in caplog.text
    assert_nothing_private(caplog)


async def test_an_update_that_makes_a_handler_fail_is_logged_without_names_or_text(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    update = tg.fake.message(533, SAID, first_name="Fatima", username="fatima_k")
    message = update["message"]
    assert isinstance(message, dict)
    del message["chat"]  # readable, but a message without a chat
    with caplog.at_level(logging.INFO):
        failing = tg.fake.push_update(update)
        sent = await tg.say(534, "/start")
    assert sent
    assert f"error while handling update {failing}" in caplog.text  # with its traceback
    assert_nothing_private(caplog)


async def test_an_unreadable_update_on_the_webhook_is_refused_without_its_content(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await tg.stop()
    port = free_port()
    settings = webhook(tg.settings, port)
    served = await start(tg.conversation, settings, tg.delivery)
    try:
        update = unreadable(tg, 535) | {"update_id": 7}
        headers = {"X-Telegram-Bot-Api-Secret-Token": "a-long-random-secret"}
        with caplog.at_level(logging.INFO):
            async with httpx.AsyncClient() as client:
                url = f"http://127.0.0.1:{port}/telegram"
                refused = await client.post(url, json=update, headers=headers)
        assert refused.status_code == 400
    finally:
        await stop(served)
    assert "could not process data received from Telegram (TypeError)" in caplog.text
    assert_nothing_private(caplog)
