"""The review queue: scoped to the city's editors and admins, each decision once and audited,
no identity and no expired text; and a phrasing added here is answered at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.app import App
from bot.core.assistant import Asked
from bot.core.decision import Action
from bot.storage.models import AuditEvent, KbSuggestion, Ticket
from bot.storage.review import Decision, Refused
from bot.storage.staff import Role
from bot.storage.tickets import Tickets
from tests.storage.suggestions import suggested

NOW = datetime.now(UTC)
QUESTION = "On m'a parlé de la Maison Bleue du quartier, c'est où ?"
ANSWER = "La Maison Bleue, rue Haute 12, distribue des colis le mardi."


async def _audit(app: App) -> list[tuple[str, str, dict[str, object]]]:
    async with app.sessions() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action.like("sugg%")))
        return [(r.action, r.target, r.detail) for r in rows]


async def test_a_phrasing_added_here_changes_matching_at_once(app: App) -> None:
    """The issue's test: a question the assistant does not answer with a topic, suggested by
    a volunteer, added as a phrasing of that topic, is then answered with it."""
    before = app.assistant.understand(Asked(QUESTION, "brussels"))
    assert (before.action, before.topic) != (Action.ANSWER, "food-aid")
    sid, _ = await suggested(app.sessions, question=QUESTION, answer=ANSWER, now=NOW)
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    review = app.console().review
    live = app.live()
    done = await review.add_phrasing(ana, "brussels", sid, "food-aid", QUESTION, NOW)
    assert done is Decision.PHRASING
    assert await live.check()
    after = app.assistant.understand(Asked(QUESTION, "brussels"))
    assert (after.action, after.topic) == (Action.ANSWER, "food-aid")
    assert await review.queue(ana, "brussels", NOW) == []
    assert await _audit(app) == [
        ("suggestion.phrasing", f"suggestion:{sid}",
         {"city": "brussels", "language": "fr", "topic": "food-aid"}),
    ]  # fmt: skip


async def test_the_queue_is_the_citys_editors_and_admins_only_newest_first(app: App) -> None:
    staff = app.console().staff
    ana, _ = await staff.add("Ana", Role.EDITOR, "brussels")
    admin, _ = await staff.add("Root", Role.ADMIN, None)
    sara, _ = await staff.add("Sara", Role.TRANSLATOR, "brussels", ["ar"])
    jan, _ = await staff.add("Jan", Role.EDITOR, "mechelen")
    older, _ = await suggested(
        app.sessions, question="q1", answer="a1", now=NOW - timedelta(hours=1), chat="m1"
    )
    newer, _ = await suggested(app.sessions, question="q2", answer="a2", now=NOW, chat="m2")
    review = app.console().review
    for who in (ana, admin):
        found = await review.queue(who, "brussels", NOW)
        assert found is not None and [s.id for s in found] == [newer, older]
        assert (found[0].question, found[0].answer, found[0].language) == ("q2", "a2", "fr")
        assert found[0].topic == "housing"
        assert await review.count(who, "brussels") == 2
    for who in (sara, jan):
        assert await review.queue(who, "brussels", NOW) is None
        assert await review.count(who, "brussels") == 0
        assert await review.dismiss(who, "brussels", older, NOW) is None
        assert await review.add_phrasing(who, "brussels", older, "food-aid", "q1", NOW) is None
    elsewhere = await review.dismiss(jan, "mechelen", older, NOW)  # not Mechelen's
    assert isinstance(elsewhere, Refused)
    assert await review.count(ana, "brussels") == 2  # nothing changed


async def test_each_decision_is_made_once_and_audited(app: App) -> None:
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    review, editor = app.console().review, app.console().editor
    a, _ = await suggested(app.sessions, question="Zinnia rue Haute", answer="x", now=NOW)
    b, _ = await suggested(app.sessions, question="q", answer="y", now=NOW, chat="m2")
    entry = "brussels-regie-fonciere"
    refused = await review.add_common_question(ana, "brussels", a, "nope", "Zinnia", NOW)
    assert isinstance(refused, Refused) and "entries" in str(refused.problems[0])
    assert await review.add_common_question(ana, "brussels", a, entry, "x" * 121, NOW) != (
        Decision.COMMON
    )
    done = await review.add_common_question(ana, "brussels", a, entry, "Zinnia rue Haute", NOW)
    assert done is Decision.COMMON
    stored = await editor.get(ana, entry)
    assert stored is not None and stored.entry.keywords is not None
    assert "Zinnia rue Haute" in stored.entry.keywords["fr"]
    again = await review.add_common_question(ana, "brussels", a, entry, "other", NOW)
    assert isinstance(again, Refused) and "reviewed already" in str(again.problems[0])
    assert await review.dismiss(ana, "brussels", b, NOW) is Decision.DISMISSED
    assert isinstance(await review.dismiss(ana, "brussels", b, NOW), Refused)
    assert await review.queue(ana, "brussels", NOW) == []
    async with app.sessions() as session:
        statuses = dict((await session.execute(select(KbSuggestion.id, KbSuggestion.status))).all())
    assert statuses == {a: "common", b: "dismissed"}
    assert [(x[0], x[2].get("entry")) for x in await _audit(app)] == [
        ("suggestion.common", entry),
        ("suggestion.dismissed", None),
    ]


async def test_a_refused_phrasing_changes_nothing(app: App) -> None:
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    review = app.console().review
    sid, _ = await suggested(app.sessions, question=QUESTION, answer=ANSWER, now=NOW)
    for topic, text in (("no-such-topic", QUESTION), ("food-aid", "x" * 121), ("food-aid", "  ")):
        refused = await review.add_phrasing(ana, "brussels", sid, topic, text, NOW)
        assert isinstance(refused, Refused) and refused.problems
    assert not await app.live().check()  # no knowledge version was published
    assert await review.count(ana, "brussels") == 1 and await _audit(app) == []


async def test_an_expired_question_is_not_shown_and_is_erased_with_its_ticket(app: App) -> None:
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    review = app.console().review
    tickets = Tickets(app.sessions, retention=timedelta(days=90))
    sid, ticket = await suggested(
        app.sessions, question=QUESTION, answer=ANSWER, now=NOW, tickets=tickets
    )
    assert await tickets.close(ticket, by="volunteer", now=NOW - timedelta(days=91))
    [shown] = await review.queue(ana, "brussels", NOW) or []
    assert shown.id == sid and shown.question is None and shown.answer == ANSWER
    async with app.sessions() as session, session.begin():  # not purged yet: still not shown
        await session.execute(update(Ticket).values(text_expires_at=NOW - timedelta(days=1)))
    assert await tickets.purge(NOW) == 1
    [shown] = await review.queue(ana, "brussels", NOW) or []
    assert shown.question is None
    async with app.sessions() as session:
        assert await session.scalar(select(KbSuggestion.question)) == ""  # erased
    # Without a text a phrasing needs one written by staff.
    refused = await review.add_phrasing(ana, "brussels", sid, "food-aid", "", NOW)
    assert isinstance(refused, Refused) and "expired" in str(refused.problems[0])
