"""The offline demo chat in a terminal. Choices are numbered so that a person can type them.

It behaves like the Telegram channel: the commands and their texts come from
`bot.channels.commands`, and a city or language may be typed by name (`bot.channels.choosing`).
There are no volunteers here, so "Ask a person" gives the city's own contact, as the bot does
in a city without them.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, TextIO

from bot.channels import choosing
from bot.channels.commands import (
    Command,
    command_of,
    erase_texts,
    find_command,
    help_text,
    no_person_text,
    privacy_text,
    unknown_command_text,
)
from bot.conversation import Conversation, NoCity
from bot.core.assistant import Choice, ChoiceKind, Reply
from bot.core.i18n import Translator, translator
from bot.core.languages import UI_LANGUAGES, native_name
from bot.core.render import PlainFormatter

CHAT_ID = "console"
GOODBYE = "👋"
QUIT = frozenset({"/quit", "/exit", "quit", "exit"})


class Asking(StrEnum):
    """A question the chat asked, whose answer the next line is."""

    CITY = "city"
    LANGUAGE = "language"
    ERASE = "erase"


@dataclass(frozen=True, slots=True)
class Option:
    """One answer offered to a question: what it stands for, and what is shown."""

    code: str
    label: str


class Lines(Protocol):
    """Where the chat reads what the person types: stdin, or a script in tests."""

    def readline(self) -> str: ...


@contextmanager
def ctrl_c_interrupts() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt where the chat waits for a line.

    Under `asyncio.run`, Ctrl-C only cancels the main task, and the blocked read of stdin goes
    on until the next Enter, which then ends in tracebacks. The chat reads stdin on the loop's
    thread, so Python's plain behaviour is the one it needs while it runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class ConsoleChat:
    def __init__(self, conversation: Conversation, stdin: Lines, stdout: TextIO) -> None:
        self.conv = conversation
        self.stdin = stdin
        self.stdout = stdout
        self.fmt = PlainFormatter()
        self.choices: list[Choice] = []  # the numbered choices of the last reply
        self.first_choice = 1  # the number of the first choice (after the entries' numbers)
        self.asking: Asking | None = None
        self.options: list[Option] = []  # the numbered answers to `asking`

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def interface(self) -> Translator:
        """The translator of the language the user chose or wrote in (English at first)."""
        user = await self.conv.user(CHAT_ID)
        return translator(user.language or "en")

    def offer(self, text: str, choices: tuple[Choice, ...], after: int = 0) -> None:
        """Say `text`, then the choices numbered from `after` + 1 (`after`: the text's own
        highest number)."""
        if text:
            self.say(text)
        self.choices = list(choices)
        self.first_choice = after + 1
        for i, choice in enumerate(self.choices, start=self.first_choice):
            self.say(f"  {i}. {choice.label}")
        self.say()

    def ask(self, asking: Asking, question: str, options: list[Option]) -> None:
        self.asking, self.options = asking, options
        self.say(question)
        for i, option in enumerate(options, start=1):
            self.say(f"  {i}. {option.label}")
        self.say()

    def ask_city(self, t: Translator, note: str | None = None) -> None:
        renderer = self.conv.assistant.renderer
        cities = [
            Option(slug, renderer.city_name(slug, t))
            for slug in self.conv.assistant.knowledge.cities
        ]
        cities.sort(key=lambda o: o.label.casefold())
        question = t.gettext("Which city do you live in?")
        self.ask(Asking.CITY, f"{note}\n\n{question}" if note else question, cities)

    def ask_language(self, t: Translator) -> None:
        languages = [Option(code, native_name(code)) for code in UI_LANGUAGES]
        languages.append(
            Option(choosing.AUTOMATIC, t.gettext("Automatic: the language I write in"))
        )
        self.ask(Asking.LANGUAGE, t.gettext("Which language do you prefer?"), languages)

    # -- what a line means ----------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Handle one line; False when the user wants to leave."""
        text = line.strip()
        if text.lower() in QUIT:
            return False
        name = command_of(text)
        if name is not None:
            self.asking, self.options = None, []
            await self.command(name)
        elif self.asking is not None:
            await self.answer(text)
        elif text.isdigit() and self.choices:
            n = int(text) - self.first_choice
            if 0 <= n < len(self.choices):
                await self.choose(self.choices[n])
            else:
                await self.hint()
        else:
            await self.message(text)
        return True

    async def hint(self) -> None:
        t = await self.interface()
        self.say(t.gettext("Please type a number from the list.") + "\n")

    async def command(self, name: str) -> None:
        t = await self.interface()
        command = find_command(name)
        if command is Command.MENU:
            self.offer(t.gettext("Choose a topic:"), self.conv.assistant.menu(t.language))
        elif command is Command.CITY:
            self.ask_city(t)
        elif command is Command.LANGUAGE:
            self.ask_language(t)
        elif command is Command.HELP:
            user = await self.conv.user(CHAT_ID)
            city = self.conv.assistant.renderer.city_name(user.city, t) if user.city else None
            self.say(help_text(t, self.fmt, city, location=False) + "\n")
        elif command is Command.PRIVACY:
            self.say(privacy_text(t, self.fmt, self.conv.questions.retention) + "\n")
        elif command is Command.DELETE:
            texts = erase_texts(t)
            self.ask(Asking.ERASE, texts.question, [Option("y", texts.yes), Option("n", texts.no)])
        else:
            self.say(unknown_command_text(t, self.fmt, name) + "\n")

    def pick(self, text: str) -> Option | None:
        """The option chosen by its number, its label, or a city or language by name."""
        if text.isdigit():
            n = int(text)
            return self.options[n - 1] if 1 <= n <= len(self.options) else None
        code: str | None = None
        if self.asking is Asking.CITY:
            code = choosing.find_city(self.conv.assistant.knowledge, text)
        elif self.asking is Asking.LANGUAGE:
            code = choosing.find_language(text)
        wanted = choosing.fold(text)
        return next(
            (o for o in self.options if o.code == code or choosing.fold(o.label) == wanted), None
        )

    async def answer(self, text: str) -> None:
        option = self.pick(text)
        if option is None:
            await self.hint()
            return
        asking, self.asking, self.options = self.asking, None, []
        if asking is Asking.CITY:
            await self.conv.set_city(CHAT_ID, option.code)
            self.say(f"✓ {option.label}\n")
        elif asking is Asking.LANGUAGE and option.code == choosing.AUTOMATIC:
            await self.conv.set_language_automatic(CHAT_ID)
            self.say(f"✓ {option.label}\n")
        elif asking is Asking.LANGUAGE:
            await self.conv.set_language(CHAT_ID, option.code)
            self.say(f"✓ {option.label}\n")
        elif asking is Asking.ERASE:
            texts = erase_texts(await self.interface())
            if option.code == "y":
                await self.conv.erase(CHAT_ID)
                self.choices = []
            self.say((texts.erased if option.code == "y" else texts.kept) + "\n")

    # -- questions and choices ------------------------------------------------------------

    async def message(self, text: str) -> None:
        try:
            reply, _qid = await self.conv.message(CHAT_ID, text, self.fmt)
        except NoCity:
            await self.no_city()
            return
        self.show(reply)

    def show(self, reply: Reply) -> None:
        self.offer(reply.text, reply.choices, reply.numbered)

    async def choose(self, choice: Choice) -> None:
        if choice.kind is ChoiceKind.HUMAN:
            user = await self.conv.user(CHAT_ID)
            t = await self.interface()
            renderer = self.conv.assistant.renderer
            self.say(no_person_text(renderer, user.city, datetime.now(UTC), t, self.fmt) + "\n")
            return
        if choice.kind is ChoiceKind.LANGUAGE and choice.language:
            await self.conv.set_language(CHAT_ID, choice.language)
            self.say(f"✓ {native_name(choice.language)}\n")
            return
        if choice.topic is None:  # a NEARBY choice: the console never shares a location
            return
        try:
            reply, _qid = await self.conv.topic(
                CHAT_ID, choice.topic, self.fmt, offset=choice.offset, first=choice.first
            )
        except NoCity:
            await self.no_city()
            return
        self.show(reply)

    async def no_city(self) -> None:
        t = await self.interface()
        self.ask_city(
            t, t.gettext("First, please tell me your city. Then ask your question again.")
        )

    # -- the session ----------------------------------------------------------------------

    async def run(self, city: str, language: str | None = None) -> None:
        """Chat until /quit, the end of stdin or Ctrl-C; then say goodbye."""
        await self.conv.set_city(CHAT_ID, city)
        if language:
            await self.conv.set_language(CHAT_ID, language)
        t = await self.interface()
        self.say(
            t.gettext(
                "Guichet demo. Write your question in your language. Type a number to choose, "
                "/menu for topics, /city, /language, /quit to leave."
            )
        )
        self.say()
        with ctrl_c_interrupts():
            try:
                await self.loop()
            except KeyboardInterrupt:
                self.say()
            finally:
                self.say(GOODBYE)

    async def loop(self) -> None:
        while True:
            self.stdout.write("> ")
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                self.say()  # the end of stdin (Ctrl-D) leaves the cursor after the prompt
                return
            if not await self.handle(line):
                return
