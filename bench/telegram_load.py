"""Load on the Telegram channel: simulated users through a fake Bot API on loopback.

Each of N users (default 1,000) has a city and a language, then sends M questions (default 5)
taken from the evaluation set, in their own language. A user waits for the answer, then asks
the next one at a random moment, so that the messages arrive as a Poisson stream at --rate
messages per second overall. The bot is the real one, `python main.py run` in a process of its
own: python-telegram-bot polling the fake server (or --webhook: the fake posts each update to
the bot's webhook; with --processes N, to one of N webhook processes at random, as a balancer
in front of one URL would), the durable inbox and the sent-call journal, the default hybrid
assistant, the support network wired in (each message is checked against volunteers and open
tickets), SQLite (or DATABASE_URL, in a fresh schema) and the production rate limiter (30
messages per second, as Telegram asks) unless --max-rate says otherwise.

Latency is measured from the moment the update is queued at the fake server to the moment the
fake receives the answer's sendMessage: getUpdates (or the webhook post), storing the update,
the bot's work, the database and the HTTP call back. The fake and the load generator run in
this process, apart from the bot's. Memory is the bot process's peak resident set.

Only real answers count: the bot's "Sorry, something went wrong" reply is an error, and a
message with no reply within --timeout seconds is unanswered; both are reported apart (a reply
that comes later is tolerated and not counted). GUICHET_SEMANTIC=0 in the environment runs the
bot lexical-only, and the report says which ran. --busy N runs N CPU-bound neighbour processes
beside the bot (a shared server). When the bot stops, it logs which stage decided each message
and how many embeddings it computed or took from its cache; the report repeats that line.

Usage:
    python bench/telegram_load.py                       # 1000 users x 5 messages at 25 msg/s
    python bench/telegram_load.py --rate 0 --max-rate 0 # everything at once, no limiter: capacity
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/telegram_load.py
    python bench/telegram_load.py --rate 0 --max-rate 0 --busy 2  # capacity beside neighbours
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from botproc import SECRET, Bots, cli, free_port, seed_users  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402
from scratch import scratch_database  # noqa: E402
from speed import busy_neighbours  # noqa: E402

from bot.core.i18n import translator  # noqa: E402
from bot.core.languages import UI_LANGUAGES  # noqa: E402
from bot.storage.database import create_engine, sessionmaker  # noqa: E402
from tests.fakes.bot_api import Call, FakeBotApi  # noqa: E402


def eval_messages() -> list[dict[str, str]]:
    yaml = YAML(typ="safe")
    items: list[dict[str, str]] = []
    for path in sorted((ROOT / "bench" / "eval").glob("messages_*.yaml")):
        items.extend(yaml.load(path.read_text(encoding="utf-8")))
    return [i for i in items if i.get("text") and i.get("city")]


#: The reply the bot sends when handling a message failed (bot/channels/telegram/channel.py).
#: A webhook post that fails is tried again this many times in all, as Telegram would.
POST_TRIES = 10
FAILED = "Sorry, something went wrong on our side. Please try again soon."


def failure_replies() -> frozenset[str]:
    return frozenset(translator(lang).gettext(FAILED) for lang in UI_LANGUAGES)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    messages = eval_messages()
    users = [(10_000 + n, rng.sample(messages, args.messages)) for n in range(args.users)]
    logs = Path(tempfile.mkdtemp(prefix="load-logs-"))
    url, drop = await scratch_database(os.environ.get("DATABASE_URL"), "load")
    latencies: list[float] = []
    errors = unanswered = 0
    failures = failure_replies()
    async with FakeBotApi() as fake:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_MAX_RATE": str(args.max_rate),
            "GUICHET_LOG_LEVEL": "INFO",
        }
        cli(env, "db", "upgrade")
        engine = create_engine(url)  # every user has a city and a language (not measured)
        async with sessionmaker(engine)() as session, session.begin():
            await seed_users(
                session, [(c, mine[0]["city"], mine[0].get("lang", "en")) for c, mine in users]
            )
        await engine.dispose()
        ports = [free_port() for _ in range(args.processes)] if args.webhook else []
        bots = Bots(env, ports, logs)
        started = range(len(bots.procs))
        for index in started:
            bots.start(index)
        while not all(bots.ready(index) for index in started):
            await asyncio.sleep(0.1)
        # Telegram queues what it cannot post yet: a post waits for a free connection as long
        # as it must (pool=None), 100 at a time, rather than failing after 30 s in the queue.
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, pool=None), limits=httpx.Limits(max_connections=100)
        )
        reposted = [0]  # webhook posts tried again (a connection closed, a 5xx)
        posting = asyncio.Semaphore(100)
        push: Callable[[dict[str, Any]], object] = fake.push_update
        if ports:
            # One URL in front of the processes: a balancer that picks one at random.
            hooks = [f"http://127.0.0.1:{port}/telegram" for port in ports]
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

            async def post(update: dict[str, Any]) -> None:
                update_id = fake.push_update(update)  # the fake numbers it (nobody polls)
                body = {"update_id": update_id, **update}
                for _ in range(POST_TRIES):  # as Telegram does, a failed post is tried again
                    try:
                        # A queue of thousands inside httpcore's pool costs it O(n) a request.
                        async with posting:
                            response = await client.post(
                                rng.choice(hooks), json=body, headers=headers
                            )
                    except httpx.TransportError:
                        reposted[0] += 1
                        await asyncio.sleep(0.2)
                        continue
                    if response.status_code == 200:
                        return
                    reposted[0] += 1
                    await asyncio.sleep(0.2)

            def push(update: dict[str, Any]) -> object:
                return asyncio.ensure_future(post(update))

        waiting: dict[int, asyncio.Future[Call]] = {}

        def on_call(call: Call) -> None:
            # A reply to a message already given up on finds nobody waiting: tolerated.
            if call.method == "sendMessage" and call.chat_id in waiting and not call.failed:
                done = waiting.pop(call.chat_id)
                if not done.done():  # not given up on at this very moment
                    done.set_result(call)

        fake.listeners.append(on_call)
        loop = asyncio.get_running_loop()

        async def exchange(chat: int, update: dict[str, object]) -> None:
            nonlocal errors, unanswered
            done: asyncio.Future[Call] = loop.create_future()
            waiting[chat] = done
            queued = time.monotonic()
            push(update)
            try:
                call = await asyncio.wait_for(done, timeout=args.timeout)
            except TimeoutError:
                waiting.pop(chat, None)
                unanswered += 1
                return
            if (call.text or "").strip() in failures:
                errors += 1
            else:
                latencies.append(call.at - queued)

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
                await exchange(chat, update)

        neighbours = busy_neighbours(args.busy)
        t0, cpu0 = time.monotonic(), sum(bots.cpu_seconds(index) for index in started)
        own0 = time.process_time()  # the fake Bot API and the simulated users: this process
        try:
            await asyncio.gather(*(user(chat, mine) for chat, mine in users))
            elapsed = time.monotonic() - t0
            cpu = sum(bots.cpu_seconds(index) for index in started) - cpu0
            own = time.process_time() - own0
            peak = max(bots.peak_memory_mb(index) for index in started)
        finally:
            for neighbour in neighbours:
                neighbour.kill()
            await client.aclose()
            bots.stop()
    await drop()
    stages = [
        next((line for line in reversed(said) if "understanding:" in line), None)
        for said in (bots.log(index).read_text(errors="replace").splitlines() for index in started)
    ]

    sent = len(latencies)
    expected = args.users * args.messages
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    limiter = f"{args.max_rate} msg/s" if args.max_rate else "off"
    mode = f"webhook, {len(started)} process(es)" if args.webhook else "polling"
    ranker = (
        "lexical only"
        if os.environ.get("GUICHET_SEMANTIC", "1") in ("0", "false", "no", "off")
        else "hybrid"
    )
    print(f"database: {url.split(':')[0]}; {mode}; rate limiter: {limiter}; ranker: {ranker}")
    print(f"CPU-bound neighbour processes: {args.busy}")
    print(
        f"users: {args.users} x {args.messages} messages; "
        f"offered load: {f'{args.rate} msg/s' if args.rate else 'all at once'}"
    )
    print(f"answered: {sent} of {expected} ({'all' if sent == expected else 'NOT ALL'})")
    print(f"errors (the 'something went wrong' reply): {errors}")
    if args.webhook:
        print(f"webhook posts tried again (closed connection, not 200): {reposted[0]}")
    print(f"unanswered within {args.timeout:.0f} s: {unanswered}")
    print(f"throughput (real answers): {sent / elapsed:.1f} messages/s over {elapsed:.1f} s")
    if latencies:
        print(
            f"latency update->reply: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 95) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )
    handled = sent + errors
    if handled:  # CPU time barely depends on what else runs: comparable on a shared machine
        print(f"CPU of the bot process(es): {cpu * 1000 / handled:.1f} ms per message handled")
        # On the same cores: what the fake and the users cost bounds what the bench can offer.
        print(f"CPU of the fake Bot API and the users: {own * 1000 / handled:.1f} ms per message")
    print(f"peak RSS of a bot process: {peak:.0f} MB")
    for index, line in enumerate(stages):
        if line:
            print(f"bot {index}'s {line[line.index('understanding:') :]}")
    print(f"bot logs: {logs}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--messages", type=int, default=5)
    p.add_argument("--webhook", action="store_true", help="the fake posts updates to a webhook")
    p.add_argument(
        "--processes", type=int, default=1, help="webhook processes behind one URL (PostgreSQL)"
    )
    p.add_argument(
        "--rate", type=float, default=25.0, help="offered messages per second (0: all at once)"
    )
    p.add_argument("--max-rate", type=float, default=30.0, help="the bot's rate limiter (0: off)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--busy", type=int, default=0, help="CPU-bound neighbour processes")
    p.add_argument(
        "--timeout", type=float, default=120.0, help="seconds after which a message is unanswered"
    )
    asyncio.run(bench(p.parse_args()))


if __name__ == "__main__":
    main()
