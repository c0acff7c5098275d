"""The review queue's page through the real Starlette app: scoped, no identity, one button per
decision, a refusal said in the console's language, and an entry started from an answer."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.app import App
from bot.core.assistant import Asked
from bot.core.decision import Action
from bot.storage.models import KbSuggestion
from bot.storage.staff import Role
from tests.storage.suggestions import suggested
from tests.web.test_pages import _client, _csrf

QUESTION = "On m'a parlé de la Maison Bleue du quartier, c'est où ?"
ANSWER = "La Maison Bleue, rue Haute 12, distribue des colis le mardi."


async def test_an_editor_adds_a_suggestion_as_a_phrasing_and_the_bot_answers_it(app: App) -> None:
    sid, _ = await suggested(app.sessions, question=QUESTION, answer=ANSWER, now=datetime.now(UTC))
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    live = app.live()
    async with _client(app, ana) as client:
        city = await client.get("/city/brussels")
        assert "Review queue: 1 volunteer&#39;s answer to review" in city.text
        page = await client.get("/city/brussels/review")
        assert page.status_code == 200
        assert ANSWER in page.text and "Amal" not in page.text  # no volunteer's name
        assert '<option value="housing" selected>' in page.text  # the guessed topic
        form = {"csrf": _csrf(page.text), "text": QUESTION, "topic": "food-aid"}
        wrong = await client.post(
            f"/city/brussels/review/{sid}", data={**form, "action": "phrasing", "topic": "x"}
        )
        assert wrong.status_code == 422 and "Choose one of the topics." in wrong.text
        done = await client.post(
            f"/city/brussels/review/{sid}", data={**form, "action": "phrasing"}
        )
        assert done.status_code == 303
        after = await client.get(done.headers["location"])
        assert "Added as a phrasing" in after.text and "Nothing to review." in after.text
    assert await live.check()
    decision = app.assistant.understand(Asked(QUESTION, "brussels"))
    assert (decision.action, decision.topic) == (Action.ANSWER, "food-aid")


async def test_the_queue_is_not_found_for_translators_and_other_cities(app: App) -> None:
    sid, _ = await suggested(app.sessions, question=QUESTION, answer=ANSWER, now=datetime.now(UTC))
    staff = app.console().staff
    sara, _ = await staff.add("Sara", Role.TRANSLATOR, "brussels", ["ar"])
    jan, _ = await staff.add("Jan", Role.EDITOR, "mechelen")
    for who in (sara, jan):
        async with _client(app, who) as client:
            assert (await client.get("/city/brussels/review")).status_code == 404
            csrf = _csrf((await client.get(f"/city/{who.city}")).text)
            sent = await client.post(
                f"/city/brussels/review/{sid}", data={"csrf": csrf, "action": "dismiss"}
            )
            assert sent.status_code == 404
    async with app.sessions() as session:
        assert await session.scalar(select(KbSuggestion.status)) == "new"


async def test_a_new_entry_starts_from_the_answer_and_reviews_the_suggestion(app: App) -> None:
    sid, _ = await suggested(
        app.sessions, question="أين أجد طرداً غذائياً؟", answer=ANSWER, now=datetime.now(UTC),
        language="ar", topic="food-aid",
    )  # fmt: skip
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    async with _client(app, ana) as client:
        form = await client.get(f"/city/brussels/new?suggestion={sid}")
        assert form.status_code == 200 and "Prefilled from a volunteer" in form.text
        assert f'name="suggestion" value="{sid}"' in form.text
        assert 'value="food-aid" checked' in form.text
        assert f'name="description-ar" lang="ar" dir="rtl" rows="3">{ANSWER}' in form.text
        texts = {
            f"{f}-{lang}": f"Maison Bleue ({lang})"
            for f in ("name", "description")
            for lang in ("en", "fr", "nl")
        }
        made = await client.post(
            "/city/brussels/new",
            data={
                "csrf": _csrf(form.text), "suggestion": str(sid), "topics": "food-aid",
                "source": "A call with the service", "description-ar": ANSWER, **texts,
            },
        )  # fmt: skip
        assert made.status_code == 303, made.text
        assert (await client.get("/city/brussels/review")).text.count("Suggestion #") == 0
    async with app.sessions() as session:
        assert await session.scalar(select(KbSuggestion.status)) == "entry"
