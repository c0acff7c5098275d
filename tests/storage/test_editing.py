"""Editing the live knowledge: what each person sees and may change, the rules of `kb check`,
optimistic concurrency, append-only revisions, the audit log and the published versions."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import Knowledge
from bot.core.knowledge.model import fingerprint
from bot.storage.editing import (
    FACT_KEYS,
    Conflict,
    Editor,
    Invalid,
    Saved,
    Stored,
    text_diff,
)
from bot.storage.knowledge_store import ConsoleEdits, import_knowledge, load_knowledge
from bot.storage.models import AuditEvent, EntryRevision, KbEntryTopic, KnowledgeVersion
from bot.storage.network import Network
from bot.storage.staff import Role, Staff, StaffStore

TODAY = date(2026, 12, 3)
CPAS = "brussels-cpas"  # a Brussels entry, written in en, fr and nl, translated into ar...
REGION = "be-cire"  # of the brussels-capital region (Brussels and Schaerbeek)


@dataclass(frozen=True)
class People:
    admin: Staff
    brussels: Staff  # an editor of Brussels
    mechelen: Staff  # an editor of Mechelen
    arabic: Staff  # a translator into Arabic, in Brussels
    coordinator: Staff


@pytest.fixture
async def people(sessions: async_sessionmaker[AsyncSession]) -> People:
    store = StaffStore(sessions)
    red_cross = await Network(sessions).organisation("brussels", "Red Cross")
    return People(
        admin=(await store.add("Root", Role.ADMIN, None))[0],
        brussels=(await store.add("Ana", Role.EDITOR, "brussels"))[0],
        mechelen=(await store.add("Mia", Role.EDITOR, "mechelen"))[0],
        arabic=(await store.add("Tarek", Role.TRANSLATOR, "brussels", ["ar"]))[0],
        coordinator=(
            await store.add("Cleo", Role.COORDINATOR, "brussels", organisation_id=red_cross)
        )[0],
    )


@pytest.fixture
async def editor(sessions: async_sessionmaker[AsyncSession], knowledge: Knowledge) -> Editor:
    """The editor over the imported sample knowledge, on a fixed day."""
    await import_knowledge(sessions, knowledge, "test")
    return Editor(sessions, today=on(TODAY))


def on(day: date) -> Callable[[], date]:
    return lambda: day


async def current(editor: Editor, entry_id: str, people: People) -> Stored:
    found = await editor.get(people.admin, entry_id)
    assert found is not None
    return found


def facts(stored: Stored, **changes: Any) -> dict[str, Any]:
    """The facts the console's form would send for this entry, with `changes`."""
    return {**{k: v for k, v in stored.data.items() if k in FACT_KEYS}, **changes}


def ok(result: Saved | None) -> Stored:
    assert isinstance(result, Stored), result
    return result


def invalid(result: Saved | None) -> dict[str, list[str]]:
    """Why it was refused, by field, in English."""
    assert isinstance(result, Invalid), result
    return {loc: [str(m) for m in messages] for loc, messages in result.errors.items()}


@dataclass(frozen=True)
class Counts:
    revisions: int
    versions: int
    audit: int


async def counts(sessions: async_sessionmaker[AsyncSession]) -> Counts:
    async with sessions() as session:
        return Counts(
            *[
                await session.scalar(select(func.count()).select_from(model)) or 0
                for model in (EntryRevision, KnowledgeVersion, AuditEvent)
            ]
        )


async def audits(sessions: async_sessionmaker[AsyncSession], action: str) -> list[AuditEvent]:
    async with sessions() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return list(rows)


# --- who sees what ---------------------------------------------------------------------------


async def test_an_admin_sees_every_layer(editor: Editor, people: People) -> None:
    for entry_id, scope in (
        (CPAS, "city"),
        (REGION, "region"),
        ("be-police-101", "country"),
        ("eu-112", "network"),
        ("mechelen-city-hall", "city"),
    ):
        found = await editor.get(people.admin, entry_id)
        assert found is not None and found.scope == scope
    assert await editor.get(people.admin, "no-such-entry") is None


async def test_an_editor_sees_their_city_and_its_region_and_nothing_else(
    editor: Editor, people: People
) -> None:
    for who in (people.brussels, people.arabic):
        assert await editor.get(who, CPAS) is not None
        region = await editor.get(who, REGION)
        assert region is not None and (region.scope, region.scope_key) == (
            "region",
            "brussels-capital",
        )
        for hidden in ("be-police-101", "eu-112", "mechelen-city-hall", "be-vdab"):
            assert await editor.get(who, hidden) is None, hidden
    assert await editor.get(people.mechelen, "be-vdab") is not None  # Flanders is theirs
    assert await editor.get(people.coordinator, CPAS) is None


async def test_a_city_list_holds_the_citys_entries_then_its_regions(
    editor: Editor, people: People, knowledge: Knowledge
) -> None:
    listed = await editor.city_entries(people.brussels, "brussels")
    assert [s.entry.id for s in listed] == [e.id for e in knowledge.own_entries("brussels")]
    assert [s.entry for s in listed] == knowledge.own_entries("brussels")
    assert await editor.city_entries(people.brussels, "mechelen") == []
    assert await editor.city_entries(people.coordinator, "brussels") == []
    assert [s.entry.id for s in await editor.city_entries(people.admin, "mechelen")] == [
        e.id for e in knowledge.own_entries("mechelen")
    ]
    assert await editor.cities(people.brussels) == ["brussels"]
    assert await editor.cities(people.admin) == sorted(knowledge.cities)


async def test_another_citys_entry_cannot_be_changed_nor_its_history_read(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    opened = await current(editor, CPAS, people)
    sent = facts(opened, phone="+32 2 000 00 00")
    edited = ok(await editor.save_facts(people.brussels, CPAS, opened.content_hash, sent))
    counted = await counts(sessions)

    mia, base = people.mechelen, edited.content_hash
    assert await editor.get(mia, CPAS) is None
    assert await editor.save_facts(mia, CPAS, base, facts(edited, phone="+32 15 00 00 00")) is None
    assert await editor.save_texts(mia, CPAS, base, "nl", {"description": "Nieuwe tekst"}) is None
    assert await editor.confirm(mia, CPAS) is None
    assert await editor.restore(mia, CPAS, 1) is None
    assert await editor.revisions(mia, CPAS) is None
    assert await editor.source_before(mia, CPAS, "description", "ar") is None
    assert await current(editor, CPAS, people) == edited
    assert await counts(sessions) == counted


async def test_the_languages_of_a_layer_are_english_and_its_own(
    editor: Editor, people: People
) -> None:
    for entry_id, languages in (
        (CPAS, ["en", "fr", "nl"]),
        ("mechelen-city-hall", ["en", "nl"]),
        (REGION, ["en", "fr", "nl"]),
        ("be-police-101", ["en", "fr", "nl"]),
        ("eu-112", ["en"]),
    ):
        stored = await current(editor, entry_id, people)
        assert await editor.layer_languages(stored) == languages, entry_id


# --- facts -----------------------------------------------------------------------------------


async def test_an_editor_changes_the_facts_and_the_texts_stay(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await current(editor, CPAS, people)
    hours = {"mon": ["08:30-12:00", "13:00-16:00"], "fri": ["08:30-12:00"]}
    after = ok(
        await editor.save_facts(
            people.brussels,
            CPAS,
            before.content_hash,
            facts(before, phone="+32 2 543 60 00", hours=hours, topics=["food-aid"]),
        )
    )
    assert after.entry.phone == "+32 2 543 60 00"
    assert [r.label() for r in (after.entry.hours or {})["mon"]] == ["08:30-12:00", "13:00-16:00"]
    assert after.content_hash != before.content_hash
    assert after.updated_at > before.updated_at  # both in UTC, on SQLite too
    for name in ("name", "description", "keywords", "translations", "fact_sources", "source"):
        assert getattr(after.entry, name) == getattr(before.entry, name), name
    assert await current(editor, CPAS, people) == after

    loaded = await load_knowledge(sessions)  # what the bot serves
    assert loaded is not None and loaded.entry(CPAS) == after.entry
    async with sessions() as session:  # what coverage and statistics count
        topics = await session.scalars(
            select(KbEntryTopic.topic_id).where(KbEntryTopic.entry_id == CPAS)
        )
        assert list(topics) == ["food-aid"]


async def test_a_fact_left_out_of_the_form_is_removed(editor: Editor, people: People) -> None:
    before = await current(editor, CPAS, people)
    sent = facts(before)
    del sent["phone"]
    after = ok(await editor.save_facts(people.brussels, CPAS, before.content_hash, sent))
    assert after.entry.phone is None and after.entry.address == before.entry.address


async def test_the_form_cannot_change_texts_sources_or_the_id(
    editor: Editor, people: People
) -> None:
    before = await current(editor, CPAS, people)
    sent = facts(before, id="renamed", name={"en": "Other"}, verified=True, source="x")
    after = await editor.save_facts(people.brussels, CPAS, before.content_hash, sent)
    assert after == before  # nothing it may change changed


async def test_an_unchanged_save_makes_no_revision_and_no_version(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await current(editor, CPAS, people)
    counted = await counts(sessions)
    assert await editor.save_facts(people.brussels, CPAS, before.content_hash, facts(before)) == (
        before
    )
    arabic = before.entry.translations["ar"]["description"].text
    texts = {"description": arabic}
    assert await editor.save_texts(people.arabic, CPAS, before.content_hash, "ar", texts) == (
        before
    )
    assert await counts(sessions) == counted
    assert await editor.revisions(people.brussels, CPAS) == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"phone": "call us"}, "phone", "not a valid phone number"),
        ({"website": "www.cpas.be"}, "website", "not a valid web address"),
        ({"topics": ["food-aid", "gardening"]}, "topics", "unknown topic 'gardening'"),
        ({"topics": []}, "topics", "may not be empty"),
        ({"hours": {"mon": ["9-12"]}}, "hours", "bad opening hours '9-12'"),
        ({"hours": {"mon": ["12:00-09:00"]}}, "hours", "closes before it opens"),
        (
            {"hours": {"mon": ["08:00-12:00", "11:00-14:00"]}},
            "entry",
            "overlapping opening hours 08:00-12:00 and 11:00-14:00",
        ),
        (
            {"always_open": True, "hours": {"mon": ["08:00-12:00"]}},
            "entry",
            "either always_open or has hours, not both",
        ),
        ({"see_also": ["brussels-foreigners", "nowhere"]}, "see_also", "no entry 'nowhere'"),
        ({"appointment": "maybe"}, "appointment", "'required', 'walk-in' or 'either'"),
        (
            {"temporarily_closed": {"since": "2026-12-10", "until": "2026-12-01"}},
            "temporarily_closed",
            "a temporary closure ends before it starts",
        ),
    ],
)
async def test_invalid_facts_are_refused_by_field_and_change_nothing(
    editor: Editor,
    people: People,
    sessions: async_sessionmaker[AsyncSession],
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    before = await current(editor, CPAS, people)
    counted = await counts(sessions)
    sent = facts(before, **change)
    errors = invalid(await editor.save_facts(people.brussels, CPAS, before.content_hash, sent))
    assert {loc.split(".")[0] for loc in errors} == {field}  # "entry": a rule of several
    assert message in " ".join(str(m) for ms in errors.values() for m in ms)
    assert await current(editor, CPAS, people) == before
    assert await counts(sessions) == counted  # no revision, no version, no audit line


async def test_errors_name_the_day_of_bad_opening_hours(editor: Editor, people: People) -> None:
    before = await current(editor, CPAS, people)
    sent = facts(before, hours={"mon": ["08:00-12:00"], "tue": ["08:00-12:00", "25:00-26:00"]})
    errors = invalid(await editor.save_facts(people.brussels, CPAS, before.content_hash, sent))
    assert list(errors) == ["hours.tue.1"]


async def test_a_save_from_a_stale_form_is_a_conflict_and_changes_nothing(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    opened = await current(editor, CPAS, people)
    first = ok(
        await editor.save_facts(
            people.brussels, CPAS, opened.content_hash, facts(opened, phone="+32 2 111 11 11")
        )
    )
    counted = await counts(sessions)
    late = await editor.save_facts(
        people.admin, CPAS, opened.content_hash, facts(opened, phone="+32 2 222 22 22")
    )
    assert late == Conflict(first)  # their form is shown again with the saved version
    texts = {"description": "نص جديد"}
    assert await editor.save_texts(people.arabic, CPAS, opened.content_hash, "ar", texts) == (
        Conflict(first)
    )
    assert await counts(sessions) == counted
    assert await current(editor, CPAS, people) == first


async def test_of_two_saves_from_one_form_in_two_processes_one_is_a_conflict(
    editor: Editor, people: People, elsewhere: async_sessionmaker[AsyncSession]
) -> None:
    other = Editor(elsewhere, today=on(TODAY))
    for n in range(4):
        opened = await current(editor, CPAS, people)
        both = await asyncio.gather(
            editor.save_facts(
                people.brussels, CPAS, opened.content_hash, facts(opened, phone=f"+32 2 {n}00")
            ),
            other.save_facts(
                people.admin, CPAS, opened.content_hash, facts(opened, phone=f"+32 2 {n}11")
            ),
            return_exceptions=True,
        )
        [saved] = [r for r in both if isinstance(r, Stored)]
        [conflict] = [r for r in both if isinstance(r, Conflict)]
        assert conflict.current == saved == await current(editor, CPAS, people)
    history = await editor.revisions(people.admin, CPAS)
    assert history is not None
    assert [r.number for r in history] == [5, 4, 3, 2, 1]


async def test_a_confirmation_is_not_lost_to_a_save_in_another_process(
    editor: Editor,
    people: People,
    sessions: async_sessionmaker[AsyncSession],
    elsewhere: async_sessionmaker[AsyncSession],
) -> None:
    other = Editor(elsewhere)
    for n in range(1, 5):
        day = TODAY + timedelta(days=n)
        confirming = Editor(sessions, today=on(day))
        opened = await current(editor, CPAS, people)
        phone = f"+32 2 {n}22"
        confirmed, saved = await asyncio.gather(
            confirming.confirm(people.brussels, CPAS),
            other.save_facts(people.admin, CPAS, opened.content_hash, facts(opened, phone=phone)),
            return_exceptions=True,
        )
        assert isinstance(confirmed, Stored), confirmed  # it needs no form: it never conflicts
        assert isinstance(saved, Stored | Conflict), saved  # a form opened before the confirm
        now = await current(editor, CPAS, people)
        assert now.entry.last_reviewed == day
        assert now.entry.phone == (phone if isinstance(saved, Stored) else opened.entry.phone)


async def test_a_translator_may_change_no_facts_and_confirm_nothing(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await current(editor, CPAS, people)
    counted = await counts(sessions)
    sent = facts(before, phone="+32 2 000 00 00")
    assert await editor.save_facts(people.arabic, CPAS, before.content_hash, sent) is None
    assert await editor.confirm(people.arabic, CPAS) is None
    assert await editor.restore(people.arabic, CPAS, 1) is None
    assert await editor.save_facts(people.coordinator, CPAS, before.content_hash, sent) is None
    assert await counts(sessions) == counted


# --- texts -----------------------------------------------------------------------------------


async def test_an_arabic_text_becomes_a_reviewed_translation_of_the_english(
    editor: Editor, people: People
) -> None:
    before = await current(editor, CPAS, people)
    arabic = "يساعد المركز العام للرعاية الاجتماعية سكان مدينة بروكسل."
    texts = {"description": f"  {arabic}\n"}
    after = ok(await editor.save_texts(people.arabic, CPAS, before.content_hash, "ar", texts))
    tr = after.data["translations"]["ar"]["description"]
    assert tr == {
        "text": arabic,
        "from": "en",
        "fingerprint": fingerprint(before.entry.description["en"]),
        "reviewed": True,
    }
    described = after.entry.text("description", "ar")
    assert described is not None and (described.text, described.status) == (arabic, "reviewed")
    assert after.entry.text_status("name", "ar") == "unreviewed"  # not sent: as it was
    assert after.entry.description == before.entry.description
    assert after.entry.translations["fa"] == before.entry.translations["fa"]


async def test_a_translator_writes_only_in_their_languages(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await current(editor, CPAS, people)
    counted = await counts(sessions)
    for language in ("fr", "en", "fa"):
        texts = {"description": "Un autre texte"}
        saved = await editor.save_texts(people.arabic, CPAS, before.content_hash, language, texts)
        assert saved is None, language
    assert await counts(sessions) == counted
    assert await current(editor, CPAS, people) == before


async def test_a_text_in_a_language_the_entry_is_written_in_replaces_it(
    editor: Editor, people: People
) -> None:
    before = await current(editor, CPAS, people)
    texts = {"name": "CPAS de Bruxelles-Ville", "cost": "Gratuit"}
    after = ok(await editor.save_texts(people.brussels, CPAS, before.content_hash, "fr", texts))
    assert after.entry.name == {**before.entry.name, "fr": "CPAS de Bruxelles-Ville"}
    assert after.entry.cost is None  # the entry has no cost to write in French
    assert "fr" not in after.entry.translations


async def test_an_emptied_translation_is_removed_and_an_emptied_original_refused(
    editor: Editor, people: People
) -> None:
    before = await current(editor, CPAS, people)
    texts = {"description": "  "}
    after = ok(await editor.save_texts(people.arabic, CPAS, before.content_hash, "ar", texts))
    assert list(after.entry.translations["ar"]) == ["name"]
    assert after.entry.text_status("description", "ar") == "missing"
    both = {"name": "", "description": ""}
    after = ok(await editor.save_texts(people.arabic, CPAS, after.content_hash, "ar", both))
    assert "ar" not in after.entry.translations

    errors = invalid(await editor.save_texts(people.brussels, CPAS, after.content_hash, "fr", both))
    assert set(errors) == {"name.fr", "description.fr"}


async def test_a_translation_resent_unchanged_keeps_its_status(
    editor: Editor, people: People
) -> None:
    before = await current(editor, CPAS, people)
    ar = before.entry.translations["ar"]
    texts = {"name": ar["name"].text, "description": ar["description"].text + " ✔"}
    after = ok(await editor.save_texts(people.arabic, CPAS, before.content_hash, "ar", texts))
    assert after.entry.text_status("name", "ar") == "unreviewed"
    assert after.entry.text_status("description", "ar") == "reviewed"


async def test_a_changed_source_makes_translations_outdated_until_confirmed(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await current(editor, CPAS, people)
    old_english = before.entry.description["en"]
    texts = {"description": old_english.replace("social guidance", "advice")}
    changed = ok(await editor.save_texts(people.brussels, CPAS, before.content_hash, "en", texts))
    assert changed.entry.text_status("description", "ar") == "outdated"
    assert changed.entry.text_status("name", "ar") == "unreviewed"
    assert await editor.source_before(people.arabic, CPAS, "description", "ar") == old_english
    assert await editor.source_before(people.arabic, CPAS, "description", "fr") is None

    confirmed = ok(await editor.confirm(people.brussels, CPAS))
    assert confirmed.entry.last_reviewed == TODAY
    for language, fields in confirmed.entry.translations.items():
        for name, tr in fields.items():
            assert tr.reviewed, (language, name)
            assert confirmed.entry.text_status(name, language) == "reviewed"
            assert tr.text == changed.entry.translations[language][name].text
    assert confirmed.entry.description == changed.entry.description
    [line] = await audits(sessions, "entry.confirm")
    assert line.detail == {"fields": ["last_reviewed", "translations"]}

    counted = await counts(sessions)
    assert await editor.confirm(people.admin, CPAS) == confirmed  # nothing more to confirm
    assert await counts(sessions) == counted


# --- revisions -------------------------------------------------------------------------------


async def test_revisions_keep_the_imported_version_then_every_change(
    editor: Editor, people: People
) -> None:
    imported = await current(editor, CPAS, people)
    edited = ok(
        await editor.save_facts(
            people.brussels,
            CPAS,
            imported.content_hash,
            facts(imported, phone="+32 2 111 11 11"),
        )
    )
    texts = {"description": "نص جديد"}
    translated = ok(await editor.save_texts(people.arabic, CPAS, edited.content_hash, "ar", texts))
    history = await editor.revisions(people.brussels, CPAS)
    assert history is not None
    assert [(r.number, r.action, r.staff_id, r.staff_name) for r in history] == [
        (3, "texts", people.arabic.id, "Tarek"),
        (2, "edit", people.brussels.id, "Ana"),
        (1, "import", None, None),
    ]
    assert [r.data for r in history] == [translated.data, edited.data, imported.data]
    assert all(r.created_at.utcoffset() is not None for r in history)
    assert await editor.revisions(people.brussels, "brussels-population") == []


async def test_restore_brings_back_an_old_version_as_a_new_revision(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    imported = await current(editor, CPAS, people)
    edited = ok(
        await editor.save_facts(
            people.brussels,
            CPAS,
            imported.content_hash,
            facts(imported, phone="+32 2 111 11 11", topics=["food-aid"]),
        )
    )
    restored = ok(await editor.restore(people.brussels, CPAS, 1))
    assert restored.data == imported.data
    assert restored.content_hash == imported.content_hash
    history = await editor.revisions(people.admin, CPAS)
    assert history is not None
    assert [(r.number, r.action) for r in history] == [(3, "restore"), (2, "edit"), (1, "import")]
    assert history[1].data == edited.data  # nothing is ever rewritten
    [line] = await audits(sessions, "entry.restore")
    assert (line.staff_id, line.target) == (people.brussels.id, f"entry:{CPAS}")
    assert line.detail == {"fields": ["phone", "topics"], "restored": 1}
    async with sessions() as session:
        topics = await session.scalars(
            select(KbEntryTopic.topic_id).where(KbEntryTopic.entry_id == CPAS)
        )
        assert sorted(topics) == sorted(imported.entry.topics)

    assert await editor.restore(people.brussels, CPAS, 9) is None
    assert await editor.restore(people.brussels, "brussels-population", 1) is None


# --- what every change leaves ----------------------------------------------------------------


async def test_each_change_is_audited_and_published_as_a_new_version(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await current(editor, CPAS, people)
    sent = facts(before, phone="+32 2 111 11 11", email="info@ocmwbxl.brussels")
    edited = ok(await editor.save_facts(people.brussels, CPAS, before.content_hash, sent))
    texts = {"name": "اسم"}
    ok(await editor.save_texts(people.arabic, CPAS, edited.content_hash, "ar", texts))

    [edit] = await audits(sessions, "entry.edit")
    assert (edit.staff_id, edit.target, edit.detail) == (
        people.brussels.id,
        f"entry:{CPAS}",
        {"fields": ["email", "phone"]},
    )
    [text] = await audits(sessions, "entry.texts")
    assert (text.staff_id, text.detail) == (people.arabic.id, {"fields": ["translations"]})

    async with sessions() as session:
        versions = list(
            await session.scalars(select(KnowledgeVersion).order_by(KnowledgeVersion.id))
        )
    assert [v.source for v in versions] == [
        "test",
        f"console:{people.brussels.id}:{CPAS}",
        f"console:{people.arabic.id}:{CPAS}",
    ]
    assert [v.summary.get("action") for v in versions[1:]] == ["edit", "texts:ar"]
    assert len({v.checksum for v in versions}) == 3


async def test_the_editors_of_every_city_of_a_region_share_its_entries(
    editor: Editor, people: People
) -> None:
    before = await current(editor, REGION, people)
    texts = {"name": "CIRÉ asbl"}
    after = ok(await editor.save_texts(people.brussels, REGION, before.content_hash, "fr", texts))
    assert after.entry.name == {**before.entry.name, "fr": "CIRÉ asbl"}
    assert (after.scope, after.scope_key) == ("region", "brussels-capital")

    sam = (await StaffStore(editor.sessions).add("Sam", Role.EDITOR, "schaerbeek"))[0]
    confirmed = ok(await editor.confirm(sam, REGION))
    assert confirmed.entry.last_reviewed == TODAY
    assert await editor.confirm(people.mechelen, REGION) is None

    errors = invalid(
        await editor.save_texts(sam, REGION, confirmed.content_hash, "nl", {"name": " "})
    )
    assert list(errors) == ["name.nl"]  # the region's languages are required


# --- what changed in a source ----------------------------------------------------------------


def test_text_diff_shows_words_kept_removed_and_added() -> None:
    assert text_diff("Open on Monday morning", "Open on Tuesday morning and evening") == [
        ("same", "Open on"),
        ("removed", "Monday"),
        ("added", "Tuesday"),
        ("same", "morning"),
        ("added", "and evening"),
    ]
    assert text_diff("same  words\nhere", "same words here") == [("same", "same words here")]
    assert text_diff("", "new text") == [("added", "new text")]
    assert text_diff("old text", "") == [("removed", "old text")]
    assert text_diff("", "") == []


NEW_TEXTS = {
    "name": {"en": "Maison de l'Emploi", "fr": "Maison de l'Emploi", "nl": "Huis van het Werk"},
    "description": {
        "en": "Help to find a job, for everyone living in the city.",
        "fr": "Aide pour trouver un emploi, pour tous les habitants.",
        "nl": "Hulp bij het zoeken naar werk, voor alle inwoners.",
    },
}


async def test_an_editor_adds_an_entry_to_their_city_that_goes_live_and_counts_as_an_edit(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession], knowledge: Knowledge
) -> None:
    versions = (await counts(sessions)).versions
    made = await editor.create(
        people.brussels, "brussels", ["employment"], NEW_TEXTS, "Phone call with the service"
    )
    assert isinstance(made, Stored)
    assert made.entry.id == "brussels-maison-de-l-emploi"
    assert (made.scope, made.scope_key, made.entry.verified) == ("city", "brussels", False)
    assert made.entry.last_reviewed == TODAY
    listed = await editor.city_entries(people.brussels, "brussels")
    assert [s.entry.id for s in listed if s.scope == "city"][-1] == made.entry.id  # last
    again = await editor.create(people.admin, "brussels", ["employment"], NEW_TEXTS, "Website")
    assert isinstance(again, Stored) and again.entry.id == "brussels-maison-de-l-emploi-2"
    assert (await counts(sessions)).versions == versions + 2  # each went live
    live = await load_knowledge(sessions)
    assert live is not None and made.entry in live.entries_for("brussels", "employment")
    revisions = await editor.revisions(people.brussels, made.entry.id)
    assert revisions is not None
    assert [(r.number, r.action, r.staff_name) for r in revisions] == [(1, "create", "Ana")]
    with pytest.raises(ConsoleEdits) as refused:  # the files do not have it: not removed
        await import_knowledge(sessions, knowledge, "files")
    assert made.entry.id in {e.entry_id for e in refused.value.edits}


async def test_a_new_entry_needs_the_citys_languages_and_an_editor_of_that_city(
    editor: Editor, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = (await counts(sessions)).versions
    dutchless = {
        k: {lang: t for lang, t in v.items() if lang != "nl"} for k, v in NEW_TEXTS.items()
    }
    refused = await editor.create(people.brussels, "brussels", ["employment"], dutchless, "Website")
    assert isinstance(refused, Invalid)
    assert [str(m) for m in refused.errors["name"]] == ["missing language(s) nl"]
    no_topic = await editor.create(people.brussels, "brussels", [], NEW_TEXTS, "Website")
    assert isinstance(no_topic, Invalid) and "topics" in no_topic.errors
    unnamed = {**NEW_TEXTS, "name": {"en": "???", "fr": "?", "nl": "?"}}
    nameless = await editor.create(people.brussels, "brussels", ["employment"], unnamed, "Website")
    assert isinstance(nameless, Invalid) and "name" in nameless.errors
    for who, city in [
        (people.mechelen, "brussels"),  # another city's editor
        (people.arabic, "brussels"),  # a translator
        (people.coordinator, "brussels"),
        (people.admin, "atlantis"),  # no such city
    ]:
        assert await editor.create(who, city, ["employment"], NEW_TEXTS, "Website") is None
    assert (await counts(sessions)).versions == before  # nothing was published
    listed = await editor.city_entries(people.admin, "brussels")
    assert not any(s.entry.id.startswith("brussels-maison") for s in listed)
