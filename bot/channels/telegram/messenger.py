"""The support desk's `Messenger` on Telegram: send, edit, and copy a message of any kind.

The desk's buttons (`Do`) become callback data here; a message that is not text becomes an
`Original`, which `copyMessage` re-sends from the sender's chat as it is (a voice note stays a
voice note), without showing who sent it.
"""

from __future__ import annotations

import logging
from typing import Final

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import BadRequest, Forbidden

from bot.channels.telegram.callbacks import Kind, encode
from bot.channels.telegram.channel import Markup, send_html
from bot.conversation import Conversation
from bot.storage.sent import needing_answers
from bot.support.messenger import Buttons, Do, Media, Original

log = logging.getLogger(__name__)

#: The callback kind of each of the desk's actions.
CALLBACK: Final = {
    Do.CONSENT: Kind.CONSENT,
    Do.CANCEL: Kind.CANCEL,
    Do.TAKE: Kind.TAKE,
    Do.RELEASE: Kind.RELEASE,
    Do.CLOSE: Kind.CLOSE,
    Do.RATE: Kind.RATE,
    Do.SUGGEST: Kind.SUGGEST,
}
#: Kinds a caption can go with (the others get the note as a message just before the copy).
CAPTIONED: Final = frozenset(
    {Media.PHOTO, Media.DOCUMENT, Media.VOICE, Media.AUDIO, Media.VIDEO, Media.ANIMATION}
)
CAPTION_LIMIT: Final = 1000  # Telegram allows 1,024 characters; the HTML tags count here


def keyboard(buttons: Buttons) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(b.label, callback_data=encode(CALLBACK[b.do], *b.args)) for b in row]
        for row in buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def original_of(message: Message) -> Original | None:
    """The message as something to copy, or None when it is text (or nothing we relay)."""
    found = (
        (Media.PHOTO, message.photo),
        (Media.ANIMATION, message.animation),  # an animation also carries a document
        (Media.DOCUMENT, message.document),
        (Media.VOICE, message.voice),
        (Media.AUDIO, message.audio),
        (Media.VIDEO, message.video),
        (Media.VIDEO_NOTE, message.video_note),
        (Media.STICKER, message.sticker),
        (Media.LOCATION, message.location),  # a venue too
        (Media.CONTACT, message.contact),
        (Media.POLL, message.poll),
        (Media.DICE, message.dice),
    )
    media = next((media for media, present in found if present), None)
    return Original(str(message.chat_id), message.message_id, media) if media else None


class TelegramMessenger:
    def __init__(self, bot: Bot, conversation: Conversation) -> None:
        self.bot = bot
        self.conv = conversation

    async def post(self, chat_id: int, text: str, markup: Markup | None = None) -> Message | None:
        """Send HTML with Telegram's own keyboard (the volunteers' settings use it)."""
        return await send_html(self.bot, self.conv, chat_id, text, markup)

    async def send(self, chat_id: str, text: str, buttons: Buttons = ()) -> int | None:
        with needing_answers():  # the id is stored (an offer, to be edited later)
            sent = await self.post(int(chat_id), text, keyboard(buttons))
        return sent.message_id if sent else None

    async def edit(self, chat_id: str, message_id: int, text: str, buttons: Buttons = ()) -> None:
        if message_id <= 0:  # its send got no answer from Telegram: the id is unknown
            return
        try:
            await self.bot.edit_message_text(
                text, chat_id=int(chat_id), message_id=message_id, reply_markup=keyboard(buttons)
            )
        except BadRequest as exc:  # too old to edit, or unchanged: nothing is lost
            log.debug("could not edit a support message: %s", exc.message)
        except Forbidden:
            await self.conv.set_active(chat_id, False)

    async def copy(
        self, original: Original, chat_id: str, note: str, buttons: Buttons = ()
    ) -> int | None:
        markup = keyboard(buttons)
        source, to = int(original.chat_id), int(chat_id)
        with needing_answers():  # the copy's id is stored, to carry replies back
            try:
                if original.media in CAPTIONED and len(note) <= CAPTION_LIMIT:
                    copied = await self.bot.copy_message(
                        to, source, original.message_id, caption=note, reply_markup=markup
                    )
                    return copied.message_id
                head = await self.post(to, note, markup)
                if head is None:
                    return None
                copied = await self.bot.copy_message(
                    to,
                    source,
                    original.message_id,
                    reply_parameters=ReplyParameters(head.message_id),
                )
                return copied.message_id
            except Forbidden:
                await self.conv.set_active(chat_id, False)
                return None
            except BadRequest as exc:  # the sender deleted it meanwhile, say
                log.warning("could not copy a %s: %s", original.media, exc.message)
                return None
