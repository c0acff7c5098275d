"""The relay, both ways: text under a header or signature, anything else as a copy of the
sender's own message; what waits for a volunteer; who may be reached and how."""

from __future__ import annotations

from bot.storage.tickets import Status
from bot.support.messenger import Do, Media, Original
from tests.fakes.telegram_html import visible
from tests.support.conftest import Scene


async def test_a_volunteers_answer_reaches_the_migrant_signed_escaped_and_closable(
    scene: Scene,
) -> None:
    relay, tickets = scene.desk.relay, scene.desk.tickets
    amal = await scene.volunteer("Amal", ["ar"])
    fatima = await scene.migrant("en")
    number = await scene.ticket(fatima, "سؤال", language="ar")
    await scene.desk.take(amal, number)
    mark = scene.messenger.mark()
    assert await relay.from_volunteer(amal, "Keep the <contract> & go", None, None) is None
    [answer] = scene.messenger.to(fatima.chat_id, mark)
    assert answer.text == (
        "<b>Answer from a volunteer of Caritas (Amal)</b>\n\nKeep the &lt;contract&gt; &amp; go"
    )
    assert answer.actions() == [(Do.CLOSE, (number,))]
    assert await tickets.by_message(fatima.chat_id, answer.message_id) == number
    assert await tickets.last_answer(number, amal.id) == "Keep the <contract> & go"


async def test_a_volunteers_voice_note_is_copied_under_the_signature(scene: Scene) -> None:
    amal = await scene.volunteer("Amal", ["ar"])
    fatima = await scene.migrant("en")
    number = await scene.ticket(fatima, "سؤال", language="ar")
    await scene.desk.take(amal, number)
    voice = Original(amal.chat_id, 77, Media.VOICE)
    mark = scene.messenger.mark()
    assert await scene.desk.relay.from_volunteer(amal, None, voice, None) is None
    [copy] = scene.messenger.to(fatima.chat_id, mark)
    assert copy.original == voice
    assert visible(copy.text) == "Answer from a volunteer of Caritas (Amal)"
    assert copy.actions() == [(Do.CLOSE, (number,))]
    ticket = await scene.desk.tickets.get(number)
    assert ticket is not None and ticket.messages == 1 and ticket.answered_at is not None


async def test_a_volunteer_is_told_when_the_answer_cannot_arrive_or_has_no_ticket(
    scene: Scene,
) -> None:
    relay = scene.desk.relay
    amal = await scene.volunteer("Amal", ["ar"])
    alone = await relay.from_volunteer(amal, "hello?", None, None)
    assert alone is not None and "You have no open ticket" in visible(alone.text)
    fatima, omar = await scene.migrant("en"), await scene.migrant("en")
    first = await scene.ticket(fatima, "سؤال", language="ar")
    second = await scene.ticket(omar, "سؤال آخر", language="ar")
    await scene.desk.take(amal, first)
    working = await scene.desk.take(amal, second)
    assert working is not None and working.buttons
    several = await relay.from_volunteer(amal, "Which one?", None, None)
    assert several is not None and "reply to the message of the ticket" in visible(several.text)
    [offer] = [s for s in scene.messenger.to(amal.chat_id) if (Do.TAKE, (first,)) in s.actions()]
    scene.messenger.unreachable.add(fatima.chat_id)
    blocked = await relay.from_volunteer(amal, "For you", None, offer.message_id)
    assert blocked is not None and "has blocked the bot" in visible(blocked.text)
    ticket = await scene.desk.tickets.get(first)
    assert ticket is not None and ticket.messages == 0  # nothing is logged as delivered


async def test_a_migrant_who_erased_their_data_can_no_longer_be_answered(scene: Scene) -> None:
    amal = await scene.volunteer("Amal", ["ar"])
    fatima = await scene.migrant("en")
    number = await scene.ticket(fatima, "سؤال", language="ar")
    await scene.desk.take(amal, number)
    await scene.desk.users.erase(fatima.id)
    mark = scene.messenger.mark()
    said = await scene.desk.relay.from_volunteer(amal, "Hello", None, None)
    assert said is not None and "You have no open ticket" in visible(said.text)
    assert scene.messenger.shown[mark:] == []
    ticket = await scene.desk.tickets.get(number)
    assert ticket is not None and ticket.status is Status.CLOSED and ticket.question is None


async def test_what_a_migrant_adds_before_the_claim_waits_then_reaches_the_volunteer(
    scene: Scene,
) -> None:
    relay = scene.desk.relay
    amal = await scene.volunteer("Amal", ["ar"])
    fatima = await scene.migrant("en")
    number = await scene.ticket(fatima, "عندي رسالة", language="ar")
    assert await relay.from_migrant(fatima, "What is the weather?", None, None) is None
    letter = Original(fatima.chat_id, 31, Media.PHOTO)
    kept = await relay.from_migrant(fatima, "the letter", letter, None)
    assert kept is not None and f"Added to your question #{number}" in visible(kept.text)
    mark = scene.messenger.mark()
    await scene.desk.take(amal, number)
    [copy] = [s for s in scene.messenger.to(amal.chat_id, mark) if s.original is not None]
    assert copy.original == letter
    assert f"Ticket #{number}" in visible(copy.text) and "the letter" in copy.text
    assert await scene.desk.tickets.undelivered(number) == []

    mark = scene.messenger.mark()
    sent = await relay.from_migrant(fatima, "And the key?", None, None)  # claimed now
    assert sent is not None and "Sent to the volunteer." in visible(sent.text)
    [relayed] = scene.messenger.to(amal.chat_id, mark)
    assert "And the key?" in relayed.text and f"Ticket #{number}" in visible(relayed.text)


async def test_a_migrants_place_reaches_the_volunteer_only_as_a_reply(scene: Scene) -> None:
    relay = scene.desk.relay
    amal = await scene.volunteer("Amal", ["ar"])
    fatima = await scene.migrant("en")
    number = await scene.ticket(fatima, "أين أقرب مستشفى؟", language="ar")
    await scene.desk.take(amal, number)
    assert await relay.from_volunteer(amal, "Where are you?", None, None) is None
    [asked] = scene.messenger.to(fatima.chat_id)[-1:]
    place = Original(fatima.chat_id, 40, Media.LOCATION)
    mark = scene.messenger.mark()
    assert await relay.from_migrant(fatima, None, place, None) is None  # "what is near"
    assert scene.messenger.to(amal.chat_id, mark) == []
    sent = await relay.from_migrant(fatima, None, place, asked.message_id)
    assert sent is not None
    [copy] = scene.messenger.to(amal.chat_id, mark)
    assert copy.original == place
