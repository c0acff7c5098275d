"""Relaying between a migrant and the volunteer on their ticket, both ways.

The volunteer sees "Ticket #12" and the text; the migrant sees the volunteer's organisation and
chosen name. Photos and documents travel by the messenger's file id.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.i18n import translator
from bot.storage.models import User
from bot.storage.network import VolunteerInfo
from bot.storage.tickets import Status, TicketInfo
from bot.support.base import DeskBase, Said
from bot.support.messenger import Attachment, Button, Do


class Relay(DeskBase):
    async def ticket_for_reply(
        self, chat_id: str, reply_to: int | None, candidates: list[TicketInfo]
    ) -> TicketInfo | None:
        """The ticket a message belongs to: the one replied to, else the only active one."""
        if reply_to is not None:
            ticket_id = await self.tickets.by_message(chat_id, reply_to)
            for ticket in candidates:
                if ticket.id == ticket_id:
                    return ticket
        return candidates[0] if len(candidates) == 1 else None

    async def from_volunteer(
        self,
        volunteer: VolunteerInfo,
        text: str | None,
        attachment: Attachment | None,
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
                return Said(self.esc(t.gettext("You have no open ticket. /mytickets lists them.")))
            return Said(
                self.esc(
                    t.gettext(
                        "You have several tickets open: "
                        "reply to the message of the ticket you answer."
                    )
                )
            )
        user = await self.users.by_id(ticket.user_id) if ticket.user_id else None
        if user is None:
            await self.tickets.close(ticket.id, by="system", now=now)
            return Said(
                self.esc(t.gettext("The person has erased their data; the ticket is closed."))
            )
        mt = translator(user.language or ticket.language)
        head = self.fmt.bold(self.esc(self.signature(volunteer, mt)))
        body = self.esc(text or "")
        close = Button(mt.gettext("Close my question"), Do.CLOSE, (ticket.id,))
        if attachment is not None:
            delivered = await self.messenger.send_file(
                user.chat_id, attachment, f"{head}\n\n{body}", ((close,),)
            )
        else:
            delivered = await self.messenger.send(user.chat_id, f"{head}\n\n{body}", ((close,),))
        if delivered is None:
            return Said(
                self.esc(
                    t.gettext("The message could not be delivered: the person has blocked the bot.")
                )
            )
        await self.tickets.add_message(
            ticket.id,
            sender="volunteer",
            text=text,
            file_id=attachment.file_id if attachment else None,
            file_kind=attachment.kind if attachment else None,
            delivered=(user.chat_id, delivered),
            now=now,
        )
        return None

    async def from_migrant(
        self,
        user: User,
        text: str | None,
        attachment: Attachment | None,
        reply_to: int | None,
        now: datetime | None = None,
    ) -> Said | None:
        """A migrant's follow-up: relayed to the volunteer, or kept with the waiting ticket.

        Returns None when the message is not for a ticket (the assistant answers it), else
        what to tell the migrant. Plain text goes to the ticket when it is a reply to a ticket
        message, or while a volunteer is on it; a photo or file goes to the newest active one.
        """
        now = now or datetime.now(UTC)
        active = await self.tickets.of_user(user.id)
        if not active:
            return None
        ticket = await self.ticket_for_reply(user.chat_id, reply_to, active)
        claimed = [x for x in active if x.status is Status.CLAIMED]
        if ticket is None and (attachment is not None or len(claimed) == 1):
            ticket = claimed[0] if len(claimed) == 1 else active[0]
        if ticket is None or (
            reply_to is None and attachment is None and ticket.status is not Status.CLAIMED
        ):
            return None
        t = translator(user.language or ticket.language)
        delivered: tuple[str, int] | None = None
        volunteer = await self.network.get(ticket.claimed_by) if ticket.claimed_by else None
        if ticket.status is Status.CLAIMED and volunteer is not None:
            vt = translator(volunteer.ui_language)
            head = self.header(ticket, vt)
            body = self.esc(text or "")
            if attachment is not None:
                sent = await self.messenger.send_file(
                    volunteer.chat_id, attachment, f"{head}\n\n{body}"
                )
            else:
                sent = await self.messenger.send(volunteer.chat_id, f"{head}\n\n{body}")
            delivered = (volunteer.chat_id, sent) if sent is not None else None
            said = t.gettext("Sent to the volunteer.")
        else:
            said = t.gettext("Added to your question #{number}. A volunteer will see it.").format(
                number=ticket.id
            )
        await self.tickets.add_message(
            ticket.id,
            sender="migrant",
            text=text,
            file_id=attachment.file_id if attachment else None,
            file_kind=attachment.kind if attachment else None,
            delivered=delivered,
            now=now,
        )
        return Said("✓ " + self.esc(said))
