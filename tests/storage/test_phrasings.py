"""A city's own words for its topics, edited in the console: scoped, published, guarded."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import open_app
from bot.core.assistant import Asked
from bot.core.decision import Action
from bot.core.knowledge.loader import load_directory
from bot.settings import Settings
from bot.storage.knowledge_store import ConsoleEdits, import_knowledge
from bot.storage.phrasings import Phrasings, clean_lines
from bot.storage.staff import Role, StaffStore

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
WORDS = "Maison Bleue du quartier"  # no topic's words: the assistant does not know them yet


async def test_an_editors_new_words_reach_the_assistant_and_other_cities_stay_closed(
    database_url: str,
) -> None:
    app = await open_app(Settings(database_url=database_url, semantic=False))
    try:
        store, words = StaffStore(app.sessions), Phrasings(app.sessions)
        ana, _ = await store.add("Ana", Role.EDITOR, "brussels")
        sara, _ = await store.add("Sara", Role.TRANSLATOR, "brussels", ["ar"])
        before = app.assistant.understand(Asked(WORDS, "brussels"))
        assert before.topic != "social-assistance" or before.action is not Action.ANSWER
        assert await words.of_city(ana, "mechelen") is None  # not her city
        assert await words.save(ana, "mechelen", "housing", "nl", ["x"]) is None
        assert await words.save(sara, "brussels", "housing", "fr", ["x"]) is None  # translators
        shown = await words.of_city(ana, "brussels")
        assert shown is not None and "CPAS de Bruxelles" in shown["social-assistance"]["fr"]
        kept = shown["social-assistance"]["fr"]
        assert await words.save(ana, "brussels", "social-assistance", "fr", [*kept, WORDS])
        assert not await words.save(ana, "brussels", "social-assistance", "fr", [*kept, WORDS])
        assert await app.live().check()
        after = app.assistant.understand(Asked(WORDS, "brussels"))
        assert (after.action, after.topic) == (Action.ANSWER, "social-assistance")
        # A re-import of the files does not silently take the city's words away.
        knowledge = app.knowledge
        files, _ = load_directory(KNOWLEDGE)
        with pytest.raises(ConsoleEdits) as refused:
            await import_knowledge(app.sessions, files, "files")
        assert [e.action for e in refused.value.edits] == ["phrasings"]
        assert refused.value.edits[0].staff == "Ana"
        assert app.knowledge is knowledge
    finally:
        await app.close()


def test_phrasings_are_one_per_line_without_repeats_and_within_limits() -> None:
    assert clean_lines(" CPAS \n\nCPAS\nOCMW ") == (["CPAS", "OCMW"], [])
    _, problems = clean_lines("x" * 121)
    assert problems and "120" in str(problems[0])
    _, problems = clean_lines("\n".join(f"w{i}" for i in range(31)))
    assert problems and "30" in str(problems[0])
