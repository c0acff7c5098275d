"""City staff: invitations bind a chat, sign-in tokens work once for 10 minutes and are kept
only as digests, a removed person is signed out at once, and every step is audited."""

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import AuditEvent, StaffMember, StaffToken
from bot.storage.network import Network
from bot.storage.staff import Role, Staff, StaffStore, TokenProblem, audit

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(sessions: async_sessionmaker[AsyncSession]) -> StaffStore:
    return StaffStore(sessions)


async def joined(
    store: StaffStore, chat_id: str, role: Role = Role.EDITOR, city: str | None = "mechelen"
) -> Staff:
    """A person added and bound to the Telegram chat `chat_id`."""
    languages = ["ar"] if role is Role.TRANSLATOR else None
    _, invite = await store.add(f"Person {chat_id}", role, city, languages, now=NOW)
    person = await store.join(invite, chat_id, now=NOW)
    assert isinstance(person, Staff)
    return person


async def audit_lines(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, int | None]]:
    async with sessions() as session:
        rows = await session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(r.action, r.staff_id) for r in rows]


# --- invitations -----------------------------------------------------------------------------


async def test_an_invitation_binds_the_chat_it_is_opened_in(store: StaffStore) -> None:
    ana, invite = await store.add("  Ana  ", Role.EDITOR, "mechelen", now=NOW)
    assert (ana.name, ana.role, ana.city, ana.languages) == ("Ana", Role.EDITOR, "mechelen", ())
    assert await store.by_chat("810") is None

    assert await store.join(invite, "810", now=NOW + timedelta(days=6)) == ana
    assert await store.by_chat("810") == ana
    assert await store.get(ana.id) == ana


async def test_an_invitation_opens_once(store: StaffStore) -> None:
    ana, invite = await store.add("Ana", Role.EDITOR, "mechelen", now=NOW)
    assert await store.join(invite, "810", now=NOW) == ana
    assert await store.join(invite, "811", now=NOW) is TokenProblem.USED
    assert await store.by_chat("811") is None
    assert await store.by_chat("810") == ana


async def test_an_invitation_lasts_seven_days(store: StaffStore) -> None:
    _, invite = await store.add("Ana", Role.EDITOR, "mechelen", now=NOW)
    late = NOW + timedelta(days=7, seconds=1)
    assert await store.join(invite, "810", now=late) is TokenProblem.EXPIRED
    assert await store.by_chat("810") is None


async def test_one_chat_is_one_person(store: StaffStore) -> None:
    ana = await joined(store, "810")
    ben = await joined(store, "810", Role.TRANSLATOR, "brussels")
    assert await store.by_chat("810") == ben
    async with store.sessions() as session:
        bound = await session.scalars(select(StaffMember.id).where(StaffMember.chat_id == "810"))
        assert list(bound) == [ben.id]
    assert await store.get(ana.id) == ana  # still staff, only no longer signed in from there


async def test_a_person_works_in_a_city_unless_they_are_a_network_admin(
    store: StaffStore,
) -> None:
    with pytest.raises(ValueError, match="without a city"):
        await store.add("Ana", Role.EDITOR, None)
    with pytest.raises(ValueError, match="at least one language"):
        await store.add("Ana", Role.TRANSLATOR, "brussels", [])
    admin, _ = await store.add("Root", Role.ADMIN, "brussels")
    assert admin.city is None and admin.admin
    tr, _ = await store.add("Tarek", Role.TRANSLATOR, "brussels", ["fa", "ar", "ar"])
    assert tr.languages == ("ar", "fa")
    assert await store.members() == [admin, tr]


async def test_a_coordinator_and_only_a_coordinator_belongs_to_an_organisation_of_their_city(
    store: StaffStore, sessions: async_sessionmaker[AsyncSession]
) -> None:
    red_cross = await Network(sessions).organisation("brussels", "Red Cross")
    with pytest.raises(ValueError, match="only a coordinator"):
        await store.add("Ines", Role.COORDINATOR, "brussels")
    with pytest.raises(ValueError, match="only a coordinator"):
        await store.add("Ana", Role.EDITOR, "brussels", organisation_id=red_cross)
    with pytest.raises(ValueError, match="no organisation"):
        await store.add("Ines", Role.COORDINATOR, "mechelen", organisation_id=red_cross)
    assert await store.members() == []  # nothing was added
    ines, invite = await store.add("Ines", Role.COORDINATOR, "brussels", organisation_id=red_cross)
    assert (ines.role, ines.city, ines.organisation_id) == (Role.COORDINATOR, "brussels", red_cross)
    assert await store.join(invite, "820") == ines
    assert await store.by_chat("820") == ines


# --- sign-in tokens --------------------------------------------------------------------------


async def test_a_sign_in_token_works_once(store: StaffStore) -> None:
    ana = await joined(store, "810")
    token = await store.login_token(ana.id, now=NOW)
    assert await store.login(token, now=NOW + timedelta(minutes=1)) == ana
    assert await store.login(token, now=NOW + timedelta(minutes=2)) is TokenProblem.USED


async def test_a_sign_in_token_lasts_ten_minutes(store: StaffStore) -> None:
    ana = await joined(store, "810")
    late = await store.login_token(ana.id, now=NOW)
    assert await store.login(late, now=NOW + timedelta(minutes=10)) is TokenProblem.EXPIRED
    in_time = await store.login_token(ana.id, now=NOW)
    assert await store.login(in_time, now=NOW + timedelta(minutes=9, seconds=59)) == ana


async def test_each_sign_in_token_is_its_own(store: StaffStore) -> None:
    ana = await joined(store, "810")
    first = await store.login_token(ana.id, now=NOW)
    second = await store.login_token(ana.id, now=NOW)
    assert first != second
    assert await store.login(first, now=NOW) == ana
    assert await store.login(second, now=NOW) == ana


async def test_an_unknown_token_signs_no_one_in(store: StaffStore) -> None:
    ana = await joined(store, "810")
    token = await store.login_token(ana.id, now=NOW)
    assert await store.login("not-a-token", now=NOW) is TokenProblem.UNKNOWN
    assert await store.login(token[:-1], now=NOW) is TokenProblem.UNKNOWN
    assert await store.join("not-a-token", "811", now=NOW) is TokenProblem.UNKNOWN


async def test_an_invitation_is_not_a_sign_in_link_nor_the_other_way_round(
    store: StaffStore,
) -> None:
    ana, invite = await store.add("Ana", Role.EDITOR, "mechelen", now=NOW)
    assert await store.login(invite, now=NOW) is TokenProblem.UNKNOWN
    assert await store.join(invite, "810", now=NOW) == ana  # the wrong use spent nothing
    token = await store.login_token(ana.id, now=NOW)
    assert await store.join(token, "811", now=NOW) is TokenProblem.UNKNOWN
    assert await store.by_chat("811") is None
    assert await store.login(token, now=NOW) == ana


async def test_the_database_keeps_only_digests_of_tokens(
    store: StaffStore, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ana, invite = await store.add("Ana", Role.EDITOR, "mechelen", now=NOW)
    await store.join(invite, "810", now=NOW)
    token = await store.login_token(ana.id, now=NOW)
    await store.login(token, now=NOW)
    async with sessions() as session:
        rows = list(await session.scalars(select(StaffToken)))
        stored = [
            " ".join(str(v) for v in (r.digest, r.purpose, r.expires_at, r.used_at)) for r in rows
        ]
        stored += [f"{e.target} {e.detail}" for e in await session.scalars(select(AuditEvent))]
    assert {r.digest for r in rows} == {
        hashlib.sha256(t.encode()).hexdigest() for t in (invite, token)
    }
    for plain in (invite, token):
        assert not any(plain in line for line in stored)


async def test_two_requests_cannot_both_spend_one_token(
    store: StaffStore, elsewhere: async_sessionmaker[AsyncSession]
) -> None:
    ana = await joined(store, "810")
    other = StaffStore(elsewhere)
    for _ in range(5):
        token = await store.login_token(ana.id, now=NOW)
        both = await asyncio.gather(store.login(token, now=NOW), other.login(token, now=NOW))
        assert both.count(ana) == 1 and both.count(TokenProblem.USED) == 1, both


# --- removal ---------------------------------------------------------------------------------


async def test_a_removed_person_is_signed_out_at_once(store: StaffStore) -> None:
    ana = await joined(store, "810")
    ben = await joined(store, "811")
    token = await store.login_token(ana.id, now=NOW)  # a link sent just before

    assert await store.remove(ana.id)
    assert await store.get(ana.id) is None  # the console's session stops working
    assert await store.login(token, now=NOW) is TokenProblem.INACTIVE
    assert await store.by_chat("810") is None  # /staff in their chat gets nothing
    assert await store.members() == [ben]
    assert not await store.remove(ana.id)  # only once


async def test_a_removed_person_cannot_open_their_invitation(store: StaffStore) -> None:
    ana, invite = await store.add("Ana", Role.EDITOR, "mechelen", now=NOW)
    await store.remove(ana.id)
    assert await store.join(invite, "810", now=NOW) is TokenProblem.INACTIVE
    assert await store.by_chat("810") is None


async def test_the_first_admin_is_the_earliest_one_still_there(store: StaffStore) -> None:
    assert await store.first_admin() is None
    await joined(store, "810")
    root = await joined(store, "811", Role.ADMIN, None)
    second = await joined(store, "812", Role.ADMIN, None)
    assert await store.first_admin() == root
    await store.remove(root.id)
    assert await store.first_admin() == second


# --- what each role may do -------------------------------------------------------------------


def test_editors_change_entries_and_every_text_translators_only_their_languages() -> None:
    admin = Staff(1, "Root", Role.ADMIN, None)
    editor = Staff(2, "Ana", Role.EDITOR, "brussels")
    translator = Staff(3, "Tarek", Role.TRANSLATOR, "brussels", ("ar",))
    coordinator = Staff(4, "Cleo", Role.COORDINATOR, "brussels")
    assert [p.may_edit_entries() for p in (admin, editor, translator, coordinator)] == [
        True,
        True,
        False,
        False,
    ]
    assert [p.may_translate("ar") for p in (admin, editor, translator, coordinator)] == [
        True,
        True,
        True,
        False,
    ]
    assert not translator.may_translate("fr")
    assert admin.admin and not editor.admin


# --- the audit log ---------------------------------------------------------------------------


async def test_adding_joining_signing_in_and_removal_are_audited(
    store: StaffStore, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ana = await joined(store, "810")
    await store.login(await store.login_token(ana.id, now=NOW), now=NOW)
    await store.login("not-a-token", now=NOW)  # a failed sign-in signs no one in: no line
    await store.remove(ana.id)
    assert await audit_lines(sessions) == [
        ("staff.add", None),
        ("staff.join", ana.id),
        ("staff.login", ana.id),
        ("staff.remove", None),
    ]
    async with sessions() as session:
        added = await session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.add"))
    assert added is not None
    assert added.target == f"staff:{ana.id}"
    assert added.detail == {"role": "editor", "city": "mechelen", "languages": []}


async def test_an_audit_line_is_written_in_the_callers_transaction(
    store: StaffStore, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ana = await joined(store, "810")
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            audit(session, ana, "entry.edit", "entry:x", fields=["phone"])
            raise RuntimeError("the change failed")
    async with sessions() as session, session.begin():
        audit(session, ana, "entry.edit", "entry:" + "x" * 300, fields=["phone"])
    async with sessions() as session:
        [line] = await session.scalars(select(AuditEvent).where(AuditEvent.action == "entry.edit"))
    assert (line.staff_id, len(line.target), line.detail) == (ana.id, 200, {"fields": ["phone"]})
