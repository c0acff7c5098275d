"""The bot's deep links: a city's and a topic's start parameter, made and read back."""

from __future__ import annotations

import pytest

from bot.core.deeplinks import MOST_CHARACTERS, LinkError, StartLink, bot_link, read_start

TOPICS = {"housing", "health-care"}


def test_a_topic_link_names_the_city_and_the_topic_within_telegrams_rule() -> None:
    link = bot_link("@GuichetBot", "saint-jean-de-la-ruelle", "health-care")
    assert link == "https://t.me/GuichetBot?start=saint-jean-de-la-ruelle--health-care"
    assert read_start("saint-jean-de-la-ruelle--health-care", TOPICS) == StartLink(
        "saint-jean-de-la-ruelle", "health-care"
    )


def test_a_city_link_and_a_typed_name_are_cities() -> None:
    assert bot_link("GuichetBot", "brussels") == "https://t.me/GuichetBot?start=brussels"
    assert read_start(" brussels ", TOPICS) == StartLink("brussels")
    assert read_start("Malines", TOPICS) == StartLink("Malines")
    assert read_start("", TOPICS) is None


def test_an_unknown_topic_still_opens_the_city() -> None:
    assert read_start("brussels--weather", TOPICS) == StartLink("brussels")
    assert read_start("--housing", TOPICS) == StartLink("--housing")  # no city: not found later


def test_a_payload_telegram_would_not_carry_is_refused() -> None:
    with pytest.raises(LinkError):
        bot_link("GuichetBot", "x" * MOST_CHARACTERS, "housing")
    with pytest.raises(LinkError):
        bot_link("GuichetBot", "bruxelles ville")
