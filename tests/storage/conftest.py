"""A second process's view of the test database, for races between two processes."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.database import create_engine, sessionmaker


@pytest.fixture
async def elsewhere(
    database_url: str, engine: object
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A second process's sessions on the same database: its own engine and connections."""
    other = create_engine(database_url)
    try:
        yield sessionmaker(other)
    finally:
        await other.dispose()
