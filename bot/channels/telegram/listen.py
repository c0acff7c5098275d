""" "🔊 Listen": the answer a button is under, sent as a voice note in its language.

The text is the message's own, as Telegram gives it with the tap (no markup), less the
"Was this helpful?" line and what a voice note was heard to say; the speaker caches each
spoken text on disk by fingerprint.
"""

from __future__ import annotations

import logging

from telegram import Message, ReplyParameters, Update
from telegram.error import TelegramError

from bot.channels.telegram.callbacks import Tap
from bot.channels.telegram.channel import Channel, Context, Seen
from bot.channels.telegram.voice import heard_line
from bot.core.i18n import translator
from bot.voice.speech import Speaker

log = logging.getLogger(__name__)


class ReadAloud:
    def __init__(self, channel: Channel, speaker: Speaker) -> None:
        self.channel = channel
        self.speaker = speaker

    @staticmethod
    def text_of(message: Message, language: str) -> str:
        """The answer to read: without "Was this helpful?", and without "I heard: «…»" (the
        user's own words, which must not outlive their question's retention in the cache)."""
        t = translator(language)
        heard = heard_line(t, "\0").split("\0")[0]
        lines = (message.text or "").strip().splitlines()
        if lines and lines[-1].strip() == t.gettext("Was this helpful?"):
            lines.pop()
        return "\n".join(line for line in lines if not line.startswith(heard)).strip()

    async def tap(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        query = update.callback_query
        message = query.message if query is not None else None
        language = tap.arg
        if query is None or not isinstance(message, Message) or not self.speaker.offers(language):
            return False
        text = self.text_of(message, language)
        if not text:
            return False
        await query.answer()
        try:
            spoken = await self.speaker.speak(text, language)
        except OSError as exc:
            log.warning("could not read an answer aloud: %s", exc)
            return True
        try:
            await context.bot.send_voice(
                seen.chat_id,
                spoken.path.read_bytes(),
                duration=max(1, round(spoken.seconds)),
                reply_parameters=ReplyParameters(message.message_id),
            )
        except TelegramError as exc:
            log.warning("could not send an answer read aloud: %s", type(exc).__name__)
        return True
