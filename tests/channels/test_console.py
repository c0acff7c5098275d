"""The demo chat, driven line by line as a person would type."""

import io
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console import ConsoleChat
from bot.conversation import Conversation
from bot.core.assistant import Assistant
from bot.storage.questions import QuestionLog
from bot.storage.users import UserStore


async def run_chat(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession], lines: str, city: str
) -> str:
    conv = Conversation(
        assistant, UserStore(sessions), QuestionLog(sessions, timedelta(days=1)), "console"
    )
    out = io.StringIO()
    await ConsoleChat(conv, io.StringIO(lines), out).run(city)
    return out.getvalue()


async def test_question_answer_and_numbered_choices(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(
        assistant, sessions, "dónde me empadrono\n/menu\n2\n/quit\n", "fuenlabrada"
    )
    assert "Fuenlabrada" in text
    assert "  1. 🚨" in text  # the menu, numbered
    assert "🗣️" in text  # choice 2 is language courses


async def test_changing_language_and_city(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    script = "/language\n9\n/city\n1\nпривет\n/quit\n"
    text = await run_chat(assistant, sessions, script, "jelgava")
    assert "✓ Українська" in text
    assert "✓ Bruxelles" in text or "✓ Brussels" in text or "✓ Брюссель" in text


async def test_out_of_range_number_gets_a_polite_hint(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(assistant, sessions, "hello\n99\n/quit\n", "mechelen")
    assert "number from the list" in text or "nummer" in text.lower()
