"""Telegram's side of the durable inbox (`bot/storage/inbox.py`).

python-telegram-bot's Updater hands each update it receives to `update_queue.put` and awaits
it: in polling mode before it asks for the next batch (which confirms the batch to
Telegram), in webhook mode before it answers 200. `StoredUpdates` is that queue: its `put`
stores the update and returns once it is committed. Nothing is acknowledged that is not stored.

`InboxWorker` then claims stored updates, handles each with `Application.process_update` and
marks it done; it renews its leases while it works. Updates of different chats are handled
concurrently (up to `capacity`), the updates of one chat one at a time, in order, across
processes (the claim sees to that).

A claim is a write, so the worker claims only when something may be waiting (`Arrivals`): an
update stored for a chat it is not handling, the end of a chat's update when another one of
that chat came meanwhile, or every `poll` seconds for what other processes stored, what was
handed back for later and what a dead process held.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from telegram import Update
from telegram.ext import Application

from bot.storage.inbox import MAX_ATTEMPTS, Claimed, Inbox
from bot.storage.origin import origin
from bot.storage.sent import Handling, handling

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
#: Where a stored update's users and chats keep no names.
_NAMES: Final = ("last_name", "username")
#: How long an update whose handling met an outage waits, at most, before it is tried again.
RETRY_LATER: Final = timedelta(seconds=15)


def utc_now() -> datetime:
    return datetime.now(UTC)


def without_names(value: Any) -> Any:
    """An update as JSON with the names of its users and chats removed (a user's first name
    is required by the Bot API's schema: it is kept empty)."""
    if isinstance(value, dict):
        out = {k: without_names(v) for k, v in value.items() if k not in _NAMES}
        if "first_name" in out:
            out["first_name"] = ""
        return out
    if isinstance(value, list):
        return [without_names(v) for v in value]
    return value


def _joins(update: Update) -> bool:
    message = update.message
    text = message.text if message else None
    return bool(text) and re.match(r"^/start(@\w+)?\s+v_", text or "") is not None


class Arrivals:
    """Whether the worker may find an update to claim (`event`).

    An update of a chat that is being handled here cannot be claimed before that chat's update
    is done: it wakes the worker then, not now. `waiting` counts, per chat, the updates stored
    here and not claimed yet (updates that another process claimed are forgotten past
    `FORGET_AFTER` chats: at worst the worker wakes for nothing).
    """

    FORGET_AFTER: Final = 10_000

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self._held: set[int] = set()
        self._waiting: dict[int, int] = {}

    def stored(self, chat: int | None) -> None:
        if chat is None:
            self.event.set()
            return
        if len(self._waiting) >= self.FORGET_AFTER:
            self._waiting.clear()
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        if chat not in self._held:
            self.event.set()

    def taken(self, chat: int | None) -> None:
        if chat is None:
            return
        self._held.add(chat)
        left = self._waiting.pop(chat, 0) - 1
        if left > 0:
            self._waiting[chat] = left

    def finished(self, chat: int | None) -> None:
        if chat is None:
            return
        self._held.discard(chat)
        if chat in self._waiting:
            self.event.set()


class StoredUpdates(asyncio.Queue[object]):
    """The Updater's queue: `put` stores an update in the inbox (anything else, such as the
    Application's stop signal, is queued as usual)."""

    def __init__(self, inbox: Inbox, clock: Clock = utc_now) -> None:
        super().__init__()
        self.inbox = inbox
        self.clock = clock
        self.arrivals = Arrivals()

    async def put(self, item: object) -> None:
        if not isinstance(item, Update):
            await super().put(item)
            return
        chat = item.effective_chat
        payload = item.to_dict()
        if not _joins(item):  # a volunteer joining gives their first name to the network
            payload = without_names(payload)
        chat_id = chat.id if chat else None
        if await self.inbox.add(item.update_id, chat_id, payload, self.clock()):
            self.arrivals.stored(chat_id)
        else:
            log.info("update %d arrived again; it is handled once", item.update_id)


class InboxWorker:
    def __init__(
        self,
        inbox: Inbox,
        application: Application,  # type: ignore[type-arg]
        arrivals: Arrivals,
        *,
        capacity: int = 64,
        poll: float = 0.5,
        retry_later: timedelta = RETRY_LATER,
        clock: Clock = utc_now,
    ) -> None:
        self.inbox = inbox
        self.application = application
        self.arrivals = arrivals
        self.capacity = capacity
        self.poll = poll
        self.retry_later = retry_later
        self.clock = clock
        self.tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._main: asyncio.Task[None] | None = None
        self._renewing: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._main = asyncio.create_task(self._run(), name="inbox worker")
        self._renewing = asyncio.create_task(self._renew(), name="inbox leases")

    async def stop(self) -> None:
        """Claim nothing more; finish the updates being handled."""
        self._stopping = True
        self.arrivals.event.set()
        if self._main is not None:
            await self._main
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self._renewing is not None:
            self._renewing.cancel()
            await asyncio.gather(self._renewing, return_exceptions=True)

    @property
    def busy(self) -> bool:
        return bool(self.tasks)

    async def _run(self) -> None:
        event = self.arrivals.event
        while not self._stopping:
            event.clear()
            room = self.capacity - len(self.tasks)
            try:
                claimed = await self.inbox.claim(self.clock(), room)
            except Exception:
                log.exception("could not claim updates from the inbox; trying again")
                claimed = []
            for item in claimed:
                self.arrivals.taken(item.chat_id)
                task = asyncio.create_task(self._handle(item), name=f"update {item.update_id}")
                self.tasks.add(task)
                task.add_done_callback(functools.partial(self._finished, chat=item.chat_id))
            if len(self.tasks) >= self.capacity:
                event.clear()  # no room: a task that ends wakes the worker (more may wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), self.poll)

    def _finished(self, task: asyncio.Task[None], *, chat: int | None) -> None:
        self.tasks.discard(task)
        self.arrivals.finished(chat)  # the chat's next update may be claimed now
        if len(self.tasks) == self.capacity - 1:
            self.arrivals.event.set()  # room again

    async def _renew(self) -> None:
        every = self.inbox.lease.total_seconds() / 3  # a lease outlives two missed renewals
        while True:
            await asyncio.sleep(every)
            if self.tasks:
                try:
                    await self.inbox.renew(self.clock())
                except Exception:
                    log.exception("could not renew the inbox leases")

    async def _handle(self, item: Claimed) -> None:
        current = Handling(item.update_id, replay=item.attempts > 1)
        handling.set(current)  # this task's own context
        origin.set(f"telegram:{item.update_id}")
        try:
            update = Update.de_json(item.payload, self.application.bot)
            await self.application.process_update(update)
        except Exception:
            log.exception("update %d could not be handled", item.update_id)
            current.failed = True
        try:
            if current.failed and item.attempts < MAX_ATTEMPTS:
                await self.inbox.end(current, self.clock(), later=self.clock() + self.retry_later)
                log.warning("update %d is handed back, to be handled again", item.update_id)
            else:
                if current.failed:
                    log.error("update %d failed %d times; set aside", item.update_id, item.attempts)
                await self.inbox.end(current, self.clock())
        except Exception:
            log.exception("could not record the end of update %d", item.update_id)
