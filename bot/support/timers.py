"""Timeouts, derived from the database: nothing is scheduled in memory.

`tick(now)` looks for tickets whose time has come and acts on each once.

With `jobs` (the channel's durable inbox, as `main.py run` passes it), each step is a job: the
process that holds it sends the step's messages, under the journal of sent calls, and only
then marks the step done. A process that dies in the middle leaves the job to be taken over
(at once by itself when it starts again, by another when the lease runs out), and the calls
already made are not made again; an outage hands the job back, and a later tick tries again.
Without `jobs` (tests of the desk alone), the step is marked first, by the conditional update
in `TicketUpkeep.once`, which decides which process does it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from hashlib import blake2b
from typing import Final

from bot.core.i18n import N_, translator
from bot.storage.inbox import Inbox
from bot.storage.sent import Handling, handling
from bot.storage.ticket_upkeep import Once
from bot.storage.tickets import Status, TicketInfo
from bot.support.desk import SupportDesk

log = logging.getLogger(__name__)

#: How long a process holds a step: longer than one call's retries (TELEGRAM_RETRY_SECONDS).
STEP_LEASE: Final = timedelta(minutes=5)
#: After an outage, a step is tried again this much later.
STEP_RETRY: Final = timedelta(seconds=30)

Act = Callable[[bool], Awaitable[bool]]


def step_id(ticket_id: int, step: str, since: datetime | None) -> int:
    """A step's job id: negative (never an update's), the same for the same ticket, step and
    occasion (`since`: the claim or assignment a step is about, which may happen again)."""
    key = f"{ticket_id}:{step}:{since.isoformat() if since else ''}".encode()
    return -1 - int.from_bytes(blake2b(key, digest_size=7).digest(), "big")


class Steps:
    def __init__(self, desk: SupportDesk, now: datetime, jobs: Inbox | None) -> None:
        self.desk, self.now, self.jobs = desk, now, jobs

    async def run(self, job: int, act: Act) -> bool:
        """`act(again)` as the holder of `job` (`again`: an earlier run did not finish)."""
        if self.jobs is None:
            return await act(False)
        attempts = await self.jobs.hold_job(job, self.now, STEP_LEASE)
        if attempts is None:
            return False  # another process has it, or it is done

        current = Handling(job, replay=attempts > 1)

        async def held() -> bool:
            handling.set(current)  # this task's own context
            return await act(attempts > 1)

        try:
            acted = await asyncio.create_task(held())
        except Exception:
            log.exception("a support timer step failed; it is tried again later")
            await self.jobs.end(current, self.now, later=self.now + STEP_RETRY)
            return False
        await self.jobs.end(current, self.now)
        return acted

    async def once(
        self,
        ticket: TicketInfo,
        field: Once,
        status: Status,
        send: Callable[[], Awaitable[None]],
        since: datetime | None = None,
    ) -> bool:
        """A one-time step: its messages, then its mark (or, without jobs, the mark first)."""
        upkeep = self.desk.upkeep
        if self.jobs is None:
            if not await upkeep.once(ticket.id, field, status=status, now=self.now):
                return False
            await send()
            return True

        async def act(again: bool) -> bool:
            await send()
            return await upkeep.once(ticket.id, field, status=status, now=self.now) or again

        return await self.run(step_id(ticket.id, field, since), act)


async def tick(desk: SupportDesk, now: datetime, jobs: Inbox | None = None) -> int:
    """Fire every timeout that is due; returns how many actions were taken."""
    s = desk.settings
    due = await desk.upkeep.due(
        now,
        remind_after=s.remind_after,
        give_up_after=s.give_up_after,
        claim_remind_after=s.claim_remind_after,
        claim_release_after=s.claim_release_after,
    )
    steps = Steps(desk, now, jobs)
    done = 0
    for ticket in due.remind:

        async def remind(ticket: TicketInfo = ticket) -> None:
            await remind_volunteers(desk, ticket)
            if jobs is None:
                if await desk.upkeep.once(ticket.id, "widened_at", status=Status.OPEN, now=now):
                    await desk.offer(ticket, wider=True)
            elif ticket.widened_at is None:
                await desk.offer(ticket, wider=True)  # it skips whoever was offered it
                await desk.upkeep.once(ticket.id, "widened_at", status=Status.OPEN, now=now)

        done += await steps.once(ticket, "reminded_at", Status.OPEN, remind)
    for ticket in due.give_up:
        give_up = functools.partial(tell_migrant_nobody_came, desk, ticket, now)
        done += await steps.once(ticket, "gave_up_at", Status.OPEN, give_up)
    for ticket in due.claim_release:
        job = step_id(ticket.id, "release", ticket.claimed_at)
        done += await steps.run(job, functools.partial(release, desk, ticket))
    released = {t.id for t in due.claim_release}
    for ticket in due.claim_remind:
        if ticket.id in released:
            continue

        async def remind_claimer(ticket: TicketInfo = ticket) -> None:
            volunteer = await desk.network.get(ticket.claimed_by) if ticket.claimed_by else None
            waiting = N_(
                "Reminder: the person of ticket #{number} is waiting for your answer. "
                "If you cannot answer, give it back."
            )
            await desk.tell(volunteer, waiting, ticket.id)

        done += await steps.once(
            ticket, "claim_reminded_at", Status.CLAIMED, remind_claimer, ticket.claimed_at
        )
    for ticket in due.assigned:
        tell = functools.partial(desk.assigned, ticket)
        done += await steps.once(ticket, "assign_told_at", Status.CLAIMED, tell, ticket.assigned_at)
    if done:
        log.info("support timeouts: %d action(s)", done)
    return done


async def release(desk: SupportDesk, ticket: TicketInfo, again: bool) -> bool:
    """Give back a claim that had no answer for too long: tell the volunteer, offer it again."""
    claimer = ticket.claimed_by
    if claimer is None:
        return False
    if not await desk.tickets.release(ticket.id, claimer) and not again:
        return False
    went_back = N_("Ticket #{number} went back to the others: it had no answer for too long.")
    await desk.tell(await desk.network.get(claimer), went_back, ticket.id)
    fresh = await desk.tickets.get(ticket.id)
    if fresh is not None:
        await desk.reoffer(fresh, exclude=claimer)
    return True


async def remind_volunteers(desk: SupportDesk, ticket: TicketInfo) -> None:
    for offer in await desk.tickets.offers(ticket.id):
        volunteer = await desk.network.get(offer.volunteer_id)
        if volunteer is not None and volunteer.available:
            still = N_("Reminder: ticket #{number} is still waiting for a volunteer.")
            await desk.tell(volunteer, still, ticket.id)


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
