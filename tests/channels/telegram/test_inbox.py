"""The inbox worker wakes when an update can be claimed, not on a timer (bot/channels/telegram/
inbox.py): `Arrivals` on its own, and a real Application whose timer is too long to help."""

from __future__ import annotations

from bot.channels.telegram.inbox import Arrivals
from tests.channels.telegram.conftest import Harness


def test_an_update_of_a_chat_not_in_hand_wakes_the_worker() -> None:
    arrivals = Arrivals()
    arrivals.stored(7)
    assert arrivals.event.is_set()


def test_an_update_of_a_chat_in_hand_waits_for_the_end_of_the_one_before() -> None:
    arrivals = Arrivals()
    arrivals.stored(7)
    arrivals.taken(7)
    arrivals.event.clear()
    arrivals.stored(7)  # the next message, while the first is being answered
    assert not arrivals.event.is_set()
    arrivals.finished(7)
    assert arrivals.event.is_set()


def test_the_end_of_a_chat_with_nothing_more_does_not_wake_the_worker() -> None:
    arrivals = Arrivals()
    arrivals.stored(7)
    arrivals.taken(7)
    arrivals.event.clear()
    arrivals.finished(7)
    assert not arrivals.event.is_set()


def test_two_updates_of_one_chat_in_one_batch_are_both_handled_in_order() -> None:
    arrivals = Arrivals()
    arrivals.stored(7)
    arrivals.stored(7)  # both stored before the first claim
    arrivals.taken(7)  # the claim takes the first; the second must wait for it
    arrivals.event.clear()
    arrivals.finished(7)
    assert arrivals.event.is_set()  # the second may be claimed now
    arrivals.taken(7)
    arrivals.event.clear()
    arrivals.finished(7)
    assert not arrivals.event.is_set()


def test_updates_without_a_chat_always_wake_the_worker() -> None:
    arrivals = Arrivals()
    arrivals.taken(None)
    arrivals.stored(None)
    assert arrivals.event.is_set()


async def test_a_burst_from_one_chat_is_answered_in_order_without_waiting_for_the_timer(
    tg: Harness,
) -> None:
    questions = ("where can I learn French", "how do I find a job", "I need food")
    await tg.setup(4102, "brussels", "en")
    expected = [(await tg.say(4102, q))[0].text for q in questions]  # one at a time
    await tg.setup(4101, "brussels", "en")
    assert tg.served is not None
    tg.served.worker.poll = 3600.0  # an hour: only a wake-up can get these answered in time
    await tg.say(4101, "I need a doctor")  # the worker now waits with the long timer
    mark = tg.fake.mark()
    for text in questions:  # fetched in one batch
        tg.fake.push_update(tg.fake.message(4101, text))
    await tg.fake.wait_for("sendMessage", chat_id=4101, since=mark, count=3, timeout=20)
    assert [c.text for c in tg.fake.calls_of("sendMessage", 4101)[-3:]] == expected
