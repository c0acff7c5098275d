"""The engine: SQLite (WAL, busy timeout, foreign keys) by default, PostgreSQL through asyncpg.

The schema is built only by the Alembic migrations in `migrations/`.
"""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR: Final = Path(__file__).resolve().parents[2] / "migrations"
DEFAULT_URL: Final = "sqlite+aiosqlite:///guichet.db"
#: The newest migration (a test checks it): a database already there is opened without
#: loading Alembic, which is a fifth of a restart's imports.
HEAD: Final = "0013"
SQLITE_BUSY_TIMEOUT_MS: Final = 5000


def normalize_url(url: str) -> str:
    """Accept plain `sqlite:///` and `postgresql://` URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


#: Connections a process keeps open to PostgreSQL.
POSTGRES_POOL_SIZE: Final = 20


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _chain(error: BaseException | None) -> list[BaseException]:
    found: list[BaseException] = []
    while error is not None and error not in found:
        found.append(error)
        error = error.__cause__ or error.__context__
    return found


def _hide_row_details(context: ExceptionContext) -> None:
    """PostgreSQL's DETAIL quotes stored values ("Failing row contains (…)", "Key (…)=(…)"):
    drop it from the driver's error and from every message already built from it."""
    errors = _chain(context.sqlalchemy_exception) + _chain(context.original_exception)
    details = {d for e in errors if isinstance(d := getattr(e, "detail", None), str) and d}
    if not details:
        return
    for error in errors:
        detail = getattr(error, "detail", None)
        if isinstance(detail, str) and detail in details:
            error.detail = None  # type: ignore[attr-defined]  # asyncpg: str() adds it back
        args = []
        for arg in error.args:
            for detail in details if isinstance(arg, str) else ():
                arg = arg.replace(f"\nDETAIL:  {detail}", "")
            args.append(arg)
        error.args = tuple(args)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine. On PostgreSQL, `?search_path=NAME` keeps Guichet in its own schema.

    Its errors and logs never show a statement's parameters, nor the row values PostgreSQL
    quotes in an error: they are people's messages and chat ids.
    """
    parsed = make_url(normalize_url(url))
    search_path = parsed.query.get("search_path")
    if search_path and parsed.get_backend_name() == "postgresql":
        parsed = parsed.difference_update_query(["search_path"])
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("server_settings", {})["search_path"] = str(search_path)
    if parsed.get_backend_name() == "sqlite":
        # SQLite has one writer. Concurrent transactions on several connections wait for the
        # write lock in SQLite's busy handler, which sleeps in steps of up to 100 ms: under
        # load, answers took a second. One connection, handed out in turn by the pool's async
        # queue, serialises them without sleeping.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
    else:
        # The inbox handles up to 64 updates at once (bot/channels/telegram/inbox.py), each a
        # few short statements. With SQLAlchemy's 5 + 10, connections beyond 5 were opened and
        # closed again under load (0.15-0.37 new connections a message). 20 are kept; 10 more
        # for a burst. Two processes stay within PostgreSQL's default 100 connections.
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
        kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(parsed, **kwargs, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine.sync_engine, "handle_error", _hide_row_details)
    return engine


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@dataclass(frozen=True)
class Migrated:
    """The schema revision before and after a migration; `before` None: a brand-new database."""

    before: str | None
    after: str | None


async def current_revision(engine: AsyncEngine) -> str | None:
    """The schema's revision, or None for a database without one (new, or not Guichet's)."""
    async with engine.connect() as conn:
        try:
            found = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:  # no such table
            return None
        return str(found) if found is not None else None


async def upgrade(engine: AsyncEngine, revision: str = "head") -> Migrated:
    """Bring the schema to `revision` through the migrations."""
    if revision in ("head", HEAD) and await current_revision(engine) == HEAD:
        return Migrated(HEAD, HEAD)
    from alembic import command
    from alembic.migration import MigrationContext

    def run(connection: Connection) -> Migrated:
        before = MigrationContext.configure(connection).get_current_revision()
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        return Migrated(before, MigrationContext.configure(connection).get_current_revision())

    async with engine.begin() as conn:
        return await conn.run_sync(run)


#: PostgreSQL advisory lock key of the setup (any fixed number that no other lock uses).
SETUP_LOCK: Final = 0x6775696368  # "guich"


@asynccontextmanager
async def setup_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Processes that start together on one database migrate it and import the first
    knowledge one at a time: the next one finds it done. PostgreSQL: an advisory lock, held
    by a connection of its own. SQLite: a lock file beside the database (one machine)."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SETUP_LOCK})
            await conn.commit()
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SETUP_LOCK})
                await conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.setup-lock", "a") as held:
        await asyncio.to_thread(fcntl.flock, held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def describe(url: str) -> str:
    """Where a database is, for staff to read: a SQLite file's path, else the URL (no password)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        return str(Path(parsed.database).resolve()) if parsed.database else ":memory:"
    return parsed.render_as_string(hide_password=True)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    from alembic import command

    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)
