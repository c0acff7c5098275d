"""Alembic environment: one migration path for SQLite and PostgreSQL.

Guichet runs migrations from its own code (`python main.py db upgrade`, and at start-up),
passing a live connection in `config.attributes["connection"]`. Without one, the URL comes
from DATABASE_URL, as in the async template.
"""

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.database import DEFAULT_URL, create_engine
from bot.storage.models import Base

target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(os.environ.get("DATABASE_URL", DEFAULT_URL))
    async with engine.begin() as conn:
        await conn.run_sync(_configure)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run them against a database.")
run_migrations_online()
