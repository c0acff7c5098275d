"""Build the python-telegram-bot Application for a conversation: the one place that wires it."""

from __future__ import annotations

import logging
import re

from telegram import BotCommand, BotCommandScopeAllPrivateChats, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.channels.telegram import texts
from bot.channels.telegram.channel import Channel
from bot.channels.telegram.gate import Gate
from bot.channels.telegram.processor import PerChatUpdateProcessor
from bot.channels.telegram.support import TelegramMessenger, Volunteers
from bot.channels.telegram.taps import Taps
from bot.conversation import Conversation
from bot.core.i18n import translator
from bot.core.languages import UI_LANGUAGES
from bot.settings import TelegramSettings
from bot.support.desk import SupportDesk

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


def build_application(
    conversation: Conversation, settings: TelegramSettings, desk: SupportDesk | None = None
) -> Application:  # type: ignore[type-arg]
    """The Application with every handler registered; not started."""
    if not settings.token:
        raise ValueError("no Telegram bot token")
    limiter = AIORateLimiter(overall_max_rate=settings.max_rate, max_retries=settings.retries)
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.file_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(limiter)
        .concurrent_updates(PerChatUpdateProcessor())
        .build()
    )
    channel = Channel(conversation, desk.settings.ticket_retention if desk else None)
    volunteers = None
    if desk is not None:  # the city's support network: volunteers and tickets
        desk.attach(TelegramMessenger(application.bot, channel))
        volunteers = Volunteers(channel, desk)
    register(application, channel, volunteers)
    return application


def register(
    application: Application,  # type: ignore[type-arg]
    channel: Channel,
    volunteers: Volunteers | None,
) -> None:
    """Every handler, in two groups.

    Group -1, with a support network only, decides who is writing (see gate.py); group 0 is the
    assistant's, for everyone, volunteers included.
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
                    private & new & (filters.TEXT | UNREADABLE) & ~filters.COMMAND, gate.message
                ),
            ],
            group=-1,
        )
    application.add_handlers(
        [
            MessageHandler(filters.ChatType.GROUPS & new, channel.group),
            *(CommandHandler(name, cb, filters=private & new) for name, cb in commands.items()),
            MessageHandler(private & new & filters.COMMAND, channel.help_command),
            MessageHandler(private & new & filters.LOCATION, channel.location),
            MessageHandler(private & new & filters.TEXT, channel.text),
            MessageHandler(private & new & UNREADABLE, channel.media),
            CallbackQueryHandler(Taps(channel, volunteers)),
            ChatMemberHandler(channel.membership, ChatMemberHandler.MY_CHAT_MEMBER),
        ]
    )
    application.add_error_handler(channel.error)


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
