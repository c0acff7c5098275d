"""The schema comes from the migrations, and the migrations agree with the models."""

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import create_engine, downgrade, normalize_url, upgrade
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


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(database_url: str) -> None:
    eng = create_engine(database_url)
    try:
        async with eng.connect() as conn:
            if eng.dialect.name != "sqlite":
                assert eng.dialect.name == "postgresql"
                return
            assert (await conn.scalar(text("PRAGMA journal_mode"))).lower() == "wal"
            assert await conn.scalar(text("PRAGMA busy_timeout")) == 5000
            assert await conn.scalar(text("PRAGMA foreign_keys")) == 1
    finally:
        await eng.dispose()


def test_backend_is_the_one_ci_asked_for() -> None:
    """CI runs the suite once on SQLite and once on PostgreSQL; it must not silently skip."""
    expected = os.environ.get("GUICHET_EXPECT_BACKEND")
    if expected is None:
        return
    url = os.environ.get("TEST_DATABASE_URL")
    backend = "sqlite" if not url else normalize_url(url).split("+")[0].split(":")[0]
    assert backend == expected


def test_plain_urls_get_async_drivers() -> None:
    assert normalize_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalize_url("postgresql://u@h/db").startswith("postgresql+asyncpg://")
