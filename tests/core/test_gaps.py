"""Gaps in the core (bot/core/gaps.py): clusters ordered by size then trend, examples that show
each language, the lexical-only grouping, and the meaning of a question across languages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bot.core.assistant import Assistant
from bot.core.gaps import (
    Missed,
    Readings,
    group,
    labels_for,
    lexical_labels,
    meanings,
    read,
    semantic_labels,
)
from bot.core.knowledge import TOPIC_IDS
from bot.core.semantic import Embedder, QueryCache, Vector

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def missed(i: int, text: str, language: str = "fr", *, current: bool = True) -> Missed:
    return Missed(i, text, language, NOW - timedelta(hours=i), None, current)


def test_clusters_come_largest_first_then_growing_fastest_and_only_with_this_periods() -> None:
    asked = [
        missed(1, "a"), missed(2, "b"), missed(3, "b"),  # b: 2 now, 0 before
        missed(4, "c"), missed(5, "c"), missed(6, "c", current=False),  # c: 2 now, 1 before
        missed(7, "d", current=False),  # d: only before
        missed(8, "e"), missed(9, "e"), missed(10, "e"),  # e: 3 now
    ]  # fmt: skip
    labels = [ord(m.text) for m in asked]
    clusters = group(asked, labels)
    assert [c.ids for c in clusters] == [(8, 9, 10), (2, 3), (4, 5), (1,)]
    assert [(c.size, c.previous, c.trend) for c in clusters[1:3]] == [(2, 0, 2), (2, 1, 1)]


def test_examples_show_each_language_first_and_no_text_twice() -> None:
    asked = [
        missed(1, "Où trouver un manteau ?"), missed(2, "où trouver un manteau"),
        missed(3, "Où trouver des bottes ?"), missed(4, "Де знайти пальто?", "uk"),
        missed(5, "أين أجد معطفاً؟", "ar"),
    ]  # fmt: skip
    [cluster] = group(asked, [1] * 5)
    assert [m.id for m in cluster.examples()] == [1, 4, 5, 3]
    assert cluster.languages == ("fr", "uk", "ar")


def test_the_lexical_grouping_joins_questions_that_share_their_words() -> None:
    texts = ["Où réparer mon vélo ?", "où réparer mon vélo pas cher", "Quel temps demain ?"]
    labels = lexical_labels(texts)
    assert labels[0] == labels[1] != labels[2]
    assert lexical_labels(["seul"]) == [1] and lexical_labels([]) == []


def test_one_question_in_four_languages_is_one_gap_and_another_is_apart(
    assistant: Assistant, lexical_assistant: Assistant
) -> None:
    texts = [
        "أين يمكنني الحصول على ملابس شتوية مجانية لأطفالي؟",
        "Де можна отримати безкоштовний зимовий одяг для дітей?",
        "Où trouver des vêtements d'hiver gratuits pour mes enfants ?",
        "¿Dónde consigo ropa de invierno gratis para mis hijos?",
        "Quel temps fera-t-il demain à Bruxelles ?",
    ]
    labels = labels_for(assistant, texts, "brussels")
    assert len(set(labels[:4])) == 1 and labels[4] != labels[0]
    apart = labels_for(lexical_assistant, texts, "brussels")
    assert len(set(apart[:4])) > 1  # shared words only: the lexical mode cannot
    assert semantic_labels(assistant.ranker.embedder.embed(texts[:1])) == [1]  # type: ignore[union-attr]


def test_questions_the_assistant_sets_on_one_topic_meet_though_worded_apart() -> None:
    words = np.eye(4, dtype=np.float32)[:3]  # three questions, no two alike in their words
    topics = np.full((3, 5), 0.3, dtype=np.float32)
    topics[0, 1] = topics[1, 1] = 0.55  # the assistant's best topic for the first two
    topics[2, 3] = 0.55
    joined = meanings(Readings(words, topics))
    assert np.allclose(np.linalg.norm(joined, axis=1), 1.0, atol=1e-6)
    similar = joined @ joined.T
    assert similar[0, 1] > similar[0, 2] and similar[0, 1] > similar[1, 2]
    assert np.allclose(meanings(Readings(words, topics), share=1.0)[:, :4], words)


def test_a_reading_is_the_assistant_s_own_scores_of_each_text(
    assistant: Assistant, lexical_assistant: Assistant
) -> None:
    texts = ["my landlord wants to throw me out next week", "\x07where can I charge my phone"]
    taken = read(assistant, texts, ["brussels", "mechelen"])
    assert taken is not None and taken.vectors.shape[0] == taken.topics.shape[0] == 2
    ranker = assistant.ranker
    assert ranker.embedder is not None
    clean = "where can I charge my phone"
    language = assistant.detector.detect(clean).language
    scores = dict(ranker.both(clean, "mechelen", language, ranker.embedder.embed([clean])[0]))
    expected = [scores.get(topic, 0.0) for topic in TOPIC_IDS]  # the intents left out
    assert taken.topics[1] == pytest.approx(expected, abs=1e-6)
    assert read(lexical_assistant, texts, ["brussels"] * 2) is None


class Counting:
    """The real embedder, counting the texts it is given."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder, self.model_id, self.texts = embedder, embedder.model_id, 0

    def embed(self, texts: Sequence[str]) -> Vector:
        self.texts += len(texts)
        return self.embedder.embed(texts)


def test_the_memo_embeds_only_new_texts_and_keeps_a_bounded_number(embedder: Embedder) -> None:
    counting, memo = Counting(embedder), QueryCache(3)
    first = memo.get_many(["manteau d'hiver", "vélo pas cher"], counting.embed)
    again = memo.get_many(["vélo pas cher", "manteau d'hiver", "piscine gratuite"], counting.embed)
    assert counting.texts == 3
    assert np.allclose(again[:2], first[::-1], atol=1e-6)
    assert np.allclose(again[2], embedder.embed(["piscine gratuite"])[0], atol=1e-6)
    memo.get_many(["wifi gratuit"], counting.embed)
    assert len(memo._vectors) == 3  # the oldest forgotten
    assert all(isinstance(key, bytes) and len(key) == 16 for key in memo._vectors)  # no texts
