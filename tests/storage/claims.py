"""A claim as the desk makes it: the ticket is offered to the volunteer first."""

from datetime import datetime

from bot.storage.tickets import Tickets


async def offered_claim(
    tickets: Tickets, ticket_id: int, volunteer_id: int, *, now: datetime
) -> bool:
    """Offer the ticket to the volunteer (as a message in their chat), then claim it."""
    await tickets.add_offer(ticket_id, volunteer_id, f"v{volunteer_id}", 1000 + ticket_id)
    return await tickets.claim(ticket_id, volunteer_id, now=now)
