"""A conversation with one migrant: the assistant plus what we remember about them.

Channels (the console, Telegram) call this; it never knows which channel it serves.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.core.assistant import Asked, Assistant, Reply
from bot.core.decision import Action, Decision
from bot.core.languages import Detection
from bot.core.render import Formatter
from bot.storage.models import User
from bot.storage.questions import QuestionLog
from bot.storage.users import UserStore

log = logging.getLogger(__name__)


NO_DETECTION = Detection(language=None, probability=0.0, confident=False, words=0)


class NoCity(Exception):
    """The user has not chosen a city yet."""


class Conversation:
    def __init__(
        self, assistant: Assistant, users: UserStore, questions: QuestionLog, channel: str
    ) -> None:
        self.assistant = assistant
        self.users = users
        self.questions = questions
        self.channel = channel

    async def user(self, chat_id: str) -> User:
        return await self.users.get_or_create(self.channel, chat_id)

    async def set_city(self, chat_id: str, slug: str) -> User:
        user = await self.user(chat_id)
        user.city = self.assistant.city(slug)
        await self.users.save(user)
        return user

    async def set_language(self, chat_id: str, language: str) -> User:
        user = await self.user(chat_id)
        user.language, user.language_explicit = language, True
        await self.users.save(user)
        return user

    async def message(
        self,
        chat_id: str,
        text: str,
        fmt: Formatter,
        *,
        client_language: str | None = None,
        now: datetime | None = None,
    ) -> tuple[Reply, int]:
        """Answer a free-text message; returns the reply and the id of the logged question."""
        now = now or datetime.now(UTC)
        user = await self.user(chat_id)
        if not user.city:
            raise NoCity()
        asked = Asked(
            text=text,
            city=user.city,
            explicit_language=user.language if user.language_explicit else None,
            # A language we settled on earlier outranks the client's: one word must not flip it.
            client_language=user.language or client_language,
            now=now,
        )
        decision = self.assistant.understand(asked)
        reply = self.assistant.reply_to(decision, user.city, now, fmt)
        if not user.language_explicit and (
            user.language is None or (decision.detection.confident and decision.language)
        ):
            user.language = decision.language
        if decision.topic:
            user.last_topic = decision.topic
        await self.users.save(user)
        qid = await self.questions.record(
            user_id=user.id,
            city=user.city,
            language=decision.language,
            action=decision.action.value,
            topic=decision.topic,
            confidence=decision.confidence,
            text=text,
            now=now,
        )
        log.info(
            "question city=%s lang=%s action=%s topic=%s conf=%.2f",
            user.city,
            decision.language,
            decision.action.value,
            decision.topic,
            decision.confidence,
        )
        return reply, qid

    async def topic(
        self,
        chat_id: str,
        topic: str,
        fmt: Formatter,
        *,
        offset: int = 0,
        now: datetime | None = None,
    ) -> Reply:
        """The answer for a topic the user chose from a menu or a clarification."""
        now = now or datetime.now(UTC)
        user = await self.user(chat_id)
        if not user.city:
            raise NoCity()
        # A chosen topic needs no understanding: answer it in the language we settled on.
        language = user.language or self.assistant.knowledge.cities[user.city].default_language
        decision = Decision(Action.ANSWER, topic, (topic,), 1.0, language, NO_DETECTION)
        user.last_topic = topic
        await self.users.save(user)
        return self.assistant.topic_reply(decision, user.city, topic, now, fmt, offset)

    async def erase(self, chat_id: str) -> bool:
        user = await self.users.get(self.channel, chat_id)
        if user is None:
            return False
        await self.users.erase(user.id)
        return True
