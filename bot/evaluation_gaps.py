"""How well the gaps page's clusters (bot/core/gaps.py) group the evaluation set's misses.

A miss is a message that asks about a topic (its label is a topic id) and was not answered with
that topic: not understood, out of scope, a choice of topics offered, or another topic answered
(what a 👎 or a hand-over to a person would follow). Its label is the topic it asked about.

Scored from both sides, so that neither one cluster of everything nor every message alone can
pass: B-cubed recall (for each miss, the share of the misses of its topic that are in its
cluster: "same-topic misses grouped together") and B-cubed precision (the share of its cluster
that is of its topic), with purity and inverse purity beside them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.assistant import Assistant
from bot.core.decision import Action
from bot.core.knowledge import TOPIC_IDS
from bot.evaluation import Outcome, Sample, evaluate


@dataclass(frozen=True, slots=True)
class Miss:
    sample: Sample
    action: Action  # what the assistant did instead


def missed(outcomes: Iterable[Outcome]) -> list[Miss]:
    """The topical messages that were not answered with their topic."""
    return [
        Miss(o.sample, o.decision.action)
        for o in outcomes
        if o.sample.expect in TOPIC_IDS
        and not (o.decision.action is Action.ANSWER and o.decision.topic == o.sample.expect)
    ]


def misses(assistant: Assistant, samples: Iterable[Sample]) -> list[Miss]:
    """The topical messages the assistant did not answer with their topic."""
    return missed(evaluate(assistant, samples).outcomes)


@dataclass(frozen=True, slots=True)
class Grouping:
    """Scores of clusters (`found`) against the labels, each in [0, 1]."""

    n: int
    clusters: int
    topics: int
    precision: float  # B-cubed
    recall: float  # B-cubed
    purity: float
    inverse_purity: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score(labels: Sequence[str], found: Sequence[int]) -> Grouping:
    """B-cubed precision and recall, purity and inverse purity of `found` (a cluster number
    per item) against `labels` (the true topic per item)."""
    n = len(labels)
    if n == 0:
        return Grouping(0, 0, 0, 0.0, 0.0, 0.0, 0.0)
    pairs = Counter(zip(found, labels, strict=True))
    sizes, per_topic = Counter(found), Counter(labels)
    precision = sum(k * k / sizes[c] for (c, _), k in pairs.items()) / n
    recall = sum(k * k / per_topic[t] for (_, t), k in pairs.items()) / n
    best_topic: dict[int, int] = {}
    best_cluster: dict[str, int] = {}
    for (c, t), k in pairs.items():
        best_topic[c] = max(best_topic.get(c, 0), k)
        best_cluster[t] = max(best_cluster.get(t, 0), k)
    return Grouping(
        n, len(sizes), len(per_topic), precision, recall,
        sum(best_topic.values()) / n, sum(best_cluster.values()) / n,
    )  # fmt: skip
