"""Embeddings of knowledge texts in the database, so start-up never re-embeds a known text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import Knowledge
from bot.core.semantic import DIM, Embedder, Vector, VectorCache, semantic_docs, text_key
from bot.storage.models import KbEmbedding


@dataclass(frozen=True)
class Embeddings:
    """Vectors to store with the knowledge: the new ones, and every key still in use."""

    model_id: str
    new: dict[str, Vector]
    keys: list[str]


def to_bytes(vec: Vector) -> bytes:
    return vec.astype(np.float16).tobytes()


def from_bytes(blob: bytes) -> Vector:
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32).reshape(DIM)


async def stored_vectors(
    sessions: async_sessionmaker[AsyncSession], model_id: str
) -> dict[str, Vector]:
    async with sessions() as session:
        rows = await session.execute(
            select(KbEmbedding.key, KbEmbedding.vector).where(KbEmbedding.model == model_id)
        )
        return {key: from_bytes(blob) for key, blob in rows.all()}


async def replace_vectors(
    session: AsyncSession, model_id: str, new: dict[str, Vector], keep: Iterable[str]
) -> None:
    """Add `new` and drop this model's vectors whose text is no longer in the knowledge."""
    keep_set = set(keep)
    existing = set(
        await session.scalars(select(KbEmbedding.key).where(KbEmbedding.model == model_id))
    )
    stale = sorted(existing - keep_set)
    for start in range(0, len(stale), 500):
        await session.execute(
            delete(KbEmbedding).where(KbEmbedding.key.in_(stale[start : start + 500]))
        )
    fresh = [
        {"key": k, "model": model_id, "vector": to_bytes(v)}
        for k, v in new.items()
        if k not in existing
    ]
    if fresh:
        await session.execute(insert(KbEmbedding), fresh)


async def prepare_vectors(
    sessions: async_sessionmaker[AsyncSession] | None,
    knowledge: Knowledge,
    embedder: Embedder,
    seed: VectorCache,
) -> tuple[VectorCache, Embeddings]:
    """Vectors for every knowledge text: stored ones, the seed, then embed what is missing.

    Returns the full cache, and what to store: the vectors not yet in the database (all of
    them without `sessions`) and every key in use.
    """
    cache = VectorCache(seed.vectors)
    in_db: dict[str, Vector] = {}
    if sessions is not None:
        in_db = await stored_vectors(sessions, embedder.model_id)
        cache.vectors.update(in_db)
    texts = [d.text for d in semantic_docs(knowledge)]
    cache.fill(embedder, cache.missing(embedder.model_id, texts))
    keys = [text_key(embedder.model_id, t) for t in texts]
    unsaved = {k: cache.vectors[k] for k in keys if k not in in_db}
    return cache, Embeddings(embedder.model_id, unsaved, keys)


async def store_vectors(sessions: async_sessionmaker[AsyncSession], embeddings: Embeddings) -> None:
    """Keep vectors computed at start-up (new model, or a seed that lacked them)."""
    async with sessions() as session, session.begin():
        await replace_vectors(session, embeddings.model_id, embeddings.new, embeddings.keys)
