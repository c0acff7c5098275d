"""Browser tests of the staff console: Playwright drives Debian's chromium (never a download).

One browser serves the whole run; it lives in the session's event loop, so the tests here run
in that loop too (`pytestmark` in each module) and so does everything they serve: the bot, the
console, the database engine. Without chromium the tests are skipped, unless
GUICHET_REQUIRE_BROWSER=1 (CI), where a missing browser fails them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from bot.core.knowledge import Knowledge
from tests.web.stack import Stack, chromium, serving


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    found = chromium()
    if found is None:
        reason = "no chromium at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("GUICHET_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GUICHET_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=found)
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def stack(database_url: str, knowledge: Knowledge, tmp_path: Path) -> AsyncIterator[Stack]:
    async with serving(database_url, knowledge, tmp_path / "state") as served:
        yield served


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, stack: Stack) -> AsyncIterator[Page]:
    """A fresh browser profile (no cookies) on the console, in English."""
    context = await browser.new_context(base_url=stack.url, locale="en-US")
    context.set_default_timeout(5_000)
    try:
        yield await context.new_page()
    finally:
        await context.close()
