"""The bot and the staff console as `python main.py run` serves them, in this event loop.

One `open_app` on the test's database: the Telegram bot polls the fake Bot API with the staff
door (`/start s_…`, `/staff`) and the live knowledge watch, and uvicorn serves the console on
a free port of 127.0.0.1. The browser tests (tests/web/) and bench/screenshots.py use it.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.app import App, open_app
from bot.channels.telegram.run import running
from bot.cli_console import console_app
from bot.core.knowledge import Knowledge
from bot.settings import Settings, SupportSettings, TelegramSettings, WebSettings
from bot.storage.database import create_engine, sessionmaker, upgrade
from bot.storage.editing import Editor
from bot.storage.knowledge_store import import_knowledge
from bot.storage.staff import StaffStore
from bot.web.serve import server
from tests.channels.telegram.conftest import Harness
from tests.conftest import free_port
from tests.fakes.bot_api import FakeBotApi

SECRET = "console-secret-for-the-tests-only-0123456789"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright is never let download a browser


def chromium() -> str | None:
    """The browser to drive, if there is one."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    return shutil.which("chromium")


@dataclass(frozen=True)
class Stack:
    """What a test drives: the console's address, the bot (through the fake Bot API) and the
    stores underneath, to prepare staff and to check what was saved."""

    app: App
    url: str
    tg: Harness
    staff: StaffStore
    editor: Editor


async def stock(database_url: str, knowledge: Knowledge) -> None:
    """Migrate and import the already-loaded sample knowledge (reading the files takes
    seconds; the import a fraction of one)."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        await import_knowledge(sessionmaker(engine), knowledge, "tests")
    finally:
        await engine.dispose()


@asynccontextmanager
async def serving(
    database_url: str, knowledge: Knowledge, state_dir: Path, *, semantic: bool = False
) -> AsyncIterator[Stack]:
    """The bot and the console on `database_url`, until the block ends (the lexical matcher
    alone unless `semantic`: a quicker start where understanding is not under test)."""
    await stock(database_url, knowledge)
    async with FakeBotApi() as fake:
        telegram = TelegramSettings(token=fake.token, api_base_url=fake.base_url)
        web = WebSettings(port=free_port(), secret=SECRET, state_dir=state_dir)
        settings = Settings(
            database_url=database_url,
            semantic=semantic,
            telegram=telegram,
            web=web,
            support=SupportSettings(bot_username="GuichetTestBot"),  # the posters' QR codes
        )
        app = await open_app(settings)
        try:
            conversation = app.conversation("telegram")
            async with running(
                conversation,
                telegram,
                app.delivery,
                app.support,
                also=[app.live().watch],
                staff=app.staff_door(),
            ) as served:
                web_server = server(console_app(app), web)
                serving_task = asyncio.create_task(web_server.serve(), name="console")
                try:
                    while not web_server.started:
                        if serving_task.done():
                            serving_task.result()  # it could not start: say why
                            raise RuntimeError("the console stopped before it started")
                        await asyncio.sleep(0.01)
                    console = app.console()
                    tg = Harness(fake, conversation, telegram, app.delivery, served=served)
                    yield Stack(app, web.public_url, tg, console.staff, console.editor)
                finally:
                    web_server.should_exit = True
                    await serving_task
        finally:
            await app.close()
