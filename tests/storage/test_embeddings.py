"""Embeddings are stored with the knowledge, by content, and pruned when texts go away."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import Knowledge
from bot.core.semantic import Embedder, VectorCache, semantic_docs
from bot.storage.embeddings import prepare_vectors, stored_vectors
from bot.storage.knowledge_store import Embeddings, import_knowledge
from bot.storage.models import KbEmbedding


async def test_import_stores_every_text_vector_once(
    sessions: async_sessionmaker[AsyncSession], knowledge: Knowledge, embedder: Embedder
) -> None:
    _, unsaved, keys = await prepare_vectors(
        sessions, knowledge, embedder, _seed(knowledge, embedder)
    )
    await import_knowledge(
        sessions, knowledge, "test", Embeddings(embedder.model_id, unsaved, keys)
    )
    stored = await stored_vectors(sessions, embedder.model_id)
    assert set(stored) == set(keys)

    # A second start finds everything stored: nothing to embed, nothing to save.
    _, unsaved_again, _ = await prepare_vectors(sessions, knowledge, embedder, VectorCache())
    assert unsaved_again == {}


async def test_removed_texts_lose_their_vectors(
    sessions: async_sessionmaker[AsyncSession], knowledge: Knowledge, embedder: Embedder
) -> None:
    seed = _seed(knowledge, embedder)
    _, unsaved, keys = await prepare_vectors(sessions, knowledge, embedder, seed)
    await import_knowledge(sessions, knowledge, "v1", Embeddings(embedder.model_id, unsaved, keys))
    smaller = Knowledge(
        topics=knowledge.topics,
        intents=knowledge.intents,
        network_entries=knowledge.network_entries,
        countries=knowledge.countries,
        country_entries=knowledge.country_entries,
        cities=knowledge.cities,
        city_entries={k: () for k in knowledge.city_entries},
        city_phrasings=knowledge.city_phrasings,
    )
    _, unsaved2, keys2 = await prepare_vectors(sessions, smaller, embedder, seed)
    await import_knowledge(sessions, smaller, "v2", Embeddings(embedder.model_id, unsaved2, keys2))
    async with sessions() as s:
        count = await s.scalar(select(func.count()).select_from(KbEmbedding))
    assert count == len(set(keys2)) < len(set(keys))


def _seed(knowledge: Knowledge, embedder: Embedder) -> VectorCache:
    """The shipped cache, so the test does not spend a minute embedding."""
    from pathlib import Path

    from bot.core.semantic import cache_file

    seed = VectorCache.from_file(cache_file(Path(__file__).resolve().parents[2] / "knowledge"))
    texts = [d.text for d in semantic_docs(knowledge)]
    seed.fill(embedder, seed.missing(embedder.model_id, texts))
    return seed
