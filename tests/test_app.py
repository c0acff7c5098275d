"""open_app wires every command: first start, later starts, read-only `ask`, and `kb import`."""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import open_app
from bot.core.knowledge import Knowledge
from bot.core.knowledge.loader import KnowledgeError
from bot.core.render import PlainFormatter
from bot.core.semantic import Embedder
from bot.settings import Settings
from bot.storage.database import create_engine, sessionmaker
from bot.storage.models import KbEmbedding, KnowledgeVersion


async def count(url: str, model: type[KbEmbedding] | type[KnowledgeVersion]) -> int:
    engine = create_engine(url)
    try:
        sessions: async_sessionmaker[AsyncSession] = sessionmaker(engine)
        async with sessions() as s:
            return await s.scalar(select(func.count()).select_from(model)) or 0
    finally:
        await engine.dispose()


async def test_the_first_start_imports_the_sample_and_later_starts_reuse_it(
    database_url: str, knowledge: Knowledge, embedder: Embedder
) -> None:
    settings = Settings(database_url=database_url)
    first = await open_app(settings)
    await first.close()
    assert first.imported is not None
    assert first.imported.report.version == 1
    assert first.imported.embeddings is not None
    assert first.knowledge.cities == knowledge.cities
    stored = await count(database_url, KbEmbedding)
    assert stored == len(set(first.imported.embeddings.keys))

    again = await open_app(settings)
    try:
        assert again.imported is None
        assert again.embedder is embedder  # one model per process
        assert again.assistant.knowledge.cities == knowledge.cities
    finally:
        await again.close()
    assert await count(database_url, KnowledgeVersion) == 1


async def test_a_start_with_the_ranker_on_keeps_vectors_an_import_without_it_lacked(
    database_url: str,
) -> None:
    lexical = await open_app(Settings(database_url=database_url, semantic=False))
    await lexical.close()
    assert lexical.imported is not None and lexical.imported.embeddings is None
    assert lexical.vectors is None and lexical.embedder is None
    assert await count(database_url, KbEmbedding) == 0

    asked = await open_app(Settings(database_url=database_url), read_only=True)
    await asked.close()
    assert asked.vectors is not None  # ask embeds in memory, and stores nothing
    assert await count(database_url, KbEmbedding) == 0

    hybrid = await open_app(Settings(database_url=database_url))
    await hybrid.close()
    assert hybrid.imported is None
    assert await count(database_url, KbEmbedding) > 0


async def test_without_seeding_an_empty_database_is_refused(database_url: str) -> None:
    with pytest.raises(RuntimeError, match="holds no knowledge yet"):
        await open_app(Settings(database_url=database_url), seed=False)


async def test_importing_broken_files_touches_no_database(tmp_path: Path) -> None:
    db = tmp_path / "guichet.db"
    (tmp_path / "kb" / "cities").mkdir(parents=True)
    with pytest.raises(KnowledgeError):
        await open_app(Settings(database_url=f"sqlite:///{db}"), source=tmp_path / "kb")
    assert not db.exists()


async def test_read_only_reads_the_files_when_the_database_has_no_schema(
    database_url: str, knowledge: Knowledge
) -> None:
    """An existing but empty database (a new PostgreSQL schema, an empty SQLite file)."""
    engine = create_engine(database_url)
    async with engine.connect():
        pass  # creates the SQLite file, as an empty database
    await engine.dispose()
    app = await open_app(Settings(database_url=database_url), read_only=True)
    await app.close()
    assert app.imported is None
    assert app.knowledge.topics == knowledge.topics


async def test_closing_logs_which_stage_decided_and_never_a_text(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The share of messages that needed an embedding, for the operator (counts only)."""
    app = await open_app(Settings(database_url=database_url))
    conversation = app.conversation("test")
    await conversation.set_city("1", "brussels")
    before = app.understanding_counts()
    vague = "my tooth hurts a lot since yesterday"  # no keyword decides it: embedded
    for text in ("😭😭🙏", vague, vague, "where can my children go to school here"):
        await conversation.message("1", text, PlainFormatter())
    counts = app.understanding_counts()
    assert (counts["alone"], counts["hybrid"], counts["fuzzy"]) == (1, 2, 1)
    assert counts["embedding reused"] - before.get("embedding reused", 0) == 1
    with caplog.at_level("INFO", logger="bot.app"):
        await app.close()
    logged = [r.getMessage() for r in caplog.records if "understanding:" in r.getMessage()]
    assert logged and "alone 1" in logged[0] and "hybrid 2" in logged[0]
    assert "tooth" not in caplog.text and "school" not in caplog.text


async def test_processes_started_together_on_an_empty_database_share_one_import(
    database_url: str,
) -> None:
    """A scaled-out deployment's first start: each process finds the sample imported once."""
    first, second = await asyncio.gather(
        open_app(Settings(database_url=database_url, semantic=False)),
        open_app(Settings(database_url=database_url, semantic=False)),
    )
    try:
        assert [app.imported is not None for app in (first, second)].count(True) >= 1
        assert first.version == second.version
        assert first.knowledge.cities.keys() == second.knowledge.cities.keys()
        assert await count(database_url, KnowledgeVersion) == 1
    finally:
        await first.close()
        await second.close()


def test_the_bot_starts_without_the_libraries_only_staff_files_need() -> None:
    """openpyxl (spreadsheets), fpdf2, PDFium and segno (posters), scipy (the gaps page): over
    100 MB, loaded only when asked for. A module that imports them at the top brings them back
    into every bot."""
    probe = (
        "import sys, bot.cli, bot.app, bot.web.app, bot.web.poster_pages, bot.storage.sheets, "
        "bot.web.gap_pages; "
        "print(sorted(m for m in ('openpyxl', 'fpdf', 'pypdfium2', 'segno', 'scipy') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
