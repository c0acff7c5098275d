"""Run the bot until asked to stop: long polling by default, or a webhook.

Usage:
    TELEGRAM_BOT_TOKEN=123:abc python main.py run
    TELEGRAM_MODE=webhook TELEGRAM_WEBHOOK_URL=https://guichet.example.org/telegram \\
        TELEGRAM_WEBHOOK_SECRET=... TELEGRAM_BOT_TOKEN=123:abc python main.py run
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.app import DeliveryStores, SupportStores, TelegramBot, telegram_bot
from bot.channels.telegram.application import build_application, register_commands
from bot.channels.telegram.delivery import Delivery
from bot.channels.telegram.inbox import RETRY_LATER, InboxWorker, StoredUpdates
from bot.channels.telegram.sending import SendingFile, file_for
from bot.channels.telegram.staff import StaffDoor
from bot.conversation import Conversation
from bot.settings import TelegramSettings
from bot.storage.inbox import Inbox
from bot.support.desk import SupportDesk
from bot.support.timers import tick

log = logging.getLogger(__name__)


class TokenFilter(logging.Filter):
    """Never let the bot token reach a log (httpx logs request URLs, which contain it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        return True


def protect_logs(token: str) -> None:
    for handler in logging.getLogger().handlers:
        handler.addFilter(TokenFilter(token))
    # httpx logs every request URL at INFO; the URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


#: The largest webhook request body read. An update is a few kilobytes; without a limit the
#: server would read 100 MB before it checks the secret.
WEBHOOK_MAX_BODY: Final = 1024 * 1024


def default_instance(settings: TelegramSettings) -> str:
    """This process's name on its claims in the inbox, the same after a restart: the host and
    the webhook port, or "polling" (Telegram lets one process poll a bot)."""
    where = str(settings.webhook_port) if settings.mode == "webhook" else "polling"
    return f"{socket.gethostname()}:{where}"[:64]


def polling_failed(error: TelegramError) -> None:
    """A failed getUpdates, in one line (the library logs a traceback at ERROR each time); it
    asks again, waiting longer each time."""
    log.warning("getUpdates failed (%s: %s); asking again", type(error).__name__, error)


@dataclass
class Served:
    """A running bot: the Application and the worker that handles its stored updates."""

    application: Application  # type: ignore[type-arg]
    worker: InboxWorker
    parts: TelegramBot
    menus: asyncio.Task[None] | None = None


async def start(
    conversation: Conversation,
    settings: TelegramSettings,
    delivery: DeliveryStores,
    support: SupportStores | None = None,
) -> Served:
    """Build, initialise and start the Application, its updater and the inbox's worker."""
    return await launch(telegram_bot(conversation, settings, support, delivery), settings)


async def launch(
    parts: TelegramBot, settings: TelegramSettings, *, webhook_served: bool = False
) -> Served:
    """Start the Application around `parts`, the inbox's worker, then the updater (polling or
    webhook). Updates stored but not handled before a crash are handled first.

    `webhook_served`: in webhook mode the console's web server receives the updates
    (webhook.py); only the webhook is set here, and no server of the library's is started.
    """
    application = build_application(parts)
    await application.initialize()
    await application.start()
    inbox = parts.delivery.inbox
    inbox.owner = settings.instance or default_instance(settings)
    request = parts.bot.request
    if settings.state_dir is not None and isinstance(request, Delivery):
        # Before anything is handled: what was on its way when this instance last stopped.
        sending = SendingFile(file_for(settings.state_dir, inbox.owner))
        await request.resume(sending, several=not parts.delivery.single)
    # Whatever this instance had claimed, it claimed before it died: take it back now rather
    # than when the lease ends. On SQLite one process serves: every claim was its own.
    taken_back = await inbox.release(everyone=parts.delivery.single)
    if taken_back:
        log.info("%d update(s) interrupted by the last stop are handled again", taken_back)
    updater = application.updater
    assert updater is not None
    queue = updater.update_queue
    assert isinstance(queue, StoredUpdates)
    # After an outage as long as one call's retries, the update is tried again soon.
    retry_later = min(RETRY_LATER, timedelta(seconds=settings.delivery_budget))
    worker = InboxWorker(inbox, application, queue.arrivals, retry_later=retry_later)
    worker.start()
    if settings.mode == "webhook" and webhook_served:
        await application.bot.set_webhook(
            url=settings.webhook_url or "",
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        log.info(
            "webhook mode: listening on %s:%s with the staff console",
            settings.webhook_listen,
            settings.webhook_port,
        )
    elif settings.mode == "webhook":
        HTTPServer.configure(None, max_body_size=WEBHOOK_MAX_BODY)
        await updater.start_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=settings.webhook_path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        log.info("webhook mode: listening on %s:%s", settings.webhook_listen, settings.webhook_port)
    else:
        await updater.start_polling(allowed_updates=Update.ALL_TYPES, error_callback=polling_failed)
        log.info("polling for updates as @%s", application.bot.username)
    # The command menus (27 calls) are set meanwhile: updates do not wait for them.
    menus = asyncio.create_task(register_commands(application), name="command menus")
    return Served(application, worker, parts, menus)


async def stop(served: Served) -> None:
    """Receive nothing more, finish the updates being handled, then stop."""
    application = served.application
    if served.menus is not None:
        served.menus.cancel()
        await asyncio.gather(served.menus, return_exceptions=True)
    if application.updater and application.updater.running:
        await application.updater.stop()
    await served.worker.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


async def repeat(step: Callable[[], Awaitable[None]], every: float, what: str) -> None:
    """Run `step` now and then every `every` seconds; a failure is logged and tried again."""
    while True:
        try:
            await step()
        except Exception:
            log.exception("%s failed; will try again", what)
        await asyncio.sleep(every)


async def purge_texts(
    conversation: Conversation, now: datetime, delivery: DeliveryStores | None = None
) -> None:
    """Erase question texts whose retention period is over, and the ids of updates handled
    more than a day ago with their journal."""
    erased = await conversation.questions.purge_expired(now)
    if erased:
        log.info("erased the text of %d question(s) past their retention", erased)
    if delivery is not None:
        await delivery.inbox.purge(now)
        await delivery.journal.purge(now)


async def support_upkeep(desk: SupportDesk, now: datetime, jobs: Inbox | None = None) -> None:
    """Reminders, widening and releases of tickets, and the ticket texts' retention; each
    step a job of the durable inbox (`jobs`), so that a crash or an outage loses none."""
    await tick(desk, now, jobs)
    await desk.tickets.purge(now)


Loop = Callable[[], Coroutine[Any, Any, None]]


@asynccontextmanager
async def running(
    conversation: Conversation,
    settings: TelegramSettings,
    delivery: DeliveryStores,
    support: SupportStores | None = None,
    clock: Clock = utc_now,
    also: Sequence[Loop] = (),
    staff: StaffDoor | None = None,
    webhook_served: bool = False,
) -> AsyncIterator[Served]:
    """The bot, serving until the block ends; then it stops cleanly (updates being handled
    are finished; stored ones wait in the inbox for the next start).

    Expired question texts are erased at start and then every hour; the support network's
    timers run every 30 seconds; `also` are more loops to run beside (the live knowledge).
    """
    parts = telegram_bot(conversation, settings, support, delivery, staff)
    served = await launch(parts, settings, webhook_served=webhook_served)
    desk = parts.desk
    loops = [
        repeat(
            lambda: purge_texts(conversation, clock(), delivery), 3600.0, "erasing expired texts"
        ),
        *(loop() for loop in also),
    ]
    if desk is not None:
        inbox = delivery.inbox
        loops.append(repeat(lambda: support_upkeep(desk, clock(), inbox), 30.0, "support timers"))
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        yield served
    finally:
        log.info("stopping")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await stop(served)


async def run(
    conversation: Conversation,
    settings: TelegramSettings,
    delivery: DeliveryStores,
    support: SupportStores | None = None,
    clock: Clock = utc_now,
    also: Sequence[Loop] = (),
    staff: StaffDoor | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly (see `running`)."""
    async with running(conversation, settings, delivery, support, clock, also, staff):
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError):  # not on Windows
                loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
