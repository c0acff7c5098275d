"""Every setting is read from the environment and checked, and a bad one is named."""

from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import (
    ROOT,
    Settings,
    SettingsError,
    SupportSettings,
    TelegramSettings,
    VoiceSettings,
    WebSettings,
)
from bot.storage.database import DEFAULT_URL


def test_an_empty_environment_gives_the_documented_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings(
        database_url=DEFAULT_URL,
        knowledge_dir=ROOT / "knowledge",
        question_retention=timedelta(days=30),
        log_level="INFO",
        semantic=True,
        telegram=TelegramSettings(state_dir=Path.cwd()),  # beside ./guichet.db
        support=SupportSettings(),
        web=WebSettings(state_dir=Path.cwd()),  # the console on 127.0.0.1:8080
        voice=VoiceSettings(state_dir=Path.cwd()),  # on when the extra is, base model, 1 at a time
    )


def test_the_voice_settings_are_read_and_checked(tmp_path: Path) -> None:
    voice = Settings.from_env(
        {
            "GUICHET_WHISPER_MODEL_DIR": str(tmp_path),
            "GUICHET_VOICE_WORKERS": "2",
            "GUICHET_VOICE_QUEUE": "0",
            "GUICHET_VOICE_IDLE_MINUTES": "3",
            "GUICHET_VOICE": "off",
        }
    ).voice
    assert (voice.model_dir, voice.workers, voice.queue, voice.enabled) == (tmp_path, 2, 0, False)
    assert voice.idle == 180
    assert Settings.from_env({}).voice.idle == 600
    with pytest.raises(SettingsError, match="GUICHET_VOICE_WORKERS must be at least 1"):
        Settings.from_env({"GUICHET_VOICE_WORKERS": "0"})


def test_the_console_settings_are_read_and_checked() -> None:
    web = Settings.from_env(
        {
            "GUICHET_WEB_LISTEN": "0.0.0.0",
            "GUICHET_WEB_PORT": "9000",
            "GUICHET_WEB_BASE_URL": "https://guichet.example.org/",
            "GUICHET_WEB": "off",
        }
    ).web
    assert (web.listen, web.port, web.enabled) == ("0.0.0.0", 9000, False)
    assert web.public_url == "https://guichet.example.org"
    assert Settings.from_env({}).web.public_url == "http://127.0.0.1:8080"
    # In webhook mode one server serves both: the console is at the webhook's address.
    hooked = {
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram",
        "TELEGRAM_WEBHOOK_SECRET": "s3cret",
    }
    assert Settings.from_env(hooked).web.public_url == "https://bot.example.org"
    with pytest.raises(SettingsError, match="GUICHET_WEB_SECRET must be at least 32"):
        Settings.from_env({"GUICHET_WEB_SECRET": "short"})
    with pytest.raises(SettingsError, match="GUICHET_WEB_BASE_URL"):
        Settings.from_env({"GUICHET_WEB_BASE_URL": "guichet.example.org"})
    assert "x" * 40 not in repr(Settings.from_env({"GUICHET_WEB_SECRET": "x" * 40}))


def test_local_files_are_kept_beside_a_sqlite_database_else_in_state() -> None:
    def state(env: dict[str, str]) -> Path | None:
        return Settings.from_env(env).telegram.state_dir

    assert state({"DATABASE_URL": "sqlite:////srv/guichet/data.db"}) == Path("/srv/guichet")
    assert state({"DATABASE_URL": "postgresql://guichet@db/guichet"}) == ROOT / "state"
    assert state({"DATABASE_URL": "sqlite://"}) == ROOT / "state"  # in memory


def test_blank_values_count_as_unset() -> None:
    env = {"GUICHET_QUESTION_RETENTION_DAYS": " ", "TELEGRAM_WEBHOOK_PORT": "", "DATABASE_URL": ""}
    assert Settings.from_env(env) == Settings.from_env({})


def test_every_setting_is_read() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://guichet@db.example.org/guichet",
            "GUICHET_KNOWLEDGE_DIR": "/srv/knowledge",
            "GUICHET_QUESTION_RETENTION_DAYS": "0",
            "GUICHET_LOG_LEVEL": "debug",
            "GUICHET_SEMANTIC": "Off",
            "GUICHET_EMBED_THREADS": "2",
            "TELEGRAM_BOT_TOKEN": " 123:abc ",
            "TELEGRAM_MODE": "WEBHOOK",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "TELEGRAM_WEBHOOK_URL": "https://guichet.example.org/telegram",
            "TELEGRAM_WEBHOOK_LISTEN": "0.0.0.0",
            "TELEGRAM_WEBHOOK_PORT": "65535",
            "TELEGRAM_WEBHOOK_PATH": "/hook/",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_-",
            "TELEGRAM_MAX_RATE": "0",
            "TELEGRAM_RETRY_SECONDS": "120",
            "TELEGRAM_READ_TIMEOUT": "2.5",
            "GUICHET_INSTANCE": "web-1",
            "GUICHET_STATE_DIR": "/var/lib/guichet",
            "GUICHET_BOT_USERNAME": "@GuichetBot",
            "GUICHET_TICKET_OPEN_LIMIT": "5",
            "GUICHET_TICKET_REMIND_MINUTES": "10",
            "GUICHET_TICKET_GIVE_UP_HOURS": "48",
            "GUICHET_CLAIM_REMIND_MINUTES": "60",
            "GUICHET_CLAIM_RELEASE_MINUTES": "61",
            "GUICHET_TICKET_RETENTION_DAYS": "0",
            "GUICHET_INVITE_USES": "1",
            "GUICHET_INVITE_DAYS": "30",
        }
    )
    assert settings.database_url == "postgresql://guichet@db.example.org/guichet"
    assert settings.knowledge_dir == Path("/srv/knowledge")
    assert settings.question_retention == timedelta(0)
    assert (settings.log_level, settings.semantic) == ("DEBUG", False)
    assert settings.embed_threads == 2
    assert Settings.from_env({}).embed_threads == 1  # one OpenMP thread unless asked
    assert settings.telegram == TelegramSettings(
        token="123:abc",
        api_base_url="http://127.0.0.1:8081/bot",
        mode="webhook",
        webhook_url="https://guichet.example.org/telegram",
        webhook_listen="0.0.0.0",
        webhook_port=65535,
        webhook_path="hook",
        webhook_secret="s3cret_-",
        max_rate=0.0,
        delivery_budget=120.0,
        read_timeout=2.5,
        instance="web-1",
        state_dir=Path("/var/lib/guichet"),
    )
    assert settings.support == SupportSettings(
        open_limit=5,
        remind_after=timedelta(minutes=10),
        give_up_after=timedelta(hours=48),
        claim_remind_after=timedelta(minutes=60),
        claim_release_after=timedelta(minutes=61),
        ticket_retention=timedelta(0),
        invite_uses=1,
        invite_days=30,
        bot_username="GuichetBot",
    )


@pytest.mark.parametrize("value", ["on", "ON", "true", "yes", "1"])
def test_the_semantic_switch_reads_on(value: str) -> None:
    assert Settings.from_env({"GUICHET_SEMANTIC": value}).semantic


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("GUICHET_QUESTION_RETENTION_DAYS", "abc", "must be a whole number, not 'abc'"),
        ("GUICHET_QUESTION_RETENTION_DAYS", "-5", "must be at least 0, not -5"),
        ("GUICHET_QUESTION_RETENTION_DAYS", "1.5", "must be a whole number, not '1.5'"),
        ("GUICHET_TICKET_RETENTION_DAYS", "-1", "must be at least 0, not -1"),
        ("GUICHET_TICKET_OPEN_LIMIT", "0", "must be at least 1, not 0"),
        ("GUICHET_TICKET_REMIND_MINUTES", "soon", "must be a whole number, not 'soon'"),
        ("GUICHET_TICKET_GIVE_UP_HOURS", "-24", "must be at least 1, not -24"),
        ("GUICHET_CLAIM_REMIND_MINUTES", "0", "must be at least 1, not 0"),
        ("GUICHET_CLAIM_RELEASE_MINUTES", "x", "must be a whole number, not 'x'"),
        ("GUICHET_CLAIM_RELEASE_MINUTES", "120", "must be more than GUICHET_CLAIM_REMIND"),
        ("GUICHET_INVITE_USES", "0", "must be at least 1, not 0"),
        ("GUICHET_INVITE_DAYS", "a week", "must be a whole number, not 'a week'"),
        ("GUICHET_LOG_LEVEL", "LOUD", "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("GUICHET_SEMANTIC", "maybe", "must be on or off, not 'maybe'"),
        ("GUICHET_EMBED_THREADS", "0", "must be at least 1, not 0"),
        ("GUICHET_EMBED_THREADS", "all", "must be a whole number, not 'all'"),
        ("DATABASE_URL", "mysql://u@h/db", "must be a sqlite:/// or postgresql:// address"),
        ("DATABASE_URL", "guichet.db", "is not a database address"),
        ("TELEGRAM_MODE", "carrier-pigeon", "must be one of polling, webhook"),
        ("TELEGRAM_WEBHOOK_PORT", "eighty", "must be a whole number, not 'eighty'"),
        ("TELEGRAM_WEBHOOK_PORT", "70000", "must be at most 65535, not 70000"),
        ("TELEGRAM_WEBHOOK_PORT", "0", "must be at least 1, not 0"),
        ("TELEGRAM_MAX_RATE", "fast", "must be a number, not 'fast'"),
        ("TELEGRAM_MAX_RATE", "-1", "must be a number of at least 0, not -1"),
        ("TELEGRAM_MAX_RATE", "nan", "must be a number of at least 0, not nan"),
        ("TELEGRAM_RETRY_SECONDS", "0", "must be a number of at least 1, not 0"),
        ("TELEGRAM_READ_TIMEOUT", "soon", "must be a number, not 'soon'"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org/bot", "must be an address starting with"),
        ("TELEGRAM_WEBHOOK_URL", "http://guichet.example.org/t", "starting with https://"),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces!", "may only hold 1-256 of"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as exc:
        Settings.from_env({name: value})
    assert str(exc.value).startswith(name), str(exc.value)
    assert says in str(exc.value)


def test_webhook_mode_needs_its_address() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL"):
        Settings.from_env({"TELEGRAM_MODE": "webhook"})


@pytest.mark.parametrize("secret", [None, "", "  "])
def test_webhook_mode_refuses_to_start_without_a_secret(secret: str | None) -> None:
    env = {"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_URL": "https://guichet.example.org/t"}
    if secret is not None:
        env["TELEGRAM_WEBHOOK_SECRET"] = secret
    with pytest.raises(SettingsError, match="TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET"):
        Settings.from_env(env)
    with pytest.raises(SettingsError, match="needs TELEGRAM_WEBHOOK_SECRET"):
        TelegramSettings(mode="webhook", webhook_url="https://guichet.example.org/t")


def test_polling_needs_no_secret() -> None:
    assert Settings.from_env({"TELEGRAM_MODE": "polling"}).telegram.webhook_secret is None


def test_a_bad_database_address_never_shows_its_password() -> None:
    with pytest.raises(SettingsError) as exc:
        Settings.from_env({"DATABASE_URL": "mysql://guichet:hunter2@db/guichet"})
    assert "hunter2" not in str(exc.value)
