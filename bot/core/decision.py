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
    OUT_OF_SCOPE = "out-of-scope"  # chatter: the menu and a person, never unrelated topics
    HELP = "help"  # "help" alone or distress emoji: the emergency number, the menu and a person


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Calibrated on the tuning half of the evaluation set (`python bench/calibrate.py`).

    The defaults are the lexical-only mode's; `HYBRID_THRESHOLDS` apply to the combined score.
    """

    answer: float = 0.60  # lowest score that may be answered
    margin: float = 0.04  # lead over the second topic needed to answer
    clarify: float = 0.25  # lowest score of any topic offered as a choice
    band: float = 0.15  # offer the topics within this distance of the best
    emergency: float = 0.40  # an emergency this likely is answered at once
    intent: float = 0.35  # greeting, thanks or a request for a person
    person_margin: float = 0.04  # a request for a person this close to the best topic wins
    chatter: float = 0.35  # everyday chatter this likely, and ahead of every topic, is out of scope
    chatter_lead: float = 0.025  # least semantic lead of the best topic over chatter to clarify
    chatter_answer: float = 0.0  # ...and to answer


#: Thresholds on the combined fuzzy + semantic score (the hybrid path).
HYBRID_THRESHOLDS = Thresholds(
    answer=0.60,
    margin=0.04,
    clarify=0.25,
    band=0.15,
    emergency=0.55,
    intent=0.35,
    person_margin=0.08,
    chatter=0.35,
    chatter_lead=0.025,
    chatter_answer=0.02,
)


_SOCIAL = {"greeting": Action.GREETING, "thanks": Action.THANKS}


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    topic: str | None
    candidates: tuple[str, ...]
    confidence: float
    language: str
    detection: Detection
    path: str = "lexical"  # which stage decided: fuzzy, hybrid, lexical or alone (ranking.Stage)


def decide(
    scores: list[tuple[str, float]],
    th: Thresholds,
    *,
    urgent: bool = False,
    chatter_lead: float | None = None,
) -> tuple[Action, str | None, tuple[str, ...], float]:
    """Turn ranked label scores into an action, a topic and the choices to offer.

    `urgent`: the message says it is happening now; violence or danger told so is an emergency.
    `chatter_lead`: how much closer the message is, semantically, to the best topic than to
    everyday chatter (see `ranking.chatter_lead`); below `th.chatter_lead` no topic is offered.
    """
    topics = [(label, s) for label, s in scores if label in TOPIC_IDS]
    intents = {label: s for label, s in scores if label not in TOPIC_IDS}
    s1 = topics[0][1] if topics else 0.0
    s2 = topics[1][1] if len(topics) > 1 else 0.0
    by_topic = dict(topics)
    human, chatter = intents.get("human", 0.0), intents.get("chatter", 0.0)
    social = max(("greeting", "thanks"), key=lambda k: intents.get(k, 0.0))
    social_score = intents.get(social, 0.0)

    # As close to everyday chatter as to anything we know: nothing to answer or offer.
    lead = 1.0 if chatter_lead is None else chatter_lead
    emergency = by_topic.get("emergency", 0.0)
    danger = max(emergency, by_topic.get("violence-support", 0.0)) if urgent else emergency
    if urgent and danger >= th.clarify and danger >= s1 - th.margin:
        return Action.ANSWER, "emergency", ("emergency",), danger
    # A request for a person outranks topic words ("someone from the staff I can call"),
    # unless the message tells of danger more strongly than it asks for a person.
    if (
        human >= th.intent
        and human >= s1 - th.person_margin
        and human >= max(emergency, chatter, social_score)
        and lead >= th.chatter_answer
    ):
        return Action.ESCALATE, None, (), human
    if (
        emergency >= th.emergency
        and emergency >= s1 - th.margin
        and emergency >= chatter - th.margin
    ):
        return Action.ANSWER, "emergency", ("emergency",), emergency
    if chatter >= th.chatter and chatter >= max(s1, social_score):
        return Action.OUT_OF_SCOPE, None, (), chatter
    if lead < th.chatter_answer:
        return Action.OUT_OF_SCOPE, None, (), s1
    is_social = social_score >= th.intent and lead >= th.chatter_lead
    # A greeting or thanks clearly ahead of every topic ("سلام" is not "سلامت روان").
    if is_social and social_score >= s1 + th.margin:
        return _SOCIAL[social], None, (), social_score
    if topics and s1 >= th.answer and s1 - s2 >= th.margin:
        return Action.ANSWER, topics[0][0], (topics[0][0],), s1
    if is_social and social_score >= s1:
        return _SOCIAL[social], None, (), social_score
    if lead < th.chatter_lead:
        # An emergency told as a story can sit close to chatter: its number is still shown.
        shown = ("emergency",) if emergency >= max(th.clarify, s1 - th.band) else ()
        return Action.OUT_OF_SCOPE, None, shown, s1
    if topics and s1 >= th.clarify:
        # Every topic offered needs real support of its own, not just nearness to the best.
        near = [label for label, s in topics[:3] if s >= max(s1 - th.band, th.clarify)]
        if len(near) < 2 and len(topics) > 1 and topics[1][1] >= th.clarify:
            near.append(topics[1][0])
        return Action.CLARIFY, None, tuple(near), s1
    if chatter >= th.chatter:
        return Action.OUT_OF_SCOPE, None, (), chatter
    return Action.UNKNOWN, None, (), s1
