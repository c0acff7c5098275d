"""Inline button taps. Every tap is decoded and checked again: buttons can be old or forged.

Each kind of button has its own small handler, found in one table. A handler returns False when
the tap no longer makes sense, and the user is told politely that the button has expired.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from telegram import CallbackQuery, InlineKeyboardButton, Update

from bot.channels.choosing import AUTOMATIC
from bot.channels.commands import erase_texts, no_person_text
from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.callbacks import Kind, Tap, decode
from bot.channels.telegram.channel import Channel, Context, Seen
from bot.conversation import NoCity
from bot.core.i18n import translator
from bot.core.languages import UI_LANGUAGES, native_name

if TYPE_CHECKING:
    from bot.channels.telegram.listen import ReadAloud
    from bot.channels.telegram.support import Volunteers
    from bot.channels.telegram.voice import VoiceNotes

log = logging.getLogger(__name__)

#: Acts on one kind of tap; False when the button has expired.
Handler = Callable[[Tap, Seen, Update, Context], Awaitable[bool]]

#: The support network's buttons: `Volunteers.tap` handles them when the city has a network.
#: ("Ask a person" is in the table either way: without a network it is answered honestly.)
SUPPORT = frozenset(
    {
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


#: A migrant's buttons that mean nothing without a city. After /delete (or before a city was
#: chosen) they ask for the city, as a first message would: the user starts from the beginning.
NEEDS_CITY = frozenset(
    {
        Kind.TOPIC,
        Kind.MORE,
        Kind.FEEDBACK,
        Kind.HUMAN,
        Kind.NEARBY,
        Kind.LOCATE,
        Kind.MENU,
        Kind.CONSENT,
        Kind.CANCEL,
        Kind.RATE,
        Kind.HEARD,
    }
)


def _has(row: Sequence[InlineKeyboardButton], kind: Kind) -> bool:
    taps = (decode(b.callback_data) if isinstance(b.callback_data, str) else None for b in row)
    return any(tap is not None and tap.kind is kind for tap in taps)


def query_of(update: Update) -> CallbackQuery:
    query = update.callback_query
    assert query is not None  # the handlers run for callback queries only
    return query


class Taps:
    def __init__(
        self,
        channel: Channel,
        volunteers: Volunteers | None = None,
        voice: VoiceNotes | None = None,
        listen: ReadAloud | None = None,
    ) -> None:
        self.channel = channel
        self.conv = channel.conv
        self.fmt = channel.fmt
        self.volunteers = volunteers
        self.handlers: dict[Kind, Handler] = {
            Kind.TOPIC: self.topic,
            Kind.MORE: self.more,
            Kind.CITY: self.city,
            Kind.COUNTRY: self.country,
            Kind.LANGUAGE: self.language,
            Kind.PREFER: self.prefer,
            Kind.FEEDBACK: self.feedback,
            Kind.HUMAN: self.human,
            Kind.DELETE: self.delete,
            Kind.NEARBY: self.nearby,
            Kind.LOCATE: self.locate,
            Kind.MENU: self.menu,
        }
        if volunteers is not None:
            self.handlers.update(dict.fromkeys(SUPPORT, volunteers.tap))
        if voice is not None:
            self.handlers[Kind.HEARD] = voice.tap
        if listen is not None:
            self.handlers[Kind.LISTEN] = listen.tap

    async def __call__(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        seen = await self.channel.seen(update)
        tap = decode(query.data)
        handler = self.handlers.get(tap.kind) if tap is not None else None
        if seen is None or tap is None or handler is None:
            await self.expired(update, context, seen)
            return
        if tap.kind in NEEDS_CITY and not seen.user.city:
            await self.from_the_beginning(update, context, seen)
            return
        try:
            done = await handler(tap, seen, update, context)
        except NoCity:  # raised before the handler answered the query (it is answered once)
            await self.from_the_beginning(update, context, seen)
            return
        if not done:
            await self.expired(update, context, seen)

    async def from_the_beginning(self, update: Update, context: Context, seen: Seen) -> None:
        await query_of(update).answer()
        await self.channel.ask_city(context.bot, seen)

    async def expired(self, update: Update, context: Context, seen: Seen | None) -> None:
        query = query_of(update)
        if seen is None:
            await query.answer()
            return
        text = seen.t.gettext("This button has expired. Here is the current menu.")
        await query.answer(text)
        await self.channel.edit(update, self.fmt.escape(text), None)
        await self.channel.menu(context.bot, seen)

    # -- one handler per kind of button ------------------------------------------------------

    async def topic(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        return await self.page(tap.arg, 0, seen, update, context)

    async def more(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        numbers = tap.numbers(1)  # the offset, then the entries the first page showed
        if not numbers:
            return False
        offset, *first = numbers
        return await self.page(tap.arg, offset, seen, update, context, tuple(first))

    async def page(
        self,
        topic: str,
        offset: int,
        seen: Seen,
        update: Update,
        context: Context,
        first: tuple[int, ...] = (),
    ) -> bool:
        if topic not in self.channel.knowledge.topics:
            return False
        reply, qid = await self.conv.topic(
            str(seen.chat_id), topic, self.fmt, offset=offset, first=first, user=seen.user
        )
        await query_of(update).answer()
        await self.channel.show(context.bot, seen, reply, qid)
        return True

    async def city(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        if tap.arg not in self.channel.knowledge.cities:
            return False
        await query_of(update).answer()
        seen.user = await self.conv.set_city(str(seen.chat_id), tap.arg)
        done = self.fmt.escape("✓ " + self.channel.city_name(tap.arg, seen.t))
        await self.channel.edit(update, done, None)
        if seen.user.language_explicit:
            await self.channel.welcome(context.bot, seen)
        else:
            await self.channel.ask_language(context.bot, seen, seen.t.language)
        return True

    async def country(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        rows = kb.city_keyboard(self.channel.knowledge, seen.t, country=tap.arg)
        if not rows:
            return False
        query = query_of(update)
        await query.answer()
        await query.edit_message_reply_markup(kb.markup(rows))
        return True

    async def language(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        if tap.arg == AUTOMATIC:
            await query_of(update).answer()
            seen.user = await self.conv.set_language_automatic(str(seen.chat_id))
            label = seen.t.gettext("Automatic: the language I write in")
            await self.channel.edit(update, self.fmt.escape("✓ " + label), None)
            await self.channel.welcome(context.bot, seen)
            return True
        if tap.arg not in UI_LANGUAGES:
            return False
        await query_of(update).answer()
        seen.user = await self.conv.set_language(str(seen.chat_id), tap.arg)
        seen.t = translator(tap.arg)
        await self.channel.edit(update, self.fmt.escape("✓ " + native_name(tap.arg)), None)
        await self.channel.welcome(context.bot, seen)
        return True

    async def prefer(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        """From now on, replies in the language of the message this button was under."""
        if tap.arg not in UI_LANGUAGES:
            return False
        seen.user = await self.conv.set_language(str(seen.chat_id), tap.arg)
        await query_of(update).answer("✓ " + native_name(tap.arg))
        await self.drop_used_row(update, Kind.PREFER)
        return True

    async def feedback(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        question, helpful = tap.number(0), tap.args[1]
        if question is None or helpful not in ("0", "1"):
            return False
        if not await self.conv.feedback(str(seen.chat_id), question, helpful == "1"):
            return False
        await query_of(update).answer(seen.t.gettext("Thank you for telling us."))
        await self.drop_used_row(update, Kind.FEEDBACK)
        if helpful == "0":
            await self.not_helpful(seen, context, question)
        return True

    async def human(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        """Ask a person: the support network when the city has one, else an honest answer."""
        if self.volunteers is not None and await self.volunteers.tap(tap, seen, update, context):
            return True
        await query_of(update).answer()
        await self.no_network(seen, context)
        return True

    async def delete(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        query = query_of(update)
        texts = erase_texts(seen.t)
        if tap.arg != "y":
            await query.answer()
            await self.channel.edit(update, self.fmt.escape(texts.kept), None)
            return True
        await self.conv.erase(str(seen.chat_id))
        await query.answer()
        await self.channel.edit(update, self.fmt.escape(texts.erased), None)
        return True

    async def nearby(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        here = tap.point()
        if here is None:
            return False
        reply = await self.conv.nearby(str(seen.chat_id), here, self.fmt, all_topics=True)
        await query_of(update).answer()
        await self.channel.show_choices(context.bot, seen, reply)
        return True

    async def locate(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        await query_of(update).answer()
        text = seen.t.gettext(
            "Tap the button below to share your location, and I will list the nearest services."
        )
        markup = kb.location_keyboard(seen.t)
        await self.channel.send(context.bot, seen.chat_id, self.fmt.escape(text), markup)
        return True

    async def menu(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        await query_of(update).answer()
        await self.channel.menu(context.bot, seen)
        return True

    # -- shared steps ------------------------------------------------------------------------

    async def drop_used_row(self, update: Update, kind: Kind) -> None:
        """Keep the answer's other buttons, remove the row that was just used (👍/👎, or
        "Always reply in …")."""
        query = query_of(update)
        message = query.message
        markup = getattr(message, "reply_markup", None)
        if markup is None:
            return
        rows = [list(row) for row in markup.inline_keyboard if not _has(row, kind)]
        try:
            await query.edit_message_reply_markup(kb.markup(rows))
        except Exception as exc:  # an old message may no longer be editable
            log.debug("could not drop the used buttons: %s", type(exc).__name__)

    async def not_helpful(self, seen: Seen, context: Context, question: int) -> None:
        text = self.fmt.escape(
            seen.t.gettext("Sorry that this did not help. Choose another topic, or ask a person.")
        )
        choices = (*self.conv.assistant.menu(seen.t.language),)
        rows = kb.choice_rows(choices)
        rows.append(kb.human_row(seen.t, question))
        await self.channel.send(context.bot, seen.chat_id, text, kb.markup(rows))

    async def no_network(self, seen: Seen, context: Context) -> None:
        """Until volunteers are set up, say so honestly and give the city's own contact."""
        renderer = self.conv.assistant.renderer
        text = no_person_text(renderer, seen.user.city, datetime.now(UTC), seen.t, self.fmt)
        await self.channel.send(context.bot, seen.chat_id, text)
