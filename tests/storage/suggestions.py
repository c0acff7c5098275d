"""A volunteer's answer suggested for the knowledge, made through the real ticket stores as the
support desk makes it (bot/support/desk.py `suggest`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.network import Network, VolunteerInfo
from bot.storage.tickets import Tickets
from bot.storage.users import UserStore


async def suggested(
    sessions: async_sessionmaker[AsyncSession],
    *,
    question: str,
    answer: str,
    now: datetime,
    city: str = "brussels",
    language: str = "fr",
    topic: str | None = "housing",
    chat: str = "m1",
    tickets: Tickets | None = None,
) -> tuple[int, int]:
    """A ticket asked by a migrant, answered by a volunteer who suggested it: (suggestion id,
    ticket id)."""
    network, tickets = Network(sessions), tickets or Tickets(sessions)
    invite = await network.invite(city, "Red Cross", now=now)
    volunteer = await network.redeem(
        invite.code, "telegram", f"v-{chat}", display_name="Amal", ui_language="en", now=now
    )
    assert isinstance(volunteer, VolunteerInfo)
    user = await UserStore(sessions).get_or_create("telegram", chat)
    ticket = await tickets.open(
        user_id=user.id, city=city, language=language, topic=topic, urgent=False,
        question=question, now=now,
    )  # fmt: skip
    made = await tickets.suggest(
        ticket_id=ticket.id, volunteer_id=volunteer.id, city=city, topic=topic,
        language=language, question=question, answer=answer, now=now,
    )  # fmt: skip
    return made, ticket.id
