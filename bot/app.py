"""The one place that builds everything: settings → engine → stores → assistant → conversation."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.conversation import Conversation
from bot.core.assistant import Assistant
from bot.core.knowledge.loader import load_directory
from bot.core.languages import default_detector
from bot.core.render import HtmlFormatter
from bot.core.semantic import VectorCache, cache_file, load_embedder
from bot.settings import Settings
from bot.storage.database import create_engine, sessionmaker, upgrade
from bot.storage.embeddings import prepare_vectors, store_vectors
from bot.storage.knowledge_store import Embeddings, import_knowledge, load_knowledge
from bot.storage.network import Network
from bot.storage.questions import QuestionLog
from bot.storage.tickets import Tickets
from bot.storage.users import UserStore
from bot.support.desk import SupportDesk

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    users: UserStore
    questions: QuestionLog
    assistant: Assistant
    desk: SupportDesk  # the support network; a channel attaches its messenger
    # One thread understands messages: the event loop keeps serving other users meanwhile.
    understanding: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="understand")
    )

    def conversation(self, channel: str) -> Conversation:
        return Conversation(
            self.assistant, self.users, self.questions, channel, executor=self.understanding
        )

    async def close(self) -> None:
        self.understanding.shutdown(wait=True)
        await self.engine.dispose()


async def open_app(settings: Settings, *, seed: bool = True) -> App:
    """Migrate the database, import the sample knowledge on first run, build the assistant."""
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    sessions = sessionmaker(engine)
    knowledge = await load_knowledge(sessions)
    fresh = knowledge is None
    if knowledge is None:
        if not seed:
            raise RuntimeError(
                "the database holds no knowledge yet: run `python main.py kb import`"
            )
        knowledge, _warnings = load_directory(settings.knowledge_dir)
    embedder = load_embedder(settings.semantic)
    vectors: VectorCache | None = None
    embeddings: Embeddings | None = None
    if embedder is not None:
        seed_cache = VectorCache.from_file(cache_file(settings.knowledge_dir))
        vectors, unsaved, keys = await prepare_vectors(sessions, knowledge, embedder, seed_cache)
        embeddings = Embeddings(embedder.model_id, unsaved, keys)
    if fresh:
        await import_knowledge(sessions, knowledge, str(settings.knowledge_dir), embeddings)
        log.info("imported the sample knowledge base from %s", settings.knowledge_dir)
    elif embeddings is not None and embeddings.new:
        await store_vectors(sessions, embeddings)
    assistant = Assistant(knowledge, default_detector(), embedder=embedder, vectors=vectors)
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
        assistant=assistant,
        desk=desk,
    )
