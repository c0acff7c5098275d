"""The cascade and the two modes: hybrid by default, lexical alone as the fallback."""

from datetime import UTC, datetime

import pytest

from bot.core.assistant import Asked, Assistant
from bot.core.decision import Action, Decision
from bot.core.languages import Detection
from bot.core.ranking import Stage
from bot.core.render import PlainFormatter


def test_decisive_fuzzy_match_skips_the_embedding(assistant: Assistant) -> None:
    d = assistant.understand(Asked("cours de néerlandais", "brussels"))
    assert d.path == Stage.FUZZY
    assert d.topic == "language-courses"


def test_undecided_messages_go_through_the_semantic_ranker(assistant: Assistant) -> None:
    d = assistant.understand(
        Asked("my husband fell down the stairs and there is blood everywhere", "livadia")
    )
    assert d.path == Stage.HYBRID
    assert (d.action, d.topic) == (Action.ANSWER, "emergency")


def test_both_stages_of_an_embedded_message_score_as_the_hybrid_ranking_does(
    assistant: Assistant,
) -> None:
    text = "my husband fell down the stairs and there is blood everywhere"
    ranker = assistant.ranker
    assert ranker.embedder is not None
    hybrid = ranker.rank(text, "livadia", "en")
    both = ranker.both(text, "livadia", "en", ranker.embedder.embed([text])[0])
    assert hybrid.stage == Stage.HYBRID
    assert [label for label, _ in both] == [label for label, _ in hybrid.scores]
    assert [s for _, s in both] == pytest.approx([s for _, s in hybrid.scores], abs=1e-6)
    decisive = ranker.both(
        "cours de néerlandais", "brussels", "fr", ranker.embedder.embed(["cours de néerlandais"])[0]
    )
    assert decisive[0][0] == "language-courses" and len(decisive) > 1  # the semantic stage too


def test_lexical_mode_never_embeds(lexical_assistant: Assistant) -> None:
    d = lexical_assistant.understand(Asked("where can I learn the language", "jelgava"))
    assert d.path == Stage.LEXICAL
    assert not lexical_assistant.ranker.hybrid


def test_both_modes_answer_the_done_when_example(
    assistant: Assistant, lexical_assistant: Assistant
) -> None:
    for a in (assistant, lexical_assistant):
        d = a.understand(Asked("où puis-je apprendre le néerlandais", "brussels"))
        assert (d.language, d.action, d.topic) == ("fr", Action.ANSWER, "language-courses")


def test_a_possible_emergency_shows_112_before_any_choice(assistant: Assistant) -> None:
    decision = Decision(
        Action.CLARIFY,
        None,
        ("violence-support", "emergency"),
        0.4,
        "en",
        Detection("en", 1.0, True, 5),
    )
    reply = assistant.reply_to(decision, "capaci", datetime.now(UTC), PlainFormatter())
    assert reply.text.startswith("In danger right now? Call 112")
    assert [c.topic for c in reply.choices][:2] == ["violence-support", "emergency"]


def test_a_message_without_letters_is_not_embedded(assistant: Assistant) -> None:
    for text in ("???", "12345", "..."):
        decision = assistant.understand(Asked(text=text, city="capaci", explicit_language="en"))
        assert decision.path is Stage.FUZZY, text
        assert decision.action is Action.UNKNOWN, text
