"""Timeouts on a clock the test controls: each step fires once, when its time has come."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.tickets import Status
from bot.support.messenger import Do
from bot.support.timers import tick
from tests.fakes.telegram_html import visible
from tests.support.conftest import NOW, Scene

MINUTE = timedelta(minutes=1)


async def test_an_untaken_ticket_is_reminded_widened_then_the_migrant_is_told(
    scene: Scene,
) -> None:
    desk = scene.desk
    amal, piet = await scene.volunteer("Amal", ["ar"]), await scene.volunteer("Piet", ["nl"])
    fatima = await scene.migrant("en")
    number = await scene.ticket(fatima, "سؤال عن السكن", language="ar", now=NOW)
    assert await tick(desk, NOW + 29 * MINUTE) == 0  # not yet
    mark = scene.messenger.mark()
    assert await tick(desk, NOW + 31 * MINUTE) == 1
    [reminder] = scene.messenger.to(amal.chat_id, mark)
    assert f"Reminder: ticket #{number} is still waiting" in visible(reminder.text)
    [wider] = scene.messenger.to(piet.chat_id, mark)  # offered beyond its language now
    assert wider.actions() == [(Do.TAKE, (number,))]
    assert await tick(desk, NOW + 32 * MINUTE) == 0  # once
    assert scene.messenger.to(fatima.chat_id, mark) == []

    mark = scene.messenger.mark()
    assert await tick(desk, NOW + 24 * 60 * MINUTE + MINUTE) == 1
    [told] = scene.messenger.to(fatima.chat_id, mark)
    assert f"No volunteer has been able to take your question #{number}" in visible(told.text)
    assert await tick(desk, NOW + 25 * 60 * MINUTE) == 0


async def test_a_taken_ticket_without_answer_is_reminded_then_given_back(scene: Scene) -> None:
    desk = scene.desk
    amal, noor = await scene.volunteer("Amal", ["tr"]), await scene.volunteer("Noor", ["tr"])
    fatima = await scene.migrant("en")
    number = await scene.ticket(fatima, "Ev sahibim depozitomu vermiyor", language="tr", now=NOW)
    await desk.take(amal, number, now=NOW + MINUTE)
    claimed = NOW + MINUTE
    mark = scene.messenger.mark()
    assert await tick(desk, claimed + 121 * MINUTE) == 1
    [reminder] = scene.messenger.to(amal.chat_id, mark)
    assert f"the person of ticket #{number} is waiting for your answer" in visible(reminder.text)
    assert await tick(desk, claimed + 122 * MINUTE) == 0

    mark = scene.messenger.mark()
    assert await tick(desk, claimed + 361 * MINUTE) >= 1
    ticket = await desk.tickets.get(number)
    assert ticket is not None and (ticket.status, ticket.claimed_by) == (Status.OPEN, None)
    [gone] = scene.messenger.to(amal.chat_id, mark)
    assert f"Ticket #{number} went back to the others" in visible(gone.text)
    assert [s.actions() for s in scene.messenger.to(noor.chat_id, mark)] == [[(Do.TAKE, (number,))]]


async def test_an_answered_claim_is_left_alone(scene: Scene) -> None:
    desk = scene.desk
    amal = await scene.volunteer("Amal", ["fr"])
    anna = await scene.migrant("en")
    number = await scene.ticket(anna, "Où trouver un médecin ?", language="fr", now=NOW)
    await desk.take(amal, number, now=NOW)
    await desk.relay.from_volunteer(amal, "À la maison médicale.", None, None, now=NOW + MINUTE)
    mark = scene.messenger.mark()
    assert await tick(desk, NOW + 7 * 60 * MINUTE) == 0
    assert scene.messenger.shown[mark:] == []
    ticket = await desk.tickets.get(number)
    assert ticket is not None and ticket.status is Status.CLAIMED
