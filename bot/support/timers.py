"""Timeouts, derived from the database: nothing is scheduled in memory.

`tick(now)` looks for tickets whose time has come and acts on each once: the conditional
update in `Tickets.once` decides which process (or which run after a restart) does it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core.i18n import translator
from bot.storage.tickets import Status, TicketInfo
from bot.support.desk import SupportDesk

log = logging.getLogger(__name__)


async def tick(desk: SupportDesk, now: datetime) -> int:
    """Fire every timeout that is due; returns how many actions were taken."""
    s = desk.settings
    due = await desk.upkeep.due(
        now,
        remind_after=s.remind_after,
        give_up_after=s.give_up_after,
        claim_remind_after=s.claim_remind_after,
        claim_release_after=s.claim_release_after,
    )
    done = 0
    for ticket in due.remind:
        if await desk.upkeep.once(ticket.id, "reminded_at", status=Status.OPEN, now=now):
            await remind_volunteers(desk, ticket)
            if await desk.upkeep.once(ticket.id, "widened_at", status=Status.OPEN, now=now):
                await desk.offer(ticket, wider=True)
            done += 1
    for ticket in due.give_up:
        if await desk.upkeep.once(ticket.id, "gave_up_at", status=Status.OPEN, now=now):
            await tell_migrant_nobody_came(desk, ticket, now)
            done += 1
    for ticket in due.claim_release:
        claimer = ticket.claimed_by
        if claimer is not None and await desk.tickets.release(ticket.id, claimer):
            volunteer = await desk.network.get(claimer)
            if volunteer is not None:
                t = translator(volunteer.ui_language)
                note = t.gettext(
                    "Ticket #{number} went back to the others: it had no answer for too long."
                ).format(number=ticket.id)
                await desk.messenger.send(volunteer.chat_id, desk.words.esc(note))
            fresh = await desk.tickets.get(ticket.id)
            if fresh is not None:
                await desk.reoffer(fresh, exclude=claimer)
            done += 1
    released = {t.id for t in due.claim_release}
    for ticket in due.claim_remind:
        if ticket.id in released:
            continue
        if await desk.upkeep.once(ticket.id, "claim_reminded_at", status=Status.CLAIMED, now=now):
            volunteer = await desk.network.get(ticket.claimed_by) if ticket.claimed_by else None
            if volunteer is not None:
                t = translator(volunteer.ui_language)
                note = t.gettext(
                    "Reminder: the person of ticket #{number} is waiting for your answer. "
                    "If you cannot answer, give it back."
                ).format(number=ticket.id)
                await desk.messenger.send(volunteer.chat_id, desk.words.esc(note))
            done += 1
    for ticket in due.assigned:
        if await desk.upkeep.once(ticket.id, "assign_told_at", status=Status.CLAIMED, now=now):
            await desk.assigned(ticket)
            done += 1
    if done:
        log.info("support timeouts: %d action(s)", done)
    return done


async def remind_volunteers(desk: SupportDesk, ticket: TicketInfo) -> None:
    for offer in await desk.tickets.offers(ticket.id):
        volunteer = await desk.network.get(offer.volunteer_id)
        if volunteer is None or not volunteer.available:
            continue
        t = translator(volunteer.ui_language)
        note = t.gettext("Reminder: ticket #{number} is still waiting for a volunteer.").format(
            number=ticket.id
        )
        await desk.messenger.send(volunteer.chat_id, desk.words.esc(note))


async def tell_migrant_nobody_came(desk: SupportDesk, ticket: TicketInfo, now: datetime) -> None:
    """Be honest after a long wait, and give the city's own contact."""
    user = await desk.users.by_id(ticket.user_id) if ticket.user_id else None
    if user is None:
        return
    t = translator(user.language or ticket.language)
    parts = [
        desk.words.esc(
            t.gettext(
                "No volunteer has been able to take your question #{number} yet. It stays in "
                "the queue, but you can also contact the city directly:"
            ).format(number=ticket.id)
        )
    ]
    contact = desk.words.renderer.contact(ticket.city, now, t, desk.words.fmt)
    if contact is not None:
        parts.append(contact)
    await desk.messenger.send(user.chat_id, "\n\n".join(parts))
