"""Voice notes on Telegram: heard, transcribed by the voice worker, then answered as text is.

"🎧 Listening…" goes out at once; the note is fetched into memory only (never stored), and its
transcript goes through the same understanding as a typed question. A short or unsure
transcript is shown first with "Yes" and "No" buttons. Too long or too large a note is refused
before anything is downloaded, and a full queue says so rather than keep the user waiting.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta
from typing import Final

from telegram import Audio, Bot, InlineKeyboardButton, Update, VideoNote, Voice
from telegram.error import TelegramError

from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.callbacks import Kind, Tap, encode
from bot.channels.telegram.channel import Channel, Context, Seen, client_language
from bot.conversation import NoCity
from bot.core.i18n import Translator, translator
from bot.voice.transcriber import Transcript
from bot.voice.worker import Busy, VoiceWorker

log = logging.getLogger(__name__)

MAX_SECONDS: Final = 60
MAX_BYTES: Final = 2 * 1024 * 1024

#: What Whisper can hear: a voice note, and on a ticket an audio file or a video note too
#: (faster-whisper decodes each through PyAV).
Audible = Voice | Audio | VideoNote


def _seconds(duration: int | timedelta) -> float:
    """A duration as python-telegram-bot gives it (seconds, or a timedelta with PTB_TIMEDELTA)."""
    return duration.total_seconds() if isinstance(duration, timedelta) else float(duration)


def heard_line(t: Translator, text: str) -> str:
    return t.gettext("I heard: «{text}»").format(text=text)


def acceptable(sound: Audible) -> bool:
    """Short and small enough to hear (checked before anything is downloaded)."""
    return _seconds(sound.duration) <= MAX_SECONDS and (sound.file_size or 0) <= MAX_BYTES


async def hear(bot: Bot, sound: Audible, worker: VoiceWorker, language: str) -> Transcript | None:
    """A voice note (or an audio file, a video note) fetched into memory and transcribed;
    None when it cannot be heard. `Busy` when the worker's queue is full."""
    try:
        file = await bot.get_file(sound.file_id)
        if (file.file_size or 0) > MAX_BYTES:
            raise ValueError("the file is larger than its note said")
        audio = bytes(await file.download_as_bytearray())  # in memory only
        return await worker.transcribe(audio, language)
    except (TelegramError, ValueError, OSError) as exc:
        log.warning("a voice note could not be heard: %s", type(exc).__name__)
        return None


class VoiceNotes:
    def __init__(self, channel: Channel, worker: VoiceWorker) -> None:
        self.channel = channel
        self.conv = channel.conv
        self.fmt = channel.fmt
        self.worker = worker

    async def say(self, context: Context, seen: Seen, text: str, menu: bool = False) -> None:
        rows = kb.choice_rows(self.conv.assistant.menu(seen.t.language)) if menu else []
        await self.channel.send(context.bot, seen.chat_id, self.fmt.escape(text), kb.markup(rows))

    async def busy(self, context: Context, seen: Seen) -> None:
        text = seen.t.gettext(
            "Many voice messages are waiting to be heard. Please type your question, or try "
            "again in a few minutes."
        )
        await self.say(context, seen, text)

    async def note(self, update: Update, context: Context) -> None:
        """A voice note from a migrant (one on a ticket was relayed before this)."""
        message = update.effective_message
        seen = await self.channel.seen(update)
        if seen is None or message is None or message.voice is None:
            return
        if not seen.user.city:
            note = seen.t.gettext("First, please tell me your city. Then ask your question again.")
            await self.channel.ask_city(context.bot, seen, note)
            return
        voice = message.voice
        if not acceptable(voice):
            text = seen.t.gettext(
                "This voice message is too long for me: please send one of less than a "
                "minute, or type your question."
            )
            await self.say(context, seen, text)
            return
        if self.worker.full:
            await self.busy(context, seen)
            return
        await self.say(context, seen, "🎧 " + seen.t.gettext("Listening…"))
        language = self.conv.language(seen.user, client_language(update))
        started = time.monotonic()
        try:
            heard = await hear(context.bot, voice, self.worker, language)
        except Busy:
            await self.busy(context, seen)
            return
        log.info(
            "voice note: %.0f s, heard in %.1f s, lang=%s, words=%d",
            _seconds(voice.duration),
            time.monotonic() - started,
            language,
            len(heard.text.split()) if heard else 0,
        )
        if heard is None or not heard.text:
            text = seen.t.gettext(
                "Sorry, I could not make out this voice message. Please try again, or type "
                "your question."
            )
            await self.say(context, seen, text)
            return
        if heard.unsure:
            await self.confirm(context, seen, heard.text, language, heard.confidence)
            return
        await self.answer(context, seen, update, heard.text)

    async def confirm(
        self, context: Context, seen: Seen, text: str, language: str, confidence: float
    ) -> None:
        """Ask "did I hear you right?" with Yes / No; the transcript is logged meanwhile."""
        qid = await self.conv.heard(seen.user, text, language, confidence)
        t = translator(language)
        question = heard_line(t, text) + "\n\n" + t.gettext("Is this your question?")
        rows = [
            [
                InlineKeyboardButton(t.gettext("Yes"), callback_data=encode(Kind.HEARD, qid, 1)),
                InlineKeyboardButton(
                    t.gettext("No, I will type it"), callback_data=encode(Kind.HEARD, qid, 0)
                ),
            ]
        ]
        await self.channel.send(
            context.bot, seen.chat_id, self.fmt.escape(question), kb.markup(rows)
        )

    async def answer(
        self, context: Context, seen: Seen, update: Update, text: str, *, shown: bool = False
    ) -> None:
        """The transcript answered as a typed question, "I heard: «…»" above the answer
        (unless the confirmation above it says so already: `shown`)."""
        try:
            reply, qid = await self.conv.message(
                str(seen.chat_id),
                text,
                self.fmt,
                client_language=client_language(update),
                user=seen.user,
            )
        except NoCity:
            await self.channel.ask_city(context.bot, seen)
            return
        seen.t = translator(reply.decision.language)
        if not shown:
            said = self.fmt.escape(heard_line(seen.t, text))
            reply = replace(reply, text=f"{said}\n\n{reply.text}")
        await self.channel.show(context.bot, seen, reply, qid)

    async def tap(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        """Yes: answer the transcript; no: ask the user to type. False when it is gone."""
        qid, yes = tap.number(0), tap.args[1]
        if qid is None or yes not in ("0", "1"):
            return False
        text = await self.conv.confirmed(seen.user, qid)
        if text is None:
            return False
        query = update.callback_query
        assert query is not None
        await query.answer()
        if yes == "0":
            done = seen.t.gettext("Please type your question in a few words.")
            await self.channel.edit(update, self.fmt.escape(done), None)
            return True
        await self.channel.edit(update, self.fmt.escape("✓ " + heard_line(seen.t, text)), None)
        await self.answer(context, seen, update, text, shown=True)
        return True
