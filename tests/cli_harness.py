"""`python main.py ...` run in this process, as staff type it, with a clock the test sets.

The command line runs on a worker thread (it starts its own event loop, as the real process
does), so async tests can prepare and inspect the database around it.
"""

from __future__ import annotations

import asyncio
import io
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.knowledge import Knowledge
from bot.core.semantic import Embedder, VectorCache, cache_file
from bot.storage.database import create_engine, sessionmaker, upgrade
from bot.storage.embeddings import prepare_vectors
from bot.storage.knowledge_store import import_knowledge

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Ran:
    """What one command did: its exit status and what it printed on each stream."""

    code: int
    out: str
    err: str


class Cli:
    """Runs commands against one database; the environment holds nothing else of Guichet's."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, database_url: str, now: datetime | None = None
    ) -> None:
        for name in os.environ:
            if name.startswith(("GUICHET_", "TELEGRAM_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("DATABASE_URL", database_url)
        self.monkeypatch = monkeypatch
        self.now = now

    async def __call__(self, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> Ran:
        out, err = io.StringIO(), io.StringIO()
        clock = None if self.now is None else (lambda: self.now or datetime.min)
        with self.monkeypatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            code = await asyncio.to_thread(main, list(args), io.StringIO(stdin), out, err, clock)
        return Ran(code, out.getvalue(), err.getvalue())


async def stock(database_url: str, knowledge: Knowledge, embedder: Embedder) -> None:
    """Migrate the database and import the sample knowledge with its vectors, as
    `kb import` would, from the already-loaded `knowledge` (loading the files takes seconds)."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = sessionmaker(engine)
        seed = VectorCache.from_file(cache_file(ROOT / "knowledge"))
        _, embeddings = await prepare_vectors(sessions, knowledge, embedder, seed)
        await import_knowledge(sessions, knowledge, "test", embeddings)
    finally:
        await engine.dispose()
