"""Callback data: compact, versioned, and refused when old or malformed."""

from __future__ import annotations

import pytest

from bot.channels.telegram.callbacks import MAX_BYTES, Kind, Tap, decode, encode
from bot.core.geo import Point
from bot.core.knowledge import Knowledge


def test_every_button_of_the_sample_knowledge_fits_in_64_bytes(knowledge: Knowledge) -> None:
    data = [encode(Kind.TOPIC, t) for t in knowledge.topics]
    data += [encode(Kind.MORE, t, 999) for t in knowledge.topics]
    data += [encode(Kind.CITY, c) for c in knowledge.cities]
    data += [encode(Kind.FEEDBACK, 999_999_999_999, 1), encode(Kind.NEARBY, "-89.123,-179.456")]
    assert all(len(d.encode()) <= MAX_BYTES for d in data)
    assert all(decode(d) is not None for d in data)


def test_a_tap_round_trips() -> None:
    assert decode(encode(Kind.MORE, "health-care", 3)) == Tap(Kind.MORE, ("health-care", "3"))
    assert decode(encode(Kind.HUMAN, 5)) == Tap(Kind.HUMAN, ("5",))
    point = decode(encode(Kind.NEARBY, "50.869,4.379"))
    assert point is not None and point.point() == Point(50.869, 4.379)


@pytest.mark.parametrize(
    "data",
    ["", "0t:housing", "2t:housing", "1j:housing", "1t", "1t:a:b", "1t:<b>", "1h", "1q:x"],
)
def test_old_or_malformed_data_decodes_to_nothing(data: str) -> None:
    assert decode("x" * 65) is None
    assert decode(data) is None


def test_values_are_checked_before_encoding() -> None:
    with pytest.raises(ValueError):
        encode(Kind.TOPIC, "a:b")
    with pytest.raises(ValueError):
        encode(Kind.MORE, "housing")
    bad_point = decode("1n:95.0,4.0")
    assert bad_point is not None and bad_point.point() is None
