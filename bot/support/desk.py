"""The support desk: a migrant's question becomes a ticket, reaches volunteers who speak the
language, is claimed by one of them (atomically, in the database), and the answer comes back.

The migrant's identity never leaves this module: volunteers see "Ticket #12", the language,
the topic and the text. Every action re-checks the database, so an old or forged button can do
nothing that its presser is not allowed to do.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.core.i18n import N_, Translator, translator
from bot.core.render import EMERGENCY_LINE
from bot.settings import SupportSettings
from bot.storage.models import User
from bot.storage.network import Network, VolunteerInfo
from bot.storage.questions import QuestionLog
from bot.storage.ticket_upkeep import TicketUpkeep
from bot.storage.tickets import AlreadyAsked, LimitReached, Status, TicketInfo, Tickets
from bot.storage.users import UserStore
from bot.support.messenger import Button, Do, Messenger
from bot.support.relay import Relay
from bot.support.words import Said, Words

log = logging.getLogger(__name__)


class SupportDesk:
    """Asking, offering, claiming, giving back, closing, rating and suggesting."""

    def __init__(
        self,
        *,
        network: Network,
        tickets: Tickets,
        upkeep: TicketUpkeep,
        users: UserStore,
        questions: QuestionLog,
        messenger: Messenger,
        words: Words,
        relay: Relay,
        settings: SupportSettings,
    ) -> None:
        self.network = network
        self.tickets = tickets
        self.upkeep = upkeep
        self.users = users
        self.questions = questions
        self.messenger = messenger
        self.words = words
        self.relay = relay
        self.settings = settings

    # -- the migrant asks ---------------------------------------------------------------------

    async def available(self, city: str) -> bool:
        """Does this city have a support network at all (anyone who joined)?"""
        return bool(await self.network.members(city))

    async def preview(self, user: User, question_id: int) -> Said | None:
        """What will be shared, before the migrant confirms (their confirmation is consent)."""
        if not user.city or not await self.available(user.city):
            return None
        w, t = self.words, translator(user.language or "en")
        question = await self.questions.own(question_id, user.id) if question_id else None
        sent = await self.tickets.for_question(question_id) if question is not None else None
        if sent is not None:  # "Ask a person" again: where that question is now
            return await self.sent(sent, t)
        if question is None or not question.text:
            text = t.gettext(
                "To ask a person, first write your question in a message, then tap "
                "“Ask a person” under my answer."
            )
            return self.words.said(text)
        city = self.words.renderer.city_name(user.city, t)
        shared = t.gettext(
            "I will send your question and its language to a volunteer of the local support "
            "network in {city}, never your name, your username or your phone number."
        ).format(city=city)
        wait = await self.upkeep.typical_wait(user.city, datetime.now(UTC))
        how_long = (
            t.gettext("Volunteers here usually answer within {duration}.").format(
                duration=t.duration(wait)
            )
            if wait is not None
            else t.gettext("The service is new here, so we cannot yet say how long it takes.")
        )
        text = f"{shared} {how_long}"
        buttons = (
            (
                Button(t.gettext("Send my question"), Do.CONSENT, (question_id,)),
                Button(t.gettext("Cancel"), Do.CANCEL),
            ),
        )
        return Said(w.paragraphs(w.esc(text), w.note(question.text)), buttons)

    async def open(self, user: User, question_id: int, now: datetime | None = None) -> Said:
        """The migrant confirmed: create the ticket and offer it to volunteers."""
        now = now or datetime.now(UTC)
        t = translator(user.language or "en")
        question = await self.questions.own(question_id, user.id)
        if question is None or not question.text or not user.city:
            return self.words.said(t.gettext("This button has expired. Here is the current menu."))
        urgent = question.topic == "emergency"
        try:
            ticket = await self.tickets.open(
                user_id=user.id,
                city=user.city,
                language=question.language or user.language or "en",
                topic=question.topic,
                urgent=urgent,
                question=question.text,
                now=now,
                question_id=question_id,
            )
        except AlreadyAsked as asked:  # tapped twice, or by two processes: one ticket
            return await self.sent(asked.ticket, t)
        except LimitReached:
            text = t.gettext(
                "You already have {n} questions waiting for a volunteer. Please wait for an "
                "answer, or close one of them, before you ask another."
            ).format(n=self.settings.open_limit)
            return self.words.said(text)
        offered = await self.offer(ticket, wider=urgent)
        if not offered:
            offered = await self.offer(ticket, wider=True)
        log.info(
            "ticket %s opened (city=%s lang=%s urgent=%s)",
            ticket.id,
            ticket.city,
            ticket.language,
            urgent,
        )
        return await self.sent(ticket, t)

    async def sent(self, ticket: TicketInfo, t: Translator) -> Said:
        """Where a sent question is now, as its migrant sees it (the same however often the
        consent is tapped): waiting, with a volunteer, or closed."""
        w = self.words
        if ticket.status is Status.CLOSED:
            return w.said(t.gettext("This question is already closed."))
        lines = [
            t.gettext(
                "Your question was sent as number {number}. A volunteer will answer here; you "
                "can add a photo of a letter or more details by replying to this message."
            ).format(number=ticket.id)
        ]
        holder = await self.network.get(ticket.claimed_by) if ticket.claimed_by else None
        if holder is not None:
            lines.append(
                t.gettext(
                    "A volunteer of {organisation} ({name}) is looking at your question #{number}."
                ).format(
                    organisation=holder.organisation, name=holder.display_name, number=ticket.id
                )
            )
        if ticket.urgent:
            lines.insert(0, t.gettext(EMERGENCY_LINE))
        close = Button(t.gettext("Close my question"), Do.CLOSE, (ticket.id,))
        return Said(w.paragraphs(*(w.esc(line) for line in lines)), ((close,),))

    async def offer(self, ticket: TicketInfo, *, wider: bool) -> int:
        """Offer a ticket to the volunteers who have not seen it yet; how many were offered."""
        seen = await self.tickets.offered_to(ticket.id)
        people = await self.network.candidates(
            ticket.city, ticket.language, ticket.topic, any_language=wider
        )
        count = 0
        for volunteer in people:
            if volunteer.id not in seen and await self._offer_to(ticket, volunteer):
                count += 1
        group = await self.network.group(ticket.city)
        if group and count and not seen:
            t = translator(self.words.knowledge.cities[ticket.city].default_language)
            note = t.gettext("A new question is waiting for a volunteer.")
            await self.messenger.send(
                group, f"{self.words.header(ticket, t)}\n{self.words.esc(note)}"
            )
        return count

    async def _offer_to(self, ticket: TicketInfo, volunteer: VolunteerInfo, *notes: str) -> bool:
        """The offer message, with a "Take it" button (and our `notes`); whether it arrived."""
        w, t = self.words, translator(volunteer.ui_language)
        if ticket.language not in volunteer.languages:
            notes = (
                t.gettext("Written in {language}: nobody available speaks it.").format(
                    language=t.language_name(ticket.language)
                ),
                *notes,
            )
        text = w.paragraphs(
            w.header(ticket, t), w.esc(ticket.question or ""), *(w.note(n) for n in notes)
        )
        take = Button(t.gettext("Take it"), Do.TAKE, (ticket.id,))
        message_id = await self.messenger.send(volunteer.chat_id, text, ((take,),))
        if message_id is None:
            return False
        await self.tickets.add_offer(ticket.id, volunteer.id, volunteer.chat_id, message_id)
        return True

    # -- volunteers act -------------------------------------------------------------------------

    async def take(
        self,
        volunteer: VolunteerInfo,
        ticket_id: int,
        now: datetime | None = None,
        *,
        on_message: int | None = None,
    ) -> Said | None:
        """The volunteer takes a ticket offered to them. None, and nothing said of the ticket,
        when it was never offered to them: no such ticket, another city's, or a forged button.

        `on_message` is the message the volunteer tapped "Take it" on, where they will reply:
        it is remembered as the ticket's message for them (the id stored when the offer was
        sent is unknown when Telegram's answer to that send was lost).
        """
        now = now or datetime.now(UTC)
        w, t = self.words, translator(volunteer.ui_language)
        ticket = await self.tickets.get(ticket_id)
        if ticket is None or volunteer.id not in await self.tickets.offered_to(ticket_id):
            return None
        claimed = await self.tickets.claim(ticket_id, volunteer.id, now=now)
        mine = claimed or ticket.claimed_by == volunteer.id
        if mine and on_message is not None:
            await self.tickets.add_offer(ticket_id, volunteer.id, volunteer.chat_id, on_message)
        if not claimed:
            if ticket.claimed_by == volunteer.id:  # tapped again, or handled again
                return self.working(ticket, t)
            taken = t.gettext("A colleague already took this one.")
            return Said(w.paragraphs(w.header(ticket, t), w.esc(taken)))
        ticket = await self.tickets.get(ticket_id) or ticket
        for offer in await self.tickets.offers(ticket_id):
            if offer.volunteer_id == volunteer.id:
                continue
            other = await self.network.get(offer.volunteer_id)
            ot = translator(other.ui_language if other else "en")
            taken = ot.gettext("Taken by a colleague.")
            text = w.paragraphs(w.header(ticket, ot), w.esc(taken))
            await self.messenger.edit(offer.chat_id, offer.message_id, text)
        await self._tell_migrant_taken(ticket, volunteer)
        await self.relay.deliver_waiting(ticket, volunteer)
        return self.working(ticket, t)

    async def _tell_migrant_taken(self, ticket: TicketInfo, volunteer: VolunteerInfo) -> None:
        user = await self.users.by_id(ticket.user_id) if ticket.user_id else None
        if user is not None:
            mt = translator(user.language or ticket.language)
            text = mt.gettext(
                "A volunteer of {organisation} ({name}) is looking at your question #{number}."
            ).format(
                organisation=volunteer.organisation, name=volunteer.display_name, number=ticket.id
            )
            await self.messenger.send(user.chat_id, self.words.esc(text))

    async def assigned(self, ticket: TicketInfo) -> None:
        """Staff gave `ticket` to its holder (`tickets assign`): send them the ticket to reply
        to, tell whoever held it before that it is no longer theirs, and tell the migrant who
        is looking at it when nobody was."""
        volunteer = await self.network.get(ticket.claimed_by) if ticket.claimed_by else None
        if volunteer is None:
            return
        w, t = self.words, translator(volunteer.ui_language)
        working = self.working(ticket, t)
        given = t.gettext("The city's staff gave you ticket #{number}.").format(number=ticket.id)
        message_id = await self.messenger.send(
            volunteer.chat_id, w.paragraphs(w.note(given), working.text), working.buttons
        )
        if message_id is not None:  # where they reply, as on an offer
            await self.tickets.add_offer(ticket.id, volunteer.id, volunteer.chat_id, message_id)
        before = ticket.assigned_from
        if before is not None and before != volunteer.id:
            moved = N_(
                "The city's staff gave ticket #{number} to another volunteer: it is no "
                "longer yours."
            )
            await self.tell(await self.network.get(before), moved, ticket.id)
        elif before is None:
            await self._tell_migrant_taken(ticket, volunteer)
        await self.relay.deliver_waiting(ticket, volunteer)

    async def tell(self, volunteer: VolunteerInfo | None, note: str, number: int) -> None:
        """A note about ticket `number` (a string marked with `N_`) in the volunteer's own
        language; nothing when there is no such volunteer (any more)."""
        if volunteer is not None:
            text = translator(volunteer.ui_language).gettext(note).format(number=number)
            await self.messenger.send(volunteer.chat_id, self.words.esc(text))

    def working(self, ticket: TicketInfo, t: Translator) -> Said:
        """The ticket as its claimer sees it, with what they can do."""
        hint = t.gettext(
            "Reply to this message to answer; your reply is sent to the person without showing "
            "who they are. They can reply to you the same way."
        )
        w = self.words
        text = w.paragraphs(w.header(ticket, t), w.esc(ticket.question or ""), w.note(hint))
        buttons = (
            (
                Button(t.gettext("Close"), Do.CLOSE, (ticket.id,)),
                Button(t.gettext("Give back"), Do.RELEASE, (ticket.id,)),
            ),
            (Button(t.gettext("Suggest for the knowledge base"), Do.SUGGEST, (ticket.id,)),),
        )
        return Said(text, buttons)

    async def release(self, volunteer: VolunteerInfo, ticket_id: int) -> Said:
        t = translator(volunteer.ui_language)
        if not await self.tickets.release(ticket_id, volunteer.id):
            return self.words.said(t.gettext("This ticket is not yours to give back."))
        ticket = await self.tickets.get(ticket_id)
        if ticket is not None:
            await self.reoffer(ticket, exclude=volunteer.id)
        back = t.gettext("You gave ticket #{number} back to the others.")
        return self.words.said(back.format(number=ticket_id))

    async def reoffer(self, ticket: TicketInfo, *, exclude: int | None = None) -> None:
        """Offer a ticket again to everyone it was offered to (new messages), and wider."""
        for offer in await self.tickets.offers(ticket.id):
            volunteer = await self.network.get(offer.volunteer_id)
            if volunteer is None or offer.volunteer_id == exclude or not volunteer.available:
                continue
            again = translator(volunteer.ui_language).gettext(
                "Back in the queue: nobody is answering it now."
            )
            await self._offer_to(ticket, volunteer, again)
        await self.offer(ticket, wider=ticket.widened_at is not None or ticket.urgent)

    async def close(
        self,
        ticket_id: int,
        *,
        user: User | None = None,
        volunteer: VolunteerInfo | None = None,
        now: datetime | None = None,
    ) -> Said:
        """Either side closes; the migrant is then asked whether the answer helped."""
        now = now or datetime.now(UTC)
        ticket = await self.tickets.get(ticket_id)
        t = translator(
            volunteer.ui_language if volunteer else (user.language if user else None) or "en"
        )
        mine = ticket is not None and (
            (user is not None and ticket.user_id == user.id)
            or (volunteer is not None and ticket.claimed_by == volunteer.id)
        )
        if ticket is None or not mine:
            return self.words.said(t.gettext("This ticket is not yours to close."))
        if not await self.tickets.close(
            ticket_id, by="volunteer" if volunteer else "migrant", now=now
        ):
            return self.words.said(t.gettext("This question is already closed."))
        migrant = user or (await self.users.by_id(ticket.user_id) if ticket.user_id else None)
        rating: Said | None = None
        if migrant is not None:
            mt = translator(migrant.language or ticket.language)
            ask = mt.gettext("Your question #{number} is closed. Did the answer help you?").format(
                number=ticket.id
            )
            rate = (Button("👍", Do.RATE, (ticket.id, 1)), Button("👎", Do.RATE, (ticket.id, 0)))
            rating = Said(self.words.esc(ask), (rate,))
            if user is None:  # the volunteer closed it: ask the migrant in their own chat
                await self.messenger.send(migrant.chat_id, rating.text, rating.buttons)
        if volunteer is None and ticket.claimed_by is not None:  # the migrant closed it
            claimer = await self.network.get(ticket.claimed_by)
            await self.tell(
                claimer, N_("The person closed ticket #{number}. Thank you!"), ticket.id
            )
        if user is not None and rating is not None:
            return rating
        return self.words.said(t.gettext("Ticket #{number} is closed.").format(number=ticket_id))

    async def rate(self, user: User, ticket_id: int, helpful: bool) -> bool:
        return await self.tickets.rate(ticket_id, user.id, helpful)

    async def suggest(
        self, volunteer: VolunteerInfo, ticket_id: int, now: datetime | None = None
    ) -> Said:
        """Keep the question and the volunteer's answer for city staff to review."""
        now = now or datetime.now(UTC)
        t = translator(volunteer.ui_language)
        ticket = await self.tickets.get(ticket_id)
        answer = await self.tickets.last_answer(ticket_id, volunteer.id) if ticket else None
        if ticket is None or ticket.claimed_by != volunteer.id or not ticket.question or not answer:
            return self.words.said(t.gettext("Answer the ticket first; then you can suggest it."))
        await self.tickets.suggest(
            ticket_id=ticket.id,
            volunteer_id=volunteer.id,
            city=ticket.city,
            topic=ticket.topic,
            language=ticket.language,
            question=ticket.question,
            answer=answer,
            now=now,
        )
        return self.words.said(t.gettext("Saved for the city staff to review. Thank you!"))
