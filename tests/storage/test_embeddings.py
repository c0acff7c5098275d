"""Embeddings are stored with the knowledge, by content, and pruned when texts go away."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import Knowledge
from bot.core.semantic import Embedder, VectorCache, semantic_docs
from bot.storage.embeddings import prepare_vectors, stored_vectors
from bot.storage.knowledge_store import import_knowledge
from bot.storage.models import KbEmbedding


async def test_import_stores_every_text_vector_once(
    sessions: async_sessionmaker[AsyncSession], knowledge: Knowledge, embedder: Embedder
) -> None:
    _, embeddings = await prepare_vectors(sessions, knowledge, embedder, _seed(knowledge, embedder))
    assert set(embeddings.new) == set(embeddings.keys)
    await import_knowledge(sessions, knowledge, "test", embeddings)
    stored = await stored_vectors(sessions, embedder.model_id)
    assert set(stored) == set(embeddings.keys)

    # A second start finds everything stored: nothing to embed, nothing to save.
    _, again = await prepare_vectors(sessions, knowledge, embedder, VectorCache())
    assert again.new == {}


async def test_removed_texts_lose_their_vectors(
    sessions: async_sessionmaker[AsyncSession], knowledge: Knowledge, embedder: Embedder
) -> None:
    seed = _seed(knowledge, embedder)
    _, first = await prepare_vectors(sessions, knowledge, embedder, seed)
    await import_knowledge(sessions, knowledge, "v1", first)
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
    _, second = await prepare_vectors(sessions, smaller, embedder, seed)
    await import_knowledge(sessions, smaller, "v2", second)
    async with sessions() as s:
        count = await s.scalar(select(func.count()).select_from(KbEmbedding))
    assert count == len(set(second.keys)) < len(set(first.keys))


def _seed(knowledge: Knowledge, embedder: Embedder) -> VectorCache:
    """The shipped cache, so the test does not spend a minute embedding."""
    from pathlib import Path

    from bot.core.semantic import cache_file

    seed = VectorCache.from_file(cache_file(Path(__file__).resolve().parents[2] / "knowledge"))
    texts = [d.text for d in semantic_docs(knowledge)]
    seed.fill(embedder, seed.missing(embedder.model_id, texts))
    return seed
