"""An organisation's page for its coordinator: its volunteers and the anonymous figures of the
tickets they took in the last 30 days, on real tickets; scoped to who asks."""

from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.network_figures import NetworkFigures, OrganisationFigures, Work
from bot.storage.staff import Role, Staff
from tests.storage.organisation_seed import FOLLOW_UP, QUESTION, Seeded, seed

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
ADMIN = Staff(1, "Admin", Role.ADMIN, None)


def coordinator(org: int) -> Staff:
    return Staff(2, "Ines", Role.COORDINATOR, "brussels", organisation_id=org)


@pytest.fixture
async def seeded(sessions: async_sessionmaker[AsyncSession]) -> Seeded:
    return await seed(sessions, NOW)


async def figures(
    sessions: async_sessionmaker[AsyncSession], who: Staff, org: int
) -> OrganisationFigures:
    found = await NetworkFigures(sessions).organisation(who, org, NOW)
    assert found is not None
    return found


async def test_a_coordinator_sees_the_active_volunteers_and_their_work_of_30_days(
    sessions: async_sessionmaker[AsyncSession], seeded: Seeded
) -> None:
    page = await figures(sessions, coordinator(seeded.red_cross), seeded.red_cross)
    assert (page.name, page.city) == ("Red Cross", "brussels")
    amal, bram = page.volunteers  # Cleo was removed: counted, not listed
    assert page.removed == 1
    assert (amal.display_name, amal.languages, amal.topics, amal.available) == (
        "Amal", ("ar", "fr"), ("housing",), True,
    )  # fmt: skip
    assert amal.joined == datetime.now(UTC).date()
    # Her ticket of 40 days ago is not counted; of the two, both answered, one closed.
    assert amal.work == Work(claimed=2, answered=2, closed=1, to_claim=15 * MIN, to_answer=40 * MIN)
    assert (bram.display_name, bram.available) == ("Bram", False)
    assert bram.work == Work(claimed=1, answered=0, closed=1, to_claim=30 * MIN, to_answer=None)


async def test_the_organisations_ticket_figures_count_the_removed_volunteers_work_too(
    sessions: async_sessionmaker[AsyncSession], seeded: Seeded
) -> None:
    tickets = (await figures(sessions, ADMIN, seeded.red_cross)).tickets
    # Amal's 2, Bram's 1 and Cleo's 1: claimed after 10, 20, 30 and 5 minutes, answered
    # after 30, 50 and 15.
    assert tickets.work == Work(
        claimed=4, answered=3, closed=3, to_claim=15 * MIN, to_answer=30 * MIN
    )
    assert tickets.by_status == {"closed": 3, "claimed": 1}
    assert tickets.by_language == {"ar": 2, "nl": 1, "fr": 1}
    assert tickets.by_topic == {"housing": 2, "health-care": 1, "": 1}
    assert (tickets.helpful, tickets.unhelpful) == (1, 1)


async def test_the_citys_waiting_questions_are_a_count_and_another_organisation_is_apart(
    sessions: async_sessionmaker[AsyncSession], seeded: Seeded
) -> None:
    caritas = await figures(sessions, coordinator(seeded.caritas), seeded.caritas)
    assert caritas.waiting == 2  # Brussels' two unclaimed; Mechelen's is not counted
    [dina] = caritas.volunteers
    assert dina.display_name == "Dina"
    assert caritas.tickets.work.claimed == 1
    assert caritas.tickets.by_topic == {"employment": 1}


async def test_nothing_a_migrant_wrote_or_who_they_are_is_in_the_figures(
    sessions: async_sessionmaker[AsyncSession], seeded: Seeded
) -> None:
    page = await figures(sessions, ADMIN, seeded.red_cross)
    shown = repr(page)
    assert QUESTION not in shown and FOLLOW_UP not in shown and "Samusocial" not in shown
    assert "chat_id" not in shown and "user" not in shown
    for figures_of in page.volunteers:
        assert {f.name for f in fields(figures_of)} == {
            "display_name", "languages", "topics", "available", "joined", "work",
        }  # fmt: skip


async def test_another_organisation_or_another_role_finds_nothing(
    sessions: async_sessionmaker[AsyncSession], seeded: Seeded
) -> None:
    store = NetworkFigures(sessions)
    assert await store.organisation(coordinator(seeded.caritas), seeded.red_cross, NOW) is None
    editor = Staff(3, "Ana", Role.EDITOR, "brussels")
    assert await store.organisation(editor, seeded.red_cross, NOW) is None
    assert await store.organisation(ADMIN, seeded.red_cross + 100, NOW) is None
    assert await store.organisations(editor) == {}
    assert await store.organisations(coordinator(seeded.caritas)) == {}


async def test_an_admin_lists_every_citys_organisations(
    sessions: async_sessionmaker[AsyncSession], seeded: Seeded
) -> None:
    assert await NetworkFigures(sessions).organisations(ADMIN) == {
        "brussels": [(seeded.caritas, "Caritas", 1), (seeded.red_cross, "Red Cross", 2)]
    }


async def test_an_organisation_without_tickets_has_no_medians(
    sessions: async_sessionmaker[AsyncSession], seeded: Seeded
) -> None:
    later = await NetworkFigures(sessions).organisation(
        ADMIN, seeded.red_cross, NOW + timedelta(days=60)
    )
    assert later is not None
    assert later.tickets.work == Work(0, 0, 0, None, None)
    assert later.tickets.by_status == {} and (later.tickets.helpful, later.tickets.unhelpful) == (
        0,
        0,
    )
