"""City staff's `network` and `tickets` commands, in this process against a real database, at a
moment the test sets."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import Knowledge
from bot.core.semantic import Embedder
from bot.storage.database import create_engine, sessionmaker
from bot.storage.network import Network, VolunteerInfo
from bot.storage.tickets import Status, Tickets
from bot.storage.users import UserStore
from tests.cli_harness import Cli, stock
from tests.storage.claims import offered_claim

NOW = datetime(2026, 3, 9, 14, 30, tzinfo=UTC)


@pytest.fixture
async def cli(
    monkeypatch: pytest.MonkeyPatch, database_url: str, knowledge: Knowledge, embedder: Embedder
) -> Cli:
    """Staff's command line at NOW, on a database that holds the sample knowledge."""
    await stock(database_url, knowledge, embedder)
    return Cli(monkeypatch, database_url, now=NOW)


@pytest.fixture
async def stores(database_url: str, cli: Cli) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The same database, for the test to prepare and check (after `cli` migrated it)."""
    engine = create_engine(database_url)
    yield sessionmaker(engine)
    await engine.dispose()


def code_of(output: str) -> str:
    found = re.search(r"^Code: ([A-Za-z0-9_-]{16})$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


async def redeem(
    sessions: async_sessionmaker[AsyncSession], code: str, chat_id: str, name: str
) -> VolunteerInfo:
    joined = await Network(sessions).redeem(
        code, "telegram", chat_id, display_name=name, ui_language="en", now=NOW
    )
    assert isinstance(joined, VolunteerInfo)
    return joined


async def test_invite_prints_a_code_that_works_and_how_to_use_it(
    cli: Cli, stores: async_sessionmaker[AsyncSession]
) -> None:
    ran = await cli("network", "invite", "--city", "brussels", "--org", "Red Cross")
    assert ran.code == 0, ran.err
    code = code_of(ran.out)
    assert ran.out == (
        "Invite for Red Cross (brussels)\n"
        f"Code: {code}\n"
        "Valid until: 2026-03-16 14:30 UTC\n"
        "Uses: 5 (each volunteer who joins uses one)\n"
        f"In a private chat with the bot, send: /start v_{code}\n"
    )
    joined = await redeem(stores, code, "100", "Amina")
    assert (joined.organisation, joined.city) == ("Red Cross", "brussels")

    linked = await cli(
        "network", "invite", "--city", "brussels", "--org", "red cross", "--uses", "2",
        "--days", "1",
        env={"GUICHET_BOT_USERNAME": "@GuichetBot"},
    )  # fmt: skip
    assert linked.code == 0, linked.err
    code = code_of(linked.out)
    assert linked.out == (
        "Invite for Red Cross (brussels)\n"
        f"Code: {code}\n"
        "Valid until: 2026-03-10 14:30 UTC\n"
        "Uses: 2 (each volunteer who joins uses one)\n"
        f"Link: https://t.me/GuichetBot?start=v_{code}\n"
    )


async def test_settings_give_the_invitations_defaults(cli: Cli) -> None:
    env = {"GUICHET_INVITE_USES": "9", "GUICHET_INVITE_DAYS": "2"}
    ran = await cli("network", "invite", "--city", "capaci", "--org", "Arci", env=env)
    assert "Valid until: 2026-03-11 14:30 UTC\nUses: 9 " in ran.out


@pytest.mark.parametrize("value", ["0", "-3", "many"])
async def test_uses_and_days_must_be_positive_whole_numbers(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    value: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli = Cli(monkeypatch, database_url, now=NOW)  # argparse refuses before any database work
    with pytest.raises(SystemExit) as exit:
        await cli("network", "invite", "--city", "capaci", "--org", "Arci", "--days", value)
    assert exit.value.code == 2
    said = "not a whole number" if value == "many" else f"must be at least 1, not {value}"
    assert said in capsys.readouterr().err


async def test_unknown_city_exits_2_and_lists_the_slugs(cli: Cli) -> None:
    for args in (
        ["network", "invite", "--city", "atlantis", "--org", "X"],
        ["network", "list", "--city", "atlantis"],
        ["network", "group", "--city", "atlantis", "--none"],
        ["tickets", "list", "--city", "atlantis"],
    ):
        ran = await cli(*args)
        assert ran.code == 2, ran.out
        assert ran.out == ""
        assert ran.err.startswith("Unknown city 'atlantis'. Valid cities: brussels, capaci, ")


async def test_list_group_and_remove_as_staff_use_them(
    cli: Cli, stores: async_sessionmaker[AsyncSession]
) -> None:
    empty = await cli("network", "list", "--city", "mechelen")
    assert empty.out == (
        "Support network of mechelen\n"
        "Coordination group: none\n"
        "No organisations yet. Invite volunteers with:\n"
        "    python main.py network invite --city mechelen --org NAME\n"
    )
    code = code_of((await cli("network", "invite", "--city", "mechelen", "--org", "Caritas")).out)
    nour = await redeem(stores, code, "200", "Nour")
    oleh = await redeem(stores, code, "201", "Oleh")
    await Network(stores).update(nour.id, languages=["ar", "fr"], available=True)
    uid = (await UserStore(stores).get_or_create("telegram", "m1")).id
    tickets = Tickets(stores)
    t = await tickets.open(
        user_id=uid, city="mechelen", language="ar", topic=None, urgent=False, question="?",
        now=NOW,
    )  # fmt: skip
    assert await offered_claim(tickets, t.id, nour.id, now=NOW)

    group = await cli("network", "group", "--city", "mechelen", "--chat", " -100777 ")
    assert group.out == "Coordination group of mechelen: -100777\n"
    listed = await cli("network", "list", "--city", "mechelen")
    assert listed.code == 0, listed.err
    assert listed.out == (
        "Support network of mechelen\n"
        "Coordination group: -100777\n"
        "\n"
        "Caritas: 2 volunteer(s)\n"
        f"  #{nour.id}  Nour  (ar, fr)  available, 1 ticket(s) in hand\n"
        f"  #{oleh.id}  Oleh  (no languages yet)  away, 0 ticket(s) in hand\n"
    )

    removed = await cli("network", "remove", str(nour.id))
    assert removed.code == 0, removed.err
    assert removed.out == (
        f"Removed volunteer #{nour.id} Nour (Caritas, mechelen).\n"
        "1 ticket(s) they had taken went back to open.\n"
    )
    back = await tickets.get(t.id)
    assert back is not None and back.status is Status.OPEN
    again = await cli("network", "remove", str(nour.id))
    assert (again.code, again.out) == (1, "")
    assert again.err == f"There is no active volunteer #{nour.id}.\n"

    none = await cli("network", "group", "--city", "mechelen", "--none")
    assert none.out == "mechelen has no coordination group now.\n"
    after = await cli("network", "list", "--city", "mechelen")
    assert "Coordination group: none" in after.out and "Nour" not in after.out


async def test_tickets_list_shows_exact_timings_and_no_identity(
    cli: Cli, stores: async_sessionmaker[AsyncSession]
) -> None:
    network, tickets = Network(stores), Tickets(stores, open_limit=10)
    invite = await network.invite("brussels", "Red Cross", now=NOW)
    v = await network.redeem(
        invite.code, "telegram", "300", display_name="Vol", ui_language="en", now=NOW
    )
    assert isinstance(v, VolunteerInfo)
    uid = (await UserStore(stores).get_or_create("telegram", "555123")).id
    long_question = "Je cherche un logement pour ce soir avec mes deux enfants, " * 3

    async def ask(language: str, question: str, ago: timedelta, urgent: bool = False) -> int:
        ticket = await tickets.open(
            user_id=uid, city="brussels", language=language, topic="housing" if urgent else None,
            urgent=urgent, question=question, now=NOW - ago,
        )  # fmt: skip
        return ticket.id

    answered = await ask("fr", long_question, timedelta(hours=3), urgent=True)
    await offered_claim(tickets, answered, v.id, now=NOW - timedelta(hours=2, minutes=50))
    await tickets.add_message(
        answered, sender="volunteer", text="Samusocial", now=NOW - timedelta(hours=2)
    )
    await tickets.close(answered, by="migrant", now=NOW - timedelta(hours=1))
    await tickets.rate(answered, uid, True)
    waiting = await ask("uk", "Де знайти лікаря?", timedelta(minutes=5, seconds=7))
    erased = await ask("ar", "secret", timedelta(days=2, hours=4))
    forgetful = Tickets(stores, retention=timedelta(0))
    await forgetful.close(erased, by="system", now=NOW - timedelta(days=1))
    assert await forgetful.purge(NOW) == 1
    fresh = await ask("en", "just now", timedelta(seconds=42))
    old = await ask("en", "last month", timedelta(days=30))
    await tickets.close(old, by="system", now=NOW - timedelta(days=8))

    ran = await cli("tickets", "list", "--city", "brussels")
    assert ran.code == 0, ran.err
    short = long_question[:59] + "…"
    assert ran.out.splitlines() == [
        "Tickets of brussels: open, taken, and closed in the last 7 days (CLAIMED and ANSWERED: "
        "how long after it was sent)",
        "ID  STATE   LANG  TOPIC    URGENT  AGE     CLAIMED  ANSWERED  MSGS  RATING",
        f"#{fresh}  open    en    -        -       42s     -        -         0     -",
        "    just now",
        f"#{waiting}  open    uk    -        -       5m      -        -         0     -",
        "    Де знайти лікаря?",
        f"#{answered}  closed  fr    housing  URGENT  3h 00m  10m      1h 00m    1     helpful",
        f"    {short}",
        f"#{erased}  closed  ar    -        -       2d 4h   -        -         0     -",
        "    (erased)",
    ]
    assert "secret" not in ran.out and "555123" not in ran.out


async def test_tickets_list_says_when_there_are_none(cli: Cli) -> None:
    ran = await cli("tickets", "list", "--city", "livadia")
    assert ran.out == "No open tickets in livadia, and none closed in the last 7 days.\n"


async def test_staff_assign_a_ticket_that_was_never_offered_to_the_volunteer(
    cli: Cli, stores: async_sessionmaker[AsyncSession]
) -> None:
    network, tickets = Network(stores), Tickets(stores)
    code = code_of((await cli("network", "invite", "--city", "brussels", "--org", "Caritas")).out)
    amal, piet = (
        await redeem(stores, code, "300", "Amal"),
        await redeem(stores, code, "301", "Piet"),
    )
    far = await redeem(
        stores, code_of((await cli("network", "invite", "--city", "capaci", "--org", "Arci")).out),
        "302", "Gio",
    )  # fmt: skip
    uid = (await UserStore(stores).get_or_create("telegram", "m1")).id
    t = await tickets.open(
        user_id=uid, city="brussels", language="ar", topic=None, urgent=False, question="?",
        now=NOW,
    )  # fmt: skip
    assert await offered_claim(tickets, t.id, amal.id, now=NOW)
    assert not await tickets.claim(t.id, piet.id, now=NOW)  # never offered to Piet

    ran = await cli("tickets", "assign", str(t.id), "--volunteer", str(piet.id))
    assert (ran.code, ran.err) == (0, "")
    assert ran.out == (
        f"Ticket #{t.id} is now with volunteer #{piet.id} Piet (Caritas, brussels). "
        "The bot sends it to them within a minute (and tells whoever had it); they also see "
        "it with /mytickets.\n"
    )
    assert [held.id for held in await tickets.of_volunteer(piet.id)] == [t.id]
    assert await tickets.of_volunteer(amal.id) == []
    given = await tickets.get(t.id)  # for the bot to tell Piet, and Amal whose it was
    assert given is not None and given.assigned_from == amal.id and given.assign_told_at is None

    other_city = await cli("tickets", "assign", str(t.id), "--volunteer", str(far.id))
    assert (other_city.code, other_city.out) == (1, "")
    assert other_city.err == (
        f"Ticket #{t.id} is not an open or taken ticket of capaci: nothing changed.\n"
    )
    await network.remove(amal.id, now=NOW)
    gone = await cli("tickets", "assign", str(t.id), "--volunteer", str(amal.id))
    assert (gone.code, gone.err) == (1, f"There is no active volunteer #{amal.id}.\n")
    held = await tickets.get(t.id)
    assert held is not None and held.claimed_by == piet.id
