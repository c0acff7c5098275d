"""City staff's `network` and `tickets` commands: real processes against a real database."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.storage.database import create_engine, sessionmaker, upgrade
from bot.storage.network import Network, VolunteerInfo
from bot.storage.tickets import Status, Tickets
from bot.storage.users import UserStore

ROOT = Path(__file__).resolve().parents[1]


def run(
    args: list[str], db_url: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "GUICHET_BOT_USERNAME"}
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env={**base, "DATABASE_URL": db_url, "PYTHONIOENCODING": "utf-8", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def code_of(output: str) -> str:
    found = re.search(r"^Code: ([A-Za-z0-9_-]{16})$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


async def redeem(db_url: str, code: str, chat_id: str, name: str) -> VolunteerInfo:
    engine = create_engine(db_url)
    try:
        joined = await Network(sessionmaker(engine)).redeem(
            code, "telegram", chat_id, display_name=name, ui_language="en", now=datetime.now(UTC)
        )
    finally:
        await engine.dispose()
    assert isinstance(joined, VolunteerInfo)
    return joined


async def test_invite_prints_a_code_that_works_and_how_to_use_it(database_url: str) -> None:
    out = run(["network", "invite", "--city", "brussels", "--org", "Red Cross"], database_url)
    assert out.returncode == 0, out.stderr
    assert "Invite for Red Cross (brussels)" in out.stdout
    assert "Uses: 5" in out.stdout
    assert re.search(r"Valid until: \d{4}-\d\d-\d\d \d\d:\d\d UTC", out.stdout)
    code = code_of(out.stdout)
    assert f"In a private chat with the bot, send: /start v_{code}" in out.stdout
    joined = await redeem(database_url, code, "100", "Amina")
    assert (joined.organisation, joined.city) == ("Red Cross", "brussels")

    linked = run(
        ["network", "invite", "--city", "brussels", "--org", "red cross", "--uses", "2"],
        database_url,
        env={"GUICHET_BOT_USERNAME": "@GuichetBot"},
    )
    assert linked.returncode == 0, linked.stderr
    assert "Invite for Red Cross (brussels)" in linked.stdout and "Uses: 2" in linked.stdout
    assert f"Link: https://t.me/GuichetBot?start=v_{code_of(linked.stdout)}" in linked.stdout


async def test_unknown_city_exits_2_and_lists_the_slugs(database_url: str) -> None:
    for args in (
        ["network", "invite", "--city", "atlantis", "--org", "X"],
        ["network", "list", "--city", "atlantis"],
        ["tickets", "list", "--city", "atlantis"],
    ):
        out = run(args, database_url)
        assert out.returncode == 2, out.stdout
        assert "Unknown city 'atlantis'" in out.stderr
        assert "brussels" in out.stderr and "jelgava" in out.stderr


async def test_list_group_and_remove_as_staff_use_them(database_url: str) -> None:
    code = code_of(
        run(["network", "invite", "--city", "mechelen", "--org", "Caritas"], database_url).stdout
    )
    nour = await redeem(database_url, code, "200", "Nour")
    oleh = await redeem(database_url, code, "201", "Oleh")
    engine = create_engine(database_url)
    try:
        sessions = sessionmaker(engine)
        await Network(sessions).update(nour.id, languages=["ar", "fr"], available=True)
        uid = (await UserStore(sessions).get_or_create("telegram", "m1")).id
        tickets = Tickets(sessions)
        t = await tickets.open(
            user_id=uid,
            city="mechelen",
            language="ar",
            topic=None,
            urgent=False,
            question="?",
            now=datetime.now(UTC),
        )
        assert await tickets.claim(t.id, nour.id, now=datetime.now(UTC))
    finally:
        await engine.dispose()

    group = run(["network", "group", "--city", "mechelen", "--chat", "-100777"], database_url)
    assert group.returncode == 0, group.stderr
    listed = run(["network", "list", "--city", "mechelen"], database_url)
    assert listed.returncode == 0, listed.stderr
    assert "Coordination group: -100777" in listed.stdout
    assert "Caritas: 2 volunteer(s)" in listed.stdout
    assert f"#{nour.id}  Nour  (ar, fr)  available, 1 ticket(s) in hand" in listed.stdout
    assert f"#{oleh.id}  Oleh  (no languages yet)  away, 0 ticket(s) in hand" in listed.stdout

    removed = run(["network", "remove", str(nour.id)], database_url)
    assert removed.returncode == 0, removed.stderr
    assert f"Removed volunteer #{nour.id} Nour (Caritas, mechelen)." in removed.stdout
    assert "1 ticket(s) they had taken went back to open." in removed.stdout
    engine = create_engine(database_url)
    try:
        back = await Tickets(sessionmaker(engine)).get(t.id)
    finally:
        await engine.dispose()
    assert back is not None and back.status is Status.OPEN
    again = run(["network", "remove", str(nour.id)], database_url)
    assert again.returncode == 1
    assert f"no active volunteer #{nour.id}" in again.stderr

    none = run(["network", "group", "--city", "mechelen", "--none"], database_url)
    assert none.returncode == 0 and "no coordination group" in none.stdout
    after = run(["network", "list", "--city", "mechelen"], database_url)
    assert "Coordination group: none" in after.stdout and "Nour" not in after.stdout


async def test_tickets_list_shows_timings_and_no_identity(database_url: str) -> None:
    engine = create_engine(database_url)
    await upgrade(engine)
    now = datetime.now(UTC)
    try:
        sessions = sessionmaker(engine)
        network, tickets = Network(sessions), Tickets(sessions, open_limit=10)
        invite = await network.invite("brussels", "Red Cross", now=now)
        v = await network.redeem(
            invite.code, "telegram", "300", display_name="Vol", ui_language="en", now=now
        )
        assert isinstance(v, VolunteerInfo)
        uid = (await UserStore(sessions).get_or_create("telegram", "555123")).id
        long_question = "Je cherche un logement pour ce soir avec mes deux enfants, " * 3
        answered = await tickets.open(
            user_id=uid,
            city="brussels",
            language="fr",
            topic="housing",
            urgent=True,
            question=long_question,
            now=now - timedelta(hours=3),
        )
        await tickets.claim(answered.id, v.id, now=now - timedelta(hours=2, minutes=50))
        await tickets.add_message(
            answered.id, sender="volunteer", text="Samusocial", now=now - timedelta(hours=2)
        )
        await tickets.close(answered.id, by="migrant", now=now - timedelta(hours=1))
        await tickets.rate(answered.id, uid, True)
        waiting = await tickets.open(
            user_id=uid,
            city="brussels",
            language="uk",
            topic=None,
            urgent=False,
            question="Де знайти лікаря?",
            now=now - timedelta(minutes=5),
        )
        erased = await tickets.open(
            user_id=uid,
            city="brussels",
            language="ar",
            topic=None,
            urgent=False,
            question="secret",
            now=now - timedelta(days=2),
        )
        forgetful = Tickets(sessions, retention=timedelta(0))
        await forgetful.close(erased.id, by="system", now=now - timedelta(days=1))
        assert await forgetful.purge(now) == 1
    finally:
        await engine.dispose()

    out = run(["tickets", "list", "--city", "brussels"], database_url)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    header = next(line for line in lines if line.startswith("ID"))
    assert header.split() == [
        "ID",
        "STATE",
        "LANG",
        "TOPIC",
        "URGENT",
        "AGE",
        "CLAIMED",
        "ANSWERED",
        "MSGS",
        "RATING",
    ]
    rows = {line.split()[0]: line for line in lines if line.startswith("#")}
    assert rows[f"#{answered.id}"].split() == [
        f"#{answered.id}",
        "closed",
        "fr",
        "housing",
        "URGENT",
        "3h",
        "00m",
        "10m",
        "1h",
        "00m",
        "1",
        "helpful",
    ]
    assert rows[f"#{waiting.id}"].split()[1:] == ["open", "uk", "-", "-", "5m", "-", "-", "0", "-"]
    assert rows[f"#{erased.id}"].split()[1] == "closed"
    assert [line.split()[0] for line in lines if line.startswith("#")] == [
        f"#{waiting.id}",
        f"#{answered.id}",
        f"#{erased.id}",
    ]
    assert f"    {long_question[:59]}…" in out.stdout
    assert "    Де знайти лікаря?" in out.stdout and "    (erased)" in out.stdout
    assert "secret" not in out.stdout and "555123" not in out.stdout
