"""The one place that builds everything: settings → engine → stores → assistant → conversation.

The bot, the demo chat, `ask` (read-only), `kb import` (with `source`) and the staff commands
all go through `open_app`.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.conversation import Conversation
from bot.core.assistant import Assistant
from bot.core.knowledge import Knowledge
from bot.core.knowledge.loader import Problem, load_directory
from bot.core.languages import default_detector
from bot.core.render import HtmlFormatter
from bot.core.semantic import Embedder, VectorCache, cache_file, load_embedder
from bot.settings import Settings
from bot.storage.database import create_engine, normalize_url, sessionmaker, upgrade
from bot.storage.embeddings import Embeddings, prepare_vectors, store_vectors
from bot.storage.knowledge_store import ImportReport, import_knowledge, load_knowledge
from bot.storage.network import Network
from bot.storage.questions import QuestionLog
from bot.storage.tickets import Tickets
from bot.storage.users import UserStore
from bot.support.desk import SupportDesk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Imported:
    """What `open_app` imported from knowledge files: the changes, the files' warnings, and
    the vectors stored with them (None: the semantic ranker is off)."""

    report: ImportReport
    warnings: list[Problem]
    embeddings: Embeddings | None


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    users: UserStore
    questions: QuestionLog
    knowledge: Knowledge
    embedder: Embedder | None
    vectors: VectorCache | None
    desk: SupportDesk  # the support network; a channel attaches its messenger
    imported: Imported | None = None  # knowledge files this start imported, if any
    # One thread understands messages: the event loop keeps serving other users meanwhile.
    understanding: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="understand")
    )

    @cached_property
    def assistant(self) -> Assistant:
        """Built when first asked for: staff commands never need its indexes."""
        return Assistant(
            self.knowledge, default_detector(), embedder=self.embedder, vectors=self.vectors
        )

    def conversation(self, channel: str) -> Conversation:
        return Conversation(
            self.assistant, self.users, self.questions, channel, executor=self.understanding
        )

    async def close(self) -> None:
        self.understanding.shutdown(wait=True)
        await self.engine.dispose()


async def open_app(
    settings: Settings,
    *,
    seed: bool = True,
    read_only: bool = False,
    source: Path | None = None,
) -> App:
    """Migrate the database, import the sample knowledge on first run, wire every part.

    `source` (`kb import`): import these knowledge files first, replacing the stored ones; a
    KnowledgeError says what is wrong in them, and then nothing was touched.
    `read_only` (`ask`): nothing stored changes, not even the schema; without a database
    or stored knowledge, the knowledge files are read.
    """
    warnings: list[Problem] = []
    knowledge: Knowledge | None = None
    if source is not None:
        knowledge, warnings = load_directory(source)
    engine = create_engine(settings.database_url)
    try:
        sessions = sessionmaker(engine)
        stored: async_sessionmaker[AsyncSession] | None = sessions  # where vectors are read
        if not read_only:
            await upgrade(engine)
        elif not await _readable(engine, settings.database_url):
            stored = None
        if knowledge is None and stored is not None:
            knowledge = await load_knowledge(stored)
        importing = source is not None or knowledge is None
        if knowledge is None:
            if not (seed or read_only):
                raise RuntimeError(
                    "the database holds no knowledge yet: run `python main.py kb import`"
                )
            knowledge, warnings = load_directory(settings.knowledge_dir)
        files = source or settings.knowledge_dir
        embedder = load_embedder(settings.semantic, settings.embed_threads)
        vectors, embeddings = await _vectors(stored, knowledge, embedder, files)
        imported = None
        if importing and not read_only:
            report = await import_knowledge(sessions, knowledge, str(files), embeddings)
            imported = Imported(report, warnings, embeddings)
            log.info("imported the knowledge base from %s", files)
        elif embeddings is not None and embeddings.new and not read_only:
            await store_vectors(sessions, embeddings)
    except BaseException:
        await engine.dispose()
        raise
    users = UserStore(sessions)
    questions = QuestionLog(sessions, settings.question_retention)
    support = settings.support
    desk = SupportDesk(
        network=Network(sessions),
        tickets=Tickets(
            sessions, open_limit=support.open_limit, retention=support.ticket_retention
        ),
        users=users,
        questions=questions,
        knowledge=knowledge,
        fmt=HtmlFormatter(),
        settings=support,
    )
    return App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        users=users,
        questions=questions,
        knowledge=knowledge,
        embedder=embedder,
        vectors=vectors,
        desk=desk,
        imported=imported,
    )


async def _vectors(
    sessions: async_sessionmaker[AsyncSession] | None,
    knowledge: Knowledge,
    embedder: Embedder | None,
    knowledge_dir: Path,
) -> tuple[VectorCache | None, Embeddings | None]:
    """The one preparation of embeddings: stored vectors, the files' seed cache, then the
    rest embedded now. (None, None) when the semantic ranker is off."""
    if embedder is None:
        return None, None
    seed = VectorCache.from_file(cache_file(knowledge_dir))
    return await prepare_vectors(sessions, knowledge, embedder, seed)


async def _readable(engine: AsyncEngine, url: str) -> bool:
    """Can a read-only command read this database? Never creates a SQLite file."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite" and (
        not parsed.database or not Path(parsed.database).exists()
    ):
        return False
    try:
        async with engine.connect() as conn:
            return bool(await conn.run_sync(lambda c: c.dialect.has_table(c, "knowledge_versions")))
    except SQLAlchemyError:
        return False
