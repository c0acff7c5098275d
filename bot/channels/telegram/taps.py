"""Inline button taps. Every tap is decoded and checked again: buttons can be old or forged."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, Update

from bot.channels.commands import erase_texts, no_person_text
from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.callbacks import Kind, Tap, decode
from bot.channels.telegram.channel import Channel, Context, Seen
from bot.conversation import NoCity
from bot.core.i18n import translator
from bot.core.languages import UI_LANGUAGES, native_name

log = logging.getLogger(__name__)


SUPPORT = frozenset(
    {
        Kind.HUMAN,
        Kind.CONSENT,
        Kind.CANCEL,
        Kind.TAKE,
        Kind.RELEASE,
        Kind.CLOSE,
        Kind.RATE,
        Kind.SUGGEST,
        Kind.SPEAKS,
        Kind.READY,
        Kind.PREFERS,
    }
)


def _is_feedback(row: Sequence[InlineKeyboardButton]) -> bool:
    taps = (decode(b.callback_data) if isinstance(b.callback_data, str) else None for b in row)
    return any(tap is not None and tap.kind is Kind.FEEDBACK for tap in taps)


class Taps:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.conv = channel.conv
        self.fmt = channel.fmt

    async def __call__(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        seen = await self.channel.seen(update)
        tap = decode(query.data)
        if seen is None or tap is None:
            await self.expired(update, context, seen)
            return
        try:
            done = await self.dispatch(tap, seen, update, context)
        except NoCity:
            await query.answer()
            await self.channel.ask_city(context.bot, seen)
            return
        if not done:
            await self.expired(update, context, seen)

    async def expired(self, update: Update, context: Context, seen: Seen | None) -> None:
        query = update.callback_query
        assert query is not None
        if seen is None:
            await query.answer()
            return
        text = seen.t.gettext("This button has expired. Here is the current menu.")
        await query.answer(text)
        await self.channel.edit(update, self.fmt.escape(text), None)
        await self.channel.menu(context.bot, seen)

    async def dispatch(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        """Act on a tap; False when it no longer makes sense (the button has expired)."""
        query = update.callback_query
        assert query is not None
        bot = context.bot
        chat = str(seen.chat_id)
        knowledge = self.channel.knowledge
        t = seen.t
        if tap.kind is Kind.TOPIC or tap.kind is Kind.MORE:
            offset = tap.number(1) if tap.kind is Kind.MORE else 0
            if tap.arg not in knowledge.topics or offset is None:
                return False
            await query.answer()
            reply, qid = await self.conv.topic(
                chat, tap.arg, self.fmt, offset=offset, user=seen.user
            )
            await self.channel.show(bot, seen, reply, qid)
        elif tap.kind is Kind.CITY:
            if tap.arg not in knowledge.cities:
                return False
            await query.answer()
            seen.user = await self.conv.set_city(chat, tap.arg)
            done = self.fmt.escape("✓ " + self.channel.city_name(tap.arg, t))
            await self.channel.edit(update, done, None)
            if seen.user.language_explicit:
                await self.channel.welcome(bot, seen)
            else:
                await self.channel.ask_language(bot, seen, t.language)
        elif tap.kind is Kind.COUNTRY:
            rows = kb.city_keyboard(knowledge, t, country=tap.arg)
            if not rows:
                return False
            await query.answer()
            await query.edit_message_reply_markup(kb.markup(rows))
        elif tap.kind is Kind.LANGUAGE:
            if tap.arg not in UI_LANGUAGES:
                return False
            await query.answer()
            seen.user = await self.conv.set_language(chat, tap.arg)
            seen.t = translator(tap.arg)
            await self.channel.edit(update, self.fmt.escape("✓ " + native_name(tap.arg)), None)
            await self.channel.welcome(bot, seen)
        elif tap.kind is Kind.FEEDBACK:
            question, helpful = tap.number(0), tap.args[1]
            if question is None or helpful not in ("0", "1"):
                return False
            if not await self.conv.feedback(chat, question, helpful == "1"):
                return False
            await query.answer(t.gettext("Thank you for telling us."))
            await self.drop_feedback_row(update)
            if helpful == "0":
                await self.not_helpful(seen, context, question)
        elif tap.kind in SUPPORT and self.channel.volunteers is not None:
            if await self.channel.volunteers.tap(tap, seen, update, context):
                return True
            if tap.kind is not Kind.HUMAN:
                return False
            await query.answer()  # no support network in this city yet: say so honestly
            await self.human(seen, context)
        elif tap.kind is Kind.HUMAN:
            await query.answer()
            await self.human(seen, context)
        elif tap.kind in SUPPORT:
            return False
        elif tap.kind is Kind.DELETE:
            await self.delete(tap.arg == "y", seen, update)
        elif tap.kind is Kind.NEARBY:
            here = tap.point()
            if here is None:
                return False
            await query.answer()
            reply = await self.conv.nearby(chat, here, self.fmt, all_topics=True)
            await self.channel.show_choices(bot, seen, reply)
        elif tap.kind is Kind.LOCATE:
            await query.answer()
            text = self.fmt.escape(
                t.gettext(
                    "Tap the button below to share your location, "
                    "and I will list the nearest services."
                )
            )
            await self.channel.send(bot, seen.chat_id, text, kb.location_keyboard(t))
        elif tap.kind is Kind.MENU:
            await query.answer()
            await self.channel.menu(bot, seen)
        else:
            return False
        return True

    async def drop_feedback_row(self, update: Update) -> None:
        """Keep the answer's other buttons, remove the 👍/👎 that was just used."""
        query = update.callback_query
        assert query is not None
        message = query.message
        markup = getattr(message, "reply_markup", None)
        if markup is None:
            return
        rows = [list(row) for row in markup.inline_keyboard if not _is_feedback(row)]
        try:
            await query.edit_message_reply_markup(kb.markup(rows))
        except Exception as exc:  # an old message may no longer be editable
            log.debug("could not drop the feedback buttons: %s", type(exc).__name__)

    async def not_helpful(self, seen: Seen, context: Context, question: int) -> None:
        text = self.fmt.escape(
            seen.t.gettext("Sorry that this did not help. Choose another topic, or ask a person.")
        )
        choices = (*self.conv.assistant.menu(seen.t.language),)
        rows = kb.choice_rows(choices)
        rows.append(kb.human_row(seen.t, question))
        await self.channel.send(context.bot, seen.chat_id, text, kb.markup(rows))

    async def human(self, seen: Seen, context: Context) -> None:
        """Until volunteers are set up, say so honestly and give the city's own contact."""
        renderer = self.conv.assistant.renderer
        text = no_person_text(renderer, seen.user.city, datetime.now(UTC), seen.t, self.fmt)
        await self.channel.send(context.bot, seen.chat_id, text)

    async def delete(self, confirmed: bool, seen: Seen, update: Update) -> None:
        query = update.callback_query
        assert query is not None
        texts = erase_texts(seen.t)
        if not confirmed:
            await query.answer()
            await self.channel.edit(update, self.fmt.escape(texts.kept), None)
            return
        await self.conv.erase(str(seen.chat_id))
        await query.answer()
        await self.channel.edit(update, self.fmt.escape(texts.erased), None)
