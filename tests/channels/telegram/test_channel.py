"""End to end: a real Application, real Update JSON, a fake Bot API server on loopback."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.callbacks import Kind, decode
from bot.channels.telegram.channel import Channel
from bot.channels.telegram.keyboards import human_row, markup
from bot.core.assistant import Asked, Assistant
from bot.core.decision import Action
from bot.core.i18n import FSI, PDI, translator
from bot.core.languages import UI_LANGUAGES
from bot.storage.models import Question, User
from tests.channels.telegram.conftest import Harness
from tests.fakes.bot_api import ApiError
from tests.fakes.telegram_html import visible


async def stored_user(sessions: async_sessionmaker[AsyncSession], chat: int) -> User | None:
    async with sessions() as session:
        return await session.scalar(
            select(User).where(User.channel == "telegram", User.chat_id == str(chat))
        )


async def questions(sessions: async_sessionmaker[AsyncSession]) -> list[Question]:
    async with sessions() as session:
        return list(await session.scalars(select(Question).order_by(Question.id)))


def kinds(data: list[str]) -> list[str]:
    return [tap.kind.value for tap in map(decode, data) if tap is not None]


async def test_a_deep_link_sets_the_city_and_suggests_the_client_language(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sent = await tg.say(501, "/start schaerbeek", language_code="uk", count=2)
    assert visible(sent[0].text or "") == "✓ Schaerbeek"
    languages = sent[1]
    assert languages.button_data()[0] == "1l:uk"  # the client's language comes first
    assert languages.button_texts()[0] == "✓ Українська"
    assert "العربية" in languages.button_texts() and "Türkçe" in languages.button_texts()
    assert len(languages.button_data()) == len(UI_LANGUAGES) + 1  # and "automatic", last
    user = await stored_user(sessions, 501)
    assert user is not None and user.city == "schaerbeek"

    calls = await tg.tap(501, "1l:ar", language_code="uk")
    welcome = [c for c in calls if c.method == "sendMessage"][-1]
    assert "Schaerbeek" in visible(welcome.text or "")
    assert len(kinds(welcome.button_data())) == 24  # the topic menu
    user = await stored_user(sessions, 501)
    assert user is not None and (user.language, user.language_explicit) == ("ar", True)
    assert user.consent_at is not None


async def test_an_unknown_deep_link_asks_for_the_city_politely(tg: Harness) -> None:
    sent = await tg.say(502, "/start atlantis", language_code="fr")
    assert "ville" in (sent[0].text or "")  # in the client's language
    assert all(d.startswith("1c:") for d in sent[0].button_data())


async def test_start_lists_cities_by_country_then_languages_in_their_own_names(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sent = await tg.say(503, "/start", language_code="en")
    labels = sent[0].button_texts()
    assert len(labels) == 8
    flags = [label.split(" ")[0] for label in labels]
    assert flags == sorted(flags, key=flags.index)  # one block per country
    assert flags.count("🇧🇪") == 3 and "🇱🇻" in flags
    belgian_rows = [row for row in sent[0].buttons if row[0]["text"].startswith("🇧🇪")]
    assert all(b["text"].startswith("🇧🇪") for row in belgian_rows for b in row)

    calls = await tg.tap(503, "1c:jelgava")
    edited = [c for c in calls if c.method == "editMessageText"]
    assert edited and "Jelgava" in (edited[0].text or "")
    assert [c.button_data()[0] for c in calls if c.method == "sendMessage"] == ["1l:en"]
    await tg.tap(503, "1l:lv")
    user = await stored_user(sessions, 503)
    assert user is not None and (user.city, user.language) == ("jelgava", "lv")


async def test_a_question_gets_an_answer_with_feedback_buttons(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await tg.setup(504, "brussels", "fr")
    sent = await tg.say(504, "où puis-je apprendre le néerlandais ?")
    answer = sent[-1]
    assert "Cours de langue" in visible(answer.text or "")
    assert answer.params["parse_mode"] == "HTML"
    taps = kinds(answer.button_data())
    assert taps[-2:] == ["f", "f"]
    logged = await questions(sessions)
    assert logged[-1].topic == "language-courses" and logged[-1].action == "answer"
    assert logged[-1].language == "fr" and logged[-1].text is not None


async def test_a_question_with_characters_a_database_refuses_is_answered_and_stored_cleaned(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """U+0000 (PostgreSQL refuses it) and a lone surrogate (no UTF-8 database takes one)."""
    await tg.setup(519, "brussels", "fr")
    sent = await tg.say(519, "où puis-je apprendre\x00 le néerlandais ? \ud83d")
    assert "Cours de langue" in visible(sent[-1].text or "")
    logged = await questions(sessions)
    assert logged[-1].topic == "language-courses"
    assert logged[-1].text == "où puis-je apprendre le néerlandais ? \ufffd"


async def test_an_unclear_question_becomes_topic_buttons(tg: Harness, assistant: Assistant) -> None:
    text = "help with documents"
    decision = assistant.understand(Asked(text=text, city="brussels", explicit_language="en"))
    assert decision.action is Action.CLARIFY  # the core's decision; the channel shows it
    await tg.setup(505, "brussels", "en")
    sent = await tg.say(505, text)
    data = sent[-1].button_data()
    assert data[: len(decision.candidates)] == [f"1t:{t}" for t in decision.candidates]
    assert data[-1].startswith("1h:")  # and a person, about this question

    calls = await tg.tap(505, data[0])
    answer = [c for c in calls if c.method == "sendMessage"][-1]
    title = assistant.knowledge.topics[decision.candidates[0]].title["en"]
    assert title in visible(answer.text or "")


async def test_chatter_gets_the_menu_and_a_person_and_is_logged_as_out_of_scope(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await tg.setup(507, "brussels", "en")
    sent = await tg.say(507, "who won the football match last night?")
    data = sent[-1].button_data()
    assert data[-1].startswith("1h:") and kinds(data).count("t") == 24
    assert "not something I can help with" in visible(sent[-1].text or "")
    assert (await questions(sessions))[-1].action == "out-of-scope"


async def test_an_unknown_question_offers_the_menu_and_an_honest_person_button(
    tg: Harness,
) -> None:
    await tg.setup(506, "capaci", "en")
    sent = await tg.say(506, "???")
    data = sent[-1].button_data()
    assert data[-1].startswith("1h:") and kinds(data).count("t") == 24
    calls = await tg.tap(506, data[-1])
    told = visible([c for c in calls if c.method == "sendMessage"][-1].text or "")
    assert "not yet available" in told and "112" in told


async def test_a_shared_location_lists_the_nearest_services(tg: Harness) -> None:
    await tg.setup(507, "schaerbeek", "en")
    await tg.tap(507, "1t:city-hall")
    near_colignon = {"latitude": 50.8690, "longitude": 4.3790}
    sent = await tg.send(507, tg.fake.message(507, location=near_colignon), count=2)
    text = sent[-1].text or ""
    assert "Schaerbeek" in visible(text)
    assert " m from you" in visible(text)  # a distance, formatted for the locale
    assert "openstreetmap.org/?mlat=50.86750" in text
    all_topics = [d for d in sent[-1].button_data() if d.startswith("1n:")]
    assert all_topics == ["1n:50.869,4.379"]
    calls = await tg.tap(507, all_topics[0])
    everything = [c for c in calls if c.method == "sendMessage"][-1]
    assert "Services near you" in visible(everything.text or "")


async def test_media_get_a_polite_reply_in_the_users_language(tg: Harness) -> None:
    await tg.setup(508, "fuenlabrada", "es")
    fake = tg.fake
    for update in (fake.photo(508), fake.voice(508), fake.sticker(508), fake.document(508)):
        sent = await tg.send(508, update)
        assert "texto" in (sent[-1].text or "")


async def test_in_a_group_the_bot_only_points_to_a_private_chat(tg: Harness) -> None:
    group = -100123
    mark = tg.fake.mark()
    tg.fake.push_update(tg.fake.message(group, "where is the hospital", chat_type="group"))
    sent = await tg.say(group, "/start", chat_type="group")
    assert len(sent) == 1  # the plain question got no answer
    assert sent[0].buttons[0][0]["url"] == f"https://t.me/{tg.fake.username}"
    assert "private" in (sent[0].text or "")
    assert not [c for c in tg.fake.calls[mark:] if c.method == "sendMessage" and c is not sent[0]]


async def test_html_in_a_message_cannot_inject_markup(tg: Harness) -> None:
    await tg.setup(509, "brussels", "en")
    attack = '<a href="https://evil.example">hospital</a> <script>alert(1)</script> & <b>'
    sent = await tg.say(509, attack)
    # The fake refuses HTML that Telegram would refuse; the reply was accepted.
    assert not any(c.failed for c in tg.fake.calls)
    assert all("evil.example" not in (c.text or "") for c in sent)


async def test_long_replies_are_split_below_telegrams_limit(tg: Harness) -> None:
    assert tg.application is not None
    channel = Channel(tg.conversation)
    paragraphs = [f"<b>Service {i}</b>\n" + "Long description &amp; more. " * 40 for i in range(12)]
    mark = tg.fake.mark()
    await channel.send(
        tg.application.bot, 510, "\n\n".join(paragraphs), markup([human_row(translator("en"))])
    )
    parts = [c for c in tg.fake.calls[mark:] if c.method == "sendMessage"]
    assert len(parts) >= 3 and not any(c.failed for c in parts)
    assert all(len(c.text or "") <= 4096 for c in parts)
    assert [bool(c.buttons) for c in parts] == [False] * (len(parts) - 1) + [True]
    assert visible("".join(c.text or "" for c in parts)).count("Service") == 12


async def test_a_flood_limit_is_waited_out_and_the_reply_arrives(tg: Harness) -> None:
    await tg.setup(511, "mechelen", "nl")
    tg.fake.fail_next(
        "sendMessage", ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
    )
    sent = await tg.say(511, "waar kan ik Nederlands leren", count=2)
    assert sent[0].failed and not sent[-1].failed
    assert sent[0].text == sent[-1].text
    assert sent[-1].at - sent[0].at >= 1.0


async def test_a_user_who_blocked_the_bot_is_marked_inactive(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await tg.setup(512, "livadia", "el")
    tg.fake.block(512)
    sent = await tg.say(512, "/menu")
    assert sent[-1].failed
    user = await stored_user(sessions, 512)
    assert user is not None and not user.active
    tg.fake._blocked.discard(512)  # unblocked: writing again makes them active
    await tg.say(512, "/menu")
    user = await stored_user(sessions, 512)
    assert user is not None and user.active


async def test_privacy_and_help_are_in_the_users_language(tg: Harness) -> None:
    await tg.setup(513, "saint-jean-de-la-ruelle", "fr")
    privacy = visible((await tg.say(513, "/privacy"))[-1].text or "")
    assert "30 jours" in privacy and "/delete" in privacy
    help_text = visible((await tg.say(513, "/help"))[-1].text or "")
    assert "/language" in help_text and "112" in help_text


async def test_commands_are_registered_for_every_language(tg: Harness) -> None:
    assert tg.served is not None and tg.served.menus is not None
    await tg.served.menus  # set while the bot already serves
    registered = tg.fake.commands
    assert set(registered) == {"", *UI_LANGUAGES}
    names = {c["command"] for c in registered["ar"]}
    assert names == {"menu", "city", "language", "help", "privacy", "delete"}
    assert registered["fr"] != registered["en"]


async def test_arabic_answers_isolate_numbers_and_latin_addresses(tg: Harness) -> None:
    await tg.setup(514, "brussels", "ar")
    calls = await tg.tap(514, "1t:emergency")
    text = [c for c in calls if c.method == "sendMessage"][-1].text or ""
    assert f"{FSI}101{PDI}" in text  # the Belgian police number
    assert f"{FSI}https://" in text  # a web address, left to right inside the Arabic
    assert "شرطة" in text  # the police zone's name, translated
    assert "لم تراجعه المدينة بعد" in text  # ... and marked as not yet checked by the city


async def test_a_deep_link_may_name_the_city_in_any_case_or_language(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sent = await tg.say(515, "/start Malines", language_code="nl", count=2)
    assert visible(sent[0].text or "") == "✓ Mechelen"
    user = await stored_user(sessions, 515)
    assert user is not None and user.city == "mechelen"


async def test_an_unknown_command_is_answered_politely_with_the_list(tg: Harness) -> None:
    await tg.setup(516, "mechelen", "en")
    text = visible((await tg.say(516, "/townhall"))[-1].text or "")
    assert text.startswith("I do not know the command /townhall. These are the ones I know:")
    assert "/menu – Topics to choose from" in text and "/delete" in text


async def test_a_failure_on_our_side_is_logged_without_the_text_and_the_user_told_gently(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await tg.setup(515, "brussels", "fr")
    # A final refusal (a 5xx would be tried again: see test_delivery.py).
    refusal = ApiError(400, "Bad Request: can't parse entities")
    tg.fake.fail_next("sendMessage", refusal, chat_id=515)
    question = "Mon propriétaire Jan Peeters garde mon passeport"
    with caplog.at_level(logging.INFO):
        sent = await tg.say(515, question, count=2, language_code="fr")
    assert sent[0].failed  # the answer could not be sent: the handler raised
    sorry = translator("fr").gettext(
        "Sorry, something went wrong on our side. Please try again soon."
    )
    assert visible(sent[-1].text or "") == sorry
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["bot.channels.telegram.channel"]
    assert errors[0].exc_info is not None and "Can't parse entities" in caplog.text
    assert "Peeters" not in caplog.text and "passeport" not in caplog.text


async def test_a_failure_in_a_group_is_logged_and_not_told_there(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    group = -100124
    tg.fake.fail_next("sendMessage", ApiError(400, "Bad Request: chat not found"), chat_id=group)
    with caplog.at_level(logging.ERROR):
        mark = tg.fake.mark()
        tg.fake.push_update(tg.fake.message(group, "/start", chat_type="group"))
        await tg.fake.wait_for("sendMessage", chat_id=group, since=mark)
        calls = await tg.settle(mark)
    assert [c.failed for c in calls if c.method == "sendMessage"] == [True]
    assert [r.name for r in caplog.records] == ["bot.channels.telegram.channel"]


async def test_always_reply_in_the_language_of_a_question_switches_and_the_button_goes(
    tg: Harness,
) -> None:
    """A user who chose Spanish asks in Italian: the answer is in Italian with one tap to keep
    Italian. The tap makes Italian the chosen language and takes that button off the answer,
    leaving its other buttons."""
    await tg.setup(640, "capaci", "es")
    [answer] = await tg.say(640, "dove posso trovare lavoro a Capaci?")
    [switch] = [d for d in answer.button_data() if (tap := decode(d)) and tap.kind is Kind.PREFER]
    calls = await tg.tap(640, switch, message_id=answer.message_id)
    [told] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert told.params.get("text") == "✓ Italiano"
    [edit] = [c for c in calls if c.method == "editMessageReplyMarkup"]
    left = edit.button_data()
    assert switch not in left and left and set(left) < set(answer.button_data())
    user = await tg.conversation.users.get("telegram", "640")
    assert user is not None and (user.language, user.language_explicit) == ("it", True)


async def test_a_topic_posters_link_sets_the_city_and_answers_the_topic(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sent = await tg.say(520, "/start mechelen--housing", language_code="uk", count=2)
    assert visible(sent[0].text or "") == "✓ Mechelen"
    answer = visible(sent[1].text or "")
    assert translator("uk").gettext("Was this helpful?") in answer  # in the client's language
    user = await stored_user(sessions, 520)
    assert user is not None and user.city == "mechelen" and user.last_topic == "housing"
    logged = await questions(sessions)
    assert (logged[-1].topic, logged[-1].action, logged[-1].language) == ("housing", "choice", "uk")


async def test_a_link_with_an_unknown_topic_still_opens_its_city(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sent = await tg.say(521, "/start mechelen--weather", language_code="en", count=2)
    assert visible(sent[0].text or "") == "✓ Mechelen"
    assert sent[1].button_data()[0].startswith("1l:")  # the language question, as for a city
