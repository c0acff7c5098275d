"""The real Whisper base model on clips spoken by espeak-ng at test time."""

from __future__ import annotations

import re

import pytest
from rapidfuzz.distance import Levenshtein

from bot.voice.transcriber import Transcriber
from tests.voice_parts import QUESTIONS, speak

#: The character error rate each language stays under on its clip (robotic voices; Russian's
#: is the hardest for the base model, see the README's "Voice").
CER_AT_MOST = {"es": 0.1, "en": 0.1, "fr": 0.4, "ru": 0.6}


def words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def cer(said: str, heard: str) -> float:
    return Levenshtein.normalized_distance(words(said), words(heard))


@pytest.mark.parametrize("language", sorted(QUESTIONS))
def test_a_question_spoken_in_each_language_is_transcribed_in_that_language(
    transcriber: Transcriber, language: str
) -> None:
    question, gap = QUESTIONS[language]
    heard = transcriber.transcribe(speak(question, language, gap=gap), language)
    assert heard.language == language
    assert cer(question, heard.text) <= CER_AT_MOST[language], heard.text
    assert 1 < heard.seconds < 10
    assert 0 < heard.confidence <= 1


def test_a_clear_question_is_sure_and_a_single_word_is_not(transcriber: Transcriber) -> None:
    question, gap = QUESTIONS["en"]
    assert not transcriber.transcribe(speak(question, "en", gap=gap), "en").unsure
    assert transcriber.transcribe(speak("Housing", "en"), "en").unsure


def test_what_is_not_audio_raises_and_is_not_kept(transcriber: Transcriber) -> None:
    with pytest.raises(Exception) as caught:
        transcriber.transcribe(b"fake file, not a voice note", "en")
    assert isinstance(caught.value, (ValueError, OSError))
