"""The assistant's choices carry typed values: no layer parses a string back."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.assistant import NO_DETECTION, Assistant, ChoiceKind
from bot.core.decision import Action, Decision
from bot.core.geo import Point
from bot.core.render import PlainFormatter

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def chosen(topic: str) -> Decision:
    return Decision(Action.ANSWER, topic, (topic,), 1.0, "en", NO_DETECTION)


def test_a_long_answer_offers_the_next_page_by_topic_and_offset(assistant: Assistant) -> None:
    reply = assistant.reply_to(chosen("health-care"), "brussels", NOW, PlainFormatter())
    (more,) = reply.choices
    assert more.kind is ChoiceKind.MORE
    assert (more.topic, more.offset) == ("health-care", assistant.page_size)


def test_the_next_page_goes_on_from_its_offset(assistant: Assistant) -> None:
    fmt = PlainFormatter()
    reply = assistant.topic_reply(chosen("health-care"), "brussels", "health-care", NOW, fmt, 3)
    (more,) = reply.choices
    assert (more.topic, more.offset) == ("health-care", 6)


def test_services_near_a_point_offer_every_topic_near_the_same_point(
    assistant: Assistant,
) -> None:
    here = Point(50.8690, 4.3790)
    reply = assistant.nearby_reply("en", "brussels", here, "health-care", NOW, PlainFormatter())
    nearby, topic = reply.choices
    assert (nearby.kind, nearby.near, nearby.topic) == (ChoiceKind.NEARBY, here, None)
    assert (topic.kind, topic.topic) == (ChoiceKind.TOPIC, "health-care")


def test_menu_and_clarify_choices_name_their_topic(assistant: Assistant) -> None:
    menu = assistant.menu("fr")
    assert [c.topic for c in menu][:2] == ["emergency", "language-courses"]
    decision = Decision(Action.CLARIFY, None, ("housing", "shelter"), 0.5, "en", NO_DETECTION)
    reply = assistant.reply_to(decision, "brussels", NOW, PlainFormatter())
    assert [(c.kind, c.topic) for c in reply.choices] == [
        (ChoiceKind.TOPIC, "housing"),
        (ChoiceKind.TOPIC, "shelter"),
        (ChoiceKind.HUMAN, None),
    ]
