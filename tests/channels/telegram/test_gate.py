"""Who is writing, decided once: volunteers' commands and ticket replies, and everyone's questions.

A real Application against the fake Bot API, with the city's support network wired in.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.assistant import Assistant
from bot.core.i18n import translator
from tests.channels.telegram.conftest import Harness
from tests.fakes.bot_api import Call
from tests.fakes.telegram_html import visible

AMAL = 821  # a volunteer of Brussels who speaks English
MIGRANTS = (921, 922)


def said(calls: list[Call], chat: int) -> list[str]:
    return [visible(c.text or "") for c in calls if c.method == "sendMessage" and c.chat_id == chat]


def data_of(calls: list[Call], prefix: str) -> list[str]:
    return [d for c in calls for d in c.button_data() if d.startswith(prefix)]


def language_courses(assistant: Assistant) -> str:
    return assistant.knowledge.topics["language-courses"].title["en"]


async def volunteer(h: Harness, chat: int) -> None:
    """A volunteer who joined, speaks English, is available and chose a city to ask about."""
    assert h.desk is not None
    invite = await h.desk.network.invite("brussels", "Caritas", now=datetime.now(UTC))
    await h.say(chat, f"/start v_{invite.code}", first_name="Amal")
    await h.tap(chat, "1w:en")
    await h.tap(chat, "1d")
    await h.say(chat, "/available")
    await h.say(chat, "/city")
    await h.tap(chat, "1c:brussels")
    await h.tap(chat, "1l:en")


async def ticket_taken(h: Harness, migrant: int, question: str, by: int) -> int:
    """The migrant asks a person; the volunteer takes it. The id of the volunteer's message."""
    await h.setup(migrant, "brussels", "en")
    sent = await h.say(migrant, question)
    human = data_of(sent, "1h:") or data_of(await h.tap(migrant, data_of(sent, "1f:")[-1]), "1h:")
    consent = data_of(await h.tap(migrant, human[0]), "1o:")
    ticket = data_of(await h.tap(migrant, consent[0]), "1z:")[0].split(":")[1]
    taken = await h.tap(by, f"1v:{ticket}")
    working = [c for c in taken if c.method == "editMessageText" and c.chat_id == by]
    return int(working[0].params["message_id"])


async def test_a_volunteer_without_a_ticket_gets_the_assistants_answer(
    desk_tg: Harness, assistant: Assistant
) -> None:
    await volunteer(desk_tg, AMAL)
    calls = await desk_tg.say(AMAL, "where can I learn French")
    answer = calls[-1]
    assert language_courses(assistant) in visible(answer.text or "")
    assert data_of([answer], "1f:")  # an answer like anyone's, with 👍/👎


async def test_a_volunteers_commands_go_to_the_network_and_the_menu_to_the_assistant(
    desk_tg: Harness,
) -> None:
    await volunteer(desk_tg, AMAL)
    t = translator("en")
    assert said(await desk_tg.say(AMAL, "/mytickets"), AMAL) == [
        t.gettext("You have no open ticket.")
    ]
    status = said(await desk_tg.say(AMAL, "/start"), AMAL)[-1]
    assert t.gettext("You are available: new questions reach you.") in status
    menu = (await desk_tg.say(AMAL, "/menu"))[-1]
    assert len(data_of([menu], "1t:")) == 24


async def test_with_one_ticket_a_volunteers_message_is_relayed(desk_tg: Harness) -> None:
    h = desk_tg
    await volunteer(h, AMAL)
    await ticket_taken(h, MIGRANTS[0], "I need a person to read a letter from the court", AMAL)
    mark = h.fake.mark()
    h.fake.push_update(h.fake.message(AMAL, "Bring the letter to our office on Monday."))
    await h.fake.wait_for("sendMessage", chat_id=MIGRANTS[0], since=mark)
    calls = await h.settle(mark)
    assert "Bring the letter to our office on Monday." in said(calls, MIGRANTS[0])[-1]
    assert not said(calls, AMAL)  # no answer of the assistant's to the volunteer


async def test_with_two_tickets_a_reply_is_relayed_and_a_plain_question_answered(
    desk_tg: Harness, assistant: Assistant
) -> None:
    h = desk_tg
    await volunteer(h, AMAL)
    first = await ticket_taken(h, MIGRANTS[0], "I need a person to read a letter", AMAL)
    await ticket_taken(h, MIGRANTS[1], "I need a person to help with my rent contract", AMAL)

    mark = h.fake.mark()
    h.fake.push_update(h.fake.message(AMAL, "I will call you today.", reply_to_message_id=first))
    await h.fake.wait_for("sendMessage", chat_id=MIGRANTS[0], since=mark)
    calls = await h.settle(mark)
    assert "I will call you today." in said(calls, MIGRANTS[0])[-1]
    assert not said(calls, MIGRANTS[1])

    mark = h.fake.mark()
    calls = await h.say(AMAL, "where can I learn French")
    assert language_courses(assistant) in visible(calls[-1].text or "")
    everything = h.fake.calls[mark:]
    assert not said(everything, MIGRANTS[0]) and not said(everything, MIGRANTS[1])


async def test_a_migrants_command_is_not_relayed_to_their_volunteer(desk_tg: Harness) -> None:
    h = desk_tg
    await volunteer(h, AMAL)
    await ticket_taken(h, MIGRANTS[0], "I need a person to read a letter from the court", AMAL)
    mark = h.fake.mark()
    menu = (await h.say(MIGRANTS[0], "/menu"))[-1]
    assert len(data_of([menu], "1t:")) == 24
    assert not said(await h.settle(mark), AMAL)


async def test_anyone_elses_volunteer_command_is_an_unknown_command(desk_tg: Harness) -> None:
    await desk_tg.setup(MIGRANTS[1], "brussels", "en")
    text = said(await desk_tg.say(MIGRANTS[1], "/mytickets"), MIGRANTS[1])[-1]
    assert text.startswith("I do not know the command /mytickets.")
    assert "/language" in text and "/mytickets" not in text.partition("\n")[2]


async def test_a_known_migrants_question_reads_who_is_writing_once(
    desk_tg: Harness, engine: AsyncEngine
) -> None:
    """The user, whether they volunteer and whether they have a ticket: one SELECT, not three."""
    await desk_tg.setup(MIGRANTS[0], "brussels", "en")
    await desk_tg.say(MIGRANTS[0], "where can I learn French")
    reads: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_: object) -> None:
        # (the harness counts the inbox's unfinished updates to know when the bot is idle)
        if statement.lstrip().upper().startswith("SELECT") and "FROM inbox" not in statement:
            reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        calls = await desk_tg.say(MIGRANTS[0], "French lessons for adults")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert any(
        language_courses(desk_tg.conversation.assistant) in t for t in said(calls, MIGRANTS[0])
    )
    assert len(reads) == 1 and "FROM users" in reads[0]
    assert "volunteers" in reads[0] and "tickets" in reads[0]
