"""A change saved in the console goes live without a restart: the stored knowledge is loaded
again and a new assistant is swapped in, for the conversations that already exist too."""

import asyncio
import gc
import weakref

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.core.assistant import Asked, Assistant
from bot.core.knowledge import Knowledge
from bot.core.knowledge.model import EntryText
from bot.core.render import PlainFormatter
from bot.live import LiveKnowledge, settle_heap
from bot.storage.database import create_engine, sessionmaker
from bot.storage.editing import Editor, Stored
from bot.storage.knowledge_store import knowledge_of, load_knowledge, stored_rows
from bot.storage.models import KbEntry, KnowledgeVersion
from bot.storage.staff import Role, Staff, StaffStore

FMT = PlainFormatter()
CPAS = "brussels-cpas"
QUESTION = "أحتاج مساعدة مالية"  # "I need financial help": social assistance, the CPAS first
NEW = "يساعدك المركز العام للرعاية الاجتماعية إذا لم يكن لديك ما يكفي للعيش."


async def translator(sessions: async_sessionmaker[AsyncSession]) -> Staff:
    return (await StaffStore(sessions).add("Tarek", Role.TRANSLATOR, "brussels", ["ar"]))[0]


async def write_arabic(sessions: async_sessionmaker[AsyncSession], text: str) -> Stored:
    """The CPAS's Arabic description, as a translator saves it in the console."""
    who = await translator(sessions)
    editor = Editor(sessions)
    stored = await editor.get(who, CPAS)
    assert stored is not None
    saved = await editor.save_texts(who, CPAS, stored.content_hash, "ar", {"description": text})
    assert isinstance(saved, Stored)
    return saved


def answer(assistant: Assistant) -> str:
    reply = assistant.reply(Asked(QUESTION, "brussels"))
    assert (reply.decision.language, reply.decision.topic) == ("ar", "social-assistance")
    return reply.text


async def test_a_saved_text_goes_live_for_new_and_existing_conversations(app: App) -> None:
    live = app.live()
    conversation = app.conversation("test")  # made before the change, as the bot's is
    await conversation.set_city("1", "brussels")
    first, _ = await conversation.message("1", QUESTION, FMT)
    assert NEW not in first.text
    before = app.assistant

    await write_arabic(app.sessions, NEW)
    assert NEW not in answer(app.assistant)  # stored, not yet live

    assert await live.check()
    assert app.assistant is not before
    assert NEW in answer(app.assistant)
    again, _ = await conversation.message("1", QUESTION, FMT)
    assert NEW in again.text
    assert conversation.assistant is app.assistant
    described = app.knowledge.entry(CPAS)
    assert described is not None
    assert described.text("description", "ar") == EntryText(NEW, "ar", "reviewed")
    assert app.conversation("later").assistant is app.assistant
    assert live.reloads == 1

    assert not await live.check()  # nothing changed since
    assert live.reloads == 1


async def test_a_reload_validates_only_the_changed_entries_and_loads_what_is_stored(
    app: App,
) -> None:
    live = app.live()
    assert await live.check() is False
    await write_arabic(app.sessions, NEW)
    before = app.knowledge
    assert await live.check()
    after = app.knowledge
    unchanged = [e.id for e in before.all_entries() if e.id != CPAS]
    assert unchanged and all(after.entry(i) is before.entry(i) for i in unchanged)
    assert after.entry(CPAS) is not before.entry(CPAS)
    assert after == await load_knowledge(app.sessions)  # the same as a fresh, full load


async def test_a_replaced_knowledge_and_assistant_leave_no_cycles_behind(app: App) -> None:
    """What lets bot/live.py freeze the heap: a frozen cycle would never be freed, but a
    knowledge and its assistant are freed by reference counting alone once replaced."""
    rows = await stored_rows(app.sessions)
    assert rows is not None
    gc.collect()
    assistant = app.build_assistant(knowledge_of(rows))
    assert answer(assistant)
    gc.collect()  # whatever building and answering left
    tracked = len(gc.get_objects())
    del assistant
    assert len(gc.get_objects()) < tracked - 10_000  # freed at once...
    assert gc.collect() == 0  # ...and nothing was left for the collector


def test_a_cycle_alive_when_the_heap_was_settled_is_freed_at_the_next_full_settle() -> None:
    """Whatever was alive at one reload's freeze (a request being served) and has become a
    cycle of garbage since does not pile up: the next full settle collects it."""

    class Node:
        pass

    node = Node()
    node.self = node  # type: ignore[attr-defined]
    gone = weakref.ref(node)
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        settle_heap(full=False)
        assert gone() is not None  # frozen: collections skip it...
        settle_heap()
        assert gone() is None  # ...until the next full settle
    finally:
        gc.unfreeze()


async def test_nothing_is_reloaded_while_the_stored_version_stays(app: App) -> None:
    live = app.live()
    assistant = app.assistant
    assert not await live.check()
    assert not await live.check()
    assert app.assistant is assistant
    assert live.reloads == 0


async def test_a_change_saved_by_another_process_goes_live(app: App, database_url: str) -> None:
    live = app.live()
    console = create_engine(database_url)  # `main.py console`, beside the bot
    try:
        await write_arabic(sessionmaker(console), NEW)
    finally:
        await console.dispose()
    assert await live.check()
    assert NEW in answer(app.assistant)


async def test_watching_picks_up_a_change_and_outlives_a_failed_reload(app: App) -> None:
    builds: list[Knowledge] = []

    def build(knowledge: Knowledge) -> Assistant:
        builds.append(knowledge)
        if len(builds) == 1:
            raise RuntimeError("out of memory")  # the first reload fails, the next one works
        return app.build_assistant(knowledge)

    newest, count = app.version or (None, None)
    live = LiveKnowledge(app.sessions, build, app.swap, newest, count)
    watching = asyncio.create_task(live.watch(every=0.02))
    try:
        await write_arabic(app.sessions, NEW)
        async with asyncio.timeout(10):
            while live.reloads == 0:
                await asyncio.sleep(0.02)
    finally:
        watching.cancel()
        with pytest.raises(asyncio.CancelledError):
            await watching
    assert len(builds) == 2
    assert NEW in answer(app.assistant)


async def test_a_version_committed_after_a_newer_one_still_goes_live(
    app: App, database_url: str
) -> None:
    """PostgreSQL numbers a version when it is written, not when it is committed: a save
    that commits late leaves a version below the newest one."""
    if app.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: versions are committed in their order")
    live = app.live()
    phone = "+32 2 999 99 99"
    late = create_engine(database_url)  # another process, whose save commits late
    try:
        async with sessionmaker(late)() as session, session.begin():
            row = await session.scalar(select(KbEntry).where(KbEntry.id == "brussels-population"))
            assert row is not None
            await session.execute(
                update(KbEntry)
                .where(KbEntry.id == row.id)
                .values(data={**row.data, "phone": phone}, content_hash="late")
            )
            session.add(KnowledgeVersion(checksum="late", source="console:late", summary={}))
            await session.flush()  # its version is numbered now...
            await write_arabic(app.sessions, NEW)  # ...a later one is committed first
            assert await live.check()
        assert await live.check()  # and now the late one
    finally:
        await late.dispose()
    population = app.knowledge.entry("brussels-population")
    assert population is not None and population.phone == phone
    assert NEW in answer(app.assistant)
    assert not await live.check()
