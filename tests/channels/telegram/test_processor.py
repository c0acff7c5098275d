"""One chat's updates run in order; different chats run side by side.

Each handler waits on an event the test sets, so the order is the test's, not a timer's. A
processor that serialised every chat behind one lock would deadlock here: the timeout turns that
into a failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from telegram import Update

from bot.channels.telegram.processor import PerChatUpdateProcessor
from tests.fakes.bot_api import FakeBotApi


class Script:
    """Handlers that say when they start and finish only when the test lets them."""

    def __init__(self, processor: PerChatUpdateProcessor) -> None:
        self.processor = processor
        self.fake = FakeBotApi()
        self.log: list[str] = []
        self.started: dict[str, asyncio.Event] = {}
        self.release: dict[str, asyncio.Event] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.ids: Iterator[int] = iter(range(1, 1000))

    async def handle(self, name: str) -> None:
        self.log.append(f"start {name}")
        self.started[name].set()
        await self.release[name].wait()
        self.log.append(f"end {name}")

    def arrive(self, name: str, chat: int) -> None:
        """An update of `chat` reaches the processor, handled by `name`."""
        self.started[name], self.release[name] = asyncio.Event(), asyncio.Event()
        data = self.fake.message(chat, name) | {"update_id": next(self.ids)}
        update = Update.de_json(data, None)
        coroutine = self.processor.process_update(update, self.handle(name))
        self.tasks.append(asyncio.create_task(coroutine))

    async def run(self, name: str, chat: int) -> None:
        """An update that starts at once; every task created before it has had its turn."""
        self.arrive(name, chat)
        await self.started[name].wait()

    def waiting(self, name: str) -> bool:
        return not self.started[name].is_set()


async def test_a_chats_updates_run_in_order_and_chats_run_side_by_side() -> None:
    async with asyncio.timeout(5), PerChatUpdateProcessor() as processor:
        s = Script(processor)
        await s.run("a1", chat=1)
        s.arrive("a2", chat=1)
        await s.run("b1", chat=2)  # another chat does not wait for a1
        assert s.waiting("a2")  # but the same chat does

        s.release["b1"].set()
        s.release["a1"].set()
        await s.started["a2"].wait()
        await s.run("b2", chat=2)  # chat 2 went on while a2 runs
        s.arrive("a3", chat=1)  # came while a2 holds the chat
        await s.run("c1", chat=3)
        assert s.waiting("a3")

        for name in ("b2", "c1", "a2", "a3"):
            s.release[name].set()
        await asyncio.gather(*s.tasks)
    chat_1 = [line for line in s.log if line.endswith(("a1", "a2", "a3"))]
    assert chat_1 == ["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]
    assert s.log.index("end b1") < s.log.index("end a1")


async def test_a_chat_seen_again_after_a_pause_is_still_kept_in_order() -> None:
    """The lock of an idle chat is dropped; the chat's next burst gets a working one."""
    async with asyncio.timeout(5), PerChatUpdateProcessor() as processor:
        s = Script(processor)
        await s.run("first", chat=1)
        s.release["first"].set()
        await asyncio.gather(*s.tasks)  # chat 1 is idle now

        await s.run("second", chat=1)
        s.arrive("third", chat=1)
        await s.run("other", chat=2)
        assert s.waiting("third")
        for name in ("other", "second", "third"):
            s.release[name].set()
        await asyncio.gather(*s.tasks)
    assert s.log.index("end second") < s.log.index("start third")
