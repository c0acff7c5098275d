"""Import is all or nothing, reports what changed, and the stored base reads back whole."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import Knowledge
from bot.core.knowledge.loader import load_directory
from bot.storage import knowledge_store
from bot.storage.knowledge_store import import_knowledge, load_knowledge
from bot.storage.models import KbEntryTopic, KnowledgeVersion

ROOT = Path(__file__).resolve().parents[2] / "knowledge"


async def test_import_then_load_gives_the_same_knowledge(
    sessions: async_sessionmaker[AsyncSession], knowledge: Knowledge
) -> None:
    report = await import_knowledge(sessions, knowledge, "test")
    assert report.version == 1
    assert len(report.changes["entries"].added) == knowledge.entry_count()
    loaded = await load_knowledge(sessions)
    assert loaded is not None
    assert loaded.topics == knowledge.topics
    assert loaded.cities == knowledge.cities
    for slug in knowledge.cities:
        assert loaded.layered_entries(slug) == knowledge.layered_entries(slug)
    assert loaded.city_phrasings == knowledge.city_phrasings


async def test_reimport_reports_added_changed_removed(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    kb = tmp_path / "knowledge"
    shutil.copytree(ROOT, kb)
    first, _ = load_directory(kb)
    await import_knowledge(sessions, first, "v1")
    again = await import_knowledge(sessions, first, "v1")
    assert again.unchanged and again.version == 1

    city = kb / "cities" / "jelgava.yaml"
    text = city.read_text(encoding="utf-8")
    removed = first.city_entries["jelgava"][-1].id
    changed = first.city_entries["jelgava"][0].id
    data = text.replace(f"id: {removed}\n", f"id: {removed}-renamed\n")
    city.write_text(data, encoding="utf-8")
    second, _ = load_directory(kb)
    report = await import_knowledge(sessions, second, "v2")
    assert report.changes["entries"].added == [f"{removed}-renamed"]
    assert report.changes["entries"].removed == [removed]
    assert report.version == 2
    assert changed not in report.changes["entries"].changed

    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(KnowledgeVersion)) == 2
        topics = await s.scalar(
            select(func.count()).select_from(KbEntryTopic).where(KbEntryTopic.entry_id == removed)
        )
        assert topics == 0


async def test_failed_import_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
    knowledge: Knowledge,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await import_knowledge(sessions, knowledge, "v1")
    smaller = Knowledge(
        topics=knowledge.topics,
        intents=knowledge.intents,
        network_entries=(),
        countries=knowledge.countries,
        country_entries={},
        cities=knowledge.cities,
        city_entries={
            k: tuple(e.model_copy(update={"verified": True}) for e in v)
            for k, v in knowledge.city_entries.items()
        },
        city_phrasings=knowledge.city_phrasings,
    )

    class Boom(Exception):
        pass

    def explode(*_: object) -> None:
        raise Boom()

    # Fail at the very end of the transaction, after every delete and update was sent.
    monkeypatch.setattr(knowledge_store, "ImportReport", explode)
    with pytest.raises(Boom):
        await import_knowledge(sessions, smaller, "v2")
    monkeypatch.undo()

    loaded = await load_knowledge(sessions)
    assert loaded is not None
    assert loaded.entry_count() == knowledge.entry_count()
    assert loaded.layered_entries("brussels") == knowledge.layered_entries("brussels")
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(KnowledgeVersion)) == 1
