"""One chat's updates run in order; different chats run side by side."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.channels.telegram.processor import PerChatUpdateProcessor
from tests.fakes.bot_api import FakeBotApi


def update(fake: FakeBotApi, chat: int, n: int) -> Update:
    data = fake.message(chat, f"message {n}") | {"update_id": n}
    return Update.de_json(data, None)


async def test_a_chats_updates_run_in_order_and_chats_run_side_by_side() -> None:
    fake = FakeBotApi()
    processor = PerChatUpdateProcessor()
    events: list[str] = []

    async def handle(name: str, delay: float) -> None:
        events.append(f"start {name}")
        await asyncio.sleep(delay)
        events.append(f"end {name}")

    async with processor:
        await asyncio.gather(
            processor.process_update(update(fake, 1, 1), handle("a1", 0.05)),
            processor.process_update(update(fake, 1, 2), handle("a2", 0.0)),
            processor.process_update(update(fake, 2, 3), handle("b1", 0.0)),
        )
    assert events.index("end a1") < events.index("start a2")  # in order within a chat
    assert events.index("end b1") < events.index("end a1")  # another chat did not wait
    assert not processor._locks  # nothing kept once idle
