"""The one place that builds everything: settings → engine → stores → assistant → conversation,
and for Telegram the bot, its messenger, the support desk and the volunteers' handlers."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Defaults, ExtBot
from telegram.request import HTTPXRequest

from bot.channels.telegram.channel import Channel
from bot.channels.telegram.messenger import TelegramMessenger
from bot.channels.telegram.support import Volunteers
from bot.conversation import Conversation
from bot.core.assistant import Assistant
from bot.core.knowledge.loader import load_directory
from bot.core.languages import default_detector
from bot.core.render import Formatter, HtmlFormatter
from bot.core.semantic import VectorCache, cache_file, load_embedder
from bot.settings import Settings, SupportSettings, TelegramSettings
from bot.storage.database import create_engine, sessionmaker, upgrade
from bot.storage.embeddings import prepare_vectors, store_vectors
from bot.storage.knowledge_store import Embeddings, import_knowledge, load_knowledge
from bot.storage.network import Network
from bot.storage.questions import QuestionLog
from bot.storage.ticket_upkeep import TicketUpkeep
from bot.storage.tickets import Tickets
from bot.storage.users import UserStore
from bot.support.desk import SupportDesk
from bot.support.messenger import Messenger
from bot.support.relay import Relay
from bot.support.words import Words

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SupportStores:
    """The support network's stores and settings; a channel builds the desk on them."""

    network: Network
    tickets: Tickets
    upkeep: TicketUpkeep
    settings: SupportSettings


def support_stores(
    sessions: async_sessionmaker[AsyncSession], settings: SupportSettings
) -> SupportStores:
    tickets = Tickets(sessions, open_limit=settings.open_limit, retention=settings.ticket_retention)
    return SupportStores(Network(sessions), tickets, TicketUpkeep(sessions), settings)


def support_desk(
    stores: SupportStores, conversation: Conversation, messenger: Messenger, fmt: Formatter
) -> SupportDesk:
    """The desk and its parts, talking through one channel's messenger."""
    words = Words(conversation.assistant.knowledge, fmt)
    relay = Relay(
        tickets=stores.tickets,
        network=stores.network,
        users=conversation.users,
        messenger=messenger,
        words=words,
    )
    return SupportDesk(
        network=stores.network,
        tickets=stores.tickets,
        upkeep=stores.upkeep,
        users=conversation.users,
        questions=conversation.questions,
        messenger=messenger,
        words=words,
        relay=relay,
        settings=stores.settings,
    )


@dataclass(frozen=True)
class TelegramBot:
    """What the Telegram Application is built from; the desk is None without a network."""

    bot: ExtBot[int]
    channel: Channel
    desk: SupportDesk | None
    volunteers: Volunteers | None


def telegram_bot(
    conversation: Conversation, settings: TelegramSettings, support: SupportStores | None
) -> TelegramBot:
    """The bot (HTML by default, rate-limited), and with a support network its messenger, the
    desk and the volunteers' handlers, before any Application exists."""
    if not settings.token:
        raise ValueError("no Telegram bot token")
    bot: ExtBot[int] = ExtBot(
        settings.token,
        base_url=settings.api_base_url,
        base_file_url=settings.file_base_url,
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        defaults=Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
        rate_limiter=AIORateLimiter(
            overall_max_rate=settings.max_rate, max_retries=settings.retries
        ),
    )
    if support is None:
        return TelegramBot(bot, Channel(conversation), None, None)
    messenger = TelegramMessenger(bot, conversation)
    desk = support_desk(support, conversation, messenger, HtmlFormatter())
    volunteers = Volunteers(desk, messenger)
    return TelegramBot(bot, Channel(conversation, volunteers), desk, volunteers)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    users: UserStore
    questions: QuestionLog
    assistant: Assistant
    support: SupportStores  # the support network; each channel builds its desk on it
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
    return App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        users=users,
        questions=questions,
        assistant=assistant,
        support=support_stores(sessions, settings.support),
    )
