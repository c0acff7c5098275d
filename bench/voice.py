"""Voice: how fast and how well notes are heard, and how fast answers are read aloud.

Every clip is spoken by espeak-ng at run time (no recording is shipped) and encoded as a
Telegram voice note (OGG/Opus) by opusenc, then transcribed by the bot's own `Transcriber`
(Whisper base unless GUICHET_WHISPER_MODEL_DIR names another, CTranslate2 int8, language
forced, VAD, beam 5), one note at a time as the bot's worker does. It reports:

  1. per note of about 5, 15 and 45 seconds (Spanish): wall time, CPU-seconds (every thread
     of the process) and the real-time factor (wall time / length of the note);
  2. the character error rate per interface language on one spoken question each (the
     robotic voice is harder than a person's for some languages, easier for none);
  3. read aloud: wall and CPU time of espeak-ng | opusenc per answer of about 300 characters;
  4. the process's peak memory (resident set), model loaded.

Usage:
    python bench/voice.py [--threads N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapidfuzz.distance import Levenshtein  # noqa: E402

from bot.voice.model import model_dir  # noqa: E402
from bot.voice.speech import Speaker, ogg_seconds  # noqa: E402
from bot.voice.transcriber import Transcriber  # noqa: E402
from tests.voice_parts import speak  # noqa: E402

#: "I want to learn the language. Where are the language courses?" in each language.
QUESTIONS = {
    "en": "I want to learn the language. Where are the language courses?",
    "fr": "Je veux apprendre la langue. Où sont les cours de langue?",
    "nl": "Ik wil de taal leren. Waar zijn de taalcursussen?",
    "es": "Quiero aprender el idioma. ¿Dónde están los cursos de idioma?",
    "it": "Voglio imparare la lingua. Dove sono i corsi di lingua?",
    "el": "Θέλω να μάθω τη γλώσσα. Πού είναι τα μαθήματα γλώσσας;",
    "lv": "Es gribu iemācīties valodu. Kur ir valodas kursi?",
    "ar": "أريد أن أتعلم اللغة. أين دورات اللغة؟",
    "uk": "Я хочу вивчити мову. Де мовні курси?",
    "ru": "Я хочу выучить язык. Где курсы языка?",
    "fa": "می‌خواهم زبان یاد بگیرم. کلاس‌های زبان کجاست؟",
    "tr": "Dili öğrenmek istiyorum. Dil kursları nerede?",
}
#: A long note told in varied sentences (a repeated one would trip Whisper's repetition check).
LONG_ES = (
    "Hola, buenos días. Llegué a la ciudad hace dos semanas con mi mujer y mis tres hijos. "
    "Vivimos por ahora en casa de un primo, en un piso pequeño cerca de la estación. "
    "Quiero aprender el idioma para encontrar trabajo, porque en mi país era electricista. "
    "¿Dónde hay cursos de idioma gratuitos, y cómo me inscribo? "
    "También necesito saber si mis hijos pueden ir a la escuela este mes, "
    "y qué papeles tengo que llevar al ayuntamiento para empadronarnos. "
    "Mi hija pequeña tiene asma y se ha quedado sin medicinas, ¿hay un médico que nos pueda ver "
    "sin tarjeta sanitaria? Por la tarde trabajo unas horas en un almacén, "
    "así que prefiero un curso por la mañana o los sábados. "
    "Hablo un poco de inglés y de francés, pero casi nada de español. "
    "Muchas gracias por su ayuda, y perdone si me he explicado mal. "
)


def words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def cer(said: str, heard: str) -> float:
    return Levenshtein.normalized_distance(words(said), words(heard))


def note_of(seconds: float) -> tuple[bytes, float, str]:
    """A Spanish note of about `seconds` (the paragraph repeated, then cut to fit), its
    length and its text."""
    text = LONG_ES
    while True:
        audio = speak(text, "es", gap=4)
        length = ogg_seconds(audio)
        if length >= seconds * 0.9:
            if length > seconds * 1.1:  # too long: drop words in proportion
                text = " ".join(text.split()[: max(3, int(len(text.split()) * seconds / length))])
                audio = speak(text, "es", gap=4)
                length = ogg_seconds(audio)
            return audio, length, text
        text += " " + LONG_ES


def timed(transcriber: Transcriber, audio: bytes, language: str) -> tuple[str, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    heard = transcriber.transcribe(audio, language)
    return heard.text, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per transcription")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    configured = os.environ.get("GUICHET_WHISPER_MODEL_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        folder = model_dir(Path(configured) if configured else None, Path(tmp))
        start = time.perf_counter()
        transcriber = Transcriber(folder, threads=args.threads)
        load = time.perf_counter() - start
        result: dict[str, object] = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}",
            "model": folder.name,
            "threads": args.threads,
            "load_seconds": round(load, 2),
        }
        timed(transcriber, speak("Hola.", "es"), "es")  # the first call warms up
        notes = []
        for seconds in (5, 15, 45):
            audio, length, said = note_of(seconds)
            heard, wall, cpu = timed(transcriber, audio, "es")
            notes.append(
                {
                    "note_seconds": round(length, 1),
                    "cer": round(cer(said, heard), 2),
                    "wall": round(wall, 2),
                    "cpu": round(cpu, 2),
                    "rtf": round(wall / length, 2),
                }
            )
        result["notes"] = notes
        rates = {}
        for language, question in QUESTIONS.items():
            gap = 0 if language == "ru" else 4
            heard, wall, _ = timed(transcriber, speak(question, language, gap=gap), language)
            rates[language] = {"cer": round(cer(question, heard), 2), "heard": heard}
        result["cer"] = rates
        speaker = Speaker.find(Path(tmp) / "speech", tuple(QUESTIONS))
        aloud = {}
        if speaker is not None:
            for language, question in QUESTIONS.items():
                text = " ".join([question] * max(1, 300 // len(question)))
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall = time.perf_counter()
                spoken = asyncio.run(speaker.speak(text, language))
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
                aloud[language] = {
                    "chars": len(text),
                    "wall": round(time.perf_counter() - wall, 2),
                    "cpu": round(cpu, 2),
                    "seconds": round(spoken.seconds, 1),
                }
        result["read_aloud"] = aloud
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"machine: {result['machine']}; model {result['model']}, {args.threads} thread(s)")
    print(f"model load: {result['load_seconds']} s; peak memory {result['peak_rss_mb']} MB\n")
    print("| note | wall | CPU-seconds | real-time factor | character error rate |")
    print("|---|---|---|---|---|")
    for n in notes:
        print(f"| {n['note_seconds']} s | {n['wall']} s | {n['cpu']} | {n['rtf']} | {n['cer']} |")
    print("\n| language | character error rate | heard |\n|---|---|---|")
    for language, r in rates.items():
        print(f"| {language} | {r['cer']:.2f} | {r['heard']} |")
    if aloud:
        print("\n| language | characters | read aloud: wall | CPU | note length |")
        print("|---|---|---|---|---|")
        for language, a in aloud.items():
            print(
                f"| {language} | {a['chars']} | {a['wall']} s | {a['cpu']} s | {a['seconds']} s |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
