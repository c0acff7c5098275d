"""The one place that builds everything: settings → engine → stores → assistant → conversation,
and for Telegram the bot, its messenger, the support desk and the volunteers' handlers.

The bot, the demo chat, `ask` (read-only), `kb import` (with `source`) and the staff commands
all go through `open_app`.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Defaults, ExtBot

from bot.channels.telegram.channel import Channel
from bot.channels.telegram.delivery import Delivery
from bot.channels.telegram.messenger import TelegramMessenger
from bot.channels.telegram.staff import StaffDoor
from bot.channels.telegram.support import Volunteers
from bot.channels.telegram.unreadable import ReadableUpdates
from bot.channels.telegram.voice import VoiceNotes
from bot.conversation import Conversation
from bot.core.assistant import Assistant
from bot.core.knowledge import Entry, Knowledge
from bot.core.knowledge.loader import Problem, load_directory
from bot.core.languages import UI_LANGUAGES, default_detector
from bot.core.ranking import Stage
from bot.core.render import Formatter, HtmlFormatter
from bot.core.semantic import Embedder, QueryCache, VectorCache, cache_file, load_embedder
from bot.live import LiveKnowledge, stored_versions
from bot.settings import Settings, SupportSettings, TelegramSettings
from bot.storage.database import (
    create_engine,
    normalize_url,
    sessionmaker,
    setup_lock,
    upgrade,
)
from bot.storage.editing import Editor
from bot.storage.embeddings import Embeddings, prepare_vectors, store_vectors
from bot.storage.gaps import Gaps
from bot.storage.inbox import Inbox
from bot.storage.knowledge_store import ImportReport, import_knowledge, knowledge_of, stored_rows
from bot.storage.network import Network
from bot.storage.network_figures import NetworkFigures
from bot.storage.phrasings import Phrasings
from bot.storage.questions import QuestionLog
from bot.storage.review import Review
from bot.storage.sent import SentJournal
from bot.storage.staff import StaffStore
from bot.storage.statistics import Statistics
from bot.storage.ticket_upkeep import TicketUpkeep
from bot.storage.tickets import Tickets
from bot.storage.users import UserStore
from bot.support.desk import SupportDesk
from bot.support.messenger import Messenger
from bot.support.relay import Relay
from bot.support.words import Words
from bot.voice.speech import Speaker
from bot.voice.worker import VoiceWorker, load_voice
from bot.web.app import Console

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Imported:
    """What `open_app` imported from knowledge files: the changes, the files' warnings, and
    the vectors stored with them (None: the semantic ranker is off)."""

    report: ImportReport
    warnings: list[Problem]
    embeddings: Embeddings | None


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


@dataclass(frozen=True)
class DeliveryStores:
    """The durable inbox and the journal of what was sent; `single` when one process serves
    the database (SQLite), which then takes back every claim when it starts."""

    inbox: Inbox
    journal: SentJournal
    single: bool


def delivery_stores(sessions: async_sessionmaker[AsyncSession]) -> DeliveryStores:
    single = sessions.kw["bind"].dialect.name == "sqlite"
    return DeliveryStores(Inbox(sessions, owner="unstarted"), SentJournal(sessions), single)


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
    delivery: DeliveryStores
    staff: StaffDoor | None = None  # /staff and staff invitations, when a console is served
    voice: VoiceNotes | None = None  # voice notes heard, when the voice extra is on


def telegram_bot(
    conversation: Conversation,
    settings: TelegramSettings,
    support: SupportStores | None,
    delivery: DeliveryStores,
    staff: StaffDoor | None = None,
) -> TelegramBot:
    """The bot (HTML by default, rate-limited, retrying, journalled), and with a support
    network its messenger, the desk and the volunteers' handlers, before any Application
    exists."""
    if not settings.token:
        raise ValueError("no Telegram bot token")
    bot: ExtBot[int] = ExtBot(
        settings.token,
        base_url=settings.api_base_url,
        base_file_url=settings.file_base_url,
        request=Delivery(
            delivery.journal,
            budget=settings.delivery_budget,
            connection_pool_size=256,
            read_timeout=settings.read_timeout,
        ),
        get_updates_request=ReadableUpdates(connection_pool_size=1),
        defaults=Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
        # The limiter paces calls; Delivery waits out flood control (429) itself.
        rate_limiter=AIORateLimiter(overall_max_rate=settings.max_rate, max_retries=0),
    )
    if support is None:
        channel = Channel(conversation)
        return TelegramBot(bot, channel, None, None, delivery, staff, voice_notes(channel))
    messenger = TelegramMessenger(bot, conversation)
    desk = support_desk(support, conversation, messenger, HtmlFormatter())
    volunteers = Volunteers(desk, messenger)
    channel = Channel(conversation, support.settings.ticket_retention)
    return TelegramBot(bot, channel, desk, volunteers, delivery, staff, voice_notes(channel))


def voice_notes(channel: Channel) -> VoiceNotes | None:
    worker = channel.conv.voice
    return VoiceNotes(channel, worker) if worker is not None else None


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
    support: SupportStores  # the support network; each channel builds its desk on it
    delivery: DeliveryStores  # the durable inbox and the journal of what was sent
    imported: Imported | None = None  # knowledge files this start imported, if any
    #: the newest stored knowledge version and how many there were, read before `knowledge`
    #: was loaded (see bot/live.py)
    version: tuple[int | None, int] | None = None
    #: the entries of the stored knowledge in use, by content hash: a reload validates only
    #: the others (see bot/live.py)
    parsed: dict[str, Entry] = field(default_factory=dict)
    # One thread understands messages: the event loop keeps serving other users meanwhile.
    understanding: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="understand")
    )

    @cached_property
    def assistant(self) -> Assistant:
        """Built when first asked for: staff commands never need its indexes."""
        return self.build_assistant(self.knowledge)

    @cached_property
    def voice(self) -> VoiceWorker | None:
        """The voice worker with its model, loaded when first asked for; None without the
        voice extra (or with GUICHET_VOICE=off)."""
        return load_voice(self.settings.voice)

    @cached_property
    def speech(self) -> Speaker | None:
        """Answers read aloud, cached in the state folder; None without espeak-ng and opusenc
        (or with GUICHET_VOICE=off)."""
        if not self.settings.voice.enabled:
            return None
        return Speaker.find(self.settings.voice.state_dir / "speech", UI_LANGUAGES)

    def conversation(self, channel: str, *, voice: bool = False) -> Conversation:
        """A channel's conversation; `voice`: it takes voice notes (when the extra is on) and
        reads answers aloud (when espeak-ng and opusenc are installed)."""
        conversation = Conversation(
            self.assistant,
            self.users,
            self.questions,
            channel,
            executor=self.understanding,
            voice=self.voice if voice else None,
            speech=self.speech if voice else None,
        )
        self._conversations.append(conversation)
        return conversation

    @cached_property
    def _conversations(self) -> list[Conversation]:
        return []

    def build_assistant(self, knowledge: Knowledge) -> Assistant:
        return Assistant(
            knowledge, default_detector(), embedder=self.embedder, vectors=self.vectors
        )

    def swap(self, assistant: Assistant) -> None:
        """The new knowledge, for every conversation at once (see bot/live.py)."""
        self.knowledge = assistant.knowledge
        self.__dict__["assistant"] = assistant
        for conversation in self._conversations:
            conversation.assistant = assistant

    def console(self) -> Console:
        """The staff console's stores, on this app's database and live knowledge."""
        editor, phrasings = Editor(self.sessions), Phrasings(self.sessions)
        return Console(
            staff=StaffStore(self.sessions),
            editor=editor,
            questions=self.questions,
            phrasings=phrasings,
            figures=NetworkFigures(self.sessions),
            review=Review(self.sessions, phrasings, editor),
            gaps=Gaps(
                self.sessions, phrasings, lambda: self.assistant, self.settings.question_retention
            ),
            statistics=Statistics(self.sessions),
            knowledge=lambda: self.knowledge,
            settings=self.settings.web,
            bot_username=self.settings.support.bot_username,
        )

    def staff_door(self) -> StaffDoor:
        """What answers /staff in Telegram with a sign-in link to this app's console."""
        return StaffDoor(StaffStore(self.sessions), self.settings.web.public_url)

    def understanding_counts(self) -> dict[str, int]:
        """How many messages each stage decided, and the embeddings computed or reused."""
        counts: Counter[str] = Counter()
        for conversation in self._conversations:
            counts.update({str(path): n for path, n in conversation.paths.items()})
        queries = getattr(self.embedder, "queries", None)
        if isinstance(queries, QueryCache):
            counts["embedded"], counts["embedding reused"] = queries.misses, queries.hits
        return dict(counts)

    def log_understanding(self) -> None:
        """Counts only, never a text: the share of messages that needed an embedding."""
        counts = self.understanding_counts()
        if sum(counts.get(stage, 0) for stage in Stage):
            log.info("understanding: %s", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))

    def live(self) -> LiveKnowledge:
        """What keeps this process's knowledge the stored one (bot/live.py)."""
        newest, count = self.version or (None, None)
        return LiveKnowledge(
            self.sessions, self.build_assistant, self.swap, newest, count, self.parsed
        )

    async def close(self) -> None:
        self.understanding.shutdown(wait=True)
        if "voice" in self.__dict__ and self.voice is not None:
            self.voice.close()
        self.log_understanding()
        await self.engine.dispose()


async def open_app(
    settings: Settings,
    *,
    seed: bool = True,
    read_only: bool = False,
    source: Path | None = None,
    force: bool = False,
) -> App:
    """Migrate the database, import the sample knowledge on first run, wire every part.

    `source` (`kb import`): import these knowledge files first, replacing the stored ones; a
    KnowledgeError says what is wrong in them, and then nothing was touched; ConsoleEdits
    says which entries the files would overwrite that were changed in the console since
    (`force` overwrites them).
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
        # Processes started together: one migrates and imports, the others then find it done.
        async with nullcontext() if read_only else setup_lock(engine):
            if not read_only:
                await upgrade(engine)
            elif not await _readable(engine, settings.database_url):
                stored = None
            # Read before the knowledge: a change saved meanwhile is loaded again, not missed.
            version = await stored_versions(stored) if stored is not None else None
            parsed: dict[str, Entry] = {}
            if knowledge is None and stored is not None:
                rows = await stored_rows(stored)
                knowledge = knowledge_of(rows, parsed) if rows is not None else None
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
                report = await import_knowledge(
                    sessions, knowledge, str(files), embeddings, force=force
                )
                imported = Imported(report, warnings, embeddings)
                version = await stored_versions(sessions)  # the knowledge in use is this import
                rows = await stored_rows(sessions)  # as stored, so that a reload reuses its entries
                if rows is not None:
                    knowledge = knowledge_of(rows, parsed)
                log.info("imported the knowledge base from %s", files)
            elif embeddings is not None and embeddings.new and not read_only:
                await store_vectors(sessions, embeddings)
    except BaseException:
        await engine.dispose()
        raise
    users = UserStore(sessions)
    questions = QuestionLog(sessions, settings.question_retention)
    return App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        users=users,
        questions=questions,
        knowledge=knowledge,
        embedder=embedder,
        vectors=vectors,
        support=support_stores(sessions, settings.support),
        delivery=delivery_stores(sessions),
        imported=imported,
        version=version,
        parsed=parsed,
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
