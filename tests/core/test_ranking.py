"""The cascade and the two modes: hybrid by default, lexical alone as the fallback."""

from bot.core.assistant import Asked, Assistant
from bot.core.decision import Action
from bot.core.ranking import Path


def test_decisive_fuzzy_match_skips_the_embedding(assistant: Assistant) -> None:
    d = assistant.understand(Asked("cours de néerlandais", "brussels"))
    assert d.path == Path.FUZZY
    assert d.topic == "language-courses"


def test_undecided_messages_go_through_the_semantic_ranker(assistant: Assistant) -> None:
    d = assistant.understand(
        Asked("my husband fell down the stairs and there is blood everywhere", "livadia")
    )
    assert d.path == Path.HYBRID
    assert (d.action, d.topic) == (Action.ANSWER, "emergency")


def test_lexical_mode_never_embeds(lexical_assistant: Assistant) -> None:
    d = lexical_assistant.understand(Asked("where can I learn the language", "jelgava"))
    assert d.path == Path.LEXICAL
    assert not lexical_assistant.ranker.hybrid


def test_both_modes_answer_the_done_when_example(
    assistant: Assistant, lexical_assistant: Assistant
) -> None:
    for a in (assistant, lexical_assistant):
        d = a.understand(Asked("où puis-je apprendre le néerlandais", "brussels"))
        assert (d.language, d.action, d.topic) == ("fr", Action.ANSWER, "language-courses")
