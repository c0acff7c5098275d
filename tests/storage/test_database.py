"""The schema comes from the migrations, and the migrations agree with the models."""

import logging
import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import (
    HEAD,
    POSTGRES_POOL_SIZE,
    alembic_config,
    create_engine,
    current_revision,
    downgrade,
    normalize_url,
    upgrade,
)
from bot.storage.models import Base


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    def diff(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_downgrade_and_upgrade_again(engine: AsyncEngine) -> None:
    await downgrade(engine, "base")
    await upgrade(engine, "head")
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM knowledge_versions")) == 0


def test_head_names_the_newest_migration() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


async def test_a_database_at_head_is_opened_without_loading_alembic(
    engine: AsyncEngine, database_url: str
) -> None:
    """A restart of a database already migrated skips Alembic (a fifth of the imports)."""
    assert await current_revision(engine) == HEAD
    check = (
        "import asyncio, sys\n"
        "from bot.storage.database import create_engine, upgrade\n"
        f"migrated = asyncio.run(upgrade(create_engine({database_url!r})))\n"
        "print(migrated.before, migrated.after, 'alembic' in sys.modules)\n"
    )
    ran = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert ran.stdout.split() == [HEAD, HEAD, "False"]
    await downgrade(engine, "0006")
    assert await current_revision(engine) == "0006"
    assert (await upgrade(engine)).before == "0006"  # behind: migrated as before


async def test_the_engine_sets_up_each_connection_for_its_backend(database_url: str) -> None:
    """SQLite: WAL, a busy timeout, foreign keys and one connection. PostgreSQL: the URL's own
    schema and a pool of 20."""
    eng = create_engine(database_url)
    try:
        async with eng.connect() as conn:
            if eng.dialect.name == "sqlite":
                assert (await conn.scalar(text("PRAGMA journal_mode"))).lower() == "wal"
                assert await conn.scalar(text("PRAGMA busy_timeout")) == 5000
                assert await conn.scalar(text("PRAGMA foreign_keys")) == 1
                assert eng.pool.size() == 1  # type: ignore[attr-defined]  # one writer, in turn
            else:
                # as many connections kept as the inbox's updates in flight need, no reconnects
                assert eng.pool.size() == POSTGRES_POOL_SIZE  # type: ignore[attr-defined]
                schema = make_url(database_url).query["search_path"]
                assert await conn.scalar(text("SHOW search_path")) == schema
                assert await conn.scalar(text("SELECT current_schema()")) == schema
    finally:
        await eng.dispose()


def test_backend_is_the_one_the_run_asked_for(engine: AsyncEngine) -> None:
    """TEST_DATABASE_URL names PostgreSQL, else SQLite; CI may also name it (it must not skip)."""
    asked = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    assert engine.dialect.name == asked
    assert os.environ.get("GUICHET_EXPECT_BACKEND", asked) == asked


def test_plain_urls_get_async_drivers() -> None:
    assert normalize_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalize_url("postgresql://u@h/db").startswith("postgresql+asyncpg://")


async def test_a_failing_statement_never_shows_its_parameters(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed INSERT's error (logged by whoever catches it) and the engine's log: no text."""
    said = "Mon propriétaire Jan Peeters garde mon passeport"
    insert = text(
        "INSERT INTO questions (city, action, confidence, text) VALUES (NULL, 'answer', 0, :t)"
    )
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        with caplog.at_level(logging.INFO), pytest.raises(IntegrityError) as failed:
            async with engine.begin() as conn:
                await conn.execute(insert, {"t": said})
        logging.getLogger("test").error("the insert failed", exc_info=failed.value)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.NOTSET)
    assert "INSERT INTO questions" in caplog.text  # the statement is logged, not its values
    assert "Peeters" not in str(failed.value) and "Peeters" not in caplog.text
    assert "hidden" in str(failed.value)
