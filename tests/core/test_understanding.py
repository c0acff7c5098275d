"""Every example of issue 11's "Why": chatter, requests for a person, short and social messages."""

from __future__ import annotations

import pytest

from bot.core.assistant import Asked, Assistant, ChoiceKind
from bot.core.decision import Action
from bot.core.knowledge import TOPIC_IDS
from bot.core.render import PlainFormatter

CITIES = ["brussels", "capaci", "fuenlabrada", "jelgava", "livadia", "mechelen"]


def understand(assistant: Assistant, text: str, city: str = "brussels") -> Action:
    return assistant.understand(Asked(text=text, city=city)).action


@pytest.mark.parametrize(
    "text",
    [
        "what's the weather tomorrow",
        "who won the football last night",
        "what was the score of the match yesterday",
        "donne moi une recette de crêpes",
    ],
)
def test_chatter_gets_the_menu_and_a_person_not_three_topics(
    assistant: Assistant, text: str
) -> None:
    reply = assistant.reply(Asked(text=text, city="brussels"), PlainFormatter())
    assert reply.decision.action in (Action.OUT_OF_SCOPE, Action.UNKNOWN)
    topics = [c.topic for c in reply.choices if c.kind is ChoiceKind.TOPIC]
    assert topics == list(TOPIC_IDS)  # the whole menu, never a "did you mean"
    assert reply.choices[-1].kind is ChoiceKind.HUMAN


def test_a_recipe_request_is_not_taken_as_a_greeting(assistant: Assistant) -> None:
    assert understand(assistant, "bonjour, tu as une recette de crêpes ?") is not Action.GREETING


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("Buongiorno, vorrei gentilmente parlare con una persona reale", "capaci"),
        ("З'єднайте мене, будь ласка, з оператором", "livadia"),
        ("Vai es varu runāt ar konsultantu?", "jelgava"),
        ("Someone from the staff I can call?", "brussels"),
        ("I would like to talk to a social worker", "mechelen"),
        ("I want a human to talk to", "brussels"),
    ],
)
def test_a_request_for_a_person_is_escalated(assistant: Assistant, text: str, city: str) -> None:
    assert understand(assistant, text, city) is Action.ESCALATE


def test_danger_now_puts_the_emergency_numbers_first_and_a_person_beside_them(
    assistant: Assistant,
) -> None:
    asked = Asked(text="my husband is hitting me right now, I need a person", city="brussels")
    reply = assistant.reply(asked, PlainFormatter())
    assert (reply.decision.action, reply.decision.topic) == (Action.ANSWER, "emergency")
    assert "112" in reply.text
    assert ChoiceKind.HUMAN in [c.kind for c in reply.choices]


@pytest.mark.parametrize("city", CITIES)
def test_thank_you_is_thanks_in_every_city(assistant: Assistant, city: str) -> None:
    reply = assistant.reply(Asked(text="thank you", city=city), PlainFormatter())
    assert reply.decision.action is Action.THANKS
    assert "tap the button below" not in reply.text


@pytest.mark.parametrize("text", ["😭😭🙏", "help"])
def test_distress_and_help_alone_get_112_the_menu_and_a_person(
    assistant: Assistant, text: str
) -> None:
    reply = assistant.reply(Asked(text=text, city="brussels"), PlainFormatter())
    assert reply.decision.action is Action.HELP
    assert "112" in reply.text
    assert "welcome" not in reply.text
    kinds = [c.kind for c in reply.choices]
    assert kinds.count(ChoiceKind.TOPIC) == len(TOPIC_IDS) and kinds[-1] is ChoiceKind.HUMAN


@pytest.mark.parametrize(
    "text", ["привет", "hello", "bonjour", "سلام", "مرحبا", "γεια", "merhaba", "sveiki"]
)
def test_greetings_in_every_script(assistant: Assistant, text: str) -> None:
    assert understand(assistant, text) is Action.GREETING


@pytest.mark.parametrize("text", ["дякую", "спасибо", "شكرا", "مرسی", "ευχαριστώ", "merci"])
def test_thanks_in_every_script(assistant: Assistant, text: str) -> None:
    assert understand(assistant, text) is Action.THANKS


@pytest.mark.parametrize(
    ("text", "languages"),
    [
        ("doctor?", {"en"}),
        ("my husband hits me", {"en"}),
        ("thank you", {"en"}),
        ("Привет", {"ru"}),
        ("Привіт", {"uk"}),
        ("سلام", {"ar", "fa"}),  # both say it
        ("Γεια σας", {"el"}),
    ],
)
def test_short_messages_are_answered_in_their_own_language_in_brussels(
    assistant: Assistant, text: str, languages: set[str]
) -> None:
    assert assistant.understand(Asked(text=text, city="brussels")).language in languages
