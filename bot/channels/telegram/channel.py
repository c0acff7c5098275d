"""The Telegram channel: python-telegram-bot updates in, the core's replies out.

Handlers stay thin: they find the user, ask the `Conversation`, and turn its `Reply` into HTML
and buttons. Nothing here decides what to answer.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.channels import choosing, commands
from bot.channels.telegram import keyboards as kb
from bot.channels.telegram import texts
from bot.channels.telegram.delivery import StillFailing
from bot.channels.telegram.split import split_html
from bot.conversation import Conversation, NoCity
from bot.core.assistant import Reply
from bot.core.decision import Action
from bot.core.deeplinks import read_start
from bot.core.geo import Point
from bot.core.i18n import Translator, translator
from bot.core.knowledge import Knowledge
from bot.core.languages import base_language
from bot.core.render import HtmlFormatter
from bot.storage.models import User
from bot.storage.users import Who

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def client_language(update: Update) -> str | None:
    """The base language the user's Telegram app reports ("pt-br" → "pt")."""
    user = update.effective_user
    code = user.language_code if user else None
    return base_language(code) if code else None


async def send_html(
    bot: Bot, conv: Conversation, chat_id: int, text: str, markup: Markup | None = None
) -> Message | None:
    """Send HTML, split below Telegram's limit; the buttons go with the last part.

    Flood control (RetryAfter) is retried by the rate limiter. A user who blocked the bot is
    marked inactive, and nothing is raised.
    """
    chunks = split_html(text)
    sent: Message | None = None
    try:
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            sent = await bot.send_message(chat_id, chunk, reply_markup=markup if last else None)
    except Forbidden:
        log.info("a user blocked the bot or left: marked inactive")
        await conv.set_active(str(chat_id), False)
        return None
    return sent


async def edit_tapped(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replace the message a button was on (after a choice, say which one was made)."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # not modified, or too old to edit: nothing is lost
        log.debug("could not edit a message: %s", exc.message)


@dataclass
class Seen:
    """Who wrote, as the channel needs it: the stored user and their interface language."""

    chat_id: int
    user: User
    t: Translator


#: The user behind the update being handled, once looked up: the gate and then a handler both
#: need it (each update is handled in a task, and so a context, of its own).
_seen_here: ContextVar[tuple[int, Seen | None] | None] = ContextVar("seen_here", default=None)
#: Who writes, as one read found them (bot/storage/users.py `Who`), for the same update.
_who_here: ContextVar[tuple[int, Who | None] | None] = ContextVar("who_here", default=None)


class Channel:
    def __init__(
        self, conversation: Conversation, ticket_retention: timedelta | None = None
    ) -> None:
        self.conv = conversation
        self.fmt = HtmlFormatter()
        # How long tickets are kept, for /privacy, when the city has a support network.
        self.ticket_retention = ticket_retention

    @property
    def knowledge(self) -> Knowledge:
        return self.conv.assistant.knowledge

    # -- who is writing ---------------------------------------------------------------------

    async def seen(self, update: Update) -> Seen | None:
        """The user behind a private update (created on first contact, reactivated)."""
        here = _seen_here.get()
        if here is not None and here[0] == update.update_id:
            return here[1]
        seen = await self._seen(update)
        _seen_here.set((update.update_id, seen))
        return seen

    async def who(self, update: Update) -> Who | None:
        """The known user of a private update, and whether they volunteer or have an active
        ticket: one read, shared by the gate and the handler; None for a new chat."""
        here = _who_here.get()
        if here is not None and here[0] == update.update_id:
            return here[1]
        chat = update.effective_chat
        who = await self.conv.users.who(self.conv.channel, str(chat.id)) if chat else None
        _who_here.set((update.update_id, who))
        return who

    async def _seen(self, update: Update) -> Seen | None:
        chat = update.effective_chat
        if chat is None:
            return None
        who = await self.who(update)
        user = who.user if who is not None else await self.conv.user(str(chat.id))
        if not user.active:
            await self.conv.set_active(str(chat.id), True)
            user.active = True
        language = self.conv.language(user, client_language(update))
        return Seen(chat.id, user, translator(language))

    def city_name(self, slug: str, t: Translator) -> str:
        return self.conv.assistant.renderer.city_name(slug, t)

    # -- sending ----------------------------------------------------------------------------

    async def send(
        self, bot: Bot, chat_id: int, text: str, markup: Markup | None = None
    ) -> Message | None:
        return await send_html(bot, self.conv, chat_id, text, markup)

    async def edit(self, update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
        await edit_tapped(update, text, markup)

    async def show(self, bot: Bot, seen: Seen, reply: Reply, question_id: int | None) -> None:
        """A core reply as HTML with its choices as buttons, and 👍/👎 under an answer."""
        rows = kb.choice_rows(reply.choices, question_id=question_id)
        text = reply.text
        decision = reply.decision
        if decision.action is Action.ANSWER and decision.topic and seen.user.city:
            entries = self.knowledge.entries_for(seen.user.city, decision.topic)
            if any(e.coordinates for e in entries):
                rows.append(kb.locate_row(seen.t))
            speech = self.conv.speech
            if speech is not None and speech.offers(decision.language):
                rows.append(kb.listen_row(seen.t, decision.language))
            if question_id is not None and reply.shown:
                text += "\n\n<i>" + self.fmt.escape(seen.t.gettext("Was this helpful?")) + "</i>"
                rows.append(kb.feedback_row(question_id))
        await self.send(bot, seen.chat_id, text, kb.markup(rows))

    async def show_choices(self, bot: Bot, seen: Seen, reply: Reply) -> None:
        await self.send(bot, seen.chat_id, reply.text, kb.markup(kb.choice_rows(reply.choices)))

    # -- shared steps -----------------------------------------------------------------------

    async def ask_city(self, bot: Bot, seen: Seen, note: str | None = None) -> None:
        text = self.fmt.escape(seen.t.gettext("Which city do you live in?"))
        if note:
            text = f"{self.fmt.escape(note)}\n\n{text}"
        rows = kb.city_keyboard(self.knowledge, seen.t)
        await self.send(bot, seen.chat_id, text, kb.markup(rows))

    async def ask_language(self, bot: Bot, seen: Seen, suggested: str | None) -> None:
        text = self.fmt.escape(seen.t.gettext("Which language do you prefer?"))
        await self.send(bot, seen.chat_id, text, kb.markup(kb.language_keyboard(suggested, seen.t)))

    async def welcome(self, bot: Bot, seen: Seen) -> None:
        if not seen.user.city:
            await self.ask_city(bot, seen)
            return
        await self.conv.consent(str(seen.chat_id))
        text = texts.welcome(seen.t, self.city_name(seen.user.city, seen.t))
        menu = self.conv.assistant.menu(seen.t.language)
        await self.send(bot, seen.chat_id, text, kb.markup(kb.choice_rows(menu)))

    async def menu(self, bot: Bot, seen: Seen) -> None:
        if not seen.user.city:
            await self.ask_city(bot, seen)
            return
        text = self.fmt.escape(seen.t.gettext("Choose a topic:"))
        menu = self.conv.assistant.menu(seen.t.language)
        await self.send(bot, seen.chat_id, text, kb.markup(kb.choice_rows(menu)))

    # -- commands ---------------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        seen = await self.seen(update)
        if seen is None:
            return
        raw = (context.args or [""])[0].strip()
        link = read_start(raw, self.knowledge.topics)
        payload = choosing.find_city(self.knowledge, link.city) if link else None
        if payload:
            seen.user = await self.conv.set_city(str(seen.chat_id), payload)
            name = self.city_name(payload, seen.t)
            await self.send(context.bot, seen.chat_id, self.fmt.escape(f"✓ {name}"))
            if link and link.topic:  # a topic's poster: its answer, as if the topic was asked
                reply, qid = await self.conv.topic(
                    str(seen.chat_id),
                    link.topic,
                    self.fmt,
                    user=seen.user,
                    client_language=client_language(update),
                )
                await self.show(context.bot, seen, reply, qid)
                return
            await self.ask_language(context.bot, seen, seen.t.language)
            return
        if raw:
            note = seen.t.gettext("I do not know the city of this link.")
            await self.ask_city(context.bot, seen, note)
            return
        if seen.user.city:
            await self.welcome(context.bot, seen)
            return
        await self.ask_city(context.bot, seen)

    async def menu_command(self, update: Update, context: Context) -> None:
        if seen := await self.seen(update):
            await self.menu(context.bot, seen)

    async def city_command(self, update: Update, context: Context) -> None:
        if seen := await self.seen(update):
            await self.ask_city(context.bot, seen)

    async def language_command(self, update: Update, context: Context) -> None:
        if seen := await self.seen(update):
            await self.ask_language(context.bot, seen, client_language(update))

    async def help_command(self, update: Update, context: Context) -> None:
        if seen := await self.seen(update):
            city = self.city_name(seen.user.city, seen.t) if seen.user.city else None
            await self.send(context.bot, seen.chat_id, texts.help_text(seen.t, city))

    async def privacy_command(self, update: Update, context: Context) -> None:
        if seen := await self.seen(update):
            text = texts.privacy_text(seen.t, self.conv.questions.retention, self.ticket_retention)
            await self.send(context.bot, seen.chat_id, text)

    async def delete_command(self, update: Update, context: Context) -> None:
        if seen := await self.seen(update):
            text = self.fmt.escape(commands.erase_texts(seen.t).question)
            await self.send(context.bot, seen.chat_id, text, kb.markup(kb.delete_keyboard(seen.t)))

    # -- messages ---------------------------------------------------------------------------

    async def text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        seen = await self.seen(update)
        if seen is None or message is None or not message.text:
            return
        try:
            reply, qid = await self.conv.message(
                str(seen.chat_id),
                message.text,
                self.fmt,
                client_language=client_language(update),
                user=seen.user,
            )
        except NoCity:
            note = seen.t.gettext("First, please tell me your city. Then ask your question again.")
            await self.ask_city(context.bot, seen, note)
            return
        seen.t = translator(reply.decision.language)
        await self.show(context.bot, seen, reply, qid)

    async def location(self, update: Update, context: Context) -> None:
        message = update.effective_message
        seen = await self.seen(update)
        if seen is None or message is None or message.location is None:
            return
        here = Point(message.location.latitude, message.location.longitude)
        try:
            reply = await self.conv.nearby(str(seen.chat_id), here, self.fmt)
        except NoCity:
            await self.ask_city(context.bot, seen)
            return
        # The location keyboard was one-time; remove it before the answer.
        await self.send(context.bot, seen.chat_id, "📍", ReplyKeyboardRemove())
        await self.show_choices(context.bot, seen, reply)

    async def media(self, update: Update, context: Context) -> None:
        """What the bot cannot read gets a polite "please write", and the menu with a city."""
        seen = await self.seen(update)
        if seen is None:
            return
        menu = self.conv.assistant.menu(seen.t.language) if seen.user.city else ()
        markup = kb.markup(kb.choice_rows(menu))
        await self.send(context.bot, seen.chat_id, texts.media_text(seen.t), markup)

    async def unknown_command(self, update: Update, context: Context) -> None:
        message = update.effective_message
        name = commands.command_of(message.text or "") if message else None
        if (seen := await self.seen(update)) and name is not None:
            text = commands.unknown_command_text(seen.t, self.fmt, name)
            await self.send(context.bot, seen.chat_id, text)

    async def group(self, update: Update, context: Context) -> None:
        """In a group, answer nobody's question: point to a private chat (privacy)."""
        message = update.effective_message
        if message is None:
            return
        me = context.bot.username
        replied = message.reply_to_message
        addressed = (
            (message.text or "").startswith("/")
            or f"@{me}".lower() in (message.text or "").lower()
            or (
                replied is not None
                and replied.from_user is not None
                and replied.from_user.id == context.bot.id
            )
        )
        if not addressed:
            return
        t = translator(client_language(update) or "en")
        await message.reply_text(texts.group_text(t), reply_markup=kb.private_chat_keyboard(me, t))

    async def membership(self, update: Update, context: Context) -> None:
        """Telegram tells us when a user blocks (or unblocks) the bot in a private chat."""
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        status = change.new_chat_member.status
        active = status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        await self.conv.set_active(str(change.chat.id), active)

    async def error(self, update: object, context: Context) -> None:
        """Log system errors with context, never the message text, and tell the user gently."""
        exc = context.error
        if isinstance(exc, Forbidden) and isinstance(update, Update) and update.effective_chat:
            await self.conv.set_active(str(update.effective_chat.id), False)
            return
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(exc, StillFailing):  # an outage: the inbox hands the update back
            log.warning("Telegram unreachable while handling update %s: %s", update_id, exc)
            return
        log.error("error while handling update %s", update_id, exc_info=exc)
        chat = update.effective_chat if isinstance(update, Update) else None
        if isinstance(update, Update) and chat and chat.type == ChatType.PRIVATE:
            t = translator(client_language(update) or "en")
            text = t.gettext("Sorry, something went wrong on our side. Please try again soon.")
            try:
                await context.bot.send_message(chat.id, self.fmt.escape(text))
            except Exception:  # the error may be that we cannot send at all
                log.warning("could not tell the user about the error")
