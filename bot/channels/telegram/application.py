"""Build the python-telegram-bot Application for a conversation: the one place that wires it."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from telegram import BotCommand, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    Updater,
    filters,
)

from bot.app import TelegramBot
from bot.channels.telegram import texts
from bot.channels.telegram.channel import Channel
from bot.channels.telegram.gate import Gate
from bot.channels.telegram.inbox import StoredUpdates
from bot.channels.telegram.listen import ReadAloud
from bot.channels.telegram.staff import StaffDoor
from bot.channels.telegram.taps import Taps
from bot.channels.telegram.unreadable import withhold_received_data
from bot.core.i18n import translator
from bot.core.languages import UI_LANGUAGES

if TYPE_CHECKING:
    from bot.channels.telegram.support import Volunteers
    from bot.channels.telegram.voice import VoiceNotes

log = logging.getLogger(__name__)

#: What the bot can be sent but cannot read: it answers these politely.
UNREADABLE = (
    filters.VOICE
    | filters.AUDIO
    | filters.PHOTO
    | filters.Sticker.ALL
    | filters.Document.ALL
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.CONTACT
    | filters.POLL
    | filters.Dice.ALL
)


#: A place shared in the chat: the nearest services, or (as a reply) a place for a volunteer.
PLACE = filters.LOCATION


def build_application(parts: TelegramBot) -> Application:  # type: ignore[type-arg]
    """The Application around a bot built by `bot.app.telegram_bot`; not started.

    Its Updater stores every update in the durable inbox before acknowledging it (see
    inbox.py); the inbox's worker, not the Application's own queue, then hands the updates to
    the handlers.
    """
    withhold_received_data()
    updater = Updater(parts.bot, update_queue=StoredUpdates(parts.delivery.inbox))
    application = ApplicationBuilder().updater(updater).build()
    register(application, parts.channel, parts.volunteers, parts.staff, parts.voice)
    return application


def register(
    application: Application,  # type: ignore[type-arg]
    channel: Channel,
    volunteers: Volunteers | None,
    staff: StaffDoor | None = None,
    voice: VoiceNotes | None = None,
) -> None:
    """Every handler, in three groups.

    Group -2, with a staff console only, lets city staff in (see staff.py). Group -1, with a
    support network only, decides who is writing (see gate.py); group 0 is the assistant's,
    for everyone, volunteers included.
    """
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE  # an edited message is not asked again
    commands = {
        "start": channel.start,
        "menu": channel.menu_command,
        "city": channel.city_command,
        "language": channel.language_command,
        "help": channel.help_command,
        "privacy": channel.privacy_command,
        "delete": channel.delete_command,
    }
    if staff is not None:
        staff_invitation = filters.Regex(r"^/start(@\w+)?\s+s_")
        application.add_handlers(
            [
                CommandHandler("start", staff.join, filters=private & new & staff_invitation),
                CommandHandler("staff", staff.login, filters=private & new),
            ],
            group=-2,
        )
    if volunteers is not None:
        gate = Gate(channel, volunteers)
        invitation = filters.Regex(r"^/start(@\w+)?\s+v_")
        names = "|".join(name for name in commands if name != "start")
        everyone = filters.Regex(re.compile(rf"^/({names})(@\w+)?(\s|$)", re.IGNORECASE))
        application.add_handlers(
            [
                CommandHandler("start", gate.join, filters=private & new & invitation),
                MessageHandler(private & new & filters.COMMAND & ~everyone, gate.command),
                MessageHandler(
                    private
                    & new
                    & (filters.TEXT | filters.LOCATION | UNREADABLE)
                    & ~filters.COMMAND,
                    gate.message,
                ),
            ],
            group=-1,
        )
    application.add_handlers(
        [
            MessageHandler(filters.ChatType.GROUPS & new, channel.group),
            *(CommandHandler(name, cb, filters=private & new) for name, cb in commands.items()),
            MessageHandler(private & new & filters.COMMAND, channel.unknown_command),
            MessageHandler(private & new & filters.LOCATION, channel.location),
            MessageHandler(private & new & filters.TEXT, channel.text),
            *([MessageHandler(private & new & filters.VOICE, voice.note)] if voice else []),
            MessageHandler(private & new & UNREADABLE, channel.media),
            CallbackQueryHandler(Taps(channel, volunteers, voice, read_aloud(channel))),
            ChatMemberHandler(channel.membership, ChatMemberHandler.MY_CHAT_MEMBER),
        ]
    )
    application.add_error_handler(channel.error)


def read_aloud(channel: Channel) -> ReadAloud | None:
    speaker = channel.conv.speech
    return ReadAloud(channel, speaker) if speaker is not None else None


async def register_commands(application: Application) -> None:  # type: ignore[type-arg]
    """The "/" menu, description and short description in each interface language.

    Telegram shows the user the version for their app's language; English is the default.
    A failure here is logged and does not stop the bot: BotFather can set these too.
    """
    bot = application.bot
    scope = BotCommandScopeAllPrivateChats()
    try:
        for language in (None, *UI_LANGUAGES):
            t = translator(language or "en")
            commands = [BotCommand(name, text) for name, text in texts.command_descriptions(t)]
            await bot.set_my_commands(commands, scope=scope, language_code=language)
            await bot.set_my_description(texts.bot_description(t), language_code=language)
            await bot.set_my_short_description(
                texts.bot_short_description(t), language_code=language
            )
    except TelegramError as exc:
        log.warning("could not register the command list with Telegram: %s", exc.message)
