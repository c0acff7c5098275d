"""Whisper in a process of its own, started on the first voice note and stopped when idle.

The model and its libraries (CTranslate2, PyAV, faster-whisper) take about 270 MB, and
freeing the model in the bot's own process gives back only part of it. In a child process
the bot's memory stays what text needs, and all of it returns to the system when no note has
come for a while (`idle`, ten minutes by default). The next note starts the process again
(1 to 3 seconds before its transcription starts, measured on 2 busy cores).

The child is started with "spawn", never "fork": the bot's process runs threads (the event
loop's helpers, the database driver, the embedding), and a forked copy of them is unsafe.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from bot.voice.transcriber import Transcriber, Transcript

log = logging.getLogger(__name__)

_loaded: Transcriber | None = None  # in the child only


def _load(folder: str, threads: int) -> None:
    global _loaded
    _loaded = Transcriber(Path(folder), threads)


def _transcribe(audio: bytes, language: str) -> Transcript:
    assert _loaded is not None, "the child loads its model when it starts"
    try:
        return _loaded.transcribe(audio, language)
    except ValueError as exc:  # PyAV's own errors may not cross processes: plain ones do
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    except OSError as exc:
        raise OSError(f"{type(exc).__name__}: {exc}") from None


class TranscriberApart:
    """A `Transcribes` whose model lives in a child process (one per worker)."""

    def __init__(self, folder: Path, threads: int = 1, processes: int = 1) -> None:
        self.folder = folder
        self.threads = threads
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._pool is not None

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                log.info("voice: starting the transcription process")
                self._pool = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_load,
                    initargs=(str(self.folder), self.threads),
                )
            return self._pool

    def transcribe(self, audio: bytes, language: str) -> Transcript:
        """Blocking: run it in the voice worker's threads. A child that died (out of memory,
        say) is an OSError for this note, and the next note starts a new one."""
        pool = self._started()
        try:
            return pool.submit(_transcribe, audio, language).result()
        except BrokenProcessPool as exc:
            self.release()
            raise OSError("the transcription process stopped") from exc

    def release(self) -> None:
        """Stop the child and give its memory back (the next note starts it again)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            log.info("voice: the transcription process stopped after being idle")
