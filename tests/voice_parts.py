"""Voice clips made at test time with espeak-ng and opusenc, and the rule for skipping.

Without the voice extra, espeak-ng or opusenc the voice tests skip, unless GUICHET_REQUIRE_VOICE
is set (CI sets it: there a missing part fails them, as a missing chromium fails the browser
tests).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from bot.voice.transcriber import Transcript
from bot.voice.worker import installed

#: A question about language courses per test language, and the pause between words that
#: espeak-ng's voice for it is best understood with (Russian is understood worst either way).
QUESTIONS: dict[str, tuple[str, int]] = {
    "es": ("Quiero aprender español. ¿Dónde hay cursos de idioma?", 4),
    "fr": ("Je veux apprendre le français. Où sont les cours de langue?", 4),
    "en": ("I want to learn the language. Where are the language courses?", 4),
    "ru": ("Где найти курсы русского языка?", 0),
}


def need_voice(*, model: bool = True) -> None:
    """Skip the test when a part of voice is missing (fail instead under CI's flag)."""
    missing = [p for p in ("espeak-ng", "opusenc") if shutil.which(p) is None]
    if model and not installed():
        missing.append("the voice extra (faster-whisper)")
    if not missing:
        return
    reason = "voice needs " + ", ".join(missing)
    if os.environ.get("GUICHET_REQUIRE_VOICE"):
        pytest.fail(reason + " (GUICHET_REQUIRE_VOICE is set)")
    pytest.skip(reason)


def speak(text: str, language: str, *, gap: int = 4) -> bytes:
    """`text` spoken by espeak-ng in `language`, as a Telegram voice note (OGG/Opus)."""
    wav = subprocess.run(
        ["espeak-ng", "-v", language, "-g", str(gap), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    return subprocess.run(
        ["opusenc", "--quiet", "-", "-"], input=wav, check=True, capture_output=True
    ).stdout


class Scripted:
    """A transcriber that hears `text` in any note: the desk's handling of transcripts,
    tested without the voice extra."""

    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, audio: bytes, language: str) -> Transcript:
        return Transcript(self.text, language, 0.9, 3.0)
