"""The support network: organisations, invites, volunteers and who gets offered a ticket."""

import asyncio
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.database import create_engine, sessionmaker
from bot.storage.network import InviteProblem, Network, VolunteerInfo
from bot.storage.tickets import Status, Tickets
from bot.storage.users import UserStore
from tests.storage.claims import offered_claim

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def join(
    network: Network, chat_id: str, *, city: str = "brussels", org: str = "Red Cross"
) -> VolunteerInfo:
    invite = await network.invite(city, org, now=NOW)
    joined = await network.redeem(
        invite.code, "telegram", chat_id, display_name=f"V{chat_id}", ui_language="fr", now=NOW
    )
    assert isinstance(joined, VolunteerInfo)
    return joined


async def test_organisations_are_matched_ignoring_case_and_spaces(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = Network(sessions)
    first = await network.organisation("brussels", "Red Cross")
    assert await network.organisation("brussels", "  red   CROSS ") == first
    assert await network.organisation("mechelen", "Red Cross") != first
    await join(network, "1")
    assert await network.organisations("brussels") == [(first, "brussels", "Red Cross", 1)]
    assert len(await network.organisations()) == 2


async def test_an_invite_makes_a_new_volunteer_who_starts_away(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = Network(sessions)
    invite = await network.invite("brussels", "Caritas", uses=2, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", invite.code)
    assert (invite.organisation, invite.city, invite.uses_left) == ("Caritas", "brussels", 2)
    assert invite.expires_at == NOW + timedelta(days=7)
    joined = await network.redeem(
        invite.code, "telegram", "42", display_name="Amina", ui_language="ar", now=NOW
    )
    assert isinstance(joined, VolunteerInfo)
    assert (joined.organisation, joined.city, joined.display_name) == (
        "Caritas",
        "brussels",
        "Amina",
    )
    assert (joined.languages, joined.topics, joined.available, joined.load) == ((), (), False, 0)
    assert joined.ui_language == "ar"
    assert await network.volunteer("telegram", "42") == joined
    assert await network.get(joined.id) == joined


async def test_invites_run_out_expire_and_unknown_codes_are_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = Network(sessions)
    invite = await network.invite("brussels", "Caritas", uses=1, valid=timedelta(hours=1), now=NOW)
    later = NOW + timedelta(minutes=5)
    redeem = network.redeem
    assert isinstance(
        await redeem(invite.code, "t", "1", display_name="a", ui_language="en", now=later),
        VolunteerInfo,
    )
    assert (
        await redeem(invite.code, "t", "2", display_name="b", ui_language="en", now=later)
        is InviteProblem.USED_UP
    )
    other = await network.invite("brussels", "Caritas", now=NOW)
    too_late = NOW + timedelta(days=7)
    assert (
        await redeem(other.code, "t", "3", display_name="c", ui_language="en", now=too_late)
        is InviteProblem.EXPIRED
    )
    assert (
        await redeem("no-such-code-000", "t", "4", display_name="d", ui_language="en", now=NOW)
        is InviteProblem.UNKNOWN
    )
    assert await network.volunteer("t", "2") is None


async def test_concurrent_redeems_never_use_an_invite_more_often_than_allowed(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    network = Network(sessions)
    invite = await network.invite("brussels", "Caritas", uses=3, now=NOW)
    other_engine = create_engine(database_url)
    try:
        other = Network(sessionmaker(other_engine))
        results = await asyncio.gather(
            *(
                (network if i % 2 else other).redeem(
                    invite.code, "t", str(i), display_name=f"v{i}", ui_language="en", now=NOW
                )
                for i in range(8)
            )
        )
    finally:
        await other_engine.dispose()
    assert sum(isinstance(r, VolunteerInfo) for r in results) == 3
    assert results.count(InviteProblem.USED_UP) == 5


async def test_redeeming_again_moves_an_active_volunteer_and_uses_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = Network(sessions)
    first = await join(network, "7", org="Red Cross")
    await network.update(first.id, languages=["ar"], available=True)
    invite = await network.invite("brussels", "Caritas", uses=2, now=NOW)
    moved = await network.redeem(
        invite.code, "telegram", "7", display_name="x", ui_language="en", now=NOW
    )
    assert isinstance(moved, VolunteerInfo)
    assert (moved.id, moved.organisation, moved.languages, moved.available) == (
        first.id,
        "Caritas",
        ("ar",),
        True,
    )
    again = await network.redeem(
        invite.code, "telegram", "8", display_name="y", ui_language="en", now=NOW
    )
    assert isinstance(again, VolunteerInfo)
    third = await network.redeem(
        invite.code, "telegram", "9", display_name="z", ui_language="en", now=NOW
    )
    assert third is InviteProblem.USED_UP


async def test_a_removed_volunteer_comes_back_active_and_reset(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = Network(sessions)
    first = await join(network, "5")
    await network.update(first.id, languages=["uk"], topics=["housing"], available=True)
    assert await network.remove(first.id, now=NOW) is not None
    assert await network.volunteer("telegram", "5") is None
    assert await network.get(first.id) is None
    assert await network.update(first.id, available=True) is None
    back = await join(network, "5")
    assert (back.languages, back.topics, back.available) == ((), (), False)
    assert await network.volunteer("telegram", "5") == back
    moved = await join(network, "5", org="Caritas")
    assert moved.organisation == "Caritas"


async def test_update_normalises_languages_and_keeps_what_is_not_given(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = Network(sessions)
    v = await join(network, "1")
    updated = await network.update(v.id, languages=["AR", "fr", "ar", " "], topics=["health"])
    assert updated is not None
    assert (updated.languages, updated.topics) == (("ar", "fr"), ("health",))
    renamed = await network.update(v.id, display_name="Nour", ui_language="ar")
    assert renamed is not None
    assert (renamed.display_name, renamed.ui_language, renamed.languages) == (
        "Nour",
        "ar",
        ("ar", "fr"),
    )


async def _user(sessions: async_sessionmaker[AsyncSession], chat_id: str) -> int:
    return (await UserStore(sessions).get_or_create("telegram", chat_id)).id


async def test_candidates_speak_the_language_prefer_the_topic_then_the_least_busy(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network, tickets = Network(sessions), Tickets(sessions, open_limit=10)
    busy = await join(network, "1")
    idle = await join(network, "2")
    expert = await join(network, "3", org="Caritas")
    french = await join(network, "4")
    away = await join(network, "5")
    elsewhere = await join(network, "6", city="mechelen")
    for v in (busy, idle, expert, elsewhere):
        await network.update(v.id, languages=["ar", "fr"], available=True)
    await network.update(expert.id, topics=["housing"])
    await network.update(french.id, languages=["fr"], available=True)
    await network.update(away.id, languages=["ar"], available=False)
    user = await _user(sessions, "m1")
    ticket = await tickets.open(
        user_id=user,
        city="brussels",
        language="ar",
        topic=None,
        urgent=False,
        question="?",
        now=NOW,
    )
    assert await offered_claim(tickets, ticket.id, busy.id, now=NOW)

    found = await network.candidates("brussels", "ar", "housing")
    assert [v.id for v in found] == [expert.id, idle.id, busy.id]
    assert [v.load for v in found] == [0, 0, 1]
    assert [v.id for v in await network.candidates("brussels", "ar", None)] == [
        idle.id,
        expert.id,
        busy.id,
    ]
    widened = await network.candidates("brussels", "uk", "housing", any_language=True)
    assert [v.id for v in widened] == [expert.id, idle.id, french.id, busy.id]
    assert await network.candidates("brussels", "uk", None) == []


async def test_members_are_listed_by_organisation_then_name(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = Network(sessions)
    b = await join(network, "1", org="Red Cross")
    a = await join(network, "2", org="Caritas")
    c = await join(network, "3", org="Red Cross")
    await network.update(b.id, display_name="Zoé")
    await network.update(c.id, display_name="anna")
    gone = await join(network, "4", org="Caritas")
    await network.remove(gone.id, now=NOW)
    assert [v.id for v in await network.members("brussels")] == [a.id, c.id, b.id]
    assert await network.members("mechelen") == []


async def test_removing_a_volunteer_reopens_their_tickets_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network, tickets = Network(sessions), Tickets(sessions)
    v = await join(network, "1")
    user = await _user(sessions, "m1")
    opened = [
        await tickets.open(
            user_id=user,
            city="brussels",
            language="fr",
            topic=None,
            urgent=False,
            question="?",
            now=NOW,
        )
        for _ in range(2)
    ]
    for t in opened:
        assert await offered_claim(tickets, t.id, v.id, now=NOW)
    gone = await network.remove(v.id, now=NOW)
    assert gone is not None
    assert (gone.id, gone.load, gone.available) == (v.id, 2, False)
    for t in opened:
        back = await tickets.get(t.id)
        assert back is not None
        assert (back.status, back.claimed_by, back.claimed_at) == (Status.OPEN, None, None)
    assert await network.remove(v.id, now=NOW) is None
    assert await network.remove(9999, now=NOW) is None
    assert not await offered_claim(tickets, opened[0].id, v.id, now=NOW)  # removed: cannot take one


async def test_a_city_has_an_optional_coordination_group(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = Network(sessions)
    assert await network.group("brussels") is None
    await network.set_group("brussels", "-100123")
    assert await network.group("brussels") == "-100123"
    await network.set_group("brussels", "-100456")
    assert await network.group("brussels") == "-100456"
    await network.set_group("brussels", None)
    assert await network.group("brussels") is None
    assert await network.group("mechelen") is None
