"""Posters from the command line: a city's, or one topic's, as PDF or PNG.

Usage:
    GUICHET_BOT_USERNAME=GuichetBot python main.py poster --city brussels
    python main.py poster --city mechelen --topic housing --format png --out housing.png

The poster is made from the knowledge the bot serves (the database's, with the console's
edits); without --out it is written to guichet-<city>[-<topic>].<format> here.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from bot.app import open_app
from bot.core.knowledge.loader import KnowledgeError
from bot.posters.content import FORMATS, PosterError, filename, make_poster
from bot.settings import Settings

EXIT_USAGE = 2


def add_parsers(sub: Any) -> None:
    poster = sub.add_parser("poster", help="a printable A4 poster with the bot's QR code")
    poster.add_argument("--city", required=True, help="city slug")
    poster.add_argument("--topic", help="a topic id: the QR code opens this topic in the city")
    poster.add_argument("--format", choices=tuple(FORMATS), default="pdf", help="default: pdf")
    poster.add_argument("--out", type=Path, help="the file to write (default: a name here)")


async def poster_command(
    settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    """Write the poster; a bad city, topic or missing username says why and writes nothing."""
    try:
        app = await open_app(settings, read_only=True)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        return 1
    try:
        made = make_poster(app.knowledge, args.city, settings.support.bot_username, args.topic)
    except PosterError as exc:
        print(exc, file=err)
        return EXIT_USAGE
    finally:
        await app.close()
    from bot.posters.render import render  # fpdf2 and PDFium: only when a poster is made

    data = render(made, args.format)
    path: Path = args.out or Path(filename(made, args.format))
    path.write_bytes(data)
    print(f"Wrote {path} ({len(data) // 1024} KB): {made.link}", file=out)
    return 0
