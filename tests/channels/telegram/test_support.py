"""The support network end to end: real Application, fake Bot API, real database."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import delivery_stores, support_stores
from bot.conversation import Conversation
from bot.settings import SupportSettings
from bot.storage.database import create_engine, sessionmaker
from bot.storage.questions import QuestionLog
from bot.storage.tickets import Status
from bot.storage.users import UserStore
from bot.support.timers import STEP_RETRY, tick
from tests.channels.telegram.conftest import Harness, until_in_flight
from tests.fakes.bot_api import ApiError, Call
from tests.fakes.telegram_html import visible

MIGRANT = 901
AMAL, NOOR, PIET = 801, 802, 803  # volunteers: Amal speaks ar+fr, Noor ar, Piet nl


def texts(calls: list[Call], chat: int | None = None) -> list[str]:
    return [
        visible(str(c.params.get("text") or c.params.get("caption") or ""))
        for c in calls
        if c.method in ("sendMessage", "editMessageText", "copyMessage")
        and (chat is None or c.chat_id == chat)
    ]


def copied_from(call: Call) -> tuple[int, int]:
    """The chat and message a copyMessage call copies."""
    return int(call.params["from_chat_id"]), int(call.params["message_id"])


def data_of(calls: list[Call], prefix: str) -> list[str]:
    return [d for c in calls for d in c.button_data() if d.startswith(prefix)]


async def join(
    h: Harness,
    chat: int,
    name: str,
    languages: list[str],
    org: str = "Caritas",
    city: str = "brussels",
) -> None:
    """A volunteer joins with an invite, picks languages and becomes available."""
    assert h.desk is not None
    invite = await h.desk.network.invite(city, org, now=datetime.now(UTC))
    sent = await h.say(chat, f"/start v_{invite.code}", first_name=name)
    assert data_of(h.fake.calls[-1:], "1w:")  # the language buttons
    assert sent
    for code in languages:
        await h.tap(chat, f"1w:{code}")
    await h.tap(chat, "1d")
    status = await h.say(chat, "/available", first_name=name)
    assert "You are available: new questions reach you." in texts(status)[-1]


async def second_process(
    h: Harness, conversation: Conversation, sessions: async_sessionmaker[AsyncSession]
) -> Harness:
    """Another process serving the same bot (the same fake Telegram) on the same database."""
    other = Harness(
        h.fake,
        conversation,
        h.settings,
        delivery_stores(sessions),
        support=support_stores(sessions, SupportSettings()),
    )
    await other.start()
    return other


async def ask_a_person(h: Harness, question: str, chat: int = MIGRANT) -> int:
    """The migrant asks, taps "Ask a person" (after 👎 if need be) and consents; the ticket."""
    sent = await h.say(chat, question, first_name="Fatima", username="fatima_k")
    human = data_of(sent, "1h:")
    if not human:
        thumbs_down = data_of(sent, "1f:")[-1]
        human = data_of(await h.tap(chat, thumbs_down), "1h:")
    preview = await h.tap(chat, human[0])
    consent = data_of(preview, "1o:")
    assert consent, texts(preview)
    assert question in texts(preview)[-1]  # what will be shared is shown first
    done = await h.tap(chat, consent[0])
    number = int(data_of(done, "1z:")[0].split(":")[1])
    return number


async def test_a_question_reaches_the_volunteer_who_speaks_it_and_the_answer_comes_back(
    desk_tg: Harness,
) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["ar", "fr"])
    await join(h, PIET, "Piet", ["nl"])
    await h.setup(MIGRANT, "brussels", "ar")
    mark = h.fake.mark()
    ticket = await ask_a_person(h, "صاحب البيت لا يريد أن يعيد لي مبلغ الضمان")
    offers = h.fake.calls[mark:]
    assert data_of([c for c in offers if c.chat_id == AMAL], "1v:") == [f"1v:{ticket}"]
    assert not [c for c in offers if c.chat_id == PIET]  # Piet does not speak Arabic

    taken = await h.tap(AMAL, f"1v:{ticket}")
    working = [c for c in taken if c.method == "editMessageText" and c.chat_id == AMAL]
    assert working and f"#{ticket}" in texts(working)[0]
    told = texts(taken, MIGRANT)
    assert told and "Caritas" in told[-1] and "Amal" in told[-1]

    offer_message = int(working[0].params["message_id"])
    answer = await h.push(
        h.fake.message(
            AMAL,
            "Keep the <contract> & bring it to the tenants' union",
            reply_to_message_id=offer_message,
        ),
        MIGRANT,
        "sendMessage",
        1,
    )
    relayed = texts(answer, MIGRANT)[-1]
    assert "Keep the <contract> & bring it" in relayed and "Caritas" in relayed

    follow = await h.push(
        h.fake.message(MIGRANT, "شكرا، وماذا عن المفتاح؟"), AMAL, "sendMessage", 1
    )
    assert "المفتاح" in texts(follow, AMAL)[-1]
    letter = h.fake.photo(MIGRANT)
    photo = await h.push(letter, AMAL, "copyMessage", 1)
    relayed_photo = next(c for c in photo if c.method == "copyMessage" and c.chat_id == AMAL)
    assert copied_from(relayed_photo) == (MIGRANT, letter["message"]["message_id"])

    closed = await h.tap(MIGRANT, f"1z:{ticket}")
    rate = data_of(closed, "1a:")
    assert rate == [f"1a:{ticket}:1", f"1a:{ticket}:0"]
    await h.tap(MIGRANT, rate[0])
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.status is Status.CLOSED and info.helpful is True

    # The volunteer never saw who the migrant is.
    to_amal = " ".join(texts([c for c in h.fake.calls if c.chat_id == AMAL]))
    assert "Fatima" not in to_amal and "fatima_k" not in to_amal and str(MIGRANT) not in to_amal


async def test_only_one_of_two_volunteers_gets_the_ticket(desk_tg: Harness) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["ar"])
    await join(h, NOOR, "Noor", ["ar"])
    await h.setup(MIGRANT, "brussels", "ar")
    ticket = await ask_a_person(h, "أحتاج مساعدة في رسالة من مكتب الأجانب")
    mark = h.fake.mark()
    h.fake.push_update(h.fake.callback(AMAL, f"1v:{ticket}"))
    h.fake.push_update(h.fake.callback(NOOR, f"1v:{ticket}"))
    await h.fake.wait_for("answerCallbackQuery", since=mark, count=2)
    await h.settle(mark)
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.status is Status.CLAIMED
    amal = await h.desk.network.volunteer("telegram", str(AMAL))
    assert amal is not None
    winner = AMAL if info.claimed_by == amal.id else NOOR
    loser = NOOR if winner == AMAL else AMAL
    told_loser = " ".join(texts(h.fake.calls[mark:], loser))
    assert "already took" in told_loser or "Taken by a colleague" in told_loser


async def test_nobody_speaks_the_language_so_the_offer_goes_wider(desk_tg: Harness) -> None:
    h = desk_tg
    await join(h, PIET, "Piet", ["nl"])
    await h.setup(MIGRANT, "brussels", "fa")
    mark = h.fake.mark()
    ticket = await ask_a_person(h, "برای نامه اداره مهاجرت کمک می‌خواهم")
    offer = [c for c in h.fake.calls[mark:] if c.chat_id == PIET and c.method == "sendMessage"]
    assert offer and data_of(offer, "1v:") == [f"1v:{ticket}"]
    assert "Persian" in texts(offer)[-1]  # the language is shown clearly


async def test_timeouts_fire_once_even_after_a_restart(
    desk_tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["ar"])
    await join(h, PIET, "Piet", ["nl"])
    await h.setup(MIGRANT, "brussels", "ar")
    await ask_a_person(h, "أحتاج مساعدة في رسالة من البلدية")
    later = datetime.now(UTC) + timedelta(minutes=31)
    mark = h.fake.mark()
    assert await tick(h.desk, later) == 1
    after = h.fake.calls[mark:]
    assert any("Reminder" in t for t in texts(after, AMAL))
    assert data_of([c for c in after if c.chat_id == PIET], "1v:")  # widened to all languages
    assert await tick(h.desk, later) == 0  # once
    await h.restart()
    fresh = h.desk  # a new desk on the same database
    assert fresh is not None
    assert await tick(fresh, later + timedelta(minutes=5)) == 0  # and once after a restart

    mark = h.fake.mark()
    assert await tick(fresh, datetime.now(UTC) + timedelta(hours=25)) == 1
    assert texts(h.fake.calls[mark:], MIGRANT)  # told honestly, with the city's contact


async def test_removed_other_city_and_forged_presses_are_refused(desk_tg: Harness) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["ar"])
    await join(h, PIET, "Piet", ["ar"], org="Arci", city="capaci")
    await h.setup(MIGRANT, "brussels", "ar")
    ticket = await ask_a_person(h, "أحتاج محاميا بخصوص الإقامة")
    await h.tap(PIET, f"1v:{ticket}")  # a volunteer of another city
    await h.tap(MIGRANT, f"1v:{ticket}")  # a migrant pressing a volunteer's button
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.status is Status.OPEN
    amal = await h.desk.network.volunteer("telegram", str(AMAL))
    assert amal is not None
    await h.desk.network.remove(amal.id, now=datetime.now(UTC))
    await h.tap(AMAL, f"1v:{ticket}")
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.status is Status.OPEN and info.claimed_by is None


async def test_a_ticket_never_offered_to_a_volunteer_cannot_be_taken_or_read(
    desk_tg: Harness,
) -> None:
    """Ticket numbers are sequential: a forged "Take it" must not open the next question."""
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["ar"])
    await join(h, PIET, "Piet", ["nl"])  # same city, but the question is not offered to him
    await h.setup(MIGRANT, "brussels", "ar")
    question = "أحتاج محاميا بخصوص الإقامة"
    ticket = await ask_a_person(h, question)
    mark = h.fake.mark()
    calls = await h.tap(PIET, f"1v:{ticket}")
    expired = "This button has expired. Here is the current menu."
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == [expired]
    seen = " ".join(texts(calls, PIET))
    assert question not in seen and f"#{ticket}" not in seen
    assert not texts(h.fake.calls[mark:], MIGRANT) and not texts(h.fake.calls[mark:], AMAL)
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.status is Status.OPEN and info.claimed_by is None
    taken = await h.tap(AMAL, f"1v:{ticket}")  # the one it was offered to still can
    assert question in " ".join(texts(taken, AMAL))


async def test_the_per_migrant_limit_and_delete(desk_tg: Harness) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["fr"])
    await h.setup(MIGRANT, "brussels", "fr")
    tickets = [
        await ask_a_person(h, f"J'ai reçu une lettre numéro {n} que je ne comprends pas")
        for n in range(3)
    ]
    sent = await h.say(MIGRANT, "Une quatrième lettre que je ne comprends pas du tout")
    human = data_of(sent, "1h:") or data_of(await h.tap(MIGRANT, data_of(sent, "1f:")[-1]), "1h:")
    consent = data_of(await h.tap(MIGRANT, human[0]), "1o:")
    refused = await h.tap(MIGRANT, consent[0])
    assert any("3" in t for t in texts(refused, MIGRANT))
    amal = await h.desk.network.volunteer("telegram", str(AMAL))
    assert amal is not None
    await h.desk.tickets.suggest(
        ticket_id=tickets[0],
        volunteer_id=amal.id,
        city="brussels",
        topic=None,
        language="fr",
        question="J'ai reçu une lettre",
        answer="Venez nous voir.",
        now=datetime.now(UTC),
    )
    await h.say(MIGRANT, "/delete")
    await h.tap(MIGRANT, "1x:y")
    assert await h.desk.tickets.suggestions("brussels") == []  # it quoted their question
    for number in tickets:
        info = await h.desk.tickets.get(number)
        assert info is not None and info.status is Status.CLOSED and info.question is None


async def test_two_processes_sharing_the_database_let_exactly_one_claim_win(
    desk_tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A second Application (another webhook process, say) on the same database."""
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["ar"])
    await join(h, NOOR, "Noor", ["ar"])
    await h.setup(MIGRANT, "brussels", "ar")
    ticket = await ask_a_person(h, "أريد أن أفهم رسالة المحكمة")
    # Both processes receive from the same Telegram (the fake); each update is stored once and
    # handled by whichever process claims it first.
    other = await second_process(h, h.conversation, sessions)
    try:
        mark = h.fake.mark()
        h.fake.push_update(h.fake.callback(AMAL, f"1v:{ticket}"))
        h.fake.push_update(h.fake.callback(NOOR, f"1v:{ticket}"))
        await h.fake.wait_for("answerCallbackQuery", since=mark, count=2)
        await h.settle(mark)
        await other.settle(mark)
    finally:
        await other.stop()
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.status is Status.CLAIMED
    views = texts(h.fake.calls[mark:], AMAL) + texts(h.fake.calls[mark:], NOOR)
    working = [v for v in views if "Reply to this message to answer" in v]
    assert len(working) == 1  # exactly one of them is working on it


async def test_a_consent_tapped_twice_even_in_two_processes_makes_one_ticket(
    desk_tg: Harness, database_url: str
) -> None:
    """Both taps reach the desk at the same moment, each in its own process and engine."""
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["ar"])
    await h.setup(MIGRANT, "brussels", "ar")
    sent = await h.say(MIGRANT, "أحتاج محاميا بخصوص الإقامة")
    human = data_of(sent, "1h:") or data_of(await h.tap(MIGRANT, data_of(sent, "1f:")[-1]), "1h:")
    [consent] = data_of(await h.tap(MIGRANT, human[0]), "1o:")
    engine = create_engine(database_url)
    sessions = sessionmaker(engine)
    conversation = Conversation(
        h.conversation.assistant,
        UserStore(sessions),
        QuestionLog(sessions, timedelta(days=30)),
        "telegram",
    )
    other = await second_process(h, conversation, sessions)
    try:
        mark = h.fake.mark()
        h.fake.push_update(h.fake.callback(MIGRANT, consent))
        h.fake.push_update(h.fake.callback(MIGRANT, consent))
        await h.fake.wait_for("sendMessage", chat_id=MIGRANT, since=mark, count=2)
        calls = await h.settle(mark) + await other.settle(len(h.fake.calls))
    finally:
        await other.stop()
        await engine.dispose()
    migrant = await h.conversation.users.get("telegram", str(MIGRANT))
    assert migrant is not None
    [ticket] = await h.desk.tickets.of_user(migrant.id)
    assert sorted(data_of(calls, "1z:")) == [f"1z:{ticket.id}"] * 2  # both told the same one
    assert len(data_of(calls, "1v:")) == 1  # offered to Amal once
    again = await h.tap(MIGRANT, consent)  # a third tap, later
    assert data_of(again, "1z:") == [f"1z:{ticket.id}"] and not data_of(again, "1v:")
    preview = await h.tap(MIGRANT, human[0])  # "Ask a person" again
    assert data_of(preview, "1z:") == [f"1z:{ticket.id}"] and not data_of(preview, "1o:")
    assert len(await h.desk.tickets.of_user(migrant.id)) == 1


async def test_after_delete_the_old_support_buttons_start_from_the_beginning(
    desk_tg: Harness,
) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["fr"])
    await h.setup(MIGRANT, "brussels", "fr")
    sent = await h.say(MIGRANT, "J'ai reçu une lettre que je ne comprends pas")
    human = data_of(sent, "1h:") or data_of(await h.tap(MIGRANT, data_of(sent, "1f:")[-1]), "1h:")
    [consent] = data_of(await h.tap(MIGRANT, human[0]), "1o:")
    ticket = int(data_of(await h.tap(MIGRANT, consent), "1z:")[0].split(":")[1])
    await h.say(MIGRANT, "/delete")
    await h.tap(MIGRANT, "1x:y")
    for data in (human[0], consent, "1q", f"1z:{ticket}", f"1a:{ticket}:1"):
        calls = await h.tap(MIGRANT, data)
        assert len([c for c in calls if c.method == "answerCallbackQuery"]) == 1, data
        assert texts(calls, MIGRANT) == ["Which city do you live in?"], data
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.status is Status.CLOSED and info.helpful is None
    assert [t.id for t in await h.desk.tickets.listing("brussels", now=datetime.now(UTC))] == [
        ticket
    ]


async def test_a_volunteer_can_give_back_suggest_pause_and_leave(desk_tg: Harness) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["fr"])
    await join(h, NOOR, "Noor", ["fr"])
    await h.setup(MIGRANT, "brussels", "fr")
    ticket = await ask_a_person(h, "Mon propriétaire garde ma garantie locative")
    await h.tap(AMAL, f"1v:{ticket}")
    mark = h.fake.mark()
    await h.tap(AMAL, f"1r:{ticket}")  # given back: Noor is offered it again
    assert data_of([c for c in h.fake.calls[mark:] if c.chat_id == NOOR], "1v:")
    working = await h.tap(NOOR, f"1v:{ticket}")
    edits = [c for c in working if c.chat_id == NOOR and c.method == "editMessageText"]
    offer_id = int(edits[0].params["message_id"])
    await h.push(
        h.fake.message(NOOR, "Contactez le Syndicat des locataires.", reply_to_message_id=offer_id),
        MIGRANT,
        "sendMessage",
        1,
    )
    await h.tap(NOOR, f"1g:{ticket}")
    suggestions = await h.desk.tickets.suggestions("brussels")
    assert suggestions and suggestions[0]["answer"] == "Contactez le Syndicat des locataires."
    mine = await h.say(NOOR, "/mytickets")
    assert any(f"#{ticket}" in t for t in texts(mine))
    await h.say(AMAL, "/away")
    amal = await h.desk.network.volunteer("telegram", str(AMAL))
    assert amal is not None and not amal.available
    await h.say(NOOR, "/leave")
    assert await h.desk.network.volunteer("telegram", str(NOOR)) is None
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.status is Status.OPEN  # back to the others at once


async def test_an_emergency_still_gets_112_and_goes_to_everyone_urgently(desk_tg: Harness) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["ar"])
    await join(h, PIET, "Piet", ["nl"])
    await h.desk.network.set_group("brussels", "-100777")
    await h.setup(MIGRANT, "brussels", "en")
    sent = await h.say(MIGRANT, "my husband fell down the stairs and his head is bleeding a lot")
    assert "112" in texts(sent)[-1]  # the answer comes at once
    mark = h.fake.mark()
    ticket = await ask_a_person(h, "my husband fell down the stairs and his head is bleeding a lot")
    later = h.fake.calls[mark:]
    assert data_of([c for c in later if c.chat_id == PIET], "1v:") == [f"1v:{ticket}"]
    assert any("🆘" in str(c.params.get("text")) for c in later if c.chat_id == AMAL)
    assert any("112" in t for t in texts(later, MIGRANT))
    assert texts(later, -100777)  # announced to the coordination group, without the text
    assert "bleeding" not in " ".join(texts(later, -100777))


async def test_what_the_migrant_adds_before_the_claim_reaches_the_volunteer(
    desk_tg: Harness,
) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["uk"])
    topics = await h.say(AMAL, "/topics")
    assert "1y:housing" in data_of(topics, "1y:")
    await h.tap(AMAL, "1y:housing")
    amal = await h.desk.network.volunteer("telegram", str(AMAL))
    assert amal is not None and amal.topics == ("housing",)

    await h.setup(MIGRANT, "jelgava", "uk")
    await h.desk.network.update(amal.id, available=False)
    await join(h, NOOR, "Noor", ["uk"], org="Patvērums", city="jelgava")
    ticket = await ask_a_person(h, "Мені прийшов лист, я не розумію, що в ньому")
    confirmation = next(
        c for c in reversed(h.fake.calls) if c.chat_id == MIGRANT and c.method == "sendMessage"
    )
    letter = h.fake.photo(MIGRANT, reply_to_message_id=h.fake._last_sent[MIGRANT])
    added = await h.send(MIGRANT, letter)
    assert f"{ticket}" in texts(added)[-1] and confirmation
    mark = h.fake.mark()
    await h.tap(NOOR, f"1v:{ticket}")
    photos = [c for c in h.fake.calls[mark:] if c.method == "copyMessage" and c.chat_id == NOOR]
    assert photos and copied_from(photos[0]) == (MIGRANT, letter["message"]["message_id"])
    assert f"#{ticket}" in texts(photos)[0]  # under the ticket's header


async def test_privacy_says_what_a_volunteer_sees_and_for_how_long(desk_tg: Harness) -> None:
    await desk_tg.setup(MIGRANT, "brussels", "en")
    told = texts(await desk_tg.say(MIGRANT, "/privacy"))[-1]
    assert "volunteers of your city's support network" in told and "90 days" in told


async def test_a_claimed_question_without_an_answer_is_reminded_then_given_back(
    desk_tg: Harness,
) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["tr"])
    await join(h, NOOR, "Noor", ["tr"])
    await h.setup(MIGRANT, "brussels", "tr")
    ticket = await ask_a_person(h, "Ev sahibim depozitomu geri vermiyor")
    await h.tap(AMAL, f"1v:{ticket}")
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.claimed_at is not None
    mark = h.fake.mark()
    assert await tick(h.desk, info.claimed_at + timedelta(hours=2, minutes=1)) == 1
    assert any("Reminder" in t for t in texts(h.fake.calls[mark:], AMAL))
    assert await tick(h.desk, info.claimed_at + timedelta(hours=2, minutes=2)) == 0

    mark = h.fake.mark()
    assert await tick(h.desk, info.claimed_at + timedelta(hours=6, minutes=1)) >= 1
    released = await h.desk.tickets.get(ticket)
    assert released is not None and released.status is Status.OPEN and released.claimed_by is None
    assert any("went back" in t for t in texts(h.fake.calls[mark:], AMAL))
    assert data_of([c for c in h.fake.calls[mark:] if c.chat_id == NOOR], "1v:")  # offered again


async def taken_by_amal(h: Harness, question: str, language: str = "ar") -> int:
    """A migrant's question (in Arabic unless told), taken by Amal of Caritas; the ticket."""
    await join(h, AMAL, "Amal", [language])
    await h.setup(MIGRANT, "brussels", language)
    ticket = await ask_a_person(h, question)
    await h.tap(AMAL, f"1v:{ticket}")
    return ticket


async def test_a_volunteers_photo_and_sticker_reach_the_migrant_as_they_are(
    desk_tg: Harness,
) -> None:
    h = desk_tg
    ticket = await taken_by_amal(h, "أحتاج مساعدة في عقد الإيجار")
    photo = h.fake.photo(AMAL, caption="This is the form to fill in")
    sent = await h.push(photo, MIGRANT, "copyMessage", 1)
    [copied] = [c for c in sent if c.method == "copyMessage" and c.chat_id == MIGRANT]
    assert copied_from(copied) == (AMAL, photo["message"]["message_id"])
    caption = texts([copied])[0]
    assert "Caritas (Amal)" in caption and "This is the form to fill in" in caption
    assert data_of([copied], "1z:") == [f"1z:{ticket}"]  # the migrant can close it there

    sticker = h.fake.sticker(AMAL)
    sent = await h.push(sticker, MIGRANT, "copyMessage", 1)
    to_migrant = [c for c in sent if c.chat_id == MIGRANT]
    assert [c.method for c in to_migrant] == ["sendMessage", "copyMessage"]
    head, copy = to_migrant
    assert "Caritas (Amal)" in texts([head])[0] and data_of([head], "1z:") == [f"1z:{ticket}"]
    assert copied_from(copy) == (AMAL, sticker["message"]["message_id"])
    assert "caption" not in copy.params  # a sticker takes none: the signature comes first
    assert not [c for c in sent if c.chat_id == AMAL]  # delivered: nothing to tell Amal

    office = h.fake.message(AMAL, location={"latitude": 50.8503, "longitude": 4.3517})
    sent = await h.push(office, MIGRANT, "copyMessage", 1)
    [place] = [c for c in sent if c.method == "copyMessage" and c.chat_id == MIGRANT]
    assert copied_from(place) == (AMAL, office["message"]["message_id"])
    assert h.desk is not None
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.messages == 3  # the photo, the sticker, the place


async def test_a_migrants_voice_note_reaches_the_volunteer_and_a_place_only_as_a_reply(
    desk_tg: Harness,
) -> None:
    h = desk_tg
    ticket = await taken_by_amal(h, "أريد أن أفهم رسالة من البلدية")
    voice = h.fake.voice(MIGRANT)
    sent = await h.push(voice, AMAL, "copyMessage", 1)
    [copied] = [c for c in sent if c.method == "copyMessage" and c.chat_id == AMAL]
    assert copied_from(copied) == (MIGRANT, voice["message"]["message_id"])
    assert f"Ticket #{ticket}" in texts([copied])[0]
    assert any("✓" in t for t in texts(sent, MIGRANT))

    # A location on its own asks what is near; it does not go to the volunteer.
    here = {"latitude": 50.8467, "longitude": 4.3525}
    near = await h.push(h.fake.message(MIGRANT, location=here), MIGRANT, "sendMessage", 1)
    assert not [c for c in near if c.chat_id == AMAL]

    await h.push(h.fake.message(AMAL, "Where do you live?"), MIGRANT, "sendMessage", 1)
    replied = h.fake.message(MIGRANT, location=here, reply_to_message_id=h.fake._last_sent[MIGRANT])
    place = await h.push(replied, AMAL, "copyMessage", 1)
    [shared] = [c for c in place if c.method == "copyMessage" and c.chat_id == AMAL]
    assert copied_from(shared) == (MIGRANT, replied["message"]["message_id"])
    assert h.desk is not None
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.messages == 3  # the voice note, the answer, the place


async def test_taking_a_ticket_again_shows_it_as_yours_and_tells_the_migrant_once(
    desk_tg: Harness,
) -> None:
    """A second "Take it" (a double tap, or the same tap handled again after a crash) is not
    "a colleague already took this one" for the volunteer who holds it."""
    h = desk_tg
    await join(h, AMAL, "Amal", ["ar"])
    await h.setup(MIGRANT, "brussels", "ar")
    ticket = await ask_a_person(h, "أريد أن أفهم رسالة المحكمة")
    mark = h.fake.mark()
    first = await h.tap(AMAL, f"1v:{ticket}")
    again = await h.tap(AMAL, f"1v:{ticket}")
    for taken in (first, again):
        [view] = [c for c in taken if c.method == "editMessageText" and c.chat_id == AMAL]
        assert "Reply to this message to answer" in texts([view])[0]
    told = [c for c in h.fake.calls[mark:] if c.chat_id == MIGRANT]
    assert len(told) == 1


async def staff_give_to_piet(h: Harness, ticket: int) -> tuple[int, datetime]:
    """`tickets assign <ticket> --volunteer <Piet>`, then the bot's timers run: the mark of the
    fake's calls before they ran, and when."""
    assert h.desk is not None
    piet = await h.desk.network.volunteer("telegram", str(PIET))
    assert piet is not None
    now = datetime.now(UTC)
    assert await h.desk.tickets.assign(ticket, piet.id, now=now)
    mark = h.fake.mark()
    assert await tick(h.desk, now) == 1
    await h.idle()
    return mark, now


async def test_a_ticket_staff_assign_is_sent_to_its_new_volunteer_who_can_answer_it(
    desk_tg: Harness,
) -> None:
    """`tickets assign` runs outside the bot: the bot's timers tell the volunteer it was given
    to (who can reply to that message), whoever held it before, and, when nobody did, the
    migrant."""
    h = desk_tg
    assert h.desk is not None
    question = "أحتاج محاميا بخصوص الإقامة"
    ticket = await taken_by_amal(h, question)
    await join(h, PIET, "Piet", ["nl"])  # never offered this question: staff give it to him
    mark, now = await staff_give_to_piet(h, ticket)
    to_piet = [c for c in h.fake.calls[mark:] if c.chat_id == PIET]
    assert len(to_piet) == 1
    assert f"The city's staff gave you ticket #{ticket}." in texts(to_piet)[0]
    assert question in texts(to_piet)[0]
    assert data_of(to_piet, "1z:") == [f"1z:{ticket}"]  # close
    assert data_of(to_piet, "1r:") == [f"1r:{ticket}"]  # give back
    to_amal = texts(h.fake.calls[mark:], AMAL)
    assert to_amal == [
        f"The city's staff gave ticket #{ticket} to another volunteer: it is no longer yours."
    ]
    assert not texts(h.fake.calls[mark:], MIGRANT)  # they were told when Amal took it
    assert await tick(h.desk, now + timedelta(seconds=30)) == 0  # once

    given = to_piet[0].message_id
    assert given is not None
    answer = await h.push(
        h.fake.message(PIET, "Ga naar het OCMW", reply_to_message_id=given),
        MIGRANT,
        "sendMessage",
        1,
    )
    assert "Ga naar het OCMW" in texts(answer, MIGRANT)[-1]


async def test_an_open_ticket_staff_assign_tells_the_migrant_who_is_looking(
    desk_tg: Harness,
) -> None:
    h = desk_tg
    assert h.desk is not None
    await join(h, PIET, "Piet", ["nl"])
    await h.setup(MIGRANT, "brussels", "ar")
    ticket = await ask_a_person(h, "أحتاج طبيبا للأطفال")  # offered to nobody: no Arabic
    mark, _ = await staff_give_to_piet(h, ticket)
    assert len(texts(h.fake.calls[mark:], PIET)) == 1
    told = texts(h.fake.calls[mark:], MIGRANT)
    assert len(told) == 1 and "Caritas" in told[0] and "Piet" in told[0]


async def test_a_reminder_that_meets_an_outage_is_sent_once_later(desk_tg: Harness) -> None:
    """As `main.py run` runs them, timer steps are jobs of the inbox: an outage hands the step
    back unmarked, and a later tick sends it, once."""
    h = desk_tg
    await h.stop()
    h.settings = replace(h.settings, delivery_budget=1.0)
    await h.start()
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["ar"])
    await h.setup(MIGRANT, "brussels", "ar")
    ticket = await ask_a_person(h, "أحتاج مساعدة في رسالة من البلدية")
    later = datetime.now(UTC) + timedelta(minutes=31)
    h.fake.fail_next("sendMessage", ApiError(502, "Bad Gateway"), times=5, chat_id=AMAL)
    mark = h.fake.mark()
    assert await tick(h.desk, later, h.delivery.inbox) == 0  # Telegram is down
    assert not [c for c in h.fake.calls[mark:] if c.chat_id == AMAL and not c.failed]
    info = await h.desk.tickets.get(ticket)
    assert info is not None and info.reminded_at is None  # not marked: not lost
    assert await tick(h.desk, later + timedelta(seconds=5), h.delivery.inbox) == 0  # not yet

    after = later + STEP_RETRY + timedelta(seconds=1)
    assert await tick(h.desk, after, h.delivery.inbox) == 1
    assert await tick(h.desk, after + STEP_RETRY, h.delivery.inbox) == 0  # once
    delivered = [c for c in h.fake.calls[mark:] if not c.failed]
    assert len([t for t in texts(delivered, AMAL) if "Reminder" in t]) == 1


async def test_a_reminder_cut_short_by_a_crash_is_finished_and_nothing_is_sent_twice(
    desk_tg: Harness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The process dies after reminding Amal, while the wider offer to Piet is on the wire
    (Telegram carries it out; its answer dies with the process): the next start finishes the
    step from the journal: Piet has his offer once, Amal no second reminder."""
    h = desk_tg
    assert h.desk is not None
    await join(h, AMAL, "Amal", ["ar"])
    await join(h, PIET, "Piet", ["nl"])
    await h.setup(MIGRANT, "brussels", "ar")
    ticket = await ask_a_person(h, "أحتاج مساعدة في رسالة من البلدية")
    later = datetime.now(UTC) + timedelta(minutes=31)
    held = h.fake.hold_next("sendMessage", chat_id=PIET, carried_out=True)
    mark = h.fake.mark()
    step = asyncio.create_task(tick(h.desk, later, h.delivery.inbox))
    while not h.fake.held:
        await asyncio.sleep(0.01)
    await until_in_flight(sessions)
    step.cancel()  # the process dies with the wider offer on the wire
    await asyncio.gather(step, return_exceptions=True)
    await h.crash()
    held.set()
    await h.start()
    fresh = h.desk
    assert fresh is not None
    assert await tick(fresh, later + timedelta(seconds=30), h.delivery.inbox) == 1
    after = h.fake.calls[mark:]
    assert len([t for t in texts(after, AMAL) if "Reminder" in t]) == 1
    assert data_of([c for c in after if c.chat_id == PIET and not c.failed], "1v:") == [
        f"1v:{ticket}"
    ]
    info = await fresh.tickets.get(ticket)
    assert info is not None and info.reminded_at is not None and info.widened_at is not None
