"""Answers read aloud by the real espeak-ng and opusenc."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.core.languages import UI_LANGUAGES
from bot.voice.speech import Speaker, ogg_seconds
from tests.voice_parts import need_voice

ANSWER = "Language courses: the city offers free Dutch lessons on Mondays and Thursdays."


@pytest.fixture
def speaker(tmp_path: Path) -> Speaker:
    need_voice(model=False)
    found = Speaker.find(tmp_path / "speech", UI_LANGUAGES)
    assert found is not None
    return found


def test_every_interface_language_has_a_voice(speaker: Speaker) -> None:
    assert speaker.languages == frozenset(UI_LANGUAGES)
    assert not speaker.offers("xx")


async def test_an_answer_becomes_a_valid_ogg_opus_note_of_plausible_length(
    speaker: Speaker,
) -> None:
    spoken = await speaker.speak(ANSWER, "en")
    data = spoken.path.read_bytes()
    assert data.startswith(b"OggS") and b"OpusHead" in data[:100]
    info = subprocess.run(["opusinfo", str(spoken.path)], capture_output=True, text=True)
    assert info.returncode == 0 and "Channels: 1" in info.stdout
    # espeak-ng at 150 words a minute: 13 words, about 4 to 8 seconds.
    assert 3.0 < spoken.seconds < 9.0
    assert spoken.seconds == ogg_seconds(data)


async def test_a_text_is_spoken_once_per_language_then_read_from_the_cache(
    speaker: Speaker,
) -> None:
    first = await speaker.speak(ANSWER, "en")
    stamp = first.path.stat().st_mtime_ns
    again = await speaker.speak(ANSWER, "en")
    assert again.path == first.path and again.path.stat().st_mtime_ns == stamp
    other = await speaker.speak(ANSWER, "nl")
    assert other.path != first.path
    assert sorted(p.suffix for p in speaker.cache.iterdir()) == [".ogg", ".ogg"]  # no partials


async def test_a_language_without_a_voice_is_refused(speaker: Speaker) -> None:
    with pytest.raises(ValueError, match="no voice"):
        await speaker.speak(ANSWER, "xx")


def test_what_is_not_ogg_has_no_length() -> None:
    with pytest.raises(ValueError, match="not an OGG/Opus file"):
        ogg_seconds(b"RIFF....WAVEfmt ")
