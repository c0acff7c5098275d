"""Speed and memory of the core: detect, match and render, per message.

Runs each part in a fresh subprocess so that start-up and peak memory are honest:
  1. start-up: import, load the knowledge and its stored embeddings from an imported SQLite
     file, load the model, build the indexes;
  2. per-message time over the evaluation messages (3 passes) with the sample base, in the
     lexical-only mode and in the default hybrid mode (with the share the cascade decides by
     the fuzzy stage alone);
  3. the hybrid again with 200 synthetic cities (copies of the 8 with new slugs and entry ids);
  4. with --busy N, the hybrid with the sample base again while N CPU-bound neighbour
     processes keep the cores busy (a shared server), with the ratio to the quiet figures.

Per message it reports wall time (median, p99) and CPU time (all threads of the process, so
OpenMP threads that spin while they wait are counted).

Usage:
    python bench/speed.py [--busy N] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.knowledge import Knowledge

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def child(mode: str, db: str, threads: int) -> None:
    import asyncio
    import resource
    import statistics
    import time

    t0 = time.perf_counter()
    from bot.core.assistant import Asked, Assistant
    from bot.core.languages import default_detector
    from bot.core.render import PlainFormatter
    from bot.core.semantic import VectorCache, cache_file, load_embedder
    from bot.evaluation import load_samples
    from bot.settings import Settings
    from bot.storage.database import create_engine, sessionmaker
    from bot.storage.embeddings import stored_vectors
    from bot.storage.knowledge_store import load_knowledge

    embedder = None if mode == "lexical" else load_embedder(threads=threads)

    async def load() -> tuple[Knowledge, VectorCache]:
        engine = create_engine(db)
        try:
            sessions = sessionmaker(engine)
            k = await load_knowledge(sessions)
            stored = await stored_vectors(sessions, embedder.model_id) if embedder else {}
        finally:
            await engine.dispose()
        assert k is not None
        return k, VectorCache(stored)

    knowledge, vectors = asyncio.run(load())
    if not vectors.vectors and embedder is not None:
        vectors = VectorCache.from_file(cache_file(Settings.from_env().knowledge_dir))
    if mode == "cities200":
        knowledge = synthetic(knowledge, 200)
    assistant = Assistant(knowledge, default_detector(), embedder=embedder, vectors=vectors)
    startup = time.perf_counter() - t0
    samples = load_samples()
    fmt = PlainFormatter()
    slugs = sorted(knowledge.cities)
    times: list[float] = []
    fuzzy_only = 0
    cpu0 = time.process_time()
    for pass_no in range(3):
        for i, s in enumerate(samples):
            city = s.city if mode == "sample" else slugs[(i * 7 + pass_no) % len(slugs)]
            if city not in knowledge.cities:
                city = s.city
            asked = Asked(s.text, city)
            start = time.perf_counter()
            reply = assistant.reply(asked, fmt)
            times.append(time.perf_counter() - start)
            fuzzy_only += reply.decision.path == "fuzzy"
    cpu = time.process_time() - cpu0
    times.sort()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "mode": mode,
                "cities": len(knowledge.cities),
                "entries": knowledge.entry_count(),
                "messages": len(times),
                "startup_s": round(startup, 3),
                "median_ms": round(statistics.median(times) * 1000, 3),
                "p99_ms": round(times[int(len(times) * 0.99) - 1] * 1000, 3),
                "cpu_per_msg_ms": round(cpu / len(times) * 1000, 3),
                "msgs_per_s": round(len(times) / sum(times)),
                "peak_rss_mb": round(rss_mb, 1),
                "fuzzy_stage_alone_pct": round(100 * fuzzy_only / len(times), 1),
            }
        )
    )


def synthetic(knowledge: Knowledge, n: int) -> Knowledge:
    """`n` cities: the real ones plus copies with their own slugs and entry ids."""
    from bot.core.knowledge import Knowledge

    cities = dict(knowledge.cities)
    city_entries = dict(knowledge.city_entries)
    phrasings = dict(knowledge.city_phrasings)
    originals = sorted(knowledge.cities)
    i = 0
    while len(cities) < n:
        src = originals[i % len(originals)]
        slug = f"{src}-copy-{i}"
        cities[slug] = knowledge.cities[src].model_copy(update={"slug": slug})
        city_entries[slug] = tuple(
            e.model_copy(update={"id": f"{e.id}-copy-{i}"}) for e in knowledge.city_entries[src]
        )
        phrasings[slug] = knowledge.city_phrasings.get(src, {})
        i += 1
    return Knowledge(
        topics=knowledge.topics,
        intents=knowledge.intents,
        network_entries=knowledge.network_entries,
        countries=knowledge.countries,
        country_entries=knowledge.country_entries,
        cities=cities,
        city_entries=city_entries,
        city_phrasings=phrasings,
    )


def run_child(mode: str, db: str, threads: int, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, db, str(threads)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result))
    return result


def busy_neighbours(n: int) -> list[subprocess.Popen[bytes]]:
    """`n` processes that do nothing but burn a core each, until they are killed."""
    loop = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(n)]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 4 and args[0] == "--child":
        child(args[1], args[2], int(args[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound neighbour processes")
    parser.add_argument(
        "--threads", type=int, default=1, help="the embedding's OpenMP team (0: OpenMP's defaults)"
    )
    opts = parser.parse_args(args)
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite+aiosqlite:///{tmp}/bench.db"
        env = {**os.environ, "DATABASE_URL": db}
        subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "kb", "import"],
            env=env,
            check=True,
            capture_output=True,
        )
        cores = os.cpu_count()
        print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
        print(f"embedding threads: {opts.threads}")
        results = [run_child(m, db, opts.threads, env) for m in ("lexical", "sample", "cities200")]
        ratio = results[2]["median_ms"] / results[1]["median_ms"]
        print(f"per-message cost, 200 cities vs 8 (median): {ratio:.2f}x")
        if opts.busy:
            print(f"with {opts.busy} CPU-bound neighbour processes:")
            neighbours = busy_neighbours(opts.busy)
            try:
                busy = run_child("sample", db, opts.threads, env)
            finally:
                for proc in neighbours:
                    proc.kill()
                    proc.wait()
            quiet = results[1]
            for key in ("cpu_per_msg_ms", "median_ms", "p99_ms"):
                print(f"busy vs quiet, {key}: {busy[key] / quiet[key]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
