"""The support network on Telegram: volunteers' commands and buttons, and the relay.

`TelegramMessenger` gives the desk what it needs (send, edit, relay a file); `Volunteers`
holds the handlers. Every action checks the database first: who the presser is (an active
volunteer of which city), and whether the ticket is theirs to act on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden

from bot.channels.telegram.callbacks import Kind, Tap, encode
from bot.channels.telegram.channel import Channel, Context, Seen, client_language
from bot.core.i18n import Translator, translator
from bot.core.languages import UI_LANGUAGES, native_name
from bot.storage.network import InviteProblem, VolunteerInfo
from bot.support.base import Said
from bot.support.desk import SupportDesk
from bot.support.messenger import Attachment, Buttons

log = logging.getLogger(__name__)


def keyboard(buttons: Buttons) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(b.label, callback_data=encode(Kind(b.do.value), *b.args))
            for b in row
        ]
        for row in buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


class TelegramMessenger:
    def __init__(self, bot: Bot, channel: Channel) -> None:
        self.bot = bot
        self.channel = channel

    async def send(self, chat_id: str, text: str, buttons: Buttons = ()) -> int | None:
        sent = await self.channel.send(self.bot, int(chat_id), text, keyboard(buttons))
        return sent.message_id if sent else None

    async def edit(self, chat_id: str, message_id: int, text: str, buttons: Buttons = ()) -> None:
        try:
            await self.bot.edit_message_text(
                text, chat_id=int(chat_id), message_id=message_id, reply_markup=keyboard(buttons)
            )
        except BadRequest as exc:  # too old to edit, or unchanged: nothing is lost
            log.debug("could not edit a support message: %s", exc.message)
        except Forbidden:
            await self.channel.conv.set_active(chat_id, False)

    async def send_file(
        self, chat_id: str, attachment: Attachment, caption: str, buttons: Buttons = ()
    ) -> int | None:
        send = self.bot.send_photo if attachment.kind == "photo" else self.bot.send_document
        try:
            sent = await send(
                int(chat_id),
                attachment.file_id,
                caption=caption[:1000],
                reply_markup=keyboard(buttons),
            )
        except Forbidden:
            await self.channel.conv.set_active(chat_id, False)
            return None
        return sent.message_id


def attachment_of(update: Update) -> Attachment | None:
    message = update.effective_message
    if message is None:
        return None
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id)
    if message.document:
        return Attachment("document", message.document.file_id)
    return None


class Volunteers:
    def __init__(self, channel: Channel, desk: SupportDesk) -> None:
        self.channel = channel
        self.desk = desk
        self.network = desk.network
        self.fmt = channel.fmt

    async def me(self, update: Update) -> VolunteerInfo | None:
        chat = update.effective_chat
        return await self.network.volunteer("telegram", str(chat.id)) if chat else None

    async def say(self, bot: Bot, chat_id: int, said: Said) -> None:
        await self.channel.send(bot, chat_id, said.text, keyboard(said.buttons))

    # -- joining ----------------------------------------------------------------------------

    async def join(self, update: Update, context: Context, code: str) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return
        language = client_language(update)
        t = translator(language if language in UI_LANGUAGES else "en")
        name = (user.first_name if user else "") or t.gettext("Volunteer")
        joined = await self.network.redeem(
            code,
            "telegram",
            str(chat.id),
            display_name=name[:64],
            ui_language=t.language,
            now=datetime.now(UTC),
        )
        if isinstance(joined, InviteProblem):
            problem = {
                InviteProblem.UNKNOWN: t.gettext(
                    "This invitation is not valid. Please ask your coordinator for a new one."
                ),
                InviteProblem.EXPIRED: t.gettext(
                    "This invitation has expired. Please ask your coordinator for a new one."
                ),
                InviteProblem.USED_UP: t.gettext(
                    "This invitation has been used up. Please ask your coordinator for a new one."
                ),
            }[joined]
            await self.channel.send(context.bot, chat.id, self.fmt.escape(problem))
            return
        text = t.gettext(
            "Welcome to the support network of {city}, with {organisation}. Which languages do "
            "you speak? Tap each one, then “Done”."
        ).format(
            city=self.desk.renderer.city_name(joined.city, t), organisation=joined.organisation
        )
        await self.channel.send(
            context.bot, chat.id, self.fmt.escape(text), self.languages(joined, t)
        )

    def languages(self, volunteer: VolunteerInfo, t: Translator) -> InlineKeyboardMarkup:
        buttons = [
            InlineKeyboardButton(
                ("✓ " if code in volunteer.languages else "") + native_name(code),
                callback_data=encode(Kind.SPEAKS, code),
            )
            for code in UI_LANGUAGES
        ]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
        rows.append([InlineKeyboardButton(t.gettext("Done"), callback_data=encode(Kind.READY))])
        return InlineKeyboardMarkup(rows)

    def topics(self, volunteer: VolunteerInfo, t: Translator) -> InlineKeyboardMarkup:
        """The topics, two by two, ✓ on those the volunteer prefers (optional)."""
        knowledge = self.desk.knowledge
        buttons = [
            InlineKeyboardButton(
                ("✓ " if tid in volunteer.topics else "") + self.desk.topic_title(tid, t),
                callback_data=encode(Kind.PREFERS, tid),
            )
            for tid in knowledge.topics
        ]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        rows.append([InlineKeyboardButton(t.gettext("Done"), callback_data=encode(Kind.READY))])
        return InlineKeyboardMarkup(rows)

    def status_text(self, volunteer: VolunteerInfo, t: Translator) -> str:
        spoken = ", ".join(t.language_name(c) for c in volunteer.languages) or "–"
        state = (
            t.gettext("You are available: new questions reach you.")
            if volunteer.available
            else t.gettext("You are away: no new questions reach you.")
        )
        lines = [
            t.gettext("You speak: {languages}.").format(languages=spoken),
            state,
            t.gettext("Migrants see you as “{name}” of {organisation}.").format(
                name=volunteer.display_name, organisation=volunteer.organisation
            ),
            t.gettext(
                "/available to receive questions, /away to pause, /mytickets for your tickets, "
                "/topics for the topics you prefer, /name to change your name, /leave to leave "
                "the network."
            ),
        ]
        return "\n\n".join(self.fmt.escape(line) for line in lines)

    # -- commands ---------------------------------------------------------------------------

    async def command(self, update: Update, context: Context) -> bool:
        """Handle a volunteer's command; False when the chat is not a volunteer's."""
        message = update.effective_message
        volunteer = await self.me(update)
        if volunteer is None or message is None or not message.text:
            return False
        t = translator(volunteer.ui_language)
        name, _, rest = message.text.partition(" ")
        name = name.split("@")[0].lower()
        chat = int(volunteer.chat_id)
        if name in ("/available", "/away"):
            volunteer = (
                await self.network.update(volunteer.id, available=name == "/available") or volunteer
            )
            await self.channel.send(context.bot, chat, self.status_text(volunteer, t))
        elif name == "/name" and rest.strip():
            volunteer = (
                await self.network.update(volunteer.id, display_name=rest.strip()[:64]) or volunteer
            )
            await self.channel.send(context.bot, chat, self.status_text(volunteer, t))
        elif name == "/topics":
            text = t.gettext(
                "Which topics do you prefer? Questions on them reach you first; you still "
                "receive the others. This is optional."
            )
            markup = self.topics(volunteer, t)
            await self.channel.send(context.bot, chat, self.fmt.escape(text), markup)
        elif name == "/mytickets":
            mine = await self.desk.tickets.of_volunteer(volunteer.id)
            if not mine:
                await self.channel.send(
                    context.bot, chat, self.fmt.escape(t.gettext("You have no open ticket."))
                )
            for ticket in mine:
                await self.say(context.bot, chat, self.desk.working(ticket, t))
        elif name == "/leave":
            await self.network.remove(volunteer.id, now=datetime.now(UTC))
            text = t.gettext("You have left the support network. Thank you for your help!")
            await self.channel.send(context.bot, chat, self.fmt.escape(text))
        else:
            await self.channel.send(context.bot, chat, self.status_text(volunteer, t))
        return True

    # -- messages ---------------------------------------------------------------------------

    async def message(self, update: Update, context: Context) -> bool:
        """A volunteer's answer to relay; False when it is not about one of their tickets.

        A reply to a ticket's message, or any message while they hold exactly one ticket, is an
        answer; anything else (from a volunteer, too) goes on to the assistant.
        """
        message = update.effective_message
        volunteer = await self.me(update)
        if volunteer is None or message is None:
            return False
        reply_to = message.reply_to_message.message_id if message.reply_to_message else None
        mine = await self.desk.tickets.of_volunteer(volunteer.id)
        if await self.desk.ticket_for_reply(volunteer.chat_id, reply_to, mine) is None:
            return False
        text = message.text or message.caption
        said = await self.desk.from_volunteer(volunteer, text, attachment_of(update), reply_to)
        if said is not None:
            await self.say(context.bot, int(volunteer.chat_id), said)
        return True

    async def follow_up(self, update: Update, context: Context, seen: Seen) -> bool:
        """A migrant's message that belongs to one of their tickets; False when it does not."""
        message = update.effective_message
        if message is None:
            return False
        reply_to = message.reply_to_message.message_id if message.reply_to_message else None
        text = message.text or message.caption
        said = await self.desk.from_migrant(seen.user, text, attachment_of(update), reply_to)
        if said is None:
            return False
        await self.say(context.bot, seen.chat_id, said)
        return True

    # -- buttons ----------------------------------------------------------------------------

    async def tap(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        """Act on a support button; False when it is not (or no longer) the presser's to press."""
        query = update.callback_query
        assert query is not None
        bot = context.bot
        volunteer = await self.me(update)
        number = tap.number(0) if tap.args else None
        if tap.kind is Kind.HUMAN:
            said = await self.desk.preview(seen.user, number or 0)
            if said is None:
                return False  # no network in this city: the channel says so honestly
            await query.answer()
            await self.say(bot, seen.chat_id, said)
        elif tap.kind is Kind.CONSENT and number is not None:
            await query.answer()
            await self.channel.edit(update, self.fmt.escape("✓"), None)
            await self.say(bot, seen.chat_id, await self.desk.open(seen.user, number))
        elif tap.kind is Kind.CANCEL:
            await query.answer()
            await self.channel.edit(
                update, self.fmt.escape(seen.t.gettext("Nothing was sent.")), None
            )
        elif tap.kind is Kind.RATE and number is not None:
            if not await self.desk.rate(seen.user, number, tap.args[1] == "1"):
                return False
            await query.answer(seen.t.gettext("Thank you for telling us."))
            await self.channel.edit(
                update, self.fmt.escape(seen.t.gettext("Thank you for telling us.")), None
            )
        elif tap.kind is Kind.CLOSE and number is not None:
            said = await self.desk.close(
                number, user=None if volunteer else seen.user, volunteer=volunteer
            )
            await query.answer()
            await self.say(bot, seen.chat_id, said)
        elif volunteer is None:
            return False  # every other support button is a volunteer's
        elif tap.kind is Kind.TAKE and number is not None:
            await query.answer()
            said = await self.desk.take(volunteer, number)
            await self.channel.edit(update, said.text, keyboard(said.buttons))
        elif tap.kind is Kind.RELEASE and number is not None:
            await query.answer()
            await self.say(bot, seen.chat_id, await self.desk.release(volunteer, number))
        elif tap.kind is Kind.SUGGEST and number is not None:
            said = await self.desk.suggest(volunteer, number)
            await query.answer()
            await self.say(bot, seen.chat_id, said)
        elif tap.kind is Kind.SPEAKS and tap.arg in UI_LANGUAGES:
            spoken = set(volunteer.languages) ^ {tap.arg}
            ordered = [c for c in UI_LANGUAGES if c in spoken]
            volunteer = await self.network.update(volunteer.id, languages=ordered) or volunteer
            await query.answer()
            await query.edit_message_reply_markup(
                self.languages(volunteer, translator(volunteer.ui_language))
            )
        elif tap.kind is Kind.PREFERS and tap.arg in self.desk.knowledge.topics:
            preferred = set(volunteer.topics) ^ {tap.arg}
            chosen = [tid for tid in self.desk.knowledge.topics if tid in preferred]
            volunteer = await self.network.update(volunteer.id, topics=chosen) or volunteer
            await query.answer()
            t = translator(volunteer.ui_language)
            await query.edit_message_reply_markup(self.topics(volunteer, t))
        elif tap.kind is Kind.READY:
            await query.answer()
            await self.channel.edit(
                update, self.status_text(volunteer, translator(volunteer.ui_language)), None
            )
        else:
            return False
        return True
