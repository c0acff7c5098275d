"""Two organisations of Brussels and the tickets their volunteers worked on, made through the
real stores (invites, claims after an offer, answers, closing, ratings), for the figures'
tests in storage, in the pages and in the browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.network import Network, VolunteerInfo
from bot.storage.tickets import Tickets
from bot.storage.users import UserStore
from tests.storage.claims import offered_claim

MIN = timedelta(minutes=1)
#: What migrants wrote: none of it may reach a coordinator's page.
QUESTION = "Where can I sleep tonight near Gare du Midi"
FOLLOW_UP = "My name is Yusuf and my phone is 0470 12 34 56"


@dataclass(frozen=True)
class Seeded:
    red_cross: int  # organisation ids
    caritas: int
    amal: VolunteerInfo
    bram: VolunteerInfo


@dataclass
class _Seeder:
    sessions: async_sessionmaker[AsyncSession]
    network: Network
    tickets: Tickets
    now: datetime
    users: int = 0

    async def volunteer(self, org: str, name: str, languages: list[str]) -> VolunteerInfo:
        invite = await self.network.invite("brussels", org, now=self.now)
        joined = await self.network.redeem(
            invite.code, "telegram", f"v-{name}", display_name=name, ui_language="en", now=self.now
        )
        assert isinstance(joined, VolunteerInfo)
        changed = await self.network.update(joined.id, languages=languages)
        assert changed is not None
        return changed

    async def ticket(
        self,
        city: str,
        language: str,
        topic: str | None,
        *,
        ago: timedelta,
        by: VolunteerInfo | None = None,
        claim: timedelta | None = None,
        answer: timedelta | None = None,
        close: bool = False,
        helpful: bool | None = None,
    ) -> int:
        """A ticket asked `ago`, claimed by `by` after `claim`, answered after `answer`."""
        self.users += 1
        user = await UserStore(self.sessions).get_or_create("telegram", f"m{self.users}")
        asked = self.now - ago
        t = await self.tickets.open(
            user_id=user.id, city=city, language=language, topic=topic, urgent=False,
            question=QUESTION, now=asked,
        )  # fmt: skip
        await self.tickets.add_message(t.id, sender="migrant", text=FOLLOW_UP, now=asked + MIN)
        if by is not None and claim is not None:
            assert await offered_claim(self.tickets, t.id, by.id, now=asked + claim)
        if answer is not None:
            await self.tickets.add_message(
                t.id, sender="volunteer", text="Try the Samusocial", now=asked + answer
            )
        if close:
            assert await self.tickets.close(t.id, by="migrant", now=asked + 120 * MIN)
        if helpful is not None:
            assert await self.tickets.rate(t.id, user.id, helpful)
        return t.id


async def seed(sessions: async_sessionmaker[AsyncSession], now: datetime) -> Seeded:
    """Red Cross: Amal (2 tickets, 1 closed and 👍), Bram (1, closed unanswered, 👎), Cleo (1,
    answered and closed, then removed); Caritas: Dina (1). Older than 30 days: one of Amal's.
    Waiting in Brussels: 2 (and 1 in Mechelen)."""
    network, tickets = Network(sessions), Tickets(sessions)
    s = _Seeder(sessions, network, tickets, now)
    amal = await s.volunteer("Red Cross", "Amal", ["ar", "fr"])
    amal = await network.update(amal.id, topics=["housing"], available=True) or amal
    bram = await s.volunteer("Red Cross", "Bram", ["nl"])
    cleo = await s.volunteer("Red Cross", "Cleo", ["fr"])
    dina = await s.volunteer("Caritas", "Dina", ["ar"])
    hour = 60 * MIN
    await s.ticket("brussels", "ar", "housing", ago=5 * hour, by=amal, claim=10 * MIN,
                   answer=30 * MIN, close=True, helpful=True)  # fmt: skip
    await s.ticket("brussels", "ar", "health-care", ago=3 * hour, by=amal, claim=20 * MIN,
                   answer=50 * MIN)  # fmt: skip
    await s.ticket("brussels", "nl", None, ago=4 * hour, by=bram, claim=30 * MIN, close=True,
                   helpful=False)  # fmt: skip
    await s.ticket("brussels", "fr", "housing", ago=6 * hour, by=cleo, claim=5 * MIN,
                   answer=15 * MIN, close=True)  # fmt: skip
    await s.ticket("brussels", "ar", "employment", ago=2 * hour, by=dina, claim=MIN, answer=2 * MIN)
    await s.ticket("brussels", "ar", "housing", ago=timedelta(days=40), by=amal, claim=MIN,
                   answer=2 * MIN, close=True, helpful=False)  # fmt: skip
    await s.ticket("brussels", "fa", "legal-aid", ago=hour)
    await s.ticket("brussels", "ar", "housing", ago=20 * MIN)
    await s.ticket("mechelen", "ar", "housing", ago=20 * MIN)
    assert await network.remove(cleo.id, now=now) is not None
    return Seeded(
        red_cross=amal.organisation_id, caritas=dina.organisation_id, amal=amal, bram=bram
    )
