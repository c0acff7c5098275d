"""Choose the decision thresholds on the TUNING half of the evaluation set only.

The held-out half is never looked at here; `bench/evaluate.py` reports on it. Constraints:
wrong answers <= 1.5% and out-of-scope answered <= 3% on the tuning half (below the targets, to
leave room for the held-out half); among those, maximise correct answers.

Usage:
    python bench/calibrate.py
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.assistant import Asked, Assistant
from bot.core.decision import Decision, Thresholds, decide
from bot.core.knowledge.loader import load_directory
from bot.core.languages import default_detector
from bot.evaluation import Tally, _count, load_samples, split
from bot.settings import Settings

MAX_WRONG = 1.5
MAX_OOS = 3.0


def main() -> int:
    knowledge, _ = load_directory(Settings.from_env().knowledge_dir)
    assistant = Assistant(knowledge, default_detector())
    samples = split(load_samples(), "tune")
    base = [assistant.understand(Asked(s.text, s.city)) for s in samples]
    scored = [
        assistant.index.score(s.text, s.city, d.detection.language)
        for s, d in zip(samples, base, strict=True)
    ]
    grid = {
        "answer": [0.45, 0.50, 0.55, 0.60],
        "margin": [0.04, 0.06, 0.08, 0.10, 0.12],
        "clarify": [0.25, 0.30],
        "emergency": [0.40, 0.45, 0.50, 0.55],
        "intent": [0.35, 0.45, 0.55],
    }
    best: tuple[float, Thresholds, Tally] | None = None
    for values in itertools.product(*grid.values()):
        th = replace(Thresholds(), **dict(zip(grid, values, strict=True)))
        tally = Tally()
        for s, d0, scores in zip(samples, base, scored, strict=True):
            if not scores:
                d = d0
            else:
                action, topic, cands, conf = decide(scores, th)
                d = Decision(action, topic, cands, conf, d0.language, d0.detection)
            _count(tally, s, d)
        if tally.wrong_pct > MAX_WRONG or tally.oos_answered_pct > MAX_OOS or tally.human_pct < 95:
            continue
        key = tally.correct_pct + 0.1 * tally.one_tap_pct
        if best is None or key > best[0]:
            best = (key, th, tally)
    if best is None:
        print("no thresholds meet the constraints")
        return 1
    _, th, t = best
    print(f"tuning half: {t.n} messages")
    print(th)
    print(
        f"correct {t.correct_pct:.1f}%  wrong {t.wrong_pct:.1f}%  one tap {t.one_tap_pct:.1f}%  "
        f"out-of-scope answered {t.oos_answered_pct:.1f}%  person {t.human_pct:.1f}%"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
