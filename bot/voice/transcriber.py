"""Speech to text with faster-whisper, on the CPU, from a local folder only.

The language is forced (Whisper's own detection failed on several short clips); silences are
dropped by its voice-activity filter; a decoding that loops or is unsure is tried again at a
few higher temperatures, and the tokens of a note are capped. Audio is read from memory and
never written anywhere.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Temperatures tried in turn when a decoding is too repetitive or unsure (bounded).
TEMPERATURES: Final = (0.0, 0.2, 0.4, 0.6)
#: Whisper decodes 30-second windows; a minute of speech is well under this per window.
MAX_NEW_TOKENS: Final = 160
#: Below this many words, or this confidence, the user is asked to confirm what was heard.
FEW_WORDS: Final = 3
SEED: Final = 15
UNSURE: Final = 0.5


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    #: The mean probability of the tokens (exp of Whisper's average log-probability), 0..1.
    confidence: float
    seconds: float  # the note's length

    @property
    def unsure(self) -> bool:
        """Short or unsure: worth a "did I hear you right?" before answering."""
        return len(self.text.split()) < FEW_WORDS or self.confidence < UNSURE


class Transcriber:
    """One loaded Whisper model; `transcribe` is blocking (run it in the voice worker)."""

    def __init__(self, folder: Path, threads: int = 1) -> None:
        import ctranslate2
        from faster_whisper import WhisperModel  # the voice extra; imported only when used

        self._seed = ctranslate2.set_random_seed
        self.folder = folder
        self.model = WhisperModel(
            str(folder),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            local_files_only=True,
        )

    def transcribe(self, audio: bytes, language: str) -> Transcript:
        # The fallback samples: a fixed seed gives the same note the same transcript (with
        # one worker; several share the generator, and then the order decides).
        self._seed(SEED)
        segments, info = self.model.transcribe(
            io.BytesIO(audio),
            language=language,
            beam_size=5,  # on these clips, better than greedy and no slower (fewer fallbacks)
            temperature=list(TEMPERATURES),
            condition_on_previous_text=False,
            vad_filter=True,
            max_new_tokens=MAX_NEW_TOKENS,
            without_timestamps=True,
        )
        texts: list[str] = []
        weighted, tokens = 0.0, 0
        for segment in segments:
            texts.append(segment.text.strip())
            n = max(1, len(segment.tokens))
            weighted += segment.avg_logprob * n
            tokens += n
        text = " ".join(t for t in texts if t).strip()
        confidence = math.exp(weighted / tokens) if tokens else 0.0
        return Transcript(text, language, confidence, float(info.duration))
