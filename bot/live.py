"""Keep every process's knowledge live: a change saved in the console (in this process or
another) is what migrants get within seconds, without a restart.

Each process watches the newest knowledge version in the database. When it moves, the
knowledge is loaded again and a new assistant (match index and semantic index) is built off
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


async def latest_version(sessions: async_sessionmaker[AsyncSession]) -> int | None:
    async with sessions() as session:
        return await session.scalar(select(func.max(KnowledgeVersion.id)))


class LiveKnowledge:
    """Rebuilds the assistant when the stored knowledge changes and hands it to `swap`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        build: Callable[[Knowledge], Assistant],
        swap: Callable[[Assistant], None],
        version: int | None,
    ) -> None:
        self.sessions = sessions
        self.build = build
        self.swap = swap
        self.version = version
        self.reloads = 0

    async def check(self) -> bool:
        """Reload if the stored version moved; True when a new assistant was swapped in."""
        latest = await latest_version(self.sessions)
        if latest is None or latest == self.version:
            return False
        knowledge = await load_knowledge(self.sessions)
        if knowledge is None:
            return False
        loop = asyncio.get_running_loop()
        # About half a second for the whole base on one core: off the event loop.
        assistant = await loop.run_in_executor(None, self.build, knowledge)
        self.swap(assistant)
        self.version = latest
        self.reloads += 1
        log.info("knowledge version %s is live (%d entries)", latest, knowledge.entry_count())
        return True

    async def watch(self, every: float = 1.0) -> None:
        """Check every `every` seconds until cancelled; a failure is logged and tried again."""
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("could not reload the knowledge; will try again")
            await asyncio.sleep(every)
