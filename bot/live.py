"""Keep every process's knowledge live: a change saved in the console (in this process or
another) is what migrants get within seconds, without a restart.

Each process watches the knowledge versions in the database. When a new one is committed,
the knowledge is loaded again and a new assistant (match index and semantic index) is built off
the event loop, then swapped in with one assignment: a message being understood finishes with
the assistant it started with; the next one gets the new.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.assistant import Assistant
from bot.core.knowledge import Knowledge
from bot.storage.knowledge_store import load_knowledge
from bot.storage.models import KnowledgeVersion

log = logging.getLogger(__name__)


async def stored_versions(sessions: async_sessionmaker[AsyncSession]) -> tuple[int | None, int]:
    """The newest version and how many there are. PostgreSQL numbers a version when it is
    written, not when it is committed: one committed after a newer one adds to the count
    without moving the newest. (Versions are never deleted.)"""
    async with sessions() as session:
        newest, count = (
            await session.execute(select(func.max(KnowledgeVersion.id), func.count()))
        ).one()
        return newest, count


class LiveKnowledge:
    """Rebuilds the assistant when the stored knowledge changes and hands it to `swap`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        build: Callable[[Knowledge], Assistant],
        swap: Callable[[Assistant], None],
        version: int | None,
        count: int | None = None,
    ) -> None:
        """`version` and `count`: the newest version and how many there were when the
        knowledge in use was loaded (read before it was); without a count, the first look
        takes the stored one as in use when the newest version is `version`."""
        self.sessions = sessions
        self.build = build
        self.swap = swap
        self.version = version
        self.count = count  # how many versions the knowledge in use had
        self.reloads = 0

    async def check(self) -> bool:
        """Reload if a version was committed since; True when a new assistant was swapped in."""
        latest, count = await stored_versions(self.sessions)
        if self.count is None and latest == self.version:
            self.count = count  # the first look: the knowledge in use is the newest version
        if latest is None or (latest == self.version and count == self.count):
            return False
        knowledge = await load_knowledge(self.sessions)
        if knowledge is None:
            return False
        loop = asyncio.get_running_loop()
        # About half a second for the whole base on one core: off the event loop.
        assistant = await loop.run_in_executor(None, self.build, knowledge)
        self.swap(assistant)
        self.version, self.count = latest, count
        self.reloads += 1
        log.info("knowledge version %s is live (%d entries)", latest, knowledge.entry_count())
        return True

    async def watch(self, every: float = 0.5) -> None:
        """Check every `every` seconds until cancelled; a failure is logged and tried again."""
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("could not reload the knowledge; will try again")
            await asyncio.sleep(every)
