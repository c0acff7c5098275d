"""The gaps page through the real Starlette app: the city's unanswered questions in groups,
never who asked; a group made phrasings that the bot then answers, a new entry asked for, or
out of scope; scoped to the city's editors; a bad period said in the console's language."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from markupsafe import escape
from sqlalchemy import select

from bot.app import App
from bot.core.assistant import Asked
from bot.core.decision import Action
from bot.storage.models import AuditEvent, Question
from bot.storage.staff import Role
from tests.web.test_pages import _client, _csrf

QUESTIONS = (
    "On m'a parlé de la Maison Bleue du quartier, c'est où ?",
    "La Maison Bleue du quartier, c'est où ?",
)
CHAT = "4471235"


async def unanswered(app: App, *texts: str, language: str = "fr") -> list[int]:
    """Questions a migrant asked that the assistant did not understand, as the bot logs them."""
    user = await app.users.get_or_create("telegram", CHAT)
    ids = []
    for text in texts:
        asked = await app.questions.record(
            user_id=user.id, city="brussels", language=language, action="unknown", topic=None,
            confidence=0.1, text=text, now=datetime.now(UTC),
        )  # fmt: skip
        ids.append(asked)
    return ids


def cluster_form(
    html: str, ids: list[int], **fields: str | list[str]
) -> dict[str, str | list[str]]:
    return {"csrf": _csrf(html), "days": "7", "q": [str(i) for i in ids], **fields}


async def test_an_editor_adds_a_gap_as_phrasings_and_the_bot_then_answers_it(app: App) -> None:
    ids = await unanswered(app, *QUESTIONS)
    before = app.assistant.understand(Asked(QUESTIONS[0], "brussels"))
    assert (before.action, before.topic) != (Action.ANSWER, "food-aid")
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    live = app.live()
    async with _client(app, ana) as client:
        city = await client.get("/city/brussels")
        assert 'href="/city/brussels/gaps"' in city.text
        page = await client.get("/city/brussels/gaps")
        assert page.status_code == 200
        assert "2 questions" in page.text and escape(QUESTIONS[1]) in page.text
        assert CHAT not in page.text  # never who asked
        chosen = {"phrase": [str(i) for i in ids]} | {
            f"text-{i}": t for i, t in zip(ids, QUESTIONS, strict=True)
        }
        wrong = await client.post(
            "/city/brussels/gaps",
            data=cluster_form(page.text, ids, action="phrasing", topic="weather") | chosen,
        )
        assert wrong.status_code == 422 and "Choose one of the topics." in wrong.text
        done = await client.post(
            "/city/brussels/gaps",
            data=cluster_form(page.text, ids, action="phrasing", topic="food-aid") | chosen,
        )
        assert done.status_code == 303
        after = await client.get(done.headers["location"])
        assert "Added as phrasings" in after.text and "Nothing left unanswered" in after.text
    assert await live.check()
    decision = app.assistant.understand(Asked(QUESTIONS[0], "brussels"))
    assert (decision.action, decision.topic) == (Action.ANSWER, "food-aid")


async def test_asking_for_a_new_entry_opens_the_form_with_what_people_asked(app: App) -> None:
    ids = await unanswered(app, *QUESTIONS)
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    async with _client(app, ana) as client:
        page = await client.get("/city/brussels/gaps?days=30")
        asked = await client.post(
            "/city/brussels/gaps",
            data=cluster_form(
                page.text, ids, action="entry", topic="food-aid", example=[str(ids[1])]
            ),
        )
        assert asked.status_code == 303
        where = urlsplit(asked.headers["location"])
        assert where.path == "/city/brussels/new"
        assert parse_qs(where.query) == {"gap": [str(ids[1])], "topic": ["food-aid"]}
        form = await client.get(asked.headers["location"])
        assert "Asked for on the gaps page" in form.text and escape(QUESTIONS[1]) in form.text
        assert 'value="food-aid" checked' in form.text
        assert "Nothing left unanswered" in (await client.get("/city/brussels/gaps")).text
    async with app.sessions() as session:
        assert set(await session.scalars(select(Question.gap))) == {"entry"}


async def test_out_of_scope_is_for_the_citys_editors_only_and_audited(app: App) -> None:
    ids = await unanswered(app, "Quel temps fera-t-il demain ?")
    staff = app.console().staff
    sara, _ = await staff.add("Sara", Role.TRANSLATOR, "brussels", ["ar"])
    jan, _ = await staff.add("Jan", Role.EDITOR, "mechelen")
    for who in (sara, jan):
        async with _client(app, who) as client:
            assert (await client.get("/city/brussels/gaps")).status_code == 404
            csrf = _csrf((await client.get(f"/city/{who.city}")).text)
            sent = await client.post(
                "/city/brussels/gaps",
                data={"csrf": csrf, "q": str(ids[0]), "action": "out-of-scope"},
            )
            assert sent.status_code == 404
    ana, _ = await staff.add("Ana", Role.EDITOR, "brussels")
    async with _client(app, ana) as client:
        page = await client.get("/city/brussels/gaps")
        done = await client.post(
            "/city/brussels/gaps", data=cluster_form(page.text, ids, action="out-of-scope")
        )
        assert done.status_code == 303
        after = await client.get(done.headers["location"])
        assert "Marked as out of scope." in after.text and "Quel temps" not in after.text
        again = await client.post(
            "/city/brussels/gaps", data=cluster_form(page.text, ids, action="out-of-scope")
        )
        assert again.status_code == 422 and "decided already" in again.text
    async with app.sessions() as session:
        [event] = await session.scalars(select(AuditEvent).where(AuditEvent.action.like("gap.%")))
    assert event.action == "gap.out-of-scope" and event.staff_id == ana.id


async def test_a_bad_period_is_refused_politely_in_the_consoles_language(app: App) -> None:
    ana, _ = await app.console().staff.add("Ana", Role.EDITOR, "brussels")
    async with _client(app, ana) as client:
        for bad in ("abc", "0", "1000"):
            page = await client.get(f"/city/brussels/gaps?days={bad}")
            assert page.status_code == 422
            assert "Choose a period of 1 to 365 days." in page.text
        await client.get("/city/brussels?ui=fr")
        french = await client.get("/city/brussels/gaps?days=-3")
        assert french.status_code == 422
        assert "Choisissez une période de 1 à 365 jours." in french.text
