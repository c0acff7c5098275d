"""/delete leaves nothing of the migrant: every column of every table is searched afterwards."""

from __future__ import annotations

from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.assistant import Assistant
from bot.voice.worker import VoiceWorker
from tests.channels.telegram.conftest import Harness, running
from tests.channels.telegram.test_support import AMAL, ask_a_person, data_of, join, texts
from tests.voice_parts import Scripted

MIGRANT = 7364019283  # distinctive, so that no timestamp or counter contains it by chance
QUESTION = "Mon propriétaire Jan Peeters garde ma garantie locative"
FOLLOW_UP = "Il habite rue Wéry numéro quarante-deux"
CAPTION = "La lettre recommandée de Monsieur Peeters"
ASKED = "où puis-je apprendre le néerlandais ?"


def everything_mentioning(conn: Connection, needles: list[str]) -> list[tuple[str, str, object]]:
    """(table, column, value) for each stored value that contains one of `needles`.

    The tables come from the database itself, so a table added later is searched too.
    """
    found = []
    for name in inspect(conn).get_table_names():
        table = Table(name, MetaData(), autoload_with=conn)
        for row in conn.execute(select(table)):
            for column, value in row._mapping.items():
                if value is not None and any(n in str(value) for n in needles):
                    found.append((name, str(column), value))
    return found


async def test_delete_leaves_no_chat_id_and_no_text_of_the_migrant_anywhere(
    desk_tg: Harness, engine: AsyncEngine
) -> None:
    h = desk_tg
    await join(h, AMAL, "Amal", ["fr"])
    await h.setup(MIGRANT, "brussels", "fr")
    await h.say(MIGRANT, ASKED)
    ticket = await ask_a_person(h, QUESTION, chat=MIGRANT)
    working = await h.tap(AMAL, f"1v:{ticket}")
    offer = next(c for c in working if c.chat_id == AMAL and c.method == "editMessageText")
    answer = h.fake.message(
        AMAL,
        "Contactez le Syndicat des locataires.",
        reply_to_message_id=offer.params["message_id"],
    )
    await h.push(answer, MIGRANT, "sendMessage", 1)
    relayed = await h.push(h.fake.message(MIGRANT, FOLLOW_UP), AMAL, "sendMessage", 1)
    assert any("quarante-deux" in t for t in texts(relayed, AMAL))
    await h.push(h.fake.photo(MIGRANT, caption=CAPTION), AMAL, "copyMessage", 1)
    await h.tap(AMAL, f"1g:{ticket}")  # suggested for the knowledge base: it quotes the question
    assert h.desk is not None and await h.desk.tickets.suggestions("brussels")

    needles = [str(MIGRANT), QUESTION, FOLLOW_UP, CAPTION, ASKED, "Peeters", "Fatima", "fatima_k"]
    async with engine.connect() as conn:
        before = await conn.run_sync(everything_mentioning, needles)
    tables = {"users", "questions", "tickets", "ticket_messages", "kb_suggestions"}
    assert {table for table, _, _ in before} >= tables

    asked = await h.say(MIGRANT, "/delete")
    await h.tap(MIGRANT, data_of(asked, "1x:y")[0])

    async with engine.connect() as conn:
        assert await conn.run_sync(everything_mentioning, needles) == []


async def test_delete_erases_the_transcript_of_a_voice_note_kept_with_a_waiting_ticket(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    spoken = "Je m'appelle Fatima Benali et j'habite chez mon cousin"
    worker = VoiceWorker(Scripted(spoken))
    try:
        async with running(assistant, sessions, support=True, voice=worker) as h:
            await join(h, AMAL, "Amal", ["fr"])
            await h.setup(MIGRANT, "brussels", "fr")
            ticket = await ask_a_person(h, QUESTION, chat=MIGRANT)
            [kept] = await h.send(MIGRANT, h.fake.voice(MIGRANT, audio=b"a note"))
            assert f"{ticket}" in texts([kept])[0]  # kept with the ticket nobody holds yet
            async with engine.connect() as conn:
                before = await conn.run_sync(everything_mentioning, ["Benali"])
            assert [(table, column) for table, column, _ in before] == [
                ("ticket_messages", "transcript")
            ]
            asked = await h.say(MIGRANT, "/delete")
            await h.tap(MIGRANT, data_of(asked, "1x:y")[0])
            async with engine.connect() as conn:
                assert await conn.run_sync(everything_mentioning, ["Benali", str(MIGRANT)]) == []
    finally:
        worker.close()
