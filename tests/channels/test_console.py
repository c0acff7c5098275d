"""The demo chat, driven line by line as a person would type, against a real database."""

from __future__ import annotations

import io
import re
import signal
from datetime import timedelta
from typing import TextIO, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import cli
from bot.channels.console import CHAT_ID, GOODBYE, ConsoleChat
from bot.conversation import Conversation
from bot.core.assistant import Assistant
from bot.storage.models import User
from bot.storage.questions import QuestionLog
from bot.storage.users import UserStore


async def run_chat(
    assistant: Assistant,
    sessions: async_sessionmaker[AsyncSession],
    lines: str,
    city: str,
    language: str | None = None,
) -> str:
    conv = Conversation(
        assistant, UserStore(sessions), QuestionLog(sessions, timedelta(days=1)), "console"
    )
    out = io.StringIO()
    await ConsoleChat(conv, io.StringIO(lines), out).run(city, language)
    return out.getvalue()


async def stored(sessions: async_sessionmaker[AsyncSession]) -> User | None:
    return await UserStore(sessions).get("console", CHAT_ID)


def number_of(label: str, text: str) -> str:
    """The number the chat last showed before `label`."""
    return str(re.findall(rf"^  (\d+)\. {re.escape(label)}$", text, re.MULTILINE)[-1])


class CtrlC:
    """A person who types some lines, then presses Ctrl-C at the prompt: a real SIGINT."""

    def __init__(self, lines: str) -> None:
        self.lines = io.StringIO(lines)

    def readline(self) -> str:
        line = self.lines.readline()
        if not line:
            signal.raise_signal(signal.SIGINT)
        return line


async def test_question_answer_and_numbered_choices(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(
        assistant, sessions, "dónde me empadrono\n/menu\n2\n/quit\n", "fuenlabrada"
    )
    assert "Fuenlabrada" in text
    assert "  1. 🚨" in text  # the menu, numbered
    assert "🗣️" in text  # choice 2 is language courses


async def test_changing_language_and_city_by_number(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    script = "/language\n9\n/city\n1\nпривет\n/quit\n"
    text = await run_chat(assistant, sessions, script, "jelgava")
    assert "✓ Українська" in text
    assert "✓ Брюссель" in text or "✓ Brussels" in text
    user = await stored(sessions)
    assert user is not None and (user.city, user.language) == ("brussels", "uk")


async def test_a_city_or_language_typed_by_name_is_chosen_not_asked(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    script = "/city\nMALINES\n/language\nfrancais\n/city\nsaint jean de la ruelle\n"
    text = await run_chat(assistant, sessions, script, "brussels", "en")
    assert "✓ Mechelen" in text and "✓ Français" in text
    assert "✓ Saint-Jean-de-la-Ruelle" in text
    assert "Town hall" not in text and "Maison communale" not in text  # not taken as questions
    user = await stored(sessions)
    assert user is not None and (user.city, user.language) == ("saint-jean-de-la-ruelle", "fr")


async def test_an_unknown_name_at_a_prompt_asks_for_a_number_again(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(assistant, sessions, "/language\nKlingon\n3\n", "mechelen", "en")
    assert "Please type a number from the list." in text
    assert "✓ Nederlands" in text


async def test_out_of_range_number_gets_a_polite_hint(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(assistant, sessions, "hello\n99\n/quit\n", "mechelen")
    assert "number from the list" in text or "nummer" in text.lower()


async def test_help_and_privacy_are_the_bots_not_a_question(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(assistant, sessions, "/help\n/privacy\n", "mechelen", "en")
    assert "I tell you where to find help in Mechelen" in text
    assert "/privacy – What is stored about you" in text
    assert "Share your location" not in text  # the terminal cannot share one
    assert "What Guichet stores about you" in text
    assert "deleted after 1 day" in text  # this chat's retention
    assert "🚨" not in text  # not the emergency page


async def test_an_unknown_command_is_answered_politely_with_the_list(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(assistant, sessions, "/townhall\n", "schaerbeek", "en")
    assert "I do not know the command /townhall. These are the ones I know:" in text
    assert "/menu – Topics to choose from" in text
    assert "Town hall" not in text


async def test_delete_asks_first_then_erases_and_starts_again(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(assistant, sessions, "/delete\n2\n", "mechelen", "en")
    assert "Do you want to erase everything Guichet stores about you?" in text
    assert "  1. Yes, erase everything" in text and "  2. No, keep it" in text
    assert "Nothing was erased." in text
    assert await stored(sessions) is not None

    script = "/delete\n1\nwhere can I learn dutch\nMechelen\nwhere can I learn dutch\n"
    text = await run_chat(assistant, sessions, script, "mechelen", "en")
    assert "Everything Guichet stored about you has been erased." in text
    assert "First, please tell me your city." in text
    assert text.count("🗣️") == 1  # answered once the city is known again
    user = await stored(sessions)
    assert user is not None and user.city == "mechelen"


async def test_a_command_cancels_a_pending_delete(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await run_chat(assistant, sessions, "/delete\n/menu\n1\n", "mechelen", "en")
    assert await stored(sessions) is not None  # "1" chose the first topic, not "yes"


async def test_ask_a_person_gives_the_city_contact_honestly(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(assistant, sessions, "blorp zanzibar quux\n", "mechelen", "en")
    person = number_of("Ask a person", text)
    text = await run_chat(assistant, sessions, f"blorp zanzibar quux\n{person}\n", "mechelen")
    assert "The person-to-person service is not yet available in this city." in text
    assert "You can contact the city directly:" in text
    assert "City of Mechelen (Huis van de Mechelaar)" in text
    assert "Call 112" in text


async def test_the_end_of_input_says_goodbye(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(assistant, sessions, "hello\n", "mechelen", "en")
    assert text.endswith(f"> \n{GOODBYE}\n")


async def test_ctrl_c_at_the_prompt_says_goodbye_without_a_traceback(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    conv = Conversation(
        assistant, UserStore(sessions), QuestionLog(sessions, timedelta(days=1)), "console"
    )
    out = io.StringIO()
    before = signal.getsignal(signal.SIGINT)
    await ConsoleChat(conv, CtrlC("hello\n"), out).run("mechelen", "en")
    assert out.getvalue().endswith(f"> \n{GOODBYE}\n")
    assert signal.getsignal(signal.SIGINT) is before  # put back as it was


def test_ctrl_c_in_the_demo_command_exits_0_with_a_goodbye(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole `python main.py chat` path, under asyncio.run, in this process."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = io.StringIO()
    stdin = cast(TextIO, CtrlC("/help\n"))  # cli.main reads it only through readline()
    status = cli.main(["chat", "--city", "brussels", "--lang", "en"], stdin, out)
    assert status == 0
    assert "How to use this assistant" in out.getvalue()
    assert out.getvalue().endswith(f"> \n{GOODBYE}\n")


async def test_automatic_language_and_the_switch_choice(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    question = "dove posso trovare lavoro a Capaci?"
    text = await run_chat(assistant, sessions, f"{question}\n", "capaci", "es")
    switch = number_of("Rispondi sempre in Italiano", text)
    text = await run_chat(assistant, sessions, f"{question}\n{switch}\n", "capaci", "es")
    assert "✓ Italiano" in text
    user = await stored(sessions)
    assert user is not None and (user.language, user.language_explicit) == ("it", True)
    text = await run_chat(assistant, sessions, "/language\n13\n", "capaci")
    assert "✓ Automatico: la lingua in cui scrivo" in text
    user = await stored(sessions)
    assert user is not None and (user.language, user.language_explicit) == ("it", False)


async def test_choices_are_numbered_after_the_entries_so_no_number_means_two_things(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    text = await run_chat(assistant, sessions, "health care\n4\n/quit\n", "brussels", "en")
    first, second = text.split("Show ", 1)[0], text.split("Show ", 1)[1]
    entries = re.findall(r"^(\d+)\. ", first, re.MULTILINE)
    assert entries == ["1", "2", "3"]
    assert number_of("Show " + second.split("\n", 1)[0], text) == "4"
    # "4" is the next page, whose entries go on from 4
    assert re.search(r"^4\. ", second, re.MULTILINE)
