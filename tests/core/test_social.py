"""Messages read without the matcher: emoji alone, "help" alone, and "now"."""

from __future__ import annotations

import pytest

from bot.core.decision import Action
from bot.core.social import is_urgent, read_alone


@pytest.mark.parametrize(
    ("text", "words", "action"),
    [
        ("😭😭🙏", 0, Action.HELP),  # distress outweighs the thanks emoji beside it
        ("🆘", 0, Action.HELP),
        ("🙏", 0, Action.THANKS),
        ("👋", 0, Action.GREETING),
        ("help", 1, Action.HELP),
        ("Help!!", 1, Action.HELP),
        ("Au secours", 2, Action.HELP),
        ("помогите", 1, Action.HELP),
        ("ساعدوني", 1, Action.HELP),
        ("imdat", 1, Action.HELP),
    ],
)
def test_a_message_without_a_question_is_read_alone(text: str, words: int, action: Action) -> None:
    assert read_alone(text, words) is action


@pytest.mark.parametrize("text", ["help with my rent", "I need help finding a doctor", "hello"])
def test_anything_with_more_words_goes_to_the_matcher(text: str) -> None:
    assert read_alone(text, len(text.split())) is None


@pytest.mark.parametrize(
    "text",
    ["he is hitting me right now", "il me frappe maintenant", "kocam şu an beni dövüyor"],
)
def test_now_is_urgent(text: str) -> None:
    assert is_urgent(text)


@pytest.mark.parametrize("text", ["a che ora apre il centro?", "my husband hit me last year"])
def test_a_time_or_the_past_is_not_urgent(text: str) -> None:
    assert not is_urgent(text)
