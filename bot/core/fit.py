"""Which entries of a topic fit the question best, so that the best one is shown first.

The topic is already decided; this orders its entries. A question word counts for an entry when
the entry's own texts (name, description, keywords, in the languages it is written or translated
in) hold a word close to it, and it counts more when few of the topic's entries hold it: "Dutch"
sets the Dutch course apart from the other language courses, "course" does not. Entries that fit
equally keep the layer order (the city's own first). Words that most ways of asking about the
topic share ("learn" for language courses, "cours" in French) tell nothing about which entry
fits, so they do not count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from rapidfuzz import fuzz, process

from bot.core.knowledge.model import Entry, Knowledge
from bot.core.normalize import tokens

#: Words shorter than this carry too little to tell entries apart ("de", "a", "in").
MIN_WORD = 4
#: How close (0-100) two words must be to count as the same word: "néerlandais" and
#: "neerlandais", "doctor" and "doctors", not "course" and "source".
SAME_WORD = 86
#: A question word this long that begins an entry's word counts as held by it.
PREFIX_WORD = 5
#: A word in at least this share of the topic's phrasings and keywords (in the question's
#: language) is the topic's own word, not a sign of one entry.
TOPIC_WORD_SHARE = 0.3


#: A word in the phrasings of at least this many topics is a way of asking ("want", "need",
#: "where", "besoin"), not a sign of one entry.
COMMON_IN_TOPICS = 6


def _shares(items: Sequence[str]) -> dict[str, float]:
    """For each word, the share of `items` (phrasings, keywords) that hold it."""
    counts: dict[str, int] = {}
    for item in items:
        for w in set(tokens(item)):
            counts[w] = counts.get(w, 0) + 1
    return {w: n / len(items) for w, n in counts.items()}


def generic_words(knowledge: Knowledge, topic_id: str, language: str) -> frozenset[str]:
    """The words that tell nothing about which of the topic's entries fits: the topic's own
    words, the words of asking for a person ("someone", "talk"), and the words people use to
    ask about anything ("need", "where"), in `language`."""
    generic: set[str] = set()
    seen_in: dict[str, int] = {}
    labelled = [(t.id, t.phrasings, t.keywords) for t in knowledge.topics.values()]
    labelled += [(name, i.phrasings, i.keywords) for name, i in knowledge.intents.items()]
    for label, phrasings, keywords in labelled:
        items = [*phrasings.get(language, ()), *keywords.get(language, ())]
        if not items:
            continue
        shares = _shares(items)
        for w in shares:
            seen_in[w] = seen_in.get(w, 0) + 1
        if label in (topic_id, "human"):
            generic.update(w for w, share in shares.items() if share >= TOPIC_WORD_SHARE)
    return frozenset(generic | {w for w, n in seen_in.items() if n >= COMMON_IN_TOPICS})


def _words(entry: Entry, language: str) -> tuple[frozenset[str], frozenset[str]]:
    """The words of the entry's description, and those of its name and keywords, which say
    what it is for in a few words and so count more."""

    def texts(field: Literal["name", "description"]) -> list[str]:
        found = list(entry.originals(field).values())
        translated = entry.text(field, language)
        if translated is not None:
            found.append(translated.text)
        return found

    keywords = [k for items in (entry.keywords or {}).values() for k in items]

    def split(items: list[str]) -> frozenset[str]:
        return frozenset(w for text in items for w in tokens(text) if len(w) >= MIN_WORD)

    return split(texts("description")), split([*texts("name"), *keywords])


def _holds(words: frozenset[str], word: str) -> bool:
    # the Arabic article: "الكلور" (the chlorine) is "كلور"
    bare = word[2:] if word.startswith("ال") and len(word) > MIN_WORD else word
    if word in words or bare in words:
        return True
    # the first part of a compound: "brand" in "brandweer", "fire" in "firefighters"
    if len(bare) >= PREFIX_WORD and any(w.startswith(bare) for w in words):
        return True
    return process.extractOne(bare, words, scorer=fuzz.ratio, score_cutoff=SAME_WORD) is not None


def fit_scores(
    entries: Sequence[Entry], question: str, language: str, generic: frozenset[str] = frozenset()
) -> list[float]:
    """One score per entry: the sum, over the question's words it holds, of how rare each is."""
    asked = {w for w in tokens(question) if len(w) >= MIN_WORD and w not in generic}
    if not asked or len(entries) < 2:
        return [0.0] * len(entries)
    words = [_words(e, language) for e in entries]
    # a word of an entry's name or keywords counts twice
    held = [
        {w: 2.0 if _holds(kw, w) else 1.0 for w in asked if _holds(kw, w) or _holds(tw, w)}
        for tw, kw in words
    ]
    n = len(entries)
    weight = {w: math.log((n + 1) / (0.5 + sum(w in h for h in held))) for w in asked}
    return [sum(weight[w] * times for w, times in h.items() if weight[w] > 0) for h in held]


def order_by_fit(
    entries: Sequence[Entry],
    question: str | None,
    language: str,
    generic: frozenset[str] = frozenset(),
) -> list[int]:
    """The positions of `entries`, best fit first; a stable sort keeps the layer order on ties."""
    if not question:
        return list(range(len(entries)))
    scores = fit_scores(entries, question, language, generic)
    return sorted(range(len(entries)), key=lambda i: -scores[i])
