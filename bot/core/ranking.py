"""Rank a message's labels: the fuzzy stage first, the semantic ranker when it is not decisive.

The two scores are combined per label: (1 - w) * fuzzy + w * rescaled cosine. Embedding scores
are compressed (most labels sit between 0.75 and 0.9), so the cosine is stretched over the
calibrated band [lo, hi] before it is combined; the decision thresholds then apply to the sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from bot.core.knowledge import Knowledge
from bot.core.matching import MatchIndex
from bot.core.semantic import Embedder, SemanticIndex, Vector


class Stage(StrEnum):
    """Which stage of the cascade decided."""

    FUZZY = "fuzzy"  # the fuzzy stage alone was decisive; no embedding computed
    HYBRID = "hybrid"  # fuzzy and semantic scores combined
    LEXICAL = "lexical"  # no semantic ranker available
    ALONE = "alone"  # read before any ranking: a greeting, thanks, "help" or emoji alone


@dataclass(frozen=True, slots=True)
class HybridParams:
    """Calibrated on the tuning half of the evaluation set (`python bench/calibrate.py`)."""

    weight: float = 0.65  # share of the semantic score
    lo: float = 0.76  # cosine that counts as no evidence
    hi: float = 0.98  # cosine that counts as full evidence
    decisive: float = 0.60  # a fuzzy score this high...
    decisive_margin: float = 0.15  # ...and this far ahead skips the embedding


@dataclass(frozen=True, slots=True)
class Ranking:
    """A message's label scores, the stage that produced them and the semantic chatter lead.

    `chatter_lead` is the best cosine of any topic or intent minus the chatter phrasings' cosine
    (hybrid only): everyday chatter sits as close to "what film tonight" as to anything else.
    """

    scores: list[tuple[str, float]]
    stage: Stage
    chatter_lead: float | None = None


def chatter_lead(cosines: dict[str, float]) -> float | None:
    best = max((c for label, c in cosines.items() if label != "chatter"), default=None)
    chatter = cosines.get("chatter")
    return None if best is None or chatter is None else best - chatter


class Ranker:
    def __init__(
        self,
        knowledge: Knowledge,
        lexical: MatchIndex,
        semantic: SemanticIndex | None = None,
        embedder: Embedder | None = None,
        params: HybridParams | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.lexical = lexical
        self.semantic = semantic if embedder is not None else None
        self.embedder = embedder
        self.params = params or HybridParams()

    @property
    def hybrid(self) -> bool:
        return self.semantic is not None

    def decisive(self, fuzzy: list[tuple[str, float]]) -> bool:
        if not fuzzy:
            return False
        s1 = fuzzy[0][1]
        s2 = fuzzy[1][1] if len(fuzzy) > 1 else 0.0
        return s1 >= self.params.decisive and s1 - s2 >= self.params.decisive_margin

    def semantic_scores(self, text: str, city: str) -> dict[str, float]:
        """Raw cosine per label (for calibration and the combined score)."""
        assert self.embedder is not None
        return self.cosines(self.embedder.embed([text])[0], city)

    def cosines(self, query: Vector, city: str) -> dict[str, float]:
        """Raw cosine per label of an embedded message."""
        assert self.semantic is not None
        country = self.knowledge.cities[city].country
        sims = self.semantic.score(query, city, country)
        return {label: float(s) for label, s in zip(self.semantic.labels, sims, strict=True)}

    def both(
        self, text: str, city: str, language: str | None, query: Vector
    ) -> list[tuple[str, float]]:
        """The combined fuzzy + semantic scores of a message already embedded (`query`), even
        where the fuzzy stage alone would have been decisive: the gaps page's topic profile."""
        return self.combine(self.lexical.score(text, city, language), self.cosines(query, city))

    def combine(
        self, fuzzy: list[tuple[str, float]], cosines: dict[str, float]
    ) -> list[tuple[str, float]]:
        p = self.params
        lex = dict(fuzzy)
        combined = []
        for label, cos in cosines.items():
            sem = float(np.clip((cos - p.lo) / (p.hi - p.lo), 0.0, 1.0))
            score = (1 - p.weight) * lex.get(label, 0.0) + p.weight * sem
            if score > 0:
                combined.append((label, score))
        combined.sort(key=lambda item: (-item[1], item[0]))
        return combined

    def rank(self, text: str, city: str, language: str | None) -> Ranking:
        fuzzy = self.lexical.score(text, city, language)
        if not self.hybrid:
            return Ranking(fuzzy, Stage.LEXICAL)
        # Without a single letter ("???", "12345") an embedding means nothing.
        if self.decisive(fuzzy) or not any(ch.isalpha() for ch in text):
            return Ranking(fuzzy, Stage.FUZZY)
        cosines = self.semantic_scores(text, city)
        return Ranking(self.combine(fuzzy, cosines), Stage.HYBRID, chatter_lead(cosines))
