"""The matcher: borrowed words work in any language, city phrasings stay in their city."""

from dataclasses import replace

from bot.core.assistant import Asked, Assistant
from bot.core.decision import Action
from bot.core.knowledge import Knowledge
from bot.core.languages import default_detector


def test_borrowed_institution_word_works_from_another_language(assistant: Assistant) -> None:
    d = assistant.understand(Asked("كيف اسجل في الpadrón", "fuenlabrada"))
    assert d.topic == "registration" or "registration" in d.candidates


def test_city_phrasings_only_count_in_their_city(knowledge: Knowledge) -> None:
    phrasings = dict(knowledge.city_phrasings)
    phrasings["mechelen"] = {"social-assistance": {"nl": ["zorgloket zuidpark"]}}
    local = Assistant(replace(knowledge, city_phrasings=phrasings), default_detector())
    here = local.understand(Asked("zorgloket zuidpark", "mechelen"))
    elsewhere = local.understand(Asked("zorgloket zuidpark", "jelgava"))
    assert here.action is Action.ANSWER and here.topic == "social-assistance"
    assert elsewhere.topic != "social-assistance"


def test_emergency_wins_whatever_else_the_message_says(assistant: Assistant) -> None:
    d = assistant.understand(Asked("help my friend is unconscious and not breathing", "capaci"))
    assert (d.action, d.topic) == (Action.ANSWER, "emergency")


def test_request_for_a_person_escalates(assistant: Assistant) -> None:
    d = assistant.understand(Asked("I want to talk to a real person please", "brussels"))
    assert d.action is Action.ESCALATE


def test_index_is_built_once_per_knowledge_version(assistant: Assistant) -> None:
    index = assistant.index
    assistant.understand(Asked("where can I learn dutch", "mechelen"))
    assert assistant.index is index
    assert len(index.docs) > 1000
