"""Buttons end to end: feedback, paging, /delete, restarts, expired and forged buttons."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.i18n import translator
from bot.storage.models import Question
from tests.channels.telegram.conftest import Harness
from tests.channels.telegram.test_channel import kinds, questions, stored_user
from tests.fakes.bot_api import Call
from tests.fakes.telegram_html import visible


def expired_text(language: str) -> str:
    return translator(language).gettext("This button has expired. Here is the current menu.")


def sent_messages(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendMessage"]


def answers(calls: list[Call]) -> list[str]:
    return [str(c.params.get("text", "")) for c in calls if c.method == "answerCallbackQuery"]


async def test_feedback_is_stored_and_its_buttons_removed(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await tg.setup(601, "brussels", "en")
    answer = (await tg.say(601, "where can I learn French"))[-1]
    good = [d for d in answer.button_data() if d.startswith("1f:") and d.endswith(":1")]
    calls = await tg.tap(601, good[0], message_id=None)
    assert answers(calls) == ["Thank you for telling us."]
    edited = [c for c in calls if c.method == "editMessageReplyMarkup"]
    assert edited and "f" not in kinds(edited[0].button_data())
    assert "m" in kinds(edited[0].button_data())  # the other buttons stay
    assert (await questions(sessions))[-1].helpful is True


async def test_a_thumbs_down_offers_other_topics_and_a_person(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await tg.setup(602, "jelgava", "lv")
    calls = await tg.tap(602, "1t:housing")
    answer = sent_messages(calls)[-1]
    bad = [d for d in answer.button_data() if d.startswith("1f:") and d.endswith(":0")]
    calls = await tg.tap(602, bad[0])
    offer = sent_messages(calls)[-1]
    question = bad[0].split(":")[1]
    assert kinds(offer.button_data()).count("t") == 24
    assert offer.button_data()[-1] == f"1h:{question}"  # a person, about that question
    logged = await questions(sessions)
    assert (logged[-1].action, logged[-1].topic, logged[-1].helpful) == ("choice", "housing", False)
    assert logged[-1].text is None  # a tap has no text to keep


async def test_more_pages_through_the_services(tg: Harness) -> None:
    await tg.setup(603, "brussels", "en")
    first = sent_messages(await tg.tap(603, "1t:health-care"))[-1]
    more = [d for d in first.button_data() if d.startswith("1m:")]
    assert more == ["1m:health-care:3"]
    second = sent_messages(await tg.tap(603, more[0]))[-1]
    assert visible(second.text or "").split("\n\n")[1].startswith("4. ")
    assert "f" not in kinds(second.button_data())  # one answer, one 👍/👎


async def test_a_fitted_answer_pages_through_every_other_service_once(tg: Harness) -> None:
    await tg.setup(611, "brussels", "en")
    answer = sent_messages(await tg.say(611, "where can I see a doctor for my fever"))[-1]
    (more,) = [d for d in answer.button_data() if d.startswith("1m:")]
    topic, pages = more.split(":")[1], more.split(":")[2].split(".")
    assert topic == "health-care" and pages[0] == "3" and len(pages) == 4  # offset, 3 shown
    names = [p.split("\n")[0] for p in visible(answer.text or "").split("\n\n")[1:4]]
    second = sent_messages(await tg.tap(611, more))[-1]
    later = [p.split("\n")[0] for p in visible(second.text or "").split("\n\n")[1:]]
    later = [n for n in later if n[:1].isdigit()]
    assert later[0].startswith("4. ")
    assert not {n.split(". ", 1)[1] for n in names} & {n.split(". ", 1)[1] for n in later}


async def test_delete_asks_first_then_erases_everything(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await tg.setup(604, "fuenlabrada", "es")
    await tg.say(604, "necesito un médico")
    ask = (await tg.say(604, "/delete"))[-1]
    assert ask.button_data() == ["1x:y", "1x:n"]
    await tg.tap(604, "1x:n")
    assert await stored_user(sessions, 604) is not None

    calls = await tg.tap(604, "1x:y")
    edited = [c for c in calls if c.method == "editMessageText"]
    erased = translator("es").gettext(
        "Everything Guichet stored about you has been erased. "
        "If you write again, I will start from the beginning."
    )
    assert edited and visible(edited[0].text or "") == erased
    assert await stored_user(sessions, 604) is None
    async with sessions() as session:
        left = list(await session.scalars(select(Question).where(Question.city == "fuenlabrada")))
    assert left and all(q.text is None and q.user_id is None for q in left)


async def test_a_restart_in_the_middle_of_a_conversation_loses_nothing(tg: Harness) -> None:
    await tg.setup(605, "mechelen", "tr")
    menu = (await tg.say(605, "/menu"))[-1]
    await tg.restart()
    # The user's choices survived, and yesterday's button still works.
    calls = await tg.tap(605, menu.button_data()[1], message_id=menu.params.get("message_id"))
    answer = sent_messages(calls)[-1]
    assert "Mechelen" in visible(answer.text or "")
    assert translator("tr").gettext("Was this helpful?") in visible(answer.text or "")
    reply = (await tg.say(605, "doktor lazım"))[-1]
    assert "Mechelen" in visible(reply.text or "")


async def test_an_expired_button_says_so_politely(tg: Harness) -> None:
    await tg.setup(606, "capaci", "it")
    for data in ("0t:housing", "1t:no-such-topic", "1c:atlantis", "1m:housing:x", "garbage"):
        calls = await tg.tap(606, data)
        assert answers(calls) == [expired_text("it")], data
        assert kinds(sent_messages(calls)[-1].button_data()).count("t") == 24  # the menu


async def test_a_forged_feedback_button_cannot_touch_another_users_question(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await tg.setup(607, "livadia", "el")
    await tg.say(607, "χρειάζομαι γιατρό")
    theirs = (await questions(sessions))[-1]
    await tg.setup(608, "livadia", "en")
    calls = await tg.tap(608, f"1f:{theirs.id}:0")
    assert answers(calls) == [expired_text("en")]
    assert (await questions(sessions))[-1].helpful is None


async def test_changing_the_language_changes_the_next_reply(tg: Harness) -> None:
    await tg.setup(609, "saint-jean-de-la-ruelle", "fr")
    await tg.say(609, "/language")
    await tg.tap(609, "1l:fa")
    menu = (await tg.say(609, "/menu"))[-1]
    assert any("\u0600" <= ch <= "\u06ff" for ch in menu.text or "")


async def test_the_location_button_asks_for_the_location_with_a_one_time_keyboard(
    tg: Harness,
) -> None:
    await tg.setup(610, "schaerbeek", "en")
    answer = sent_messages(await tg.tap(610, "1t:city-hall"))[-1]
    assert "1p" in answer.button_data()  # the services have a place on the map
    asked = sent_messages(await tg.tap(610, "1p"))[-1]
    assert "share your location" in visible(asked.text or "")
    keyboard = asked.params["reply_markup"]
    assert keyboard["one_time_keyboard"] is True
    assert [b["request_location"] for row in keyboard["keyboard"] for b in row] == [True]


async def test_the_menu_button_shows_the_topics_in_the_users_language(tg: Harness) -> None:
    await tg.setup(611, "capaci", "it")
    menu = sent_messages(await tg.tap(611, "1s"))[-1]
    assert visible(menu.text or "") == translator("it").gettext("Choose a topic:")
    assert kinds(menu.button_data()).count("t") == 24


async def test_a_nearby_button_before_choosing_a_city_asks_for_the_city(tg: Harness) -> None:
    await tg.say(612, "/start")
    calls = await tg.tap(612, "1n:50.869,4.379")
    asked = sent_messages(calls)[-1]
    assert visible(asked.text or "") == "Which city do you live in?"
    assert kinds(asked.button_data()) == ["c"] * 8


async def test_a_nearby_button_with_a_point_off_the_globe_has_expired(tg: Harness) -> None:
    await tg.setup(613, "schaerbeek", "en")
    for data in ("1n:95.0,4.379", "1n:50.869,190.0", "1n:50.869"):
        calls = await tg.tap(613, data)
        assert answers(calls) == [expired_text("en")], data


async def test_a_country_button_lists_that_countrys_cities_only(tg: Harness) -> None:
    await tg.say(614, "/start")
    calls = await tg.tap(614, "1k:be")
    edited = [c for c in calls if c.method == "editMessageReplyMarkup"]
    assert edited and edited[0].button_data() == [
        "1c:brussels",
        "1c:mechelen",
        "1c:schaerbeek",
    ]
    assert answers(await tg.tap(614, "1k:zz")) == [expired_text("en")]


async def test_support_buttons_without_a_support_network_have_expired(tg: Harness) -> None:
    await tg.setup(615, "brussels", "en")
    for data in ("1o:1", "1q", "1v:1", "1z:1", "1a:1:1", "1w:ar", "1d"):
        calls = await tg.tap(615, data)
        assert answers(calls) == [expired_text("en")], data


async def test_after_delete_every_old_button_starts_from_the_beginning(tg: Harness) -> None:
    """Topics, "Show more", the emergency topic, 👍/👎, "Ask a person", the menu, the nearest
    services: each asks for the city once more, answered once, with no error."""
    await tg.setup(616, "brussels", "en")
    answer = sent_messages(await tg.tap(616, "1t:health-care"))[-1]
    more, good, bad = answer.button_data()
    question = good.split(":")[1]
    assert (more, good, bad) == ("1m:health-care:3", f"1f:{question}:1", f"1f:{question}:0")
    old = [
        "1t:housing",
        "1t:emergency",
        more,
        good,
        bad,
        f"1h:{question}",
        "1n:50.869,4.379",
        "1p",
        "1s",
    ]
    await tg.say(616, "/delete")
    await tg.tap(616, "1x:y")
    for data in old:
        calls = await tg.tap(616, data)
        assert len(answers(calls)) == 1, data
        said = [visible(c.text or "") for c in sent_messages(calls)]
        assert said == ["Which city do you live in?"], (data, said)


async def test_language_offers_automatic_and_automatic_follows_the_message(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await tg.setup(640, "capaci", "es")
    (keyboard,) = await tg.say(640, "/language")
    assert keyboard.button_data()[-1] == "1l:auto"
    await tg.tap(640, "1l:auto")
    user = await stored_user(sessions, 640)
    assert user is not None
    assert (user.language, user.language_explicit) == ("es", False)


async def test_the_switch_button_under_a_reply_makes_its_language_the_choice(
    tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await tg.setup(641, "capaci", "es")
    (reply,) = await tg.say(641, "dove posso trovare lavoro a Capaci?")
    assert "1u:it" in reply.button_data()
    calls = await tg.tap(641, "1u:it")
    assert answers(calls) == ["✓ Italiano"]
    user = await stored_user(sessions, 641)
    assert user is not None
    assert (user.language, user.language_explicit) == ("it", True)
