"""The support network on Telegram: volunteers' commands and buttons, and the relay.

`Volunteers` holds the handlers; `messenger.py` gives the desk what it needs. Every action
checks the database first: who the presser is (an active volunteer of which city), and whether
the ticket is theirs to act on. Each kind of button has its own small handler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.channels.telegram.callbacks import Kind, Tap, encode
from bot.channels.telegram.channel import Context, Seen, client_language, edit_tapped
from bot.channels.telegram.messenger import TelegramMessenger, keyboard, original_of
from bot.channels.telegram.voice import acceptable, hear
from bot.conversation import NoCity
from bot.core.i18n import Translator, translator
from bot.core.languages import UI_LANGUAGES, native_name
from bot.storage.network import InviteProblem, VolunteerInfo
from bot.support.desk import SupportDesk
from bot.support.words import Said
from bot.voice.worker import Busy

log = logging.getLogger(__name__)

#: Volunteers are stored per channel; these are the ones who use Telegram.
TELEGRAM = "telegram"


@dataclass(frozen=True, slots=True)
class Press:
    """A support button pressed: what it says, who pressed it, and the query to answer."""

    tap: Tap
    seen: Seen
    update: Update
    query: CallbackQuery

    @property
    def number(self) -> int | None:
        return self.tap.number(0) if self.tap.args else None


Anyone = Callable[[Press], Awaitable[bool]]
VolunteerOnly = Callable[[Press, VolunteerInfo], Awaitable[bool]]


class Volunteers:
    def __init__(self, desk: SupportDesk, messenger: TelegramMessenger) -> None:
        self.desk = desk
        self.network = desk.network
        self.messenger = messenger
        self.fmt = desk.words.fmt
        # Buttons anyone may press (each checks what the presser may do), then volunteers'.
        self.anyone: dict[Kind, Anyone] = {
            Kind.HUMAN: self.ask_a_person,
            Kind.CONSENT: self.consent,
            Kind.CANCEL: self.cancel,
            Kind.RATE: self.rate,
            Kind.CLOSE: self.close,
        }
        self.volunteer_only: dict[Kind, VolunteerOnly] = {
            Kind.TAKE: self.take,
            Kind.RELEASE: self.release,
            Kind.SUGGEST: self.suggest,
            Kind.SPEAKS: self.speaks,
            Kind.PREFERS: self.prefers,
            Kind.READY: self.ready,
        }

    async def me(self, update: Update) -> VolunteerInfo | None:
        chat = update.effective_chat
        return await self.network.volunteer(TELEGRAM, str(chat.id)) if chat else None

    async def say(self, chat_id: int, said: Said) -> None:
        await self.messenger.post(chat_id, said.text, keyboard(said.buttons))

    async def post(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        await self.messenger.post(chat_id, text, markup)

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
            await self.post(chat.id, self.fmt.escape(problem))
            return
        text = t.gettext(
            "Welcome to the support network of {city}, with {organisation}. Which languages do "
            "you speak? Tap each one, then “Done”."
        ).format(
            city=self.desk.words.renderer.city_name(joined.city, t),
            organisation=joined.organisation,
        )
        await self.post(chat.id, self.fmt.escape(text), self.languages(joined, t))

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
        knowledge = self.desk.words.knowledge
        buttons = [
            InlineKeyboardButton(
                ("✓ " if tid in volunteer.topics else "") + self.desk.words.topic_title(tid, t),
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
            await self.post(chat, self.status_text(volunteer, t))
        elif name == "/name" and rest.strip():
            volunteer = (
                await self.network.update(volunteer.id, display_name=rest.strip()[:64]) or volunteer
            )
            await self.post(chat, self.status_text(volunteer, t))
        elif name == "/topics":
            text = t.gettext(
                "Which topics do you prefer? Questions on them reach you first; you still "
                "receive the others. This is optional."
            )
            markup = self.topics(volunteer, t)
            await self.post(chat, self.fmt.escape(text), markup)
        elif name == "/mytickets":
            mine = await self.desk.tickets.of_volunteer(volunteer.id)
            if not mine:
                await self.post(chat, self.fmt.escape(t.gettext("You have no open ticket.")))
            for ticket in mine:
                await self.say(chat, self.desk.working(ticket, t))
        elif name == "/leave":
            await self.network.remove(volunteer.id, now=datetime.now(UTC))
            text = t.gettext("You have left the support network. Thank you for your help!")
            await self.post(chat, self.fmt.escape(text))
        else:
            await self.post(chat, self.status_text(volunteer, t))
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
        if await self.desk.relay.ticket_for_reply(volunteer.chat_id, reply_to, mine) is None:
            return False
        text = message.text or message.caption
        original = original_of(message)
        if not text and original is None:
            return True  # nothing a person could read (a service message, say)
        said = await self.desk.relay.from_volunteer(volunteer, text, original, reply_to)
        if said is not None:
            await self.say(int(volunteer.chat_id), said)
        return True

    async def follow_up(self, update: Update, context: Context, seen: Seen) -> bool:
        """A migrant's message that belongs to one of their tickets; False when it does not."""
        message = update.effective_message
        if message is None:
            return False
        reply_to = message.reply_to_message.message_id if message.reply_to_message else None
        text = message.text or message.caption
        original = original_of(message)
        if not text and original is None:
            return False
        transcript = await self.transcript(message, seen, context)
        said = await self.desk.relay.from_migrant(
            seen.user, text, original, reply_to, transcript=transcript
        )
        if said is None:
            return False
        await self.say(seen.chat_id, said)
        return True

    async def transcript(self, message: Message, seen: Seen, context: Context) -> str | None:
        """With the voice extra, what a migrant's voice note, audio file or video note for
        their ticket says (a voice note that is not for a ticket is left to the assistant,
        which hears it itself)."""
        worker = self.messenger.conv.voice
        sound = message.voice or message.audio or message.video_note
        if worker is None or sound is None or not acceptable(sound):
            return None
        if not await self.desk.tickets.of_user(seen.user.id):
            return None
        language = self.messenger.conv.language(seen.user)
        try:
            heard = await hear(context.bot, sound, worker, language)
        except Busy:
            return None  # the note itself still reaches the volunteer
        return heard.text if heard is not None and heard.text else None

    # -- buttons ----------------------------------------------------------------------------

    async def tap(self, tap: Tap, seen: Seen, update: Update, context: Context) -> bool:
        """Act on a support button; False when it is not (or no longer) the presser's to press."""
        query = update.callback_query
        if query is None:
            return False
        press = Press(tap, seen, update, query)
        if handler := self.anyone.get(tap.kind):
            return await handler(press)
        volunteer_handler = self.volunteer_only.get(tap.kind)
        if volunteer_handler is None:
            return False
        volunteer = await self.me(update)
        return volunteer is not None and await volunteer_handler(press, volunteer)

    async def ask_a_person(self, p: Press) -> bool:
        said = await self.desk.preview(p.seen.user, p.number or 0)
        if said is None:
            return False  # no network in this city: the channel says so honestly
        await p.query.answer()
        await self.say(p.seen.chat_id, said)
        return True

    async def consent(self, p: Press) -> bool:
        """The ticket first; "✓" on the consent only once it is committed, then where the
        question is now."""
        if p.number is None:
            return False
        await p.query.answer()
        said = await self.desk.open(p.seen.user, p.number)
        if await self.desk.tickets.for_question(p.number) is not None:
            await edit_tapped(p.update, self.fmt.escape("✓"), None)
        await self.say(p.seen.chat_id, said)
        return True

    async def cancel(self, p: Press) -> bool:
        await p.query.answer()
        await edit_tapped(p.update, self.fmt.escape(p.seen.t.gettext("Nothing was sent.")), None)
        return True

    async def rate(self, p: Press) -> bool:
        if p.number is None or not await self.desk.rate(
            p.seen.user, p.number, p.tap.args[1] == "1"
        ):
            return False
        thanks = p.seen.t.gettext("Thank you for telling us.")
        await p.query.answer(thanks)
        await edit_tapped(p.update, self.fmt.escape(thanks), None)
        return True

    async def close(self, p: Press) -> bool:
        if p.number is None:
            return False
        volunteer = await self.me(p.update)
        if volunteer is None and not p.seen.user.city:
            raise NoCity()  # a migrant's old button after /delete: from the beginning
        user = None if volunteer else p.seen.user
        said = await self.desk.close(p.number, user=user, volunteer=volunteer)
        await p.query.answer()
        await self.say(p.seen.chat_id, said)
        return True

    async def take(self, p: Press, volunteer: VolunteerInfo) -> bool:
        if p.number is None:
            return False
        tapped = p.query.message.message_id if p.query.message else None
        said = await self.desk.take(volunteer, p.number, on_message=tapped)
        if said is None:
            return False  # never offered to them: the button has expired, and says no more
        await p.query.answer()
        await edit_tapped(p.update, said.text, keyboard(said.buttons))
        return True

    async def release(self, p: Press, volunteer: VolunteerInfo) -> bool:
        if p.number is None:
            return False
        await p.query.answer()
        await self.say(p.seen.chat_id, await self.desk.release(volunteer, p.number))
        return True

    async def suggest(self, p: Press, volunteer: VolunteerInfo) -> bool:
        if p.number is None:
            return False
        said = await self.desk.suggest(volunteer, p.number)
        await p.query.answer()
        await self.say(p.seen.chat_id, said)
        return True

    async def speaks(self, p: Press, volunteer: VolunteerInfo) -> bool:
        if p.tap.arg not in UI_LANGUAGES:
            return False
        spoken = set(volunteer.languages) ^ {p.tap.arg}
        ordered = [c for c in UI_LANGUAGES if c in spoken]
        volunteer = await self.network.update(volunteer.id, languages=ordered) or volunteer
        await p.query.answer()
        t = translator(volunteer.ui_language)
        await p.query.edit_message_reply_markup(self.languages(volunteer, t))
        return True

    async def prefers(self, p: Press, volunteer: VolunteerInfo) -> bool:
        topics = self.desk.words.knowledge.topics
        if p.tap.arg not in topics:
            return False
        preferred = set(volunteer.topics) ^ {p.tap.arg}
        chosen = [tid for tid in topics if tid in preferred]
        volunteer = await self.network.update(volunteer.id, topics=chosen) or volunteer
        await p.query.answer()
        t = translator(volunteer.ui_language)
        await p.query.edit_message_reply_markup(self.topics(volunteer, t))
        return True

    async def ready(self, p: Press, volunteer: VolunteerInfo) -> bool:
        await p.query.answer()
        t = translator(volunteer.ui_language)
        await edit_tapped(p.update, self.status_text(volunteer, t), None)
        return True
