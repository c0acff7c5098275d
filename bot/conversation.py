"""A conversation with one migrant: the assistant plus what we remember about them.

Channels (the console, Telegram) call this; it never knows which channel it serves.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from concurrent.futures import Executor
from dataclasses import replace
from datetime import UTC, datetime

from bot.core.assistant import NO_DETECTION, Asked, Assistant, Choice, ChoiceKind, Reply
from bot.core.decision import Action, Decision
from bot.core.geo import Point
from bot.core.i18n import translator
from bot.core.languages import UI_LANGUAGES, native_name
from bot.core.render import Formatter
from bot.storage.models import User
from bot.storage.questions import QuestionLog
from bot.storage.users import UserStore, needs_saving, state
from bot.voice.speech import Speaker
from bot.voice.worker import VoiceWorker

log = logging.getLogger(__name__)


#: The logged action of a voice note's transcript awaiting the user's "yes, that's it".
HEARD = "heard"


class NoCity(Exception):
    """The user has not chosen a city yet."""


def switch_choice(language: str) -> Choice:
    """ "Always reply in Italiano", worded in that language."""
    label = translator(language).gettext("Always reply in {language}")
    return Choice(
        ChoiceKind.LANGUAGE, label.format(language=native_name(language)), language=language
    )


class Conversation:
    def __init__(
        self,
        assistant: Assistant,
        users: UserStore,
        questions: QuestionLog,
        channel: str,
        *,
        executor: Executor | None = None,
        voice: VoiceWorker | None = None,
        speech: Speaker | None = None,
    ) -> None:
        """With an executor, understanding a message runs on it instead of the event loop;
        with a voice worker, voice notes are transcribed (on its own threads) and understood;
        with a speaker, answers can be listened to."""
        self.executor = executor
        self.voice = voice
        self.speech = speech
        self.assistant = assistant
        self.users = users
        self.questions = questions
        self.channel = channel
        #: How many messages each stage decided (bot/core/ranking.py Stage): the share that
        #: needed an embedding, logged when the app closes. Counts only.
        self.paths: Counter[str] = Counter()

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

    async def set_language_automatic(self, chat_id: str) -> User:
        """Reply in the language of each message again; the last one settled on stays."""
        user = await self.user(chat_id)
        user.language_explicit = False
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
        user: User | None = None,
    ) -> tuple[Reply, int]:
        """Answer a free-text message; returns the reply and the id of the logged question.

        A channel that has just loaded the user passes it, which saves a read.
        """
        now = now or datetime.now(UTC)
        user = user or await self.user(chat_id)
        if not user.city:
            raise NoCity()
        before = state(user)
        asked = Asked(
            text=text,
            city=user.city,
            explicit_language=user.language if user.language_explicit else None,
            # A language we settled on earlier outranks the client's: one word must not flip it.
            client_language=user.language or client_language,
            now=now,
        )
        if self.executor is None:
            decision = self.assistant.understand(asked)
        else:  # CPU work (an embedding takes ~15 ms) off the event loop; it releases the GIL
            loop = asyncio.get_running_loop()
            decision = await loop.run_in_executor(self.executor, self.assistant.understand, asked)
        self.paths[decision.path] += 1
        reply = self.assistant.reply_to(decision, user.city, now, fmt, question=text)
        if user.language_explicit and user.language and decision.language != user.language:
            # A chosen language is a preference: this reply follows the message, one tap
            # makes the message's language the new choice.
            reply = replace(reply, choices=(*reply.choices, switch_choice(decision.language)))
        if not user.language_explicit and (
            user.language is None or (decision.detection.confident and decision.language)
        ):
            user.language = decision.language
        if decision.topic:
            user.last_topic = decision.topic
        qid = await self.questions.record(
            user_id=user.id,
            city=user.city,
            language=decision.language,
            action=decision.action.value,
            topic=decision.topic,
            confidence=decision.confidence,
            text=text,
            now=now,
            user=user if needs_saving(user, before, now) else None,
            entry=reply.entry,
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

    async def heard(
        self, user: User, text: str, language: str, confidence: float, now: datetime | None = None
    ) -> int:
        """Log a voice note's transcript that the user is asked to confirm, as a question
        text (kept and erased like a typed one); its id goes on the confirm button."""
        if not user.city:
            raise NoCity()
        return await self.questions.record(
            user_id=user.id,
            city=user.city,
            language=language,
            action=HEARD,
            topic=None,
            confidence=confidence,
            text=text,
            now=now or datetime.now(UTC),
        )

    async def confirmed(self, user: User, question_id: int) -> str | None:
        """The transcript of the user's own unconfirmed voice note; None when it is gone."""
        question = await self.questions.own(question_id, user.id)
        if question is None or question.action != HEARD:
            return None
        return question.text

    async def topic(
        self,
        chat_id: str,
        topic: str,
        fmt: Formatter,
        *,
        offset: int = 0,
        first: tuple[int, ...] = (),
        now: datetime | None = None,
        user: User | None = None,
        client_language: str | None = None,
    ) -> tuple[Reply, int | None]:
        """The answer for a topic the user chose from a menu or a clarification (`first`: the
        entries an earlier page showed first, see `Assistant.topic_reply`).

        A first page is logged as a question without text (for statistics and 👍/👎); the
        next pages of the same answer are not.
        """
        now = now or datetime.now(UTC)
        user = user or await self.user(chat_id)
        if not user.city:
            raise NoCity()
        # A chosen topic needs no understanding: answer it in the language we settled on.
        language = self.language(user, client_language)
        decision = Decision(Action.ANSWER, topic, (topic,), 1.0, language, NO_DETECTION)
        before = state(user)
        user.last_topic = topic
        changed = needs_saving(user, before, now)
        reply = self.assistant.topic_reply(
            decision, user.city, topic, now, fmt, offset, first=first
        )
        if offset:
            if changed:
                await self.users.save(user)
            return reply, None
        qid = await self.questions.record(
            user_id=user.id,
            city=user.city,
            language=language,
            action="choice",
            topic=topic,
            confidence=1.0,
            text=None,
            now=now,
            user=user if changed else None,
            entry=reply.entry,
        )
        return reply, qid

    async def nearby(
        self,
        chat_id: str,
        here: Point,
        fmt: Formatter,
        *,
        all_topics: bool = False,
        now: datetime | None = None,
    ) -> Reply:
        """The services nearest to a shared location, for the last topic asked or for all.

        The location itself is used for this reply only and never stored.
        """
        now = now or datetime.now(UTC)
        user = await self.user(chat_id)
        if not user.city:
            raise NoCity()
        topic = None if all_topics else user.last_topic
        return self.assistant.nearby_reply(self.language(user), user.city, here, topic, now, fmt)

    async def feedback(self, chat_id: str, question_id: int, helpful: bool) -> bool:
        """Store a 👍/👎; False when the question is not this user's (erased, or forged)."""
        user = await self.users.get(self.channel, chat_id)
        if user is None:
            return False
        return await self.questions.mark_helpful(question_id, helpful, user_id=user.id)

    async def consent(self, chat_id: str, now: datetime | None = None) -> User:
        """Remember when the user saw the privacy notice and went on."""
        user = await self.user(chat_id)
        if user.consent_at is None:
            user.consent_at = now or datetime.now(UTC)
            await self.users.save(user)
        return user

    async def set_active(self, chat_id: str, active: bool) -> None:
        await self.users.set_active(self.channel, chat_id, active)

    def language(self, user: User, client_language: str | None = None) -> str:
        """The interface language: the user's, else the client's, else the city's, else en."""
        if user.language:
            return user.language
        if client_language in UI_LANGUAGES:
            return client_language
        if user.city and user.city in self.assistant.knowledge.cities:
            return self.assistant.knowledge.cities[user.city].default_language
        return "en"

    async def erase(self, chat_id: str) -> bool:
        user = await self.users.get(self.channel, chat_id)
        if user is None:
            return False
        await self.users.erase(user.id)
        return True
