"""Measure the assistant on a labelled evaluation set (`bench/eval/*.yaml`).

Used by the benchmark report, the threshold calibration and the accuracy-floor tests, so all
three count the same way:

- correct: an in-scope message handled exactly right (the right topic answered; a greeting,
  thanks or request for a person recognised as such);
- wrong: an in-scope message answered with another topic;
- one tap: the right topic answered, or offered among the choices;
- language: the reply is in the language the message was written in (as a new user with no
  client language would get it);
- out-of-scope answered: a message about nothing we cover, answered with a topic;
- out-of-scope clarified: such a message offered topics to choose from ("did you mean").

A message about nothing we cover is handled right when it gets the out-of-scope reply or the
"not understood" one (both show the menu and a person), never topics, a greeting or thanks.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

from bot.core.assistant import Asked, Assistant
from bot.core.decision import Action, Decision

EVAL_DIR = Path(__file__).resolve().parents[1] / "bench" / "eval"
_INTENT_ACTIONS = {
    "greeting": Action.GREETING,
    "thanks": Action.THANKS,
    "human": Action.ESCALATE,
    "help": Action.HELP,
}
_NOT_UNDERSTOOD = frozenset({Action.OUT_OF_SCOPE, Action.UNKNOWN})
#: The network's entry for 112, which every emergency answer names in its first line.
EMERGENCY_NUMBER = "eu-112"


@dataclass(frozen=True, slots=True)
class Sample:
    id: str
    text: str
    lang: str
    city: str
    expect: str  # a topic id, greeting, thanks, human, help (alone, or distress emoji), or none

    @property
    def split(self) -> str:
        """A stable half of the set for tuning; the other half is held out."""
        digest = hashlib.sha256(self.id.encode()).digest()
        return "tune" if digest[0] % 2 == 0 else "held-out"


def load_samples(directory: Path = EVAL_DIR) -> list[Sample]:
    yaml = YAML(typ="safe")
    samples: list[Sample] = []
    for path in sorted(directory.glob("*.yaml")):
        for item in yaml.load(path.read_text(encoding="utf-8")):
            samples.append(
                Sample(
                    str(item["id"]), str(item["text"]), item["lang"], item["city"], item["expect"]
                )
            )
    return samples


@dataclass
class Tally:
    n: int = 0
    in_scope: int = 0
    topical: int = 0
    correct: int = 0
    wrong: int = 0
    one_tap: int = 0
    clarified: int = 0
    out_of_scope: int = 0
    out_of_scope_answered: int = 0
    out_of_scope_clarified: int = 0
    human: int = 0
    human_recognised: int = 0
    lang_n: int = 0
    lang_ok: int = 0
    lang3_n: int = 0
    lang3_ok: int = 0
    fuzzy_only: int = 0  # decided by the fuzzy stage without computing an embedding

    def pct(self, part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 0.0

    @property
    def correct_pct(self) -> float:
        return self.pct(self.correct, self.in_scope)

    @property
    def wrong_pct(self) -> float:
        return self.pct(self.wrong, self.in_scope)

    @property
    def one_tap_pct(self) -> float:
        return self.pct(self.one_tap, self.topical)

    @property
    def oos_answered_pct(self) -> float:
        return self.pct(self.out_of_scope_answered, self.out_of_scope)

    @property
    def oos_clarified_pct(self) -> float:
        return self.pct(self.out_of_scope_clarified, self.out_of_scope)

    @property
    def oos_offered_pct(self) -> float:
        """Out of scope answered or clarified: chatter that was offered topics either way."""
        offered = self.out_of_scope_answered + self.out_of_scope_clarified
        return self.pct(offered, self.out_of_scope)

    @property
    def human_pct(self) -> float:
        return self.pct(self.human_recognised, self.human)

    @property
    def fuzzy_only_pct(self) -> float:
        return self.pct(self.fuzzy_only, self.n)

    @property
    def language_pct(self) -> float:
        return self.pct(self.lang_ok, self.lang_n)

    @property
    def language3_pct(self) -> float:
        return self.pct(self.lang3_ok, self.lang3_n)


@dataclass
class Outcome:
    sample: Sample
    decision: Decision


@dataclass
class Report:
    overall: Tally = field(default_factory=Tally)
    by_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    outcomes: list[Outcome] = field(default_factory=list)

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not judge(o.sample, o.decision)[0]]


def judge(sample: Sample, d: Decision) -> tuple[bool, bool, bool]:
    """(correct, wrong answer, right topic within one tap)."""
    if sample.expect == "none":
        ok = d.action in _NOT_UNDERSTOOD
        return ok, False, ok
    if sample.expect in _INTENT_ACTIONS:
        ok = d.action is _INTENT_ACTIONS[sample.expect]
        return ok, d.action is Action.ANSWER, ok
    answered = d.action is Action.ANSWER
    correct = answered and d.topic == sample.expect
    wrong = answered and d.topic != sample.expect
    one_tap = correct or (d.action is Action.CLARIFY and sample.expect in d.candidates)
    return correct, wrong, one_tap


def count(t: Tally, s: Sample, d: Decision) -> None:
    correct, wrong, one_tap = judge(s, d)
    t.n += 1
    t.fuzzy_only += d.path == "fuzzy"
    detected = d.language  # the language of the reply, as the user sees it
    t.lang_n += 1
    t.lang_ok += detected == s.lang
    if len(s.text.split()) >= 3:
        t.lang3_n += 1
        t.lang3_ok += detected == s.lang
    if s.expect == "none":
        t.out_of_scope += 1
        t.out_of_scope_answered += d.action is Action.ANSWER
        t.out_of_scope_clarified += d.action is Action.CLARIFY
        return
    t.in_scope += 1
    t.correct += correct
    t.wrong += wrong
    if s.expect == "human":
        t.human += 1
        t.human_recognised += correct
    if s.expect not in _INTENT_ACTIONS:
        t.topical += 1
        t.one_tap += one_tap
        t.clarified += d.action is Action.CLARIFY and one_tap and not correct


def evaluate(assistant: Assistant, samples: Iterable[Sample]) -> Report:
    report = Report()
    for s in samples:
        d = assistant.understand(Asked(text=s.text, city=s.city))
        report.outcomes.append(Outcome(s, d))
        count(report.overall, s, d)
        count(report.by_language[s.lang], s, d)
    return report


def split(samples: Sequence[Sample], part: str) -> list[Sample]:
    return [s for s in samples if s.split == part]


@dataclass
class Quality:
    """How often the entry that answers a labelled question is among the first two shown."""

    n: int = 0
    hits: int = 0  # among the first two once the right topic is shown
    direct: int = 0  # ... and the topic was answered straight from the question
    misses: list[str] = field(default_factory=list)

    @property
    def pct(self) -> float:
        return 100 * self.hits / self.n if self.n else 0.0

    @property
    def direct_pct(self) -> float:
        return 100 * self.direct / self.n if self.n else 0.0

    def __add__(self, other: Quality) -> Quality:
        """The figures of two disjoint sets of questions (the two halves) together."""
        return Quality(
            self.n + other.n,
            self.hits + other.hits,
            self.direct + other.direct,
            self.misses + other.misses,
        )


def load_quality(path: Path) -> dict[str, tuple[str, ...]]:
    """Question id -> the entries of which one must be among the first two shown."""
    items = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return {str(i["id"]): tuple(i["first_two"]) for i in items}


def answer_quality(
    assistant: Assistant, samples: Iterable[Sample], labels: dict[str, tuple[str, ...]]
) -> Quality:
    """Order the expected topic's entries for each labelled question as its answer does (in
    the language the reply is in) and look at the first two. An emergency answer's first line
    says "Call 112" above its entries, so 112 counts as shown first there."""
    q = Quality()
    for s in samples:
        if s.id not in labels:
            continue
        d = assistant.understand(Asked(text=s.text, city=s.city))
        entries = assistant.knowledge.entries_for(s.city, s.expect)
        shown = [entries[i].id for i in assistant.fitted(s.city, s.expect, s.text, d.language)]
        if s.expect == "emergency":
            # An emergency answer opens with "In danger right now? Call 112", above its entries.
            shown = [EMERGENCY_NUMBER, *shown]
        hit = any(e in shown[:2] for e in labels[s.id])
        q.n += 1
        q.hits += hit
        q.direct += hit and d.action is Action.ANSWER and d.topic == s.expect
        if not hit:
            q.misses.append(f"{s.id} ({s.city}, {s.lang}) {s.text!r}: shown {shown[:2]}")
    return q
