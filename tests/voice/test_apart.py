"""Whisper in a child process: the bot's own memory stays what text needs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.voice.apart import TranscriberApart
from bot.voice.worker import VoiceWorker
from tests.voice_parts import QUESTIONS, speak


async def test_a_note_is_heard_in_a_child_process_that_stops_when_idle(
    whisper_folder: Path,
) -> None:
    apart = TranscriberApart(whisper_folder)
    worker = VoiceWorker(apart, idle=0.2, release=apart.release)
    assert not apart.running  # nothing is loaded before the first note
    try:
        question, gap = QUESTIONS["es"]
        heard = await worker.transcribe(speak(question, "es", gap=gap), "es")
        assert "idioma" in heard.text.lower()
        assert heard.language == "es"
        assert apart.running
        for _ in range(100):  # the idle timer, then the process's own stop
            await asyncio.sleep(0.1)
            if not apart.running:
                break
        assert not apart.running
        # the next note starts it again
        heard = await worker.transcribe(speak(question, "es", gap=gap), "es")
        assert "idioma" in heard.text.lower()
    finally:
        worker.close()
    assert not apart.running


async def test_what_is_not_audio_is_a_plain_error_and_the_process_lives_on(
    whisper_folder: Path,
) -> None:
    apart = TranscriberApart(whisper_folder)
    worker = VoiceWorker(apart, release=apart.release)
    try:
        with pytest.raises((ValueError, OSError)):
            await worker.transcribe(b"fake file, not a voice note", "en")
        question, gap = QUESTIONS["en"]
        heard = await worker.transcribe(speak(question, "en", gap=gap), "en")
        assert heard.text
    finally:
        worker.close()
