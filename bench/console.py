"""Speed and memory of the staff console, for a city with 500 entries.

The city (brussels) keeps its own 10 entries and gets copies of the sample's other entries, with
new ids, up to --entries; its list also shows its region's 13. That base is imported into a
fresh SQLite file (migrations, then `import_knowledge`); an editor of the city is added with the
StaffStore; 20 of the city's entries get a new English description through the Editor, so that
their translations are outdated and the editor shows what changed (the history keeps the
earlier text). The vectors are stored as a first start stores them. Then, in fresh processes:

  1. time "on the server", per page: from the request reaching the app (an ASGI middleware
     around the console's own, the session included) to the response's start, when the page
     is rendered, in wall time and in the process's CPU time. Pages: the city's entry list
     (GET /city/brussels), the entry editor (GET /entries/<id>, each entry of the list in turn)
     and the editor of an entry whose translations are outdated (GET /entries/<id>?lang=ar,
     with the word diff). Measured in-process (httpx's ASGITransport against
     `build_console(app.console())`), and through uvicorn on loopback as `python main.py
     console` serves it, where the client in this process also times the round trip. Signed
     in as staff are: the one-time link's page, then POST /login/<token>.
  2. save-to-live: an Arabic description saved through the console's form (POST
     /entries/<id>/texts/ar; the browser then follows the redirect) until the process's
     assistant renders the new text, with the LiveKnowledge watcher polling every half second
     (`App.live()`, as `main.py run` starts it, from the start, so that the heap is settled
     as in `run`), in-process and in the uvicorn process (asked through a route only this
     bench adds). Each save waits a random part of the watcher's period first, so that saves
     fall at every moment of it. Then in-process with `check()` called in a loop: the reload
     itself (read the rows, validate the changed entries, build the match and semantic
     indexes, swap, settle the heap), its parts, and the longest the event loop was blocked
     meanwhile (every page waits that long).
  3. memory: the peak resident set of the in-process run and of the uvicorn process (the
     console, its live watcher and an assistant, as in `run`), reloads included, and the
     in-process run's resident set after all its reloads (a frozen heap that leaked would
     grow with each).
  4. all of it once on a quiet machine (first waiting up to --settle seconds for the load
     average to fall below 0.5) and once with --busy CPU-bound neighbour processes (default
     one: a core burning beside the console, on 2 cores).

Requests are sent one at a time: this is the time one person waits, not a throughput. The pages
are interleaved, after a few requests to warm up (the first, templates compiled, is reported
alone). The question log is empty, so the list's 👎 query counts nothing.

Targets from the issue: a page in at most 150 ms on 2 cores; a saved change live in at most
2 s.

Usage:
    python bench/console.py [--entries N] [--rounds N] [--saves N] [--busy N] [--settle S]
    python bench/console.py --quick         # 30 requests per page and 3 saves, for a try
    python bench/console.py --lexical       # the assistant without the semantic ranker
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import html
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from botproc import free_port  # noqa: E402
from speed import busy_neighbours  # noqa: E402

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from bot.app import App
    from bot.core.knowledge import Knowledge
    from bot.live import LiveKnowledge
    from bot.settings import Settings

CITY: Final = "brussels"
OUTDATED: Final = 20  # entries whose translations are made outdated, with a history
SECRET: Final = "bench-console-session-secret-0123456789"
WATCH_EVERY: Final = 0.5  # LiveKnowledge.watch's default period, as `main.py run` uses it
POLL: Final = 0.01  # how often the bench looks whether the new text is live
QUIET_LOAD: Final = 0.5  # the 1-minute load average a quiet run waits for (--settle)
WARMUP: Final = 5
ARABIC: Final = "مكتب يساعد في الأوراق والمواعيد، بدون موعد صباحاً"
BASE_URL: Final = "http://127.0.0.1:8080"


# --- the 500-entry city ------------------------------------------------------------------------


def crowded(knowledge: Knowledge, city: str, n: int) -> Knowledge:
    """`city` with `n` entries of its own: its own first, then copies of every other entry
    with new ids, in turn."""
    own = list(knowledge.city_entries[city])[:n]
    mine = {e.id for e in own}
    pool = [e for e in knowledge.all_entries() if e.id not in mine]
    i = 0
    while len(own) < n:
        src = pool[i % len(pool)]
        own.append(src.model_copy(update={"id": f"{src.id}-copy-{i}"}))
        i += 1
    return replace(knowledge, city_entries={**knowledge.city_entries, city: tuple(own)})


def settings(db: Path, semantic: bool, port: int = 8080) -> Settings:
    from bot.settings import Settings, WebSettings

    return Settings(
        database_url=f"sqlite:///{db}",
        semantic=semantic,
        web=WebSettings(listen="127.0.0.1", port=port, secret=SECRET, state_dir=db.parent),
    )


async def prepare(db: Path, entries: int, semantic: bool) -> dict[str, Any]:
    """The database every run starts from (copied for each), and what the runs need."""
    from bot.app import open_app
    from bot.core.knowledge.loader import load_directory
    from bot.storage.database import create_engine, sessionmaker, upgrade
    from bot.storage.editing import Editor, Stored
    from bot.storage.knowledge_store import import_knowledge
    from bot.storage.staff import Role, StaffStore

    sample, _ = load_directory(ROOT / "knowledge")
    knowledge = crowded(sample, CITY, entries)
    engine = create_engine(f"sqlite:///{db}")
    try:
        sessions = sessionmaker(engine)
        await upgrade(engine)
        await import_knowledge(sessions, knowledge, "bench/console.py")
        who, _ = await StaffStore(sessions).add("Bench editor", Role.EDITOR, CITY)
        editor = Editor(sessions)
        listed = await editor.city_entries(who, CITY)
        saved: str | None = None
        outdated: list[str] = []
        for stored in listed:
            entry = stored.entry
            if stored.scope != "city" or "ar" not in entry.translations:
                continue
            if saved is None:
                saved = entry.id  # the entry whose Arabic description the runs change
                continue
            if len(outdated) == OUTDATED:
                break
            changed = entry.description.get("en", "") + " Updated: ask at the desk first."
            result = await editor.save_texts(
                who, entry.id, stored.content_hash, "en", {"description": changed}
            )
            if isinstance(result, Stored):
                outdated.append(entry.id)
    finally:
        await engine.dispose()
    assert saved is not None and len(outdated) == OUTDATED, (saved, outdated)
    app = await open_app(settings(db, semantic))  # stores the vectors, as a first start does
    await app.close()
    return {
        "editor": who.id,
        "listed": [s.entry.id for s in listed],
        "saved": saved,
        "outdated": outdated,
        "semantic": app.embedder is not None,
        "total": knowledge.entry_count(),
    }


# --- measuring -----------------------------------------------------------------------------------


class Timing:
    """ASGI middleware around the console's own (session included): how long the app took, from
    the call to the response's start (the page is rendered by then), in wall time and in the
    process's CPU time, sent in a Server-Timing header that the client reads."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, cpu = time.perf_counter(), time.process_time()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                wall_ms = (time.perf_counter() - start) * 1000
                cpu_ms = (time.process_time() - cpu) * 1000
                took = f"app;dur={wall_ms:.3f}, cpu;dur={cpu_ms:.3f}".encode()
                headers = [*message.get("headers", []), (b"server-timing", took)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)


def server_timing(response: httpx.Response) -> tuple[float, float]:
    """The app's wall and CPU time for this response, in seconds (see Timing)."""
    found = dict(re.findall(r"(\w+);dur=([\d.]+)", response.headers["server-timing"]))
    return float(found["app"]) / 1000, float(found["cpu"]) / 1000


class Pauses:
    """The garbage collector's full (generation 2) collections, and how long each took."""

    def __init__(self) -> None:
        self.took: list[float] = []
        self._start = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.took.append(time.perf_counter() - self._start)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(seconds: list[float]) -> dict[str, float]:
    """Median, p95, p99 and max, in ms."""
    return {
        "n": len(seconds),
        "median": round(statistics.median(seconds) * 1000, 2),
        "p95": round(percentile(seconds, 95) * 1000, 2),
        "p99": round(percentile(seconds, 99) * 1000, 2),
        "max": round(max(seconds) * 1000, 2),
    }


def memory_mb(pid: int | str = "self", key: str = "VmHWM") -> float:
    """A process's resident memory (VmRSS) or its peak so far (VmHWM), in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pages(plan: dict[str, Any], rounds: int) -> Iterator[tuple[str, str]]:
    """(page, path) for the timed requests: the pages in turn, each entry of the list in
    turn for the editor."""
    listed, outdated = plan["listed"], plan["outdated"]
    for r in range(rounds):
        yield "list", f"/city/{CITY}"
        yield "editor", f"/entries/{listed[r % len(listed)]}"
        yield "outdated", f"/entries/{outdated[r % len(outdated)]}?lang=ar"


TEXTS_FORM = re.compile(
    r'<form method="post" action="(/entries/[^"]+/texts/\w+)">(.*?)</form>', re.S
)
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
TEXTAREA = re.compile(r'<textarea id="text-\w+" name="(\w+)"[^>]*>(.*?)</textarea>', re.S)


def texts_form(page: str) -> tuple[str, dict[str, str]]:
    """The texts form of an editor page: where it posts, and what a browser would send."""
    found = TEXTS_FORM.search(page)
    assert found is not None, "no texts form on the editor page"
    fields = {k: html.unescape(v) for k, v in HIDDEN.findall(found[2])}
    fields.update({k: html.unescape(v) for k, v in TEXTAREA.findall(found[2])})
    return found[1], fields


# --- the measurements, the same in-process and through uvicorn ---------------------------------


async def until_healthy(client: httpx.AsyncClient) -> None:
    """Wait (up to ~30 s) for a console that is starting to answer."""
    for _ in range(600):
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            await asyncio.sleep(0.05)


async def sign_in(client: httpx.AsyncClient, token: str) -> None:
    """As staff do: the link from the bot opens a page, its button spends the token."""
    form = await client.get(f"/login/{token}")
    assert form.status_code == 200
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    assert (await client.post(f"/login/{token}", data={"csrf": csrf})).status_code == 303


async def render_rounds(
    client: httpx.AsyncClient, plan: dict[str, Any], rounds: int
) -> dict[str, dict[str, Any]]:
    """Per page: the app's wall and CPU time, the client's round trip, the first request's
    time and the page's size."""
    first: dict[str, float] = {}
    for page, path in pages(plan, WARMUP):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        first.setdefault(page, server_timing(response)[0])
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    trip: dict[str, list[float]] = {}
    size: dict[str, int] = {}
    for page, path in pages(plan, rounds):
        t0 = time.perf_counter()
        response = await client.get(path)
        trip.setdefault(page, []).append(time.perf_counter() - t0)
        assert response.status_code == 200, (path, response.status_code)
        took, used = server_timing(response)
        wall.setdefault(page, []).append(took)
        cpu.setdefault(page, []).append(used)
        size[page] = max(size.get(page, 0), len(response.content))
    return {
        page: {
            "server": summary(wall[page]),
            "cpu": summary(cpu[page]),
            "round_trip": summary(trip[page]),
            "first_ms": round(first[page] * 1000, 1),
            "kb": round(size[page] / 1024),
        }
        for page in wall
    }


async def watched_saves(
    client: httpx.AsyncClient,
    plan: dict[str, Any],
    saves: int,
    live: Callable[[str], Awaitable[None]],
) -> dict[str, Any]:
    """Arabic descriptions saved through the console's form while the watcher polls; `live`
    returns once the process's assistant renders the text with this mark. Each save waits a
    random part of the watcher's period first."""
    rng = random.Random(7)
    entry_id = plan["saved"]
    latency: list[float] = []
    posts: list[float] = []
    after: list[float] = []
    for i in range(saves):
        action, fields = texts_form((await client.get(f"/entries/{entry_id}?lang=ar")).text)
        await asyncio.sleep(rng.uniform(0, WATCH_EVERY))
        mark = f"{i}.{rng.randrange(10**6)}"
        fields["description"] = f"{ARABIC} ({mark})"
        t0 = time.perf_counter()
        response = await client.post(action, data=fields)
        assert response.status_code == 303, response.text[:500]
        posts.append(server_timing(response)[0])
        # The browser follows the redirect at once; a reload may be running meanwhile.
        page = await client.get(response.headers["location"])
        assert page.status_code == 200
        after.append(server_timing(page)[0])
        await live(mark)
        latency.append(time.perf_counter() - t0)
    return {"watcher": summary(latency), "post": summary(posts), "redirect_page": summary(after)}


# --- in-process: the console through httpx's ASGITransport -------------------------------------


def live_text(app: App, entry_id: str, mark: str) -> bool:
    """Does the process's assistant now render the entry's Arabic reply with `mark` in it?"""
    from bot.core.i18n import translator
    from bot.core.render import PlainFormatter

    assistant = app.assistant
    entry = assistant.knowledge.entry(entry_id)
    assert entry is not None
    city = assistant.knowledge.cities[CITY]
    shown = assistant.renderer.entry(
        entry, 1, city, datetime.now(UTC), translator("ar"), PlainFormatter()
    )
    return mark in shown


async def until_live(app: App, entry_id: str, mark: str, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not live_text(app, entry_id, mark):
        assert time.perf_counter() < deadline, "the saved text never went live"
        await asyncio.sleep(POLL)


async def reloads(
    client: httpx.AsyncClient, app: App, live: LiveKnowledge, plan: dict[str, Any], saves: int
) -> dict[str, Any]:
    """The reload itself: a save, then `check()` called in a loop until it swaps; meanwhile a
    ticker notes the longest the event loop was blocked."""
    rng = random.Random(11)
    entry_id = plan["saved"]
    stall = [0.0]
    stalls: list[float] = []
    ticking = [True]

    async def ticker() -> None:
        while ticking[0]:
            t = time.perf_counter()
            await asyncio.sleep(0.001)
            stall[0] = max(stall[0], time.perf_counter() - t - 0.001)

    looped: list[float] = []
    checked: list[float] = []
    for i in range(saves):
        action, fields = texts_form((await client.get(f"/entries/{entry_id}?lang=ar")).text)
        mark = f"check {i}.{rng.randrange(10**6)}"
        fields["description"] = f"{ARABIC} ({mark})"
        t0 = time.perf_counter()
        assert (await client.post(action, data=fields)).status_code == 303
        t1 = time.perf_counter()
        ticking[0] = True
        stall[0] = 0.0
        tick = asyncio.create_task(ticker())
        for _ in range(10_000):
            if await live.check():
                break
        t2 = time.perf_counter()
        ticking[0] = False
        await tick
        stalls.append(stall[0])
        assert live_text(app, entry_id, mark)
        looped.append(t2 - t0)
        checked.append(t2 - t1)
    return {
        "check_loop": summary(looped),
        "check": summary(checked),
        "loop_stall": summary(stalls),
    }


async def parts(app: App, live: LiveKnowledge, times: int) -> dict[str, Any]:
    """A reload's three parts, one after the other on this thread: reading the rows (on the
    event loop), validating the knowledge from them (the entries saved since the last reload;
    the others are reused) and building the assistant (both in a thread)."""
    from bot.storage.knowledge_store import knowledge_of, stored_rows

    reads: list[float] = []
    validations: list[float] = []
    builds: list[float] = []
    for _ in range(times):
        t0 = time.perf_counter()
        rows = await stored_rows(app.sessions)
        t1 = time.perf_counter()
        assert rows is not None
        knowledge = knowledge_of(rows, dict(live.parsed))
        t2 = time.perf_counter()
        app.build_assistant(knowledge)
        reads.append(t1 - t0)
        validations.append(t2 - t1)
        builds.append(time.perf_counter() - t2)
    return {
        "read_rows": summary(reads),
        "validate": summary(validations),
        "build_assistant": summary(builds),
    }


async def inproc(opts: argparse.Namespace) -> dict[str, Any]:
    from bot.app import open_app
    from bot.storage.staff import StaffStore
    from bot.web.app import build_console

    plan = json.loads(Path(opts.plan).read_text())
    pauses = Pauses()
    t0 = time.perf_counter()
    app = await open_app(settings(Path(opts.db), not opts.lexical))
    try:
        _ = app.assistant  # built at start, as `main.py run` does
        startup = time.perf_counter() - t0
        console = build_console(app.console())
        console.add_middleware(Timing)
        transport = httpx.ASGITransport(app=console)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            await sign_in(client, await StaffStore(app.sessions).login_token(plan["editor"]))
            live = app.live()  # watching from the start, as in `main.py run`
            watcher = asyncio.create_task(live.watch(WATCH_EVERY))
            await asyncio.sleep(0.1)  # its first look
            rss_ready = memory_mb(key="VmRSS")
            before = len(pauses.took)
            rendered = await render_rounds(client, plan, opts.rounds)
            gc_pauses = pauses.took[before:]
            saved = await watched_saves(
                client, plan, opts.saves, lambda mark: until_live(app, plan["saved"], mark)
            )
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            saved.update(await reloads(client, app, live, plan, opts.saves))
            peak = memory_mb(key="VmHWM")  # a running process's peak, with its reloads
            rss_after = memory_mb(key="VmRSS")
            saved.update(await parts(app, live, max(3, opts.saves // 2)))
    finally:
        await app.close()
    return {
        "startup_s": round(startup, 2),
        "semantic": app.embedder is not None,
        "pages": rendered,
        "live": saved,
        "reloads": live.reloads,
        "gc_full": {"n": len(gc_pauses), "max_ms": round(max(gc_pauses, default=0) * 1000, 1)},
        "rss_ready_mb": round(rss_ready),
        "peak_rss_mb": round(peak),
        "rss_after_reloads_mb": round(rss_after),
    }


# --- through uvicorn: a server process, and this one as the browser ----------------------------


class LiveProbe:
    """Bench only, in the server process: GET /_bench/live?mark=M answers once the process's
    assistant renders the saved entry's Arabic description with M in it."""

    def __init__(self, app: ASGIApp, served: App, entry_id: str) -> None:
        self.app = app
        self.served = served
        self.entry_id = entry_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/_bench/live":
            await self.app(scope, receive, send)
            return
        from urllib.parse import parse_qs

        from starlette.responses import PlainTextResponse

        mark = parse_qs(scope["query_string"].decode())["mark"][0]
        await until_live(self.served, self.entry_id, mark)
        await PlainTextResponse("live")(scope, receive, send)


async def serve(opts: argparse.Namespace) -> None:
    """The console as `main.py run` serves it (uvicorn, the live watcher, an assistant), with
    the timing middleware; prints a sign-in token, then serves until SIGTERM."""
    from bot.app import open_app
    from bot.storage.staff import StaffStore
    from bot.web.app import build_console
    from bot.web.serve import serve as serve_console

    plan = json.loads(Path(opts.plan).read_text())
    t0 = time.perf_counter()
    app = await open_app(settings(Path(opts.db), not opts.lexical, opts.port))
    try:
        _ = app.assistant
        watcher = asyncio.create_task(app.live().watch(WATCH_EVERY))
        token = await StaffStore(app.sessions).login_token(plan["editor"])
        startup = time.perf_counter() - t0
        print(json.dumps({"token": token, "startup_s": round(startup, 2)}), flush=True)
        console = build_console(app.console())
        console.add_middleware(Timing)
        console.add_middleware(LiveProbe, served=app, entry_id=plan["saved"])
        await serve_console(console, app.settings.web)
        watcher.cancel()
    finally:
        await app.close()


async def through_uvicorn(opts: argparse.Namespace, db: Path, plan_file: Path) -> dict[str, Any]:
    plan = json.loads(plan_file.read_text())
    port = free_port()
    args = ["--child", "serve", "--db", str(db), "--plan", str(plan_file), "--port", str(port)]
    log = open(db.with_suffix(".serve.log"), "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, __file__, *args, *(["--lexical"] if opts.lexical else [])],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"the console process failed: see {log.name}")
        started = json.loads(line)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=60.0) as client:
            await until_healthy(client)
            await sign_in(client, started["token"])
            rendered = await render_rounds(client, plan, opts.rounds)

            async def live(mark: str) -> None:
                answer = await client.get("/_bench/live", params={"mark": mark})
                assert answer.status_code == 200

            saved = await watched_saves(client, plan, opts.saves, live)
        peak = memory_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    return {
        "startup_s": started["startup_s"],
        "pages": rendered,
        "live": saved,
        "peak_rss_mb": round(peak),
    }


# --- the runs and the report -------------------------------------------------------------------


def run_inproc(opts: argparse.Namespace, db: Path, plan_file: Path) -> dict[str, Any]:
    args = ["--child", "inproc", "--db", str(db), "--plan", str(plan_file)]
    args += ["--rounds", str(opts.rounds), "--saves", str(opts.saves)]
    done = subprocess.run(
        [sys.executable, __file__, *args, *(["--lexical"] if opts.lexical else [])],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the in-process run failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def condition(
    opts: argparse.Namespace, busy: int, folder: Path, template: Path, plan_file: Path
) -> dict[str, Any]:
    label = f"busy{busy}" if busy else "quiet"
    if not busy:
        settle(opts.settle)
    neighbours = busy_neighbours(busy)
    try:
        time.sleep(1.0 if busy else 0.0)
        before = os.getloadavg()[0]
        db = folder / f"{label}-inproc.db"
        shutil.copy(template, db)
        inside = run_inproc(opts, db, plan_file)
        db = folder / f"{label}-uvicorn.db"
        shutil.copy(template, db)
        served = asyncio.run(through_uvicorn(opts, db, plan_file))
        after = os.getloadavg()[0]
    finally:
        for proc in neighbours:
            proc.kill()
            proc.wait()
    result = {"label": label, "load": [round(before, 2), round(after, 2)], "inproc": inside}
    result["uvicorn"] = served
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def settle(limit: float) -> None:
    """Wait up to `limit` seconds for the machine to be quiet (the 1-minute load average below
    QUIET_LOAD): other people's processes make a "quiet" figure a busy one."""
    deadline = time.monotonic() + limit
    while os.getloadavg()[0] >= QUIET_LOAD and time.monotonic() < deadline:
        time.sleep(5)
    load = os.getloadavg()[0]
    if load >= QUIET_LOAD:
        print(f"warning: the machine is not quiet (load average {load:.2f}): nor are the figures")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def report(runs: list[dict[str, Any]], plan: dict[str, Any]) -> None:
    heads = " | ".join(f"{r['label']} median | p95 | p99" for r in runs)
    print("\n### Time per page, ms (target: at most 150 ms on 2 cores)\n")
    print(f"| page | measured | {heads} |")
    print("|---|---|" + "---|---|---|" * len(runs))
    names = {
        "list": f"entry list, {len(plan['listed'])} rows (GET /city/{CITY})",
        "editor": "entry editor (GET /entries/<id>)",
        "outdated": "entry editor, outdated translations and their diff",
    }
    where = {
        "in-process, in the app": ("inproc", "server"),
        "uvicorn, in the app": ("uvicorn", "server"),
        "uvicorn, round trip from another process": ("uvicorn", "round_trip"),
        "uvicorn, CPU time in the app": ("uvicorn", "cpu"),
    }
    for page, name in names.items():
        for label, (run, part) in where.items():
            cells = []
            for r in runs:
                s = r[run]["pages"][page][part]
                cells.append(f"{s['median']:.1f} | {s['p95']:.1f} | {s['p99']:.1f}")
            print(f"| {name} | {label} | {' | '.join(cells)} |")
    first = "; ".join(
        r["label"]
        + ": "
        + ", ".join(f"{p} {s['first_ms']:.0f}" for p, s in r["inproc"]["pages"].items())
        for r in runs
    )
    print(f"\nFirst request of each page in a new process (templates compiled), ms: {first}")
    sizes = ", ".join(f"{p} {s['kb']} KB" for p, s in runs[0]["inproc"]["pages"].items())
    print(f"Page sizes: {sizes}")
    full = [(r["label"], r["inproc"]["gc_full"]) for r in runs]
    pauses = "; ".join(f"{label}: {g['n']}, the longest {g['max_ms']:.0f} ms" for label, g in full)
    print(f"Full garbage collections during the in-process requests: {pauses}")

    print("\n### A saved change goes live (target: at most 2 s)\n")
    heads = " | ".join(f"{r['label']} median | max" for r in runs)
    print(f"| measure | {heads} |")
    print("|---|" + "---|---|" * len(runs))
    rows = {
        f"save → the assistant renders it, watcher every {WATCH_EVERY:g} s, uvicorn": (
            "uvicorn",
            "watcher",
        ),
        f"save → the assistant renders it, watcher every {WATCH_EVERY:g} s, in-process": (
            "inproc",
            "watcher",
        ),
        "save → live, check() called in a loop (in-process)": ("inproc", "check_loop"),
        "… of which the reload, check()": ("inproc", "check"),
        "reload part: read the rows (on the event loop)": ("inproc", "read_rows"),
        "reload part: validate the knowledge, changed entries only (in a thread)": (
            "inproc",
            "validate",
        ),
        "reload part: build the assistant (in a thread)": ("inproc", "build_assistant"),
        "the save itself, POST /entries/<id>/texts/ar (uvicorn, in the app)": ("uvicorn", "post"),
        "the editor page right after a save (uvicorn, in the app)": ("uvicorn", "redirect_page"),
    }
    for name, (run, key) in rows.items():
        cells = []
        for r in runs:
            s = r[run]["live"][key]
            cells.append(f"{s['median']:.0f} ms | {s['max']:.0f} ms")
        print(f"| {name} | {' | '.join(cells)} |")
    from bot.live import FULL_SETTLE_EVERY

    stalls = ", ".join(
        f"{r['label']} median {r['inproc']['live']['loop_stall']['median']:.0f} ms, "
        f"max {r['inproc']['live']['loop_stall']['max']:.0f} ms"
        for r in runs
    )
    print(
        "\nLongest the event loop was blocked during each reload (a page asked meanwhile waits "
        f"as long; every {FULL_SETTLE_EVERY}th reload collects the whole heap): {stalls}"
    )

    print("\n### Memory and start-up\n")
    print("| process | " + " | ".join(r["label"] for r in runs) + " |")
    print("|---|" + "---|" * len(runs))

    def cell(r: dict[str, Any], run: str, key: str) -> str:
        return f"{r[run][key]} MB" if key.endswith("_mb") else f"{r[run][key]:.1f} s"

    lines = {
        "in-process run, resident once signed in": [
            cell(r, "inproc", "rss_ready_mb") for r in runs
        ],
        "in-process run, peak RSS (after its reloads)": [
            cell(r, "inproc", "peak_rss_mb") for r in runs
        ],
        "in-process run, resident after its reloads": [
            f"{cell(r, 'inproc', 'rss_after_reloads_mb')} ({r['inproc']['reloads']} reloads)"
            for r in runs
        ],
        "uvicorn console process, peak RSS (after its reloads)": [
            cell(r, "uvicorn", "peak_rss_mb") for r in runs
        ],
        "start-up (open_app + assistant), in-process": [
            cell(r, "inproc", "startup_s") for r in runs
        ],
        "start-up, uvicorn process": [cell(r, "uvicorn", "startup_s") for r in runs],
        "load average (1 min) before / after": [" / ".join(map(str, r["load"])) for r in runs],
    }
    for name, cells in lines.items():
        print(f"| {name} | {' | '.join(cells)} |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--entries", type=int, default=500, help="the city's own entries")
    p.add_argument("--rounds", type=int, default=200, help="timed requests per page")
    p.add_argument("--saves", type=int, default=10, help="saves timed until live, per way")
    p.add_argument("--busy", type=int, default=1, help="CPU-bound neighbours in the busy run")
    p.add_argument("--lexical", action="store_true", help="without the semantic ranker")
    p.add_argument(
        "--settle",
        type=float,
        default=120.0,
        help=f"seconds to wait at most for a load average below {QUIET_LOAD} before the quiet run",
    )
    p.add_argument("--quick", action="store_true", help="30 requests per page, 3 saves")
    p.add_argument("--child", choices=["inproc", "serve"], help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--plan", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=8080, help=argparse.SUPPRESS)
    opts = p.parse_args(argv)
    if opts.child == "inproc":
        print(json.dumps(asyncio.run(inproc(opts)), ensure_ascii=False))
        return 0
    if opts.child == "serve":
        asyncio.run(serve(opts))
        return 0
    if opts.quick:
        opts.rounds, opts.saves = 30, 3
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="console-bench-") as tmp:
        folder = Path(tmp)
        template = folder / "template.db"
        t0 = time.perf_counter()
        plan = asyncio.run(prepare(template, opts.entries, not opts.lexical))
        plan_file = folder / "plan.json"
        plan_file.write_text(json.dumps(plan))
        ranker = "hybrid (fuzzy + semantic)" if plan["semantic"] else "lexical only"
        print(
            f"city {CITY}: {opts.entries} entries of its own, {len(plan['listed'])} in its list, "
            f"{plan['total']} in the base; "
            f"assistant: {ranker}; {opts.rounds} requests per page, {opts.saves} saves per way; "
            f"prepared in {time.perf_counter() - t0:.0f} s"
        )
        runs = [condition(opts, 0, folder, template, plan_file)]
        if opts.busy:
            runs.append(condition(opts, opts.busy, folder, template, plan_file))
    report(runs, plan)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
