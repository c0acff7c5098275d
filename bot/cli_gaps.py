"""Gaps from the command line: what a city's people asked that Guichet could not answer.

Usage:
    python main.py gaps --city brussels            # the last 7 days, against the 7 before
    python main.py gaps --city mechelen --days 30

The same clusters as the console's gaps page (bot/storage/gaps.py): size, change on the period
before, languages and a few example texts, never who asked. Decisions are made in the console.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any, TextIO

from bot.settings import Settings
from bot.storage.gaps import LONGEST, PERIODS

EXIT_USAGE = 2
SHOWN = 20


def add_parsers(sub: Any) -> None:
    gaps = sub.add_parser("gaps", help="what Guichet could not answer, grouped by meaning")
    gaps.add_argument("--city", required=True, help="city slug")
    gaps.add_argument(
        "--days", type=int, default=PERIODS[0], help=f"the period, 1 to {LONGEST} (default: 7)"
    )


async def gaps_command(
    settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO, now: datetime
) -> int:
    from bot.app import open_app
    from bot.cli import unknown_city

    if not 1 <= args.days <= LONGEST:
        print(f"--days must be from 1 to {LONGEST}", file=err)
        return EXIT_USAGE
    app = await open_app(settings)
    try:
        if unknown_city(args.city, app.knowledge.cities, err):
            return EXIT_USAGE
        report = await app.console().gaps.report(args.city, args.days, now)
    finally:
        await app.close()
    how = "by meaning" if report.semantic else "by shared words (the meaning model is off)"
    print(
        f"Gaps of {args.city}, {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}: "
        f"{sum(c.size for c in report.clusters)} questions in {len(report.clusters)} groups, "
        f"grouped {how}",
        file=out,
    )
    for c in report.clusters[:SHOWN]:
        change = f"{c.trend:+d}" if c.trend else "="
        languages = ", ".join(c.languages) or "-"
        print(f"\n{c.size} questions ({change} on the period before) · {languages}", file=out)
        for m in c.examples():
            print(f"    [{m.language or '?'}] {' '.join(m.text.split())}", file=out)
    if len(report.clusters) > SHOWN:
        print(f"\n{len(report.clusters) - SHOWN} smaller groups not shown", file=out)
    if report.expired:
        print(f"{report.expired} more questions not grouped: their texts have expired", file=out)
    if report.left_out:
        print(f"{report.left_out} older questions left out: only the newest are grouped", file=out)
    print(f"Decide in the console: {settings.web.public_url}/city/{args.city}/gaps", file=out)
    return 0
