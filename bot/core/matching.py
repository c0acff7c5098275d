"""The fuzzy intent matcher: rarity-weighted fuzzy coverage over the knowledge's phrasings.

The index is built once per knowledge version (never patched). A message's words are matched
to the index vocabulary exactly, by prefix (inflections, compounds) or fuzzily with rapidfuzz
(typos); each label (a topic or an intent) is then scored by how well one of its phrasings is
covered by the message and how much of the message its vocabulary explains. Rare words weigh
more than words every topic uses, whatever language they come from, so "CPAS" in an Arabic
message still points to social assistance.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz, process

from bot.core.knowledge import INTENT_IDS, Knowledge
from bot.core.knowledge.texts import labelled_texts
from bot.core.normalize import tokens

MAX_TOKENS: Final = 40
_CACHE_SIZE: Final = 50_000


@dataclass(frozen=True, slots=True)
class MatchParams:
    """Weights of the lexical score; calibrated on the tuning split of the evaluation set."""

    doc_weight: float = 0.5  # share of phrasing coverage vs message coverage in a doc's score
    best_doc_share: float = 0.6  # share of the best doc vs the label's whole vocabulary
    unknown_word_weight: float = 1.0  # weight of a message word the index has never seen
    other_language: float = 0.9  # factor for a phrasing in another language than the message


@dataclass(frozen=True, slots=True)
class Doc:
    label: str
    lang: str | None
    scope: str | None  # None: every city; else a city slug
    tokens: tuple[str, ...]
    weight: float  # sum of idf over the distinct tokens


def _fuzzy_cutoff(length: int) -> float:
    if length <= 4:
        return 88.0
    if length <= 6:
        return 80.0
    return 76.0


class MatchIndex:
    """Everything the matcher needs, precomputed for one knowledge version."""

    def __init__(self, knowledge: Knowledge, params: MatchParams | None = None) -> None:
        self.params = params or MatchParams()
        self.labels: tuple[str, ...] = (*knowledge.topics, *INTENT_IDS)
        raw: list[tuple[str, str | None, str | None, tuple[str, ...]]] = []

        country_cities: dict[str, list[str]] = defaultdict(list)
        for slug, city in knowledge.cities.items():
            country_cities[city.country].append(slug)
        for item in labelled_texts(knowledge):
            toks = tuple(dict.fromkeys(tokens(item.text)))
            if not toks:
                continue
            # A country's entry names count in each of its cities.
            scopes = country_cities[item.country] if item.country else [item.city]
            raw.extend((item.label, item.lang, scope, toks) for scope in scopes)

        labels_with: dict[str, set[str]] = defaultdict(set)
        for label, _lang, scope, toks in raw:
            if scope is None:
                for tok in toks:
                    labels_with[tok].add(label)
        n = len(self.labels)
        self.idf: dict[str, float] = {}
        for _label, _lang, _scope, toks in raw:
            for tok in toks:
                if tok not in self.idf:
                    df = max(1, len(labels_with.get(tok, ())))
                    self.idf[tok] = math.log(1 + n / df)

        word_langs: dict[str, set[str]] = defaultdict(set)
        for _label, lang, _scope, toks in raw:
            if lang is not None:
                for tok in toks:
                    word_langs[tok].add(lang)
        self.word_langs: dict[str, frozenset[str]] = {
            tok: frozenset(langs) for tok, langs in word_langs.items()
        }

        self.docs: list[Doc] = []
        self.postings: dict[str, dict[str | None, list[int]]] = defaultdict(dict)
        for label, doc_lang, scope, toks in raw:
            doc_id = len(self.docs)
            self.docs.append(Doc(label, doc_lang, scope, toks, sum(self.idf[t] for t in toks)))
            for tok in toks:
                self.postings[tok].setdefault(scope, []).append(doc_id)

        self.vocab: list[str] = sorted(self.idf)
        self._buckets: dict[str, list[str]] = defaultdict(list)
        for tok in self.vocab:
            if len(tok) >= 3:
                self._buckets[tok[0]].append(tok)
        self._cache: dict[str, tuple[tuple[str, float], ...]] = {}

    # -- words ----------------------------------------------------------------------------

    def word_matches(self, word: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary words that `word` may stand for, with a similarity in (0, 1]."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if word in self.idf:
            found[word] = 1.0
        if len(word) >= 4:
            bucket = self._buckets.get(word[0], [])
            for cand, score, _ in process.extract(
                word, bucket, scorer=fuzz.ratio, score_cutoff=_fuzzy_cutoff(len(word)), limit=6
            ):
                found[cand] = max(found.get(cand, 0.0), score / 100)
        if len(word) >= 5:
            # Inflections and compounds: "inburgeringscursus" ~ "inburgering".
            lo = bisect.bisect_left(self.vocab, word)
            for cand in self.vocab[lo : lo + 6]:
                if not cand.startswith(word):
                    break
                found[cand] = max(found.get(cand, 0.0), 0.9)
            for cut in range(len(word) - 1, 4, -1):
                if cut < 0.6 * len(word):
                    break
                prefix = word[:cut]
                if prefix in self.idf:
                    found[prefix] = max(found.get(prefix, 0.0), 0.85)
                    break
        if word.startswith("ال") and len(word) > 4 and word[2:] in self.idf:
            found[word[2:]] = max(found.get(word[2:], 0.0), 0.95)
        result = tuple(found.items())
        if len(self._cache) < _CACHE_SIZE:
            self._cache[word] = result
        return result

    def languages_of(self, text: str) -> list[str]:
        """The languages whose phrasings and keywords hold the most of the message's words.

        For a message too short for the language detector ("doctor?", "thank you"): all the
        languages that tie, empty when no word is known or most words are in none.
        """
        words = list(dict.fromkeys(tokens(text)))[:MAX_TOKENS]
        counts: dict[str, int] = defaultdict(int)
        for word in words:
            for lang in self.word_langs.get(word, ()):
                counts[lang] += 1
        if not counts:
            return []
        top = max(counts.values())
        if 2 * top < len(words):
            return []
        return sorted(lang for lang, n in counts.items() if n == top)

    # -- messages -------------------------------------------------------------------------

    def score(self, text: str, city: str, language: str | None) -> list[tuple[str, float]]:
        """Every label with some evidence, best first, with a score in [0, 1]."""
        words = list(dict.fromkeys(tokens(text)))[:MAX_TOKENS]
        if not words:
            return []
        p = self.params
        weights: list[float] = []
        doc_tok: dict[int, dict[str, float]] = defaultdict(dict)
        doc_msg: dict[int, dict[int, float]] = defaultdict(dict)
        for i, word in enumerate(words):
            matches = self.word_matches(word)
            if not matches:
                weights.append(p.unknown_word_weight)
                continue
            weights.append(max(self.idf[v] * s for v, s in matches))
            for v, sim in matches:
                scopes = self.postings[v]
                for scope in (None, city):
                    for d in scopes.get(scope, ()):
                        doc = self.docs[d]
                        s = sim
                        if doc.lang is not None and language is not None and doc.lang != language:
                            s *= p.other_language
                        if s > doc_tok[d].get(v, 0.0):
                            doc_tok[d][v] = s
                        if s > doc_msg[d].get(i, 0.0):
                            doc_msg[d][i] = s
        total = sum(weights)
        best: dict[str, float] = {}
        label_msg: dict[str, dict[int, float]] = defaultdict(dict)
        for d, covered in doc_tok.items():
            doc = self.docs[d]
            doc_cov = sum(self.idf[v] * s for v, s in covered.items()) / doc.weight
            per_word = doc_msg[d]
            msg_cov = sum(weights[i] * s for i, s in per_word.items()) / total
            sd = doc_cov**p.doc_weight * msg_cov ** (1 - p.doc_weight)
            if sd > best.get(doc.label, 0.0):
                best[doc.label] = sd
            lm = label_msg[doc.label]
            for i, s in per_word.items():
                if s > lm.get(i, 0.0):
                    lm[i] = s
        scores = []
        for label, b in best.items():
            cov = sum(weights[i] * s for i, s in label_msg[label].items()) / total
            scores.append((label, p.best_doc_share * b + (1 - p.best_doc_share) * cov))
        scores.sort(key=lambda item: (-item[1], item[0]))
        return scores
