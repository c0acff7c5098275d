"""The one place that builds everything: settings → engine → stores → assistant → conversation."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.conversation import Conversation
from bot.core.assistant import Assistant
from bot.core.knowledge.loader import load_directory
from bot.core.languages import default_detector
from bot.settings import Settings
from bot.storage.database import create_engine, sessionmaker, upgrade
from bot.storage.knowledge_store import import_knowledge, load_knowledge
from bot.storage.questions import QuestionLog
from bot.storage.users import UserStore

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    users: UserStore
    questions: QuestionLog
    assistant: Assistant

    def conversation(self, channel: str) -> Conversation:
        return Conversation(self.assistant, self.users, self.questions, channel)

    async def close(self) -> None:
        await self.engine.dispose()


async def open_app(settings: Settings, *, seed: bool = True) -> App:
    """Migrate the database, import the sample knowledge on first run, build the assistant."""
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    sessions = sessionmaker(engine)
    knowledge = await load_knowledge(sessions)
    if knowledge is None:
        if not seed:
            raise RuntimeError(
                "the database holds no knowledge yet: run `python main.py kb import`"
            )
        knowledge, _warnings = load_directory(settings.knowledge_dir)
        await import_knowledge(sessions, knowledge, str(settings.knowledge_dir))
        log.info("imported the sample knowledge base from %s", settings.knowledge_dir)
    assistant = Assistant(knowledge, default_detector())
    return App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        users=UserStore(sessions),
        questions=QuestionLog(sessions, settings.question_retention),
        assistant=assistant,
    )
