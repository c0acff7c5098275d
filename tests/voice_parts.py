"""Voice clips made at test time with espeak-ng and opusenc, and the rule for skipping.

Without the voice extra, espeak-ng or opusenc the voice tests skip, unless GUICHET_REQUIRE_VOICE
is set (CI sets it: there a missing part fails them, as a missing chromium fails the browser
tests).
"""

from __future__ import annotations

import io
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


def as_mp4(ogg: bytes, *, video: bool) -> bytes:
    """A spoken clip re-encoded with PyAV (which the voice extra brings) as AAC in MP4: an
    audio file as phones record it, or with `video` (black frames) a video note."""
    import av
    import numpy

    out = io.BytesIO()
    with av.open(io.BytesIO(ogg), "r") as source, av.open(out, "w", format="mp4") as target:
        sound = target.add_stream("aac", rate=48000)
        picture = target.add_stream("mpeg4", rate=10) if video else None
        if picture is not None:
            picture.width = picture.height = 240
            picture.pix_fmt = "yuv420p"
        to_aac = av.AudioResampler(format="fltp", layout="mono", rate=48000)
        seconds = 0.0
        for frame in source.decode(audio=0):
            for resampled in to_aac.resample(frame):
                target.mux(sound.encode(resampled))
            seconds = float(frame.time or seconds)
        target.mux(sound.encode(None))
        if picture is not None:
            black = av.VideoFrame.from_ndarray(numpy.zeros((240, 240, 3), numpy.uint8), "rgb24")
            for n in range(int(seconds * 10) + 1):
                image = black.reformat(format="yuv420p")
                image.pts = n
                target.mux(picture.encode(image))
            target.mux(picture.encode(None))
    return out.getvalue()


class Scripted:
    """A transcriber that hears `text` in any note: the desk's handling of transcripts,
    tested without the voice extra."""

    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, audio: bytes, language: str) -> Transcript:
        return Transcript(self.text, language, 0.9, 3.0)
