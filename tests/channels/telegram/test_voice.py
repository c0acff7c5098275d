"""Voice notes end to end: the real Application, the fake Bot API (getFile and the download),
the real Whisper model and clips spoken by espeak-ng at test time."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.callbacks import Kind, decode
from bot.core.assistant import Assistant
from bot.core.languages import UI_LANGUAGES
from bot.settings import VoiceSettings
from bot.storage.models import Question, TicketMessage
from bot.voice.apart import TranscriberApart
from bot.voice.speech import Speaker, ogg_seconds
from bot.voice.transcriber import Transcriber, Transcript
from bot.voice.worker import VoiceWorker, load_voice
from tests.channels.telegram.conftest import Harness, running
from tests.channels.telegram.test_support import (
    AMAL,
    MIGRANT,
    ask_a_person,
    copied_from,
    join,
    taken_by_amal,
)
from tests.fakes.telegram_html import visible
from tests.voice_parts import QUESTIONS, Scripted, as_mp4, need_voice, speak

#: How long a test waits for a note heard by the real model (slow on a shared machine, and
#: under coverage a Russian note with its fallbacks can take more than 10 seconds).
HEARING = 60.0


async def questions(sessions: async_sessionmaker[AsyncSession]) -> list[Question]:
    async with sessions() as session:
        return list(await session.scalars(select(Question).order_by(Question.id)))


@asynccontextmanager
async def hearing(
    assistant: Assistant,
    sessions: async_sessionmaker[AsyncSession],
    transcriber: Transcriber,
    *,
    support: bool,
) -> AsyncIterator[Harness]:
    """The bot with a voice worker on the real model."""
    worker = VoiceWorker(transcriber)
    try:
        async with running(assistant, sessions, support=support, voice=worker) as harness:
            yield harness
    finally:
        worker.close()


@pytest.fixture
async def voice_tg(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession], transcriber: Transcriber
) -> AsyncIterator[Harness]:
    async with hearing(assistant, sessions, transcriber, support=False) as harness:
        yield harness


async def hear(h: Harness, chat: int, audio: bytes, count: int = 2) -> list[str]:
    """Send a voice note; what the bot said, as the user sees it."""
    note = h.fake.voice(chat, duration=5, audio=audio)
    sent = await h.send(chat, note, count=count, timeout=HEARING)
    return [visible(c.text or "") for c in sent]


@pytest.mark.parametrize("language", ["es", "ru"])
async def test_a_spoken_question_about_language_courses_is_heard_and_answered(
    voice_tg: Harness, sessions: async_sessionmaker[AsyncSession], language: str
) -> None:
    city = "fuenlabrada" if language == "es" else "jelgava"
    chat = 700 if language == "es" else 701
    await voice_tg.setup(chat, city, language)
    question, gap = QUESTIONS[language]
    mark = voice_tg.fake.mark()
    said = await hear(voice_tg, chat, speak(question, language, gap=gap))
    assert said[0] == "🎧" + visible(" Escuchando…" if language == "es" else " Слушаю…")
    calls = [c.method for c in voice_tg.fake.calls[mark:]]
    assert calls.index("sendMessage") < calls.index("getFile")  # "Listening" came first
    heard = said[-1]
    assert heard.startswith(visible("He oído: «" if language == "es" else "Я услышал: «"))
    logged = (await questions(sessions))[-1]  # the transcript, kept as a typed question is
    assert logged.language == language and logged.text and logged.text in heard
    if language == "es":  # the base model hears espeak-ng's Russian too poorly (README)
        assert logged.topic == "language-courses" and logged.action == "answer"


async def test_the_worker_the_bot_builds_hears_with_whisper_in_a_process_of_its_own(
    assistant: Assistant,
    sessions: async_sessionmaker[AsyncSession],
    whisper_folder: Path,
    tmp_path: Path,
) -> None:
    """As `main.py run` wires it (load_voice): the model is loaded by the first note, in a
    child process, and the note is answered end to end."""
    worker = load_voice(VoiceSettings(model_dir=whisper_folder, state_dir=tmp_path))
    assert worker is not None and isinstance(worker.transcriber, TranscriberApart)
    try:
        async with running(assistant, sessions, support=False, voice=worker) as h:
            await h.setup(706, "fuenlabrada", "es")
            assert not worker.transcriber.running
            question, gap = QUESTIONS["es"]
            said = await hear(h, 706, speak(question, "es", gap=gap))
            assert said[-1].startswith(visible("He oído: «"))
            assert worker.transcriber.running
            logged = (await questions(sessions))[-1]
            assert (logged.topic, logged.action) == ("language-courses", "answer")
    finally:
        worker.close()
    assert not worker.transcriber.running


async def test_a_short_note_is_confirmed_with_buttons_before_it_is_answered(
    voice_tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await voice_tg.setup(702, "brussels", "en")
    note = voice_tg.fake.voice(702, audio=speak("Housing", "en"))
    said = await voice_tg.send(702, note, count=2, timeout=HEARING)
    ask = said[-1]
    assert "Is this your question?" in (ask.text or "")
    yes, no = (decode(d) for d in ask.button_data())
    assert yes is not None and yes.kind is Kind.HEARD and yes.args[1] == "1"
    assert no is not None and no.args[1] == "0"
    logged = (await questions(sessions))[-1]
    assert logged.action == "heard" and logged.text  # kept as a question text is
    calls = await voice_tg.tap(702, ask.button_data()[0])
    answered = [c for c in calls if c.method == "sendMessage"]
    assert answered and (await questions(sessions))[-1].action != "heard"
    assert not any("I heard" in (c.text or "") for c in answered)  # it was said above


async def test_no_makes_the_user_type_and_answers_nothing(
    voice_tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await voice_tg.setup(703, "brussels", "en")
    note = voice_tg.fake.voice(703, audio=speak("Housing", "en"))
    said = await voice_tg.send(703, note, count=2, timeout=HEARING)
    before = len(await questions(sessions))
    calls = await voice_tg.tap(703, said[-1].button_data()[1])
    [edit] = [c for c in calls if c.method == "editMessageText"]
    assert "Please type your question" in (edit.text or "")
    assert not [c for c in calls if c.method == "sendMessage"]
    assert len(await questions(sessions)) == before


@pytest.mark.parametrize(("duration", "size"), [(61, 40_000), (20, 3 * 1024 * 1024)])
async def test_a_long_or_large_note_is_refused_before_it_is_downloaded(
    voice_tg: Harness, duration: int, size: int
) -> None:
    await voice_tg.setup(704, "brussels", "en")
    mark = voice_tg.fake.mark()
    note = voice_tg.fake.voice(704, duration=duration, file_size=size)
    [said] = await voice_tg.send(704, note)
    assert "less than a minute" in (said.text or "")
    assert not voice_tg.fake.calls_of("getFile")[mark:]
    assert all(c.method != "getFile" for c in voice_tg.fake.calls[mark:])


async def test_a_note_that_is_not_audio_gets_a_polite_please_type(voice_tg: Harness) -> None:
    await voice_tg.setup(705, "brussels", "en")
    said = await voice_tg.send(705, voice_tg.fake.voice(705, audio=b"not audio"), count=2)
    assert "could not make out" in (said[-1].text or "")


class Held:
    """A transcriber that waits until released: the worker's bound, deterministically."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def transcribe(self, audio: bytes, language: str) -> Transcript:
        self.started.set()
        self.release.wait(10)
        return Transcript("where are the language courses in the city", language, 0.9, 3.0)


async def test_beyond_the_queue_limit_a_note_is_asked_to_type_and_text_is_not_delayed(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    held = Held()
    worker = VoiceWorker(held, workers=1, queue_limit=0)
    try:
        async with running(assistant, sessions, support=False, voice=worker) as h:
            await h.setup(706, "brussels", "en")
            await h.setup(707, "brussels", "en")
            mark = h.fake.mark()
            h.fake.push_update(h.fake.voice(706, audio=b"first"))
            await h.fake.wait_for("getFile", chat_id=None, since=mark)
            await asyncio.to_thread(held.started.wait, 10)
            [busy] = await h.send(707, h.fake.voice(707, audio=b"second"))
            assert "type your question, or try again" in (busy.text or "")
            typed = await h.say(707, "where can I learn dutch")  # while the first is heard
            assert "Language courses" in visible(typed[-1].text or "")
            held.release.set()
            await h.fake.wait_for("sendMessage", chat_id=706, since=mark, count=2)
            await h.idle()
    finally:
        held.release.set()
        worker.close()


async def test_without_the_voice_extra_a_note_gets_the_polite_reply_and_the_menu(
    tg: Harness,
) -> None:
    await tg.setup(708, "brussels", "en")
    [said] = await tg.send(708, tg.fake.voice(708))
    assert "not voice messages" in (said.text or "")
    assert [decode(d).kind for d in said.button_data()][:1] == [Kind.TOPIC]  # type: ignore[union-attr]


@pytest.fixture
async def voice_desk_tg(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession], transcriber: Transcriber
) -> AsyncIterator[Harness]:
    async with hearing(assistant, sessions, transcriber, support=True) as harness:
        yield harness


async def test_voice_notes_on_a_ticket_go_both_ways_as_voice_the_migrants_with_a_transcript(
    voice_desk_tg: Harness,
) -> None:
    h = voice_desk_tg
    ticket = await taken_by_amal(h, "Je dois comprendre une lettre de la commune", "fr")
    question, gap = QUESTIONS["fr"]
    note = h.fake.voice(MIGRANT, audio=speak(question, "fr", gap=gap))
    sent = await h.push(note, AMAL, "copyMessage", 1, timeout=HEARING)
    [copied] = [c for c in sent if c.method == "copyMessage" and c.chat_id == AMAL]
    assert copied_from(copied) == (MIGRANT, note["message"]["message_id"])  # as a voice note
    caption = visible(str(copied.params.get("caption")))
    assert f"Ticket #{ticket}" in caption
    assert "🎧 Automatic transcript, it may hold mistakes: «" in caption  # Amal reads English
    assert "français" in caption and "Fatima" not in caption
    assert not [c for c in sent if c.chat_id == MIGRANT and "J'ai entendu" in (c.text or "")]

    answer = h.fake.voice(AMAL)  # the volunteer answers by voice: it reaches the migrant as one
    back = await h.push(answer, MIGRANT, "copyMessage", 1)
    [relayed] = [c for c in back if c.method == "copyMessage" and c.chat_id == MIGRANT]
    assert copied_from(relayed) == (AMAL, answer["message"]["message_id"])


async def test_a_voice_note_kept_with_a_waiting_ticket_reaches_its_taker_with_its_transcript(
    voice_desk_tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    h = voice_desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["es"])
    amal = await h.desk.network.volunteer("telegram", str(AMAL))
    assert amal is not None
    await h.desk.network.update(amal.id, ui_language="fr")  # Amal reads French
    await h.setup(MIGRANT, "brussels", "es")
    ticket = await ask_a_person(h, "Necesito ayuda con una carta del ayuntamiento")
    question, gap = QUESTIONS["es"]
    note = h.fake.voice(MIGRANT, audio=speak(question, "es", gap=gap))
    [kept] = await h.send(MIGRANT, note, timeout=HEARING)  # nobody holds the ticket yet
    assert f"Añadido a tu pregunta n.º {ticket}" in visible(kept.text or "")
    assert not [c for c in h.fake.calls if c.method == "copyMessage" and c.chat_id == AMAL]
    heard = await kept_transcripts(sessions)
    assert len(heard) == 1 and "español" in heard[0].lower()

    taken = await h.tap(AMAL, f"1v:{ticket}")
    [copied] = [c for c in taken if c.method == "copyMessage" and c.chat_id == AMAL]
    assert copied_from(copied) == (MIGRANT, note["message"]["message_id"])  # as a voice note
    caption = visible(str(copied.params.get("caption")))
    assert f"Demande n°\xa0{ticket} · Espagnol" in caption  # under the ticket's header
    automatic = "🎧 Transcription automatique, peut contenir des erreurs : « "
    assert automatic + heard[0] + " »" in caption  # marked, in the volunteer's language
    again = await h.tap(AMAL, f"1v:{ticket}")  # delivered once: taking it again repeats nothing
    assert not [c for c in again if c.method == "copyMessage"]


async def test_a_long_kept_transcript_comes_just_above_the_note_it_belongs_to(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Too long for a caption: the header and transcript first, the note as a reply to it
    (no voice extra needed: the transcriber is scripted)."""
    spoken = " ".join(["je cherche un logement pour ma famille"] * 30)  # over 1,000 characters
    worker = VoiceWorker(Scripted(spoken))
    try:
        async with running(assistant, sessions, support=True, voice=worker) as h:
            await join(h, AMAL, "Amal", ["fr"])
            await h.setup(MIGRANT, "brussels", "fr")
            ticket = await ask_a_person(h, "Je dois comprendre une lettre de la commune")
            note = h.fake.voice(MIGRANT, audio=b"a long note")
            await h.send(MIGRANT, note)
            taken = await h.tap(AMAL, f"1v:{ticket}")
            to_amal = [c for c in taken if c.chat_id == AMAL and c.method != "editMessageText"]
            assert [c.method for c in to_amal] == ["sendMessage", "copyMessage"]
            head, copy = to_amal
            assert f"Ticket #{ticket}" in visible(head.text or "")
            assert f"🎧 Automatic transcript, it may hold mistakes: «{spoken}»" in visible(
                head.text or ""
            )
            assert copied_from(copy) == (MIGRANT, note["message"]["message_id"])
            assert "caption" not in copy.params
            assert copy.params["reply_parameters"]["message_id"] == head.message_id
    finally:
        worker.close()


@pytest.mark.parametrize("kind", ["audio", "video_note"])
async def test_an_audio_file_or_video_note_on_a_ticket_reaches_the_volunteer_with_a_transcript(
    voice_desk_tg: Harness, kind: str
) -> None:
    h = voice_desk_tg
    ticket = await taken_by_amal(h, "I need help with a letter from the town hall", "en")
    question, gap = QUESTIONS["en"]  # heard in the migrant's language
    clip = as_mp4(speak(question, "en", gap=gap), video=kind == "video_note")
    sent = await h.push(h.fake.sound(kind, MIGRANT, audio=clip), AMAL, "copyMessage", 1, HEARING)
    to_amal = [c for c in sent if c.chat_id == AMAL]
    told = " ".join(visible(str(c.params.get("caption") or c.text or "")) for c in to_amal)
    assert f"Ticket #{ticket}" in told
    assert "🎧 Automatic transcript, it may hold mistakes: «" in told
    assert "language courses" in told.lower()


async def test_an_audio_file_too_long_to_hear_still_reaches_the_volunteer_unheard(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    worker = VoiceWorker(Scripted("never heard"))
    try:
        async with running(assistant, sessions, support=True, voice=worker) as h:
            await taken_by_amal(h, "أريد أن أفهم رسالة من البلدية")
            mark = h.fake.mark()
            song = h.fake.sound("audio", MIGRANT, duration=240, audio=b"four minutes")
            sent = await h.push(song, AMAL, "copyMessage", 1)
            [copied] = [c for c in sent if c.method == "copyMessage" and c.chat_id == AMAL]
            assert copied_from(copied) == (MIGRANT, song["message"]["message_id"])
            assert "Automatic transcript" not in str(copied.params.get("caption"))
            assert all(c.method != "getFile" for c in h.fake.calls[mark:])  # not downloaded
    finally:
        worker.close()


async def kept_transcripts(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        found = await session.scalars(
            select(TicketMessage.transcript).where(TicketMessage.transcript.is_not(None))
        )
        return [str(t) for t in found]


async def test_an_answer_can_be_listened_to_as_a_voice_note_spoken_once(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    need_voice(model=False)
    speaker = Speaker.find(tmp_path / "speech", UI_LANGUAGES)
    async with running(assistant, sessions, support=False, speech=speaker) as h:
        await h.setup(710, "brussels", "fr")
        [answer] = (await h.say(710, "où puis-je apprendre le néerlandais ?"))[-1:]
        listen = [d for d in answer.button_data() if d.startswith("1b:")]
        assert listen == ["1b:fr"]
        assert "🔊 Écouter" in answer.button_texts()
        calls = await h.tap(710, listen[0], message_id=answer.message_id)
        [note] = [c for c in calls if c.method == "sendVoice"]
        body = note.params["voice"]["body"]
        assert body.startswith(b"OggS") and ogg_seconds(body) > 3
        assert abs(note.params["duration"] - ogg_seconds(body)) <= 1
        assert note.params["reply_parameters"]["message_id"] == answer.message_id
        await h.tap(710, listen[0], message_id=answer.message_id)  # spoken once, sent again
        assert speaker is not None and len(list(speaker.cache.iterdir())) == 1
        assert len(h.fake.calls_of("sendVoice", 710)) == 2
