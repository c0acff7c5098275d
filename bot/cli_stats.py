"""A city's statistics from the command line, as the console's page shows them (counts only,
"< 5" below 5 people): Markdown tables, or one CSV with a row per cell.

Usage:
    python main.py stats --city brussels                  # the last 30 days, Markdown
    python main.py stats --city brussels --days 90 --format csv
    python main.py stats --city brussels --from 2026-11-01 --to 2026-11-30
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.app import open_app
from bot.core.i18n import translator
from bot.core.statistics import BadPeriod, Period
from bot.settings import Settings
from bot.statistics_tables import as_long_csv, as_markdown, period_problem, tables

EXIT_USAGE = 2


def add_parsers(sub: Any) -> None:
    stats = sub.add_parser("stats", help="a city's statistics: questions, 👍/👎, tickets, hours")
    stats.add_argument("--city", required=True, help="city slug")
    stats.add_argument("--days", help="7, 30 or 90: the last days up to today (default: 30)")
    stats.add_argument("--from", dest="start", help="the first day, YYYY-MM-DD")
    stats.add_argument("--to", dest="end", help="the last day, YYYY-MM-DD (default: today)")
    stats.add_argument("--format", choices=("md", "csv"), default="md", help="default: md")


async def stats_command(
    settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO, now: datetime
) -> int:
    t = translator("en")
    try:
        period = Period.parse(now.astimezone(UTC).date(), args.days, args.start, args.end)
    except BadPeriod as bad:
        print(period_problem(bad.reason, t), file=err)
        return EXIT_USAGE
    app = await open_app(settings)
    try:
        city = app.knowledge.cities.get(args.city)
        if city is None:
            print(f"--city must be one of {', '.join(sorted(app.knowledge.cities))}", file=err)
            return EXIT_USAGE
        found = await app.console().statistics.figures(
            args.city, period, ZoneInfo(city.timezone), now
        )
        made = tables(found, app.knowledge, t)
    finally:
        await app.close()
    if args.format == "csv":
        out.write(as_long_csv(made))
        return 0
    print(f"# Statistics of {args.city}, {period.first} to {period.last}", file=out)
    print('\nCounts only; "< 5": fewer than 5 different people.\n', file=out)
    volunteers = found.volunteers if found.volunteers is not None else "< 5"
    print(f"Volunteers who took a question: {volunteers}\n", file=out)
    for table in made:
        for line in as_markdown(table):
            print(line, file=out)
    return 0
