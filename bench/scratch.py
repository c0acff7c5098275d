"""A database of its own for a benchmark run: a fresh SQLite file, or a fresh schema in a
PostgreSQL database (a second run must not find the first one's users, tickets and update
ids), and how to remove it."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import text

from bot.storage.database import create_engine, normalize_url

Drop = Callable[[], Awaitable[None]]


async def scratch_database(url: str | None, prefix: str) -> tuple[str, Drop]:
    """`url` None: a new SQLite file. A PostgreSQL URL: a new schema in that database."""
    if url is None or not url.startswith("postgres"):
        if url is not None:
            return url, lambda: asyncio.sleep(0)
        folder = tempfile.mkdtemp(prefix=f"{prefix}-")
        return f"sqlite:///{folder}/{prefix}.db", lambda: asyncio.sleep(0)
    base = normalize_url(url)
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.dispose()

    async def drop() -> None:
        engine = create_engine(base)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}search_path={schema}", drop
