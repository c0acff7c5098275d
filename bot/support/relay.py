"""Relaying between a migrant and the volunteer on their ticket, both ways.

The volunteer sees "Ticket #12" and the text; the migrant sees the volunteer's organisation and
chosen name. Anything else than text (a photo, a voice note, a sticker...) is copied by the
channel from the sender's chat. A migrant's location or contact goes to a volunteer only as an
explicit reply to a message of their ticket: the location button also serves "what is near".
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.i18n import Translator, translator
from bot.storage.models import User
from bot.storage.network import Network, VolunteerInfo
from bot.storage.tickets import Status, TicketInfo, Tickets
from bot.storage.users import UserStore
from bot.support.messenger import WHEREABOUTS, Button, Buttons, Do, Media, Messenger, Original
from bot.support.words import Said, Words


def _media(kind: str | None) -> Media | None:
    try:
        return Media(kind) if kind else None
    except ValueError:
        return None


class Relay:
    def __init__(
        self,
        *,
        tickets: Tickets,
        network: Network,
        users: UserStore,
        messenger: Messenger,
        words: Words,
    ) -> None:
        self.tickets = tickets
        self.network = network
        self.users = users
        self.messenger = messenger
        self.words = words

    async def replied(
        self, chat_id: str, reply_to: int | None, candidates: list[TicketInfo]
    ) -> TicketInfo | None:
        """The ticket whose message `reply_to` is, among `candidates`."""
        if reply_to is None:
            return None
        ticket_id = await self.tickets.by_message(chat_id, reply_to)
        return next((ticket for ticket in candidates if ticket.id == ticket_id), None)

    async def ticket_for_reply(
        self, chat_id: str, reply_to: int | None, candidates: list[TicketInfo]
    ) -> TicketInfo | None:
        """The ticket a message belongs to: the one replied to, else the only active one."""
        found = await self.replied(chat_id, reply_to, candidates)
        if found is not None:
            return found
        return candidates[0] if len(candidates) == 1 else None

    async def pass_on(
        self,
        chat_id: str,
        head: str,
        text: str | None,
        original: Original | None,
        buttons: Buttons = (),
    ) -> int | None:
        """Send a message's text under `head`, or copy it with them as its note; the id of
        what arrived, or None when the chat cannot be reached."""
        note = self.words.paragraphs(head, self.words.esc(text or ""))
        if original is None:
            return await self.messenger.send(chat_id, note, buttons)
        return await self.messenger.copy(original, chat_id, note, buttons)

    async def from_volunteer(
        self,
        volunteer: VolunteerInfo,
        text: str | None,
        original: Original | None,
        reply_to: int | None,
        now: datetime | None = None,
    ) -> Said | None:
        """Relay a volunteer's answer to the migrant; None when it was delivered."""
        now = now or datetime.now(UTC)
        t = translator(volunteer.ui_language)
        mine = await self.tickets.of_volunteer(volunteer.id)
        ticket = await self.ticket_for_reply(volunteer.chat_id, reply_to, mine)
        if ticket is None:
            if not mine:
                return self.words.said(t.gettext("You have no open ticket. /mytickets lists them."))
            return self.words.said(
                t.gettext(
                    "You have several tickets open: reply to the message of the ticket you answer."
                )
            )
        user = await self.users.by_id(ticket.user_id) if ticket.user_id else None
        if user is None:
            await self.tickets.close(ticket.id, by="system", now=now)
            return self.words.said(
                t.gettext("The person has erased their data; the ticket is closed.")
            )
        mt = translator(user.language or ticket.language)
        close = Button(mt.gettext("Close my question"), Do.CLOSE, (ticket.id,))
        head = self.words.signature(volunteer, mt)
        delivered = await self.pass_on(user.chat_id, head, text, original, ((close,),))
        if delivered is None:
            return self.words.said(
                t.gettext("The message could not be delivered: the person has blocked the bot.")
            )
        await self._log(ticket, "volunteer", text, original, (user.chat_id, delivered), now)
        return None

    def automatic(self, transcript: str, t: Translator) -> str:
        """A voice note's (audio file's, video note's) transcript for a volunteer, marked as
        made by a machine."""
        line = t.gettext("Automatic transcript, it may hold mistakes: «{text}»")
        return self.words.esc("🎧 " + line.format(text=transcript))

    def head(self, ticket: TicketInfo, t: Translator, transcript: str | None) -> str:
        """What goes above (or with) a migrant's message to the volunteer: the ticket's
        header, and a voice note's automatic transcript when there is one."""
        head = self.words.header(ticket, t)
        return self.words.paragraphs(head, self.automatic(transcript, t)) if transcript else head

    async def from_migrant(
        self,
        user: User,
        text: str | None,
        original: Original | None,
        reply_to: int | None,
        now: datetime | None = None,
        transcript: str | None = None,
    ) -> Said | None:
        """A migrant's follow-up: relayed to the volunteer, or kept with the waiting ticket.

        Returns None when the message is not for a ticket (the assistant answers it), else
        what to tell the migrant. Text goes to the ticket when it is a reply to a ticket
        message, or while a volunteer is on it; anything else goes to the newest active one,
        but a location or contact only as a reply to a message of the ticket. A voice note's
        `transcript` goes with it to the volunteer, marked as automatic: at once when one holds
        the ticket, else kept with the note (erased with the ticket's texts) until one takes it.
        """
        now = now or datetime.now(UTC)
        active = await self.tickets.of_user(user.id)
        if not active:
            return None
        if original is not None and original.media in WHEREABOUTS:
            ticket = await self.replied(user.chat_id, reply_to, active)
        else:
            ticket = await self.ticket_for_reply(user.chat_id, reply_to, active)
            claimed = [x for x in active if x.status is Status.CLAIMED]
            if ticket is None and (original is not None or len(claimed) == 1):
                ticket = claimed[0] if len(claimed) == 1 else active[0]
            if ticket is not None and reply_to is None and original is None:
                ticket = ticket if ticket.status is Status.CLAIMED else None
        if ticket is None:
            return None
        t = translator(user.language or ticket.language)
        delivered: tuple[str, int] | None = None
        volunteer = await self.network.get(ticket.claimed_by) if ticket.claimed_by else None
        if ticket.status is Status.CLAIMED and volunteer is not None:
            head = self.head(ticket, translator(volunteer.ui_language), transcript)
            sent = await self.pass_on(volunteer.chat_id, head, text, original)
            delivered = (volunteer.chat_id, sent) if sent is not None else None
            said = t.gettext("Sent to the volunteer.")
        else:
            said = t.gettext("Added to your question #{number}. A volunteer will see it.").format(
                number=ticket.id
            )
        await self._log(ticket, "migrant", text, original, delivered, now, transcript)
        return Said("✓ " + self.words.esc(said))

    async def deliver_waiting(self, ticket: TicketInfo, volunteer: VolunteerInfo) -> None:
        """What the migrant added while nobody held the ticket reaches its new holder, a voice
        note with its automatic transcript."""
        user = await self.users.by_id(ticket.user_id) if ticket.user_id else None
        t = translator(volunteer.ui_language)
        for waiting in await self.tickets.undelivered(ticket.id):
            media = _media(waiting.kind)
            original = (
                Original(user.chat_id, waiting.origin_message_id, media)
                if user is not None and media is not None and waiting.origin_message_id
                else None
            )
            head = self.head(ticket, t, waiting.transcript)
            sent = await self.pass_on(volunteer.chat_id, head, waiting.text, original)
            if sent is not None:
                await self.tickets.mark_delivered(waiting.id, volunteer.chat_id, sent)

    async def _log(
        self,
        ticket: TicketInfo,
        sender: str,
        text: str | None,
        original: Original | None,
        delivered: tuple[str, int] | None,
        now: datetime,
        transcript: str | None = None,
    ) -> None:
        await self.tickets.add_message(
            ticket.id,
            sender=sender,
            text=text,
            kind=original.media.value if original else None,
            origin_message_id=original.message_id if original else None,
            delivered=delivered,
            transcript=transcript,
            now=now,
        )
