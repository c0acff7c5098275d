"""The one walk over the knowledge base that both matchers index."""

from bot.core.knowledge import Knowledge
from bot.core.knowledge.texts import labelled_texts
from bot.core.matching import MatchIndex
from bot.core.normalize import tokens
from bot.core.semantic import semantic_docs


def test_every_layer_gives_texts_with_its_scope(knowledge: Knowledge) -> None:
    items = list(labelled_texts(knowledge))
    network = [t for t in items if t.city is None and t.country is None]
    assert {t.label for t in network} >= set(knowledge.topics) | set(knowledge.intents)
    assert all(t.lang for t in network if t.label in knowledge.intents)
    belgian = {t.text for t in items if t.country == "be"}
    assert belgian and all(t.lang is None for t in items if t.country)
    assert any(t.city == "mechelen" and t.lang for t in items)  # a city's own phrasings


def test_both_matchers_index_the_same_texts(knowledge: Knowledge) -> None:
    texts = {t.text for t in labelled_texts(knowledge)}
    assert {d.text for d in semantic_docs(knowledge)} == texts
    index = MatchIndex(knowledge)
    indexed = {d.tokens for d in index.docs}
    assert indexed == {tuple(dict.fromkeys(tokens(t))) for t in texts} - {()}


def test_a_country_entry_counts_in_each_of_its_cities(knowledge: Knowledge) -> None:
    item = next(t for t in labelled_texts(knowledge) if t.country == "be")
    toks = tuple(dict.fromkeys(tokens(item.text)))
    scopes = {d.scope for d in MatchIndex(knowledge).docs if d.tokens == toks}
    belgian = {slug for slug, city in knowledge.cities.items() if city.country == "be"}
    assert belgian <= scopes
