"""The voice worker: transcriptions run on their own small thread pool, never on the event
loop and never in the thread that understands text, with a bound on how many may wait.

A note that would wait beyond `queue_limit` is refused at once (`Busy`): the user is asked to
type or try again, rather than left waiting minutes. Given `release` (a transcriber that can
let go of its model, see apart.py), the worker calls it after `idle` seconds without a note.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, Protocol

from bot.settings import VoiceSettings
from bot.voice.model import ModelMissing, model_dir
from bot.voice.transcriber import Transcript

log = logging.getLogger(__name__)


class Busy(Exception):
    """Every worker is busy and the queue is full."""


class Transcribes(Protocol):
    def transcribe(self, audio: bytes, language: str) -> Transcript: ...


#: Seconds without a note after which the model is let go (a transcriber that can).
IDLE: Final = 600.0


class VoiceWorker:
    def __init__(
        self,
        transcriber: Transcribes,
        *,
        workers: int = 1,
        queue_limit: int = 4,
        idle: float = IDLE,
        release: Callable[[], None] | None = None,
    ) -> None:
        self.transcriber = transcriber
        self.workers = workers
        self.queue_limit = queue_limit
        self.idle = idle
        self.release = release
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="voice")
        self.pending = 0  # running and waiting
        self._idle_timer: asyncio.TimerHandle | None = None

    @property
    def full(self) -> bool:
        return self.pending >= self.workers + self.queue_limit

    async def transcribe(self, audio: bytes, language: str) -> Transcript:
        """The transcript; `Busy` when the queue is full (checked before anything waits)."""
        if self.full:
            raise Busy()
        self.pending += 1
        loop = asyncio.get_running_loop()
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        try:
            return await loop.run_in_executor(
                self.pool, self.transcriber.transcribe, audio, language
            )
        finally:
            self.pending -= 1
            if self.pending == 0 and self.release is not None:
                self._idle_timer = loop.call_later(self.idle, self._release)

    def _release(self) -> None:
        """After `idle` seconds without a note (a new note cancels the timer)."""
        self._idle_timer = None
        if self.release is not None:
            self.pool.submit(self.release)  # in the worker's threads: stopping a process waits

    def close(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.release is not None:
            self.release()


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
    from bot.voice.apart import TranscriberApart

    try:
        folder = model_dir(settings.model_dir, settings.state_dir)
    except (ModelMissing, OSError) as exc:
        log.warning("voice notes are off: %s", exc)
        return None
    log.info("voice notes on: Whisper from %s, loaded in a process of its own when needed", folder)
    # One child process per worker thread: each holds its own model.
    transcriber = TranscriberApart(folder, settings.threads, processes=settings.workers)
    return VoiceWorker(
        transcriber,
        workers=settings.workers,
        queue_limit=settings.queue,
        idle=settings.idle,
        release=transcriber.release,
    )
