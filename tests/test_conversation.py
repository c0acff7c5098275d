"""State around the assistant: language stickiness, the question log, retention and erasure."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation import Conversation, NoCity
from bot.core.assistant import Assistant, ChoiceKind
from bot.core.decision import Action
from bot.core.render import PlainFormatter
from bot.storage.models import Question, User
from bot.storage.questions import QuestionLog
from bot.storage.users import UserStore

FMT = PlainFormatter()


def conversation(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession], days: int = 30
) -> Conversation:
    return Conversation(
        assistant, UserStore(sessions), QuestionLog(sessions, timedelta(days=days)), "test"
    )


async def with_language(
    assistant: Assistant,
    sessions: async_sessionmaker[AsyncSession],
    chat: str,
    city: str,
    language: str,
) -> Conversation:
    """A conversation whose user `chat` chose `city` and, with /language, `language`."""
    conv = conversation(assistant, sessions)
    await conv.set_city(chat, city)
    await conv.set_language(chat, language)
    return conv


async def test_a_question_needs_a_city_first(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    conv = conversation(assistant, sessions)
    try:
        await conv.message("1", "hello", FMT)
    except NoCity:
        pass
    else:
        raise AssertionError("expected NoCity")


async def test_one_word_does_not_flip_the_language(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    conv = conversation(assistant, sessions)
    await conv.set_city("7", "mechelen")
    reply, _ = await conv.message("7", "где можно найти бесплатного адвоката", FMT)
    assert reply.decision.language == "ru"
    reply, _ = await conv.message("7", "ok", FMT)
    assert reply.decision.language == "ru"
    user = await conv.user("7")
    assert user.language == "ru" and not user.language_explicit


async def test_a_chosen_language_holds_over_short_messages_and_yields_to_a_question(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    conv = await with_language(assistant, sessions, "8", "capaci", "es")
    reply, _ = await conv.message("8", "corso italiano", FMT)
    assert reply.decision.language == "es"
    assert reply.decision.topic == "language-courses"
    assert ChoiceKind.LANGUAGE not in [c.kind for c in reply.choices]
    again = conversation(assistant, sessions)  # a new process would build a new one
    user = await again.user("8")
    assert (user.city, user.language, user.language_explicit) == ("capaci", "es", True)
    assert user.last_topic == "language-courses"
    # A question in another language is answered in it, with one tap to switch.
    reply, _ = await again.message("8", "dove posso trovare lavoro a Capaci?", FMT)
    assert reply.decision.language == "it"
    shown = " ".join([reply.text, *(c.label for c in reply.choices)])
    assert "Lavoro" in shown and "Empleo" not in shown  # one language, not a mix
    (switch,) = [c for c in reply.choices if c.kind is ChoiceKind.LANGUAGE]
    assert (switch.language, switch.label) == ("it", "Rispondi sempre in Italiano")
    user = await again.user("8")
    assert (user.language, user.language_explicit) == ("es", True)  # still only a preference


async def test_questions_are_logged_without_identity_and_texts_expire(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    conv = conversation(assistant, sessions, days=30)
    await conv.set_city("9", "jelgava")
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    reply, qid = await conv.message("9", "kur var mācīties latviešu valodu", FMT, now=now)
    assert reply.decision.action is Action.ANSWER
    async with sessions() as s:
        q = await s.get(Question, qid)
        assert q is not None and q.topic == "language-courses" and q.language == "lv"
        assert q.text is not None
        # The entry the answer showed first, for the statistics' 👍/👎 per entry.
        shown = [e.id for e in assistant.knowledge.entries_for("jelgava", "language-courses")]
        assert q.entry == reply.entry and q.entry in shown
    purged = await conv.questions.purge_expired(now + timedelta(days=31))
    assert purged == 1
    async with sessions() as s:
        q = await s.get(Question, qid)
        assert q is not None and q.text is None and q.topic == "language-courses"


async def test_erase_forgets_the_user_and_their_texts(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    conv = conversation(assistant, sessions)
    await conv.set_city("10", "livadia")
    _, qid = await conv.message("10", "χρειάζομαι δικηγόρο για το άσυλο", FMT)
    assert await conv.erase("10")
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(User)) == 0
        q = await s.get(Question, qid)
        assert q is not None and q.text is None and q.user_id is None


async def test_menu_choice_and_more_pages(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    conv = conversation(assistant, sessions)
    await conv.set_city("11", "brussels")
    first, qid = await conv.topic("11", "health-care", FMT)
    assert first.more > 0 and first.choices
    second, _ = await conv.topic("11", "health-care", FMT, offset=3)
    assert "4." in second.text and second.entry is None
    async with sessions() as s:
        q = await s.get(Question, qid)
        assert q is not None and q.entry == first.entry is not None


async def test_automatic_follows_each_message_again(
    assistant: Assistant, sessions: async_sessionmaker[AsyncSession]
) -> None:
    conv = await with_language(assistant, sessions, "11", "capaci", "es")
    user = await conv.set_language_automatic("11")
    assert (user.language, user.language_explicit) == ("es", False)
    reply, _ = await conv.message("11", "где можно найти бесплатного адвоката", FMT)
    assert reply.decision.language == "ru"
    assert ChoiceKind.LANGUAGE not in [c.kind for c in reply.choices]
    assert (await conv.user("11")).language == "ru"
