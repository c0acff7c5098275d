"""The voice worker: transcriptions run on their own small thread pool, never on the event
loop and never in the thread that understands text, with a bound on how many may wait.

A note that would wait beyond `queue_limit` is refused at once (`Busy`): the user is asked to
type or try again, rather than left waiting minutes.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from bot.settings import VoiceSettings
from bot.voice.model import ModelMissing, model_dir
from bot.voice.transcriber import Transcript

log = logging.getLogger(__name__)


class Busy(Exception):
    """Every worker is busy and the queue is full."""


class Transcribes(Protocol):
    def transcribe(self, audio: bytes, language: str) -> Transcript: ...


class VoiceWorker:
    def __init__(self, transcriber: Transcribes, *, workers: int = 1, queue_limit: int = 4) -> None:
        self.transcriber = transcriber
        self.workers = workers
        self.queue_limit = queue_limit
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="voice")
        self.pending = 0  # running and waiting

    @property
    def full(self) -> bool:
        return self.pending >= self.workers + self.queue_limit

    async def transcribe(self, audio: bytes, language: str) -> Transcript:
        """The transcript; `Busy` when the queue is full (checked before anything waits)."""
        if self.full:
            raise Busy()
        self.pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self.pool, self.transcriber.transcribe, audio, language
            )
        finally:
            self.pending -= 1

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def installed() -> bool:
    """Is the `voice` extra (faster-whisper) installed?"""
    return importlib.util.find_spec("faster_whisper") is not None


def load_voice(settings: VoiceSettings) -> VoiceWorker | None:
    """The worker with its model loaded, or None (voice off, the extra missing, no model):
    voice notes then get the polite "please write" reply. Never downloads anything."""
    if not settings.enabled:
        return None
    if not installed():
        log.info("voice notes are off: the voice extra is not installed")
        return None
    from bot.voice.transcriber import Transcriber

    try:
        folder = model_dir(settings.model_dir, settings.state_dir)
        transcriber = Transcriber(folder, settings.threads)
    except (ModelMissing, OSError, RuntimeError) as exc:
        log.warning("voice notes are off: %s", exc)
        return None
    log.info("voice notes on: Whisper from %s", folder)
    return VoiceWorker(transcriber, workers=settings.workers, queue_limit=settings.queue)
