"""Keep every process's knowledge live: a change saved in the console (in this process or
another) is what migrants get within seconds, without a restart.

Each process watches the knowledge versions in the database. When a new one is committed,
its rows are read; the knowledge is validated from them (entries that did not change are
reused, by content hash) and a new assistant (match index and semantic index) is built, both
off the event loop; then it is swapped in with one assignment: a message being understood
finishes with the assistant it started with; the next one gets the new.

The knowledge and its indexes are a few hundred thousand objects that live until the next
reload. Python's full garbage collections walk every one of them (120-170 ms, on 2 cores) at
unpredictable moments, and every page and message waits meanwhile. So once the knowledge in
use is built, the heap is settled (`settle_heap`): collected, then frozen (`gc.freeze`), and
full collections walk only what is newer. An assistant makes no reference cycles (checked
by a test), so the one a reload replaces is still freed, by reference counting; every tenth
reload the whole heap is collected once, for the cycles of what was frozen while in use.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.assistant import Assistant
from bot.core.knowledge import Entry, Knowledge
from bot.storage.knowledge_store import StoredRows, knowledge_of, stored_rows
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


#: Every how many reloads the frozen heap is collected too (see settle_heap).
FULL_SETTLE_EVERY = 10


def settle_heap(*, full: bool = True) -> None:
    """Collect what is garbage now, then move every live object to the permanent generation,
    which collections skip. Collecting first matters: a cycle frozen while garbage would never
    be freed.

    `full`: unfreeze first, so that what was alive at an earlier settle (a request being
    served, a reload's own task) and has become a cycle of garbage since is collected too.
    That walks the whole heap (about 150 ms for the sample base, the event loop waiting); without
    it a settle walks only what is newer than the last one (tens of ms). The watcher settles
    fully every FULL_SETTLE_EVERY reloads: what piles up in between is a few hundred kB, and is
    freed then."""
    if full:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


class LiveKnowledge:
    """Rebuilds the assistant when the stored knowledge changes and hands it to `swap`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        build: Callable[[Knowledge], Assistant],
        swap: Callable[[Assistant], None],
        version: int | None,
        count: int | None = None,
        parsed: dict[str, Entry] | None = None,
    ) -> None:
        """`version` and `count`: the newest version and how many there were when the
        knowledge in use was loaded (read before it was); without a count, the first look
        takes the stored one as in use when the newest version is `version`. `parsed`: the
        entries of the knowledge in use by content hash, if known (bot/storage/knowledge_store.py
        knowledge_of)."""
        self.sessions = sessions
        self.build = build
        self.swap = swap
        self.version = version
        self.count = count  # how many versions the knowledge in use had
        self.reloads = 0
        self.parsed = parsed if parsed is not None else {}

    async def check(self) -> bool:
        """Reload if a version was committed since; True when a new assistant was swapped in."""
        latest, count = await stored_versions(self.sessions)
        if self.count is None and latest == self.version:
            self.count = count  # the first look: the knowledge in use is the newest version
        if latest is None or (latest == self.version and count == self.count):
            return False
        rows = await stored_rows(self.sessions)
        if rows is None:
            return False
        loop = asyncio.get_running_loop()
        # Validation and indexes take about a second for the whole base on one core: off the
        # event loop, which only waits.
        assistant = await loop.run_in_executor(None, self._assistant, rows)
        self.swap(assistant)
        entries = assistant.knowledge.entry_count()
        del assistant, rows
        # The old knowledge is freed by now; the new one is frozen.
        settle_heap(full=(self.reloads + 1) % FULL_SETTLE_EVERY == 0)
        self.version, self.count = latest, count
        self.reloads += 1
        log.info("knowledge version %s is live (%d entries)", latest, entries)
        return True

    def _assistant(self, rows: StoredRows) -> Assistant:
        return self.build(knowledge_of(rows, self.parsed))

    async def watch(self, every: float = 0.5) -> None:
        """Check every `every` seconds until cancelled; a failure is logged and tried again.
        Started once the process's knowledge is built: it settles the heap first."""
        settle_heap()
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("could not reload the knowledge; will try again")
            await asyncio.sleep(every)
