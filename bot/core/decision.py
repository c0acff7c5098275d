"""The assistant's decision: answer, ask to choose, or hand to a person. Plain data in and out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.knowledge import TOPIC_IDS
from bot.core.languages import Detection


class Action(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    UNKNOWN = "unknown"
    GREETING = "greeting"
    THANKS = "thanks"
    ESCALATE = "escalate"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Calibrated on the tuning half of the evaluation set (`python bench/calibrate.py`).

    The defaults are the lexical-only mode's; `HYBRID_THRESHOLDS` apply to the combined score.
    """

    answer: float = 0.60  # lowest score that may be answered
    margin: float = 0.04  # lead over the second topic needed to answer
    clarify: float = 0.25  # lowest score worth offering as a choice
    band: float = 0.15  # offer the topics within this distance of the best
    emergency: float = 0.40  # an emergency this likely is answered at once
    intent: float = 0.35  # greeting, thanks or a request for a person


#: Thresholds on the combined fuzzy + semantic score (the hybrid path).
HYBRID_THRESHOLDS = Thresholds(
    answer=0.60, margin=0.04, clarify=0.25, band=0.15, emergency=0.55, intent=0.35
)


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    topic: str | None
    candidates: tuple[str, ...]
    confidence: float
    language: str
    detection: Detection
    path: str = "lexical"  # which stage decided: fuzzy, hybrid or lexical (see ranking.Path)


def decide(
    scores: list[tuple[str, float]], th: Thresholds
) -> tuple[Action, str | None, tuple[str, ...], float]:
    """Turn ranked label scores into an action, a topic and the choices to offer."""
    topics = [(label, s) for label, s in scores if label in TOPIC_IDS]
    intents = {label: s for label, s in scores if label not in TOPIC_IDS}
    s1 = topics[0][1] if topics else 0.0
    s2 = topics[1][1] if len(topics) > 1 else 0.0
    by_topic = dict(topics)

    emergency = by_topic.get("emergency", 0.0)
    if emergency >= th.emergency and emergency >= s1 - th.margin:
        return Action.ANSWER, "emergency", ("emergency",), emergency
    human = intents.get("human", 0.0)
    if human >= th.intent and human >= s1:
        return Action.ESCALATE, None, (), human
    if topics and s1 >= th.answer and s1 - s2 >= th.margin:
        return Action.ANSWER, topics[0][0], (topics[0][0],), s1
    social = max(("greeting", "thanks"), key=lambda k: intents.get(k, 0.0))
    if intents.get(social, 0.0) >= th.intent and intents[social] >= s1:
        action = Action.GREETING if social == "greeting" else Action.THANKS
        return action, None, (), intents[social]
    if topics and s1 >= th.clarify:
        near = [label for label, s in topics[:3] if s >= s1 - th.band]
        if len(near) < 2 and len(topics) > 1 and topics[1][1] >= th.clarify:
            near.append(topics[1][0])
        return Action.CLARIFY, None, tuple(near), s1
    return Action.UNKNOWN, None, (), s1
