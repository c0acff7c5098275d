"""Load on the Telegram channel: simulated users through a fake Bot API on loopback.

Each of N users (default 1,000) has chosen a city through a deep link, then sends M questions
(default 5) taken from the evaluation set, in their own language. A user waits for the answer,
thinks for a random time and asks the next one, so that the messages arrive as a Poisson
stream at --rate messages per second overall. The bot is the real one: python-telegram-bot
polling the fake server, the default hybrid assistant, the support network wired in (each
message is checked against volunteers and open tickets), SQLite (or DATABASE_URL), and the
production rate limiter (30 messages per second, as Telegram asks) unless --max-rate says
otherwise.

Latency is measured from the moment the update is queued at the fake server to the moment the
fake receives the answer's sendMessage: getUpdates, the bot's work, the database and the
HTTP call back. The load generator and the fake run in the bot's process and share its CPU, so
the figures are pessimistic. Peak memory is the whole process's.

Usage:
    python bench/telegram_load.py                       # 1000 users x 5 messages at 20 msg/s
    python bench/telegram_load.py --rate 0 --max-rate 0 # everything at once, no limiter: capacity
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from ruamel.yaml import YAML  # noqa: E402
from scratch import scratch_database  # noqa: E402

from bot.app import open_app  # noqa: E402
from bot.channels.telegram.run import start, stop  # noqa: E402
from bot.settings import Settings, TelegramSettings  # noqa: E402
from tests.fakes.bot_api import Call, FakeBotApi  # noqa: E402


def eval_messages() -> list[dict[str, str]]:
    yaml = YAML(typ="safe")
    items: list[dict[str, str]] = []
    for path in sorted((ROOT / "bench" / "eval").glob("messages_*.yaml")):
        items.extend(yaml.load(path.read_text(encoding="utf-8")))
    return [i for i in items if i.get("text") and i.get("city")]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    messages = eval_messages()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{tmp}/bench.db"
        url, drop = await scratch_database(url, "load")  # PostgreSQL: a schema of its own
        app = await open_app(Settings(database_url=url))
        async with FakeBotApi() as fake:
            settings = TelegramSettings(
                token=fake.token, api_base_url=fake.base_url, max_rate=args.max_rate
            )
            conversation = app.conversation("telegram")
            served = await start(conversation, settings, app.delivery, app.support)
            waiting: dict[int, Callable[[Call], None]] = {}

            def on_call(call: Call) -> None:
                if call.method == "sendMessage" and call.chat_id in waiting and not call.failed:
                    waiting.pop(call.chat_id)(call)

            fake.listeners.append(on_call)
            loop = asyncio.get_running_loop()

            async def exchange(chat: int, update: dict[str, object]) -> float:
                done: asyncio.Future[Call] = loop.create_future()
                waiting[chat] = done.set_result
                queued = time.monotonic()
                fake.push_update(update)
                call = await asyncio.wait_for(done, timeout=120)
                return call.at - queued

            users = []
            for n in range(args.users):
                chat = 10_000 + n
                mine = rng.sample(messages, args.messages)
                users.append((chat, mine))
            # Deep links first (not measured): every user has a city and a language.
            for chat, mine in users:
                lang = mine[0].get("lang", "en")
                await conversation.set_city(str(chat), mine[0]["city"])
                await conversation.set_language(str(chat), lang)

            latencies: list[float] = []
            # Each user's messages fall at uniform random moments of the run (their sum is a
            # Poisson stream at --rate); a user never asks before the previous answer came.
            span = args.users * args.messages / args.rate if args.rate > 0 else 0.0

            async def user(chat: int, mine: list[dict[str, str]]) -> None:
                moments = sorted(rng.uniform(0, span) for _ in mine)
                for item, moment in zip(mine, moments, strict=True):
                    delay = t0 + moment - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    update = fake.message(chat, item["text"], language_code=item.get("lang"))
                    latencies.append(await exchange(chat, update))

            t0 = time.monotonic()
            await asyncio.gather(*(user(chat, mine) for chat, mine in users))
            elapsed = time.monotonic() - t0
            await stop(served)
        await app.close()
        await drop()

    sent = len(latencies)
    expected = args.users * args.messages
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    limiter = f"{args.max_rate} msg/s" if args.max_rate else "off"
    print(f"database: {url.split(':')[0]}; rate limiter: {limiter}")
    print(
        f"users: {args.users} x {args.messages} messages; "
        f"offered load: {f'{args.rate} msg/s' if args.rate else 'all at once'}"
    )
    print(f"answered: {sent} of {expected} ({'all' if sent == expected else 'NOT ALL'})")
    print(f"throughput: {sent / elapsed:.1f} messages/s over {elapsed:.1f} s")
    print(
        f"latency update->reply: p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(f"peak RSS (bot + fake + load generator): {rss:.0f} MB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--messages", type=int, default=5)
    p.add_argument(
        "--rate", type=float, default=20.0, help="offered messages per second (0: all at once)"
    )
    p.add_argument("--max-rate", type=float, default=30.0, help="the bot's rate limiter (0: off)")
    p.add_argument("--seed", type=int, default=7)
    asyncio.run(bench(p.parse_args()))


if __name__ == "__main__":
    main()
