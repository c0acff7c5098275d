"""The offline demo chat in a terminal. Choices are numbered so that a person can type them."""

from __future__ import annotations

from typing import TextIO

from bot.conversation import Conversation
from bot.core.assistant import Choice, ChoiceKind, Reply
from bot.core.i18n import translator
from bot.core.languages import UI_LANGUAGES, native_name
from bot.core.render import PlainFormatter

CHAT_ID = "console"


class ConsoleChat:
    def __init__(self, conversation: Conversation, stdin: TextIO, stdout: TextIO) -> None:
        self.conv = conversation
        self.stdin = stdin
        self.stdout = stdout
        self.fmt = PlainFormatter()
        self.choices: list[Choice] = []
        self.pending: str | None = None  # "city" or "language" while a list is shown

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def language(self) -> str:
        user = await self.conv.user(CHAT_ID)
        return user.language or "en"

    async def show(self, reply: Reply) -> None:
        self.offer(reply.text, reply.choices)

    def offer(self, text: str, choices: tuple[Choice, ...]) -> None:
        if text:
            self.say(text)
        self.choices = list(choices)
        self.pending = None
        for i, choice in enumerate(self.choices, start=1):
            self.say(f"  {i}. {choice.label}")
        self.say()

    async def choose(self, choice: Choice) -> None:
        t = translator(await self.language())
        if choice.kind is ChoiceKind.HUMAN:
            self.say(t.gettext("The person-to-person service is not yet available in this city."))
            self.say()
            return
        if choice.topic is None:  # a NEARBY choice: the console never shares a location
            return
        reply, _qid = await self.conv.topic(CHAT_ID, choice.topic, self.fmt, offset=choice.offset)
        await self.show(reply)

    async def list_cities(self) -> None:
        t = translator(await self.language())
        knowledge = self.conv.assistant.knowledge
        self.choices = []
        self.pending = "city"
        self.say(t.gettext("Which city do you live in?"))
        for i, (slug, city) in enumerate(sorted(knowledge.cities.items()), start=1):
            name = city.name.get(t.language) or city.name["en"]
            self.choices.append(Choice(ChoiceKind.TOPIC, name, slug))
            self.say(f"  {i}. {name}")
        self.say()

    async def list_languages(self) -> None:
        t = translator(await self.language())
        self.choices = [Choice(ChoiceKind.TOPIC, native_name(c), c) for c in UI_LANGUAGES]
        self.pending = "language"
        self.say(t.gettext("Which language do you prefer?"))
        for i, choice in enumerate(self.choices, start=1):
            self.say(f"  {i}. {choice.label}")
        self.say()

    async def handle(self, line: str) -> bool:
        """Handle one line; False when the user wants to leave."""
        text = line.strip()
        command = text.lower()
        if command in ("/quit", "/exit", "quit", "exit"):
            return False
        if command == "/menu":
            lang = await self.language()
            self.offer("", self.conv.assistant.menu(lang))
            return True
        if command == "/city":
            await self.list_cities()
            return True
        if command == "/language":
            await self.list_languages()
            return True
        if text.isdigit() and self.choices:
            n = int(text)
            if 1 <= n <= len(self.choices):
                choice = self.choices[n - 1]
                if self.pending == "city" and choice.topic:
                    await self.conv.set_city(CHAT_ID, choice.topic)
                    self.pending, self.choices = None, []
                    self.say(f"✓ {choice.label}\n")
                elif self.pending == "language" and choice.topic:
                    await self.conv.set_language(CHAT_ID, choice.topic)
                    self.pending, self.choices = None, []
                    self.say(f"✓ {choice.label}\n")
                else:
                    await self.choose(choice)
                return True
            t = translator(await self.language())
            self.say(t.gettext("Please type a number from the list.") + "\n")
            return True
        reply, _qid = await self.conv.message(CHAT_ID, text, self.fmt)
        await self.show(reply)
        return True

    async def run(self, city: str, language: str | None = None) -> None:
        await self.conv.set_city(CHAT_ID, city)
        if language:
            await self.conv.set_language(CHAT_ID, language)
        t = translator(await self.language())
        self.say(
            t.gettext(
                "Guichet demo. Write your question in your language. Type a number to choose, "
                "/menu for topics, /city, /language, /quit to leave."
            )
        )
        self.say()
        while True:
            self.stdout.write("> ")
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                break
            if not await self.handle(line):
                break
