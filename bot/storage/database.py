"""The engine: SQLite (WAL, busy timeout, foreign keys) by default, PostgreSQL through asyncpg.

The schema is built only by the Alembic migrations in `migrations/`.
"""

from __future__ import annotations

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
HEAD: Final = "0012"
SQLITE_BUSY_TIMEOUT_MS: Final = 5000


def normalize_url(url: str) -> str:
    """Accept plain `sqlite:///` and `postgresql://` URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


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
