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

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.core.knowledge.model import Entry, Knowledge
from bot.core.normalize import tokens

#: Words shorter than this carry too little to tell entries apart ("de", "a", "in").
MIN_WORD = 4
#: How close (0-100) two words must be to count as the same word: "néerlandais" and
#: "neerlandais", "doctor" and "doctors", not "course" and "source".
SAME_WORD = 86
#: A word in this share of the ways of asking for a person ("someone", "talk", "persona") says
#: that a person is wanted, not which service: a message can ask for both.
PERSON_WORD_SHARE = 0.1
#: How fast repeated uses of a word stop adding to an entry's score (BM25's k1).
SATURATION = 1.2
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


def generic_words(knowledge: Knowledge, language: str) -> dict[str, frozenset[str]]:
    """Per topic, the words that tell nothing about which of its entries fits: the topic's own
    words, the words of asking for a person ("someone", "talk"), and the words people use to
    ask about anything ("need", "where"), in `language`."""
    shares: dict[str, dict[str, float]] = {}
    labelled = [(t.id, t.phrasings, t.keywords) for t in knowledge.topics.values()]
    labelled += [(name, i.phrasings, i.keywords) for name, i in knowledge.intents.items()]
    for label, phrasings, keywords in labelled:
        items = [*phrasings.get(language, ()), *keywords.get(language, ())]
        if items:
            shares[label] = _shares(items)
    seen_in: dict[str, int] = {}
    for per_label in shares.values():
        for w in per_label:
            seen_in[w] = seen_in.get(w, 0) + 1
    everywhere = {w for w, n in seen_in.items() if n >= COMMON_IN_TOPICS}

    def own(label: str, share: float = TOPIC_WORD_SHARE) -> set[str]:
        return {w for w, s in shares.get(label, {}).items() if s >= share}

    person = own("human", PERSON_WORD_SHARE)
    return {t: frozenset(everywhere | person | own(t)) for t in knowledge.topics}


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """Words to look a question word up in, with how often the texts use them: exactly, as
    the first part of a compound (sorted, for a prefix search), or fuzzily."""

    counts: dict[str, int]
    ordered: tuple[str, ...]

    @classmethod
    def of(cls, texts: Iterable[str]) -> _Vocabulary:
        counts: dict[str, int] = {}
        for text in texts:
            for w in tokens(text):
                if len(w) >= MIN_WORD:
                    counts[w] = counts.get(w, 0) + 1
        return cls(counts, tuple(sorted(counts)))

    def uses(self, word: str) -> int:
        """How many times the texts use `word` (or a compound that begins with it, or a word
        close to it); 0 when they do not."""
        # the Arabic article: "الكلور" (the chlorine) is "كلور"
        bare = word[2:] if word.startswith("ال") and len(word) > MIN_WORD else word
        found = self.counts.get(word, 0) + (self.counts.get(bare, 0) if bare != word else 0)
        # the first part of a compound: "brand" in "brandweer", "fire" in "firefighters"
        if len(bare) >= PREFIX_WORD:
            at = bisect.bisect_left(self.ordered, bare)
            while at < len(self.ordered) and self.ordered[at].startswith(bare):
                if self.ordered[at] not in (word, bare):
                    found += self.counts[self.ordered[at]]
                at += 1
        if found:
            return found
        close = process.extractOne(bare, self.ordered, scorer=fuzz.ratio, score_cutoff=SAME_WORD)
        return self.counts[close[0]] if close else 0


#: (id of the entry, language) -> (the entry, its description's and its name's vocabularies).
#: The entry is kept so that its id is not reused; a new knowledge version brings new entries.
_CACHE: dict[tuple[int, str], tuple[Entry, _Vocabulary, _Vocabulary]] = {}
_CACHE_SIZE = 8192


def _words(entry: Entry, language: str) -> tuple[_Vocabulary, _Vocabulary]:
    """The words of the entry's description, and those of its name and keywords, which say
    what it is for in a few words and so count more."""
    key = (id(entry), language)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is entry:
        return cached[1], cached[2]

    def texts(field: Literal["name", "description"]) -> list[str]:
        found = list(entry.originals(field).values())
        translated = entry.text(field, language)
        if translated is not None:
            found.append(translated.text)
        return found

    keywords = [k for items in (entry.keywords or {}).values() for k in items]
    description, name = (
        _Vocabulary.of(texts("description")),
        _Vocabulary.of([*texts("name"), *keywords]),
    )
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = (entry, description, name)
    return description, name


def fit_scores(
    entries: Sequence[Entry], question: str, language: str, generic: frozenset[str] = frozenset()
) -> list[float]:
    """One score per entry: over the question's words it uses, the sum of how rare each is
    among the entries times how often the entry uses it (saturating)."""
    asked = {w for w in tokens(question) if len(w) >= MIN_WORD and w not in generic}
    if not asked or len(entries) < 2:
        return [0.0] * len(entries)
    held: list[dict[str, float]] = []
    for entry in entries:
        description, name = _words(entry, language)
        found: dict[str, float] = {}
        for w in asked:
            # a use in the entry's name or keywords counts twice
            uses = 2 * name.uses(w) + description.uses(w)
            if uses:
                found[w] = uses
        held.append(found)
    n = len(entries)
    weight = {w: math.log((n + 1) / (0.5 + sum(w in h for h in held))) for w in asked}
    # how often an entry uses a word counts too, with diminishing returns (as in BM25): an
    # entry about Dutch courses says "Dutch" more often than one that mentions them once
    return [
        sum(weight[w] * uses * (SATURATION + 1) / (uses + SATURATION) for w, uses in h.items())
        for h in held
    ]


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
