"""Answers read aloud: espeak-ng speaks the text, opusenc makes it an OGG/Opus voice note.

Each text is spoken once per language and kept on disk under its fingerprint (a sha256 of the
language, the text and how it is spoken), so the same answer is never spoken twice. Offered
only for a language espeak-ng has a voice for, and only when both programs are installed
(Debian: `apt-get install espeak-ng opus-tools`). Needs no Python package.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

#: How it is spoken; part of each fingerprint, so a change speaks the texts anew.
HOW: Final = ("espeak-ng", "-s", "150", "--stdout")
OPUS: Final = ("opusenc", "--quiet", "--bitrate", "24", "-", "-")
#: Longer answers are read up to here (about two minutes of speech).
MAX_CHARS: Final = 1800


def ogg_seconds(data: bytes) -> float:
    """The length of an OGG/Opus file: its last granule position less the pre-skip, at 48 kHz.
    ValueError when it is not OGG/Opus."""
    head = data.find(b"OpusHead")
    last = data.rfind(b"OggS")
    if not data.startswith(b"OggS") or head < 0 or last < 0 or len(data) < last + 14:
        raise ValueError("not an OGG/Opus file")
    (pre_skip,) = struct.unpack_from("<H", data, head + 10)
    (granule,) = struct.unpack_from("<q", data, last + 6)
    return float(max(0, int(granule) - int(pre_skip)) / 48_000)


@dataclass(frozen=True)
class Spoken:
    path: Path
    seconds: float


class Speaker:
    def __init__(self, cache: Path, languages: frozenset[str]) -> None:
        self.cache = cache
        self.languages = languages

    @classmethod
    def find(cls, cache: Path, wanted: tuple[str, ...]) -> Speaker | None:
        """A speaker for those of `wanted` that espeak-ng has a voice for; None without
        espeak-ng or opusenc."""
        if shutil.which("espeak-ng") is None or shutil.which("opusenc") is None:
            log.info("answers are not read aloud: espeak-ng or opusenc is not installed")
            return None
        listed = subprocess.run(
            ["espeak-ng", "--voices"], capture_output=True, text=True, check=False
        ).stdout
        have = {line.split()[1] for line in listed.splitlines()[1:] if len(line.split()) > 1}
        base = {code.split("-")[0] for code in have}  # "fr-fr", "en-gb": fr, en
        return cls(cache, frozenset(code for code in wanted if code in base))

    def offers(self, language: str) -> bool:
        return language in self.languages

    def fingerprint(self, text: str, language: str) -> str:
        spoken = "\0".join((*HOW, *OPUS, language, text[:MAX_CHARS]))
        return hashlib.sha256(spoken.encode()).hexdigest()

    async def speak(self, text: str, language: str) -> Spoken:
        """The voice note of `text` in `language`, from the cache or spoken now."""
        if not self.offers(language):
            raise ValueError(f"no voice for {language}")
        path = self.cache / f"{self.fingerprint(text, language)}.ogg"
        if not path.is_file():
            await self._make(text[:MAX_CHARS], language, path)
        return Spoken(path, ogg_seconds(path.read_bytes()))

    async def _make(self, text: str, language: str, path: Path) -> None:
        """espeak-ng | opusenc, in subprocesses (the event loop goes on), written whole
        into a temporary file, then renamed into place."""
        self.cache.mkdir(parents=True, exist_ok=True)
        read, write = os.pipe()
        partial = path.with_suffix(f".{os.getpid()}.partial")
        try:
            with partial.open("wb") as out:
                espeak = await asyncio.create_subprocess_exec(
                    *HOW[:1],
                    "-v",
                    language,
                    *HOW[1:],
                    "--",
                    text,
                    stdout=write,
                    stderr=subprocess.DEVNULL,
                )
                os.close(write)
                write = -1
                opus = await asyncio.create_subprocess_exec(
                    *OPUS, stdin=read, stdout=out, stderr=subprocess.DEVNULL
                )
                os.close(read)
                read = -1
                codes = (await espeak.wait(), await opus.wait())
            if codes != (0, 0):
                raise OSError(f"espeak-ng | opusenc exited with {codes}")
            partial.replace(path)
        finally:
            for fd in (read, write):
                if fd >= 0:
                    os.close(fd)
            partial.unlink(missing_ok=True)
