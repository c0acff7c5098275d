"""The desk: consent, routing of offers, the race to take a ticket, giving back, closing,
rating and suggesting, on a real database."""

from __future__ import annotations

import asyncio

from bot.storage.tickets import Status
from bot.support.messenger import Do
from tests.fakes.telegram_html import visible
from tests.support.conftest import NOW, Scene, closing


async def test_the_preview_shows_what_will_be_shared_and_asks_for_consent(scene: Scene) -> None:
    desk = scene.desk
    fatima = await scene.migrant("en")  # reads English, asks in Arabic
    asked = await scene.question(fatima, "صاحب البيت لا يعيد الضمان", language="ar")
    assert await desk.preview(fatima, asked) is None  # no network in the city yet
    await scene.volunteer("Amal", ["ar"])
    shown = await desk.preview(fatima, asked)
    assert shown is not None
    text = visible(shown.text)
    assert "never your name, your username or your phone number" in text
    assert "صاحب البيت لا يعيد الضمان" in text
    assert "The service is new here" in text  # no typical wait to promise yet
    assert [(b.do, b.args) for row in shown.buttons for b in row] == [
        (Do.CONSENT, (asked,)),
        (Do.CANCEL, ()),
    ]
    nothing = await desk.preview(fatima, 0)  # "ask a person" without a question
    assert nothing is not None and not nothing.buttons
    assert "first write your question" in visible(nothing.text)


async def test_consenting_again_shows_the_one_ticket_where_it_is_now(scene: Scene) -> None:
    desk = scene.desk
    amal = await scene.volunteer("Amal", ["ar"])
    fatima = await scene.migrant("en")
    asked = await scene.question(fatima, "أحتاج محاميا بخصوص الإقامة", language="ar")
    first = await desk.open(fatima, asked, now=NOW)
    mark = scene.messenger.mark()
    again, twice = await asyncio.gather(desk.open(fatima, asked), desk.open(fatima, asked))
    number = closing(first)
    assert closing(again) == closing(twice) == number
    assert again.text == first.text  # still waiting, as first said
    assert scene.messenger.to(amal.chat_id, mark) == []  # offered once
    assert [t.id for t in await desk.tickets.of_user(fatima.id)] == [number]
    preview = await desk.preview(fatima, asked)  # "Ask a person" again
    assert preview is not None and closing(preview) == number

    await desk.take(amal, number)
    taken = await desk.open(fatima, asked)
    assert closing(taken) == number
    assert f"A volunteer of Caritas (Amal) is looking at your question #{number}" in visible(
        taken.text
    )
    await desk.close(number, user=fatima)
    closed = await desk.open(fatima, asked)
    assert not closed.buttons and "This question is already closed." in visible(closed.text)
    assert [t.id for t in await desk.tickets.of_user(fatima.id, active_only=False)] == [number]


async def test_a_ticket_is_offered_to_those_who_speak_its_language(scene: Scene) -> None:
    amal = await scene.volunteer("Amal", ["ar", "fr"])
    piet = await scene.volunteer("Piet", ["nl"])
    away = await scene.volunteer("Sara", ["ar"])
    await scene.desk.network.update(away.id, available=False)
    elsewhere = await scene.volunteer("Gio", ["ar"], city="capaci", organisation="Arci")
    await scene.desk.network.set_group("brussels", "-100777")
    fatima = await scene.migrant("ar")
    number = await scene.ticket(fatima, "أين أجد سكنا مؤقتا؟")

    [offer] = scene.messenger.to(amal.chat_id)
    assert offer.actions() == [(Do.TAKE, (number,))]
    assert f"Ticket #{number}" in visible(offer.text) and "أين أجد سكنا مؤقتا؟" in offer.text
    for nobody in (piet, away, elsewhere):
        assert scene.messenger.to(nobody.chat_id) == []
    [announced] = scene.messenger.to("-100777")  # in the city's language
    assert "Une nouvelle question attend un bénévole." in visible(announced.text)
    assert "أين" not in announced.text  # the group never sees the question
    assert fatima.chat_id not in " ".join(s.text for s in scene.messenger.shown)


async def test_nobody_speaks_the_language_so_everyone_is_offered_it_with_a_note(
    scene: Scene,
) -> None:
    piet = await scene.volunteer("Piet", ["nl"])
    fatima = await scene.migrant("fa")
    number = await scene.ticket(fatima, "برای نامه اداره مهاجرت کمک می‌خواهم")
    [offer] = scene.messenger.to(piet.chat_id)
    assert offer.actions() == [(Do.TAKE, (number,))]
    assert "Written in Persian: nobody available speaks it." in visible(offer.text)
    assert "<i>" in offer.text  # a note of ours, set apart by the channel's formatter


async def test_a_migrant_cannot_have_more_open_tickets_than_the_limit(scene: Scene) -> None:
    await scene.volunteer("Amal", ["fr"])
    anna = await scene.migrant("en")
    for n in range(scene.desk.settings.open_limit):
        await scene.ticket(anna, f"Une lettre numéro {n}", language="fr")
    refused = await scene.desk.open(anna, await scene.question(anna, "Encore", language="fr"))
    assert not refused.buttons and "You already have 3 questions waiting" in visible(refused.text)


async def test_of_two_volunteers_taking_at_once_exactly_one_gets_the_ticket(
    scene: Scene,
) -> None:
    desk = scene.desk
    amal, noor = await scene.volunteer("Amal", ["ar"]), await scene.volunteer("Noor", ["ar"])
    fatima = await scene.migrant("en")
    number = await scene.ticket(fatima, "أحتاج مساعدة في رسالة", language="ar")
    mark = scene.messenger.mark()
    both = await asyncio.gather(desk.take(amal, number), desk.take(noor, number))
    said = [s for s in both if s is not None]
    working = [s for s in said if "Reply to this message to answer" in s.text]
    lost = [s for s in said if "A colleague already took this one." in s.text]
    assert len(working) == 1 and len(lost) == 1
    assert {(b.do, b.args) for row in working[0].buttons for b in row} == {
        (Do.CLOSE, (number,)),
        (Do.RELEASE, (number,)),
        (Do.SUGGEST, (number,)),
    }
    ticket = await desk.tickets.get(number)
    assert ticket is not None and ticket.status is Status.CLAIMED
    winner, loser = (amal, noor) if ticket.claimed_by == amal.id else (noor, amal)
    [edited] = scene.messenger.to(loser.chat_id, mark)
    assert edited.edited and "Taken by a colleague." in visible(edited.text)
    [told] = scene.messenger.to(fatima.chat_id, mark)
    assert f"A volunteer of Caritas ({winner.display_name})" in visible(told.text)


async def test_a_volunteer_of_another_city_cannot_take_a_ticket(scene: Scene) -> None:
    await scene.volunteer("Amal", ["ar"])
    gio = await scene.volunteer("Gio", ["ar"], city="capaci", organisation="Arci")
    number = await scene.ticket(await scene.migrant("ar"), "أحتاج محاميا")
    assert await scene.desk.take(gio, number) is None
    ticket = await scene.desk.tickets.get(number)
    assert ticket is not None and ticket.status is Status.OPEN


async def test_giving_back_reoffers_to_the_others_and_only_the_holder_can(scene: Scene) -> None:
    desk = scene.desk
    amal, noor = await scene.volunteer("Amal", ["fr"]), await scene.volunteer("Noor", ["fr"])
    number = await scene.ticket(await scene.migrant("fr"), "Mon propriétaire garde ma garantie")
    await desk.take(amal, number)
    refused = await desk.release(noor, number)
    assert "not yours to give back" in visible(refused.text)
    mark = scene.messenger.mark()
    given = await desk.release(amal, number)
    assert f"You gave ticket #{number} back" in visible(given.text)
    [again] = scene.messenger.to(noor.chat_id, mark)
    assert again.actions() == [(Do.TAKE, (number,))]
    assert "Back in the queue" in visible(again.text)
    assert scene.messenger.to(amal.chat_id, mark) == []  # not offered back to its giver
    ticket = await desk.tickets.get(number)
    assert ticket is not None and (ticket.status, ticket.claimed_by) == (Status.OPEN, None)


async def test_closing_by_the_migrant_asks_for_a_rating_and_tells_the_volunteer(
    scene: Scene,
) -> None:
    desk = scene.desk
    amal = await scene.volunteer("Amal", ["ar"])
    fatima, other = await scene.migrant("en"), await scene.migrant("en")
    number = await scene.ticket(fatima, "سؤال عن الإقامة", language="ar")
    await desk.take(amal, number)
    assert "not yours to close" in visible((await desk.close(number, user=other)).text)
    mark = scene.messenger.mark()
    rating = await desk.close(number, user=fatima, now=NOW)
    assert [(b.do, b.args) for row in rating.buttons for b in row] == [
        (Do.RATE, (number, 1)),
        (Do.RATE, (number, 0)),
    ]
    [thanks] = scene.messenger.to(amal.chat_id, mark)
    assert f"The person closed ticket #{number}" in visible(thanks.text)
    again = await desk.close(number, user=fatima, now=NOW)
    assert "already closed" in visible(again.text)
    assert not await desk.rate(other, number, True)
    assert await desk.rate(fatima, number, True)
    ticket = await desk.tickets.get(number)
    assert ticket is not None and ticket.helpful is True and ticket.closed_by == "migrant"


async def test_closing_by_the_volunteer_asks_the_migrant_in_their_own_chat(scene: Scene) -> None:
    desk = scene.desk
    amal, noor = await scene.volunteer("Amal", ["ar"]), await scene.volunteer("Noor", ["ar"])
    fatima = await scene.migrant("ar")
    number = await scene.ticket(fatima, "سؤال عن المدرسة")
    await desk.take(amal, number)
    assert "not yours to close" in visible((await desk.close(number, volunteer=noor)).text)
    mark = scene.messenger.mark()
    said = await desk.close(number, volunteer=amal, now=NOW)
    assert f"Ticket #{number} is closed." in visible(said.text)
    [asked] = scene.messenger.to(fatima.chat_id, mark)
    assert asked.actions() == [(Do.RATE, (number, 1)), (Do.RATE, (number, 0))]


async def test_a_suggestion_needs_an_answer_and_keeps_it_for_the_staff(scene: Scene) -> None:
    desk = scene.desk
    amal = await scene.volunteer("Amal", ["fr"])
    anna = await scene.migrant("fr")
    number = await scene.ticket(anna, "Où apprendre le néerlandais ?")
    await desk.take(amal, number)
    early = await desk.suggest(amal, number)
    assert "Answer the ticket first" in visible(early.text)
    assert await desk.relay.from_volunteer(amal, "Au Huis van het Nederlands.", None, None) is None
    saved = await desk.suggest(amal, number)
    assert "Saved for the city staff" in visible(saved.text)
    [kept] = await desk.tickets.suggestions("brussels")
    assert (kept["question"], kept["answer"]) == (
        "Où apprendre le néerlandais ?",
        "Au Huis van het Nederlands.",
    )


async def test_an_emergency_goes_to_everyone_and_tells_the_migrant_the_numbers(
    scene: Scene,
) -> None:
    piet = await scene.volunteer("Piet", ["nl"])
    fatima = await scene.migrant("en")
    asked = await scene.question(fatima, "my husband is bleeding a lot", topic="emergency")
    said = await scene.desk.open(fatima, asked, now=NOW)
    assert "112" in visible(said.text)
    [offer] = scene.messenger.to(piet.chat_id)
    assert offer.text.startswith("🆘") and offer.actions() == [(Do.TAKE, (closing(said),))]
