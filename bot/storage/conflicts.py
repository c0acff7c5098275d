"""`INSERT ... ON CONFLICT` for the dialect of a session: SQLite and PostgreSQL spell it alike,
but SQLAlchemy builds it from each dialect's own `insert`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT into `model` that has `on_conflict_do_nothing` and `on_conflict_do_update`."""
    return insert_for(dialect(session), model)


def insert_for(dialect: str, target: Any) -> Any:
    """The same for a dialect's name ("postgresql", "sqlite"): for a statement built once."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(target)


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name
