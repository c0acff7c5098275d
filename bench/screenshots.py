"""Screenshots of the staff console's main pages, for the README (docs/screenshots/).

The bot and the console run as in the browser tests (tests/web/stack.py) on a fresh SQLite
file with the sample knowledge; a Brussels editor changes the English description of the
CPAS entry, so that its translations are outdated and the Arabic one shows what changed; and
an NGO coordinator of the Red Cross sees their organisation's page, with the volunteers and
tickets of the tests' seed (tests/storage/organisation_seed.py); then the coverage matrix, and
the review queue with two volunteers' answers (tests/storage/suggestions.py), the gaps
page with last week's unanswered questions in several languages (GAPS); then the statistics
of a month of Brussels: 1,500 questions of 150 people logged through the question log, 👍/👎
on some, tickets handed to volunteers (`statistics_month`).
Playwright drives Debian's chromium (/usr/bin/chromium); nothing is downloaded. The 👍 and 👎
of the organisation's page need an emoji font (Debian's fonts-noto-color-emoji).

Usage:
    python bench/screenshots.py                  # docs/screenshots/*.png
    python bench/screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import Page, async_playwright  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from bot.core.knowledge.loader import load_directory  # noqa: E402
from bot.storage.models import Ticket  # noqa: E402
from bot.storage.questions import QuestionLog  # noqa: E402
from bot.storage.staff import Role  # noqa: E402
from bot.storage.users import UserStore  # noqa: E402
from tests.storage.organisation_seed import seed  # noqa: E402
from tests.storage.suggestions import suggested  # noqa: E402
from tests.web.stack import Stack, chromium, serving  # noqa: E402

ENTRY = "brussels-cpas"
NEW_DESCRIPTION = (
    "If you live in the City of Brussels and do not have enough to live on, the CPAS examines "
    "your situation and can grant the integration income or equivalent social aid, help in "
    "kind (for example food parcels), help with a rental guarantee or energy bills, and social "
    "guidance. Come to the CPAS reception on a weekday morning to ask for an appointment with "
    "a social worker."
)


#: Two answers volunteers offered for the knowledge (the review queue's screenshot).
SUGGESTED = (  # question, answer, language, topic guessed
    (
        "On m'a parlé de la Maison Bleue du quartier, c'est où ?",
        "La Maison Bleue, rue Haute 12, distribue des colis alimentaires le mardi matin.",
        "fr",
        "food-aid",
    ),
    (
        "Waar kan ik gratis Nederlandse les volgen in de buurt van het station?",
        "Bij het Huis van het Nederlands Brussel kun je je inschrijven voor gratis lessen.",
        "nl",
        "language-courses",
    ),
)


#: Questions Guichet could not answer (the gaps page's screenshot): language, text, days ago.
GAPS = (
    ("ar", "أين يمكنني الحصول على ملابس شتوية مجانية لأطفالي؟", 1),
    ("uk", "Де можна отримати безкоштовний зимовий одяг для дітей?", 2),
    ("fr", "Où trouver des vêtements d'hiver gratuits pour mes enfants ?", 2),
    ("fa", "کجا می‌توانم لباس زمستانی رایگان برای بچه‌ها بگیرم؟", 3),
    ("uk", "Потрібна тепла куртка для сина, де взяти безкоштовно?", 4),
    ("ar", "أين يوجد أقرب مسجد لصلاة الجمعة؟", 1),
    ("tr", "Cuma namazı için en yakın cami nerede?", 3),
    ("en", "Where is the nearest mosque for Friday prayer?", 9),
    ("fa", "نزدیک‌ترین مسجد برای نماز جمعه کجاست؟", 10),
    ("nl", "Waar kan ik een goedkope tweedehands fiets kopen?", 2),
    ("fr", "Où puis-je acheter un vélo d'occasion pas cher ?", 5),
    ("en", "Where can I buy a cheap second-hand bike?", 11),
    ("fr", "Il va pleuvoir demain à Bruxelles ?", 6),
    ("en", "Will it rain tomorrow?", 8),
    ("nl", "Gaat het morgen regenen?", 12),
)


async def statistics_month(sessions: async_sessionmaker[AsyncSession], now: datetime) -> None:
    """A month of Brussels for the statistics page: more questions in the afternoon, in Arabic
    and Ukrainian most, a few topics much asked and one language of only 3 people."""
    rng = random.Random(14)
    log = QuestionLog(sessions, timedelta(days=30))
    users = UserStore(sessions)
    topics = ("housing", "shelter", "health-care", "food-aid", "language-courses", "employment")
    languages = ("ar", "uk", "fa", "fr", "en", "ru")
    people = [(await users.get_or_create("telegram", f"stats-{i}")).id for i in range(150)]
    rare = [(await users.get_or_create("telegram", f"stats-ti-{i}")).id for i in range(3)]
    actions = ("answer", "answer", "answer", "choice", "clarify", "unknown", "escalate", "thanks")
    for n in range(1500):
        user = rng.choice(people)
        hour = min(23, max(0, int(rng.gauss(14, 3.5))))
        when = (now - timedelta(days=rng.randrange(30))).replace(hour=hour)
        when = min(when, now - timedelta(minutes=n % 50 + 1))
        action = rng.choice(actions)
        topic = rng.choices(topics, (9, 6, 5, 4, 3, 2))[0] if action != "thanks" else None
        qid = await log.record(
            user_id=user, city="brussels", language=rng.choices(languages, (8, 7, 3, 2, 2, 1))[0],
            action=action, topic=topic, confidence=0.8, text=None, now=when,
            entry="brussels-cpas" if topic == "housing" and action == "answer" else None,
        )  # fmt: skip
        if action == "answer" and rng.random() < 0.3:
            await log.mark_helpful(qid, rng.random() < 0.75, user_id=user)
    for user in rare:
        await log.record(
            user_id=user, city="brussels", language="ti", action="escalate", topic=None,
            confidence=0.5, text=None, now=now - timedelta(days=3),
        )  # fmt: skip
    async with sessions() as session, session.begin():
        for _ in range(60):
            created = now - timedelta(days=rng.randrange(30), hours=rng.randrange(12))
            claimed = created + timedelta(minutes=rng.randrange(5, 180))
            answered = claimed + timedelta(minutes=rng.randrange(2, 60))
            session.add(
                Ticket(
                    user_id=rng.choice(people), city="brussels",
                    language=rng.choices(languages, (8, 7, 3, 2, 2, 1))[0], status="closed",
                    created_at=created, claimed_at=claimed,
                    answered_at=answered if rng.random() < 0.85 else None,
                )
            )  # fmt: skip


async def shoot(page: Page, out: Path, name: str, down_to: str | None = None) -> None:
    """The page from its top, down to the end of `down_to` (else all of it)."""
    clip = None
    if down_to is not None:
        box = await page.locator(down_to).bounding_box()
        assert box is not None
        width = page.viewport_size["width"] if page.viewport_size else 1280
        clip = {"x": 0.0, "y": 0.0, "width": float(width), "height": box["y"] + box["height"] + 16}
    path = out / f"{name}.png"
    await page.screenshot(path=path, full_page=True, clip=clip)  # type: ignore[arg-type]
    print(path, file=sys.stderr)


async def take(stack: Stack, out: Path, browser_path: str) -> None:
    ana, _ = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    stored = await stack.editor.get(ana, ENTRY)
    assert stored is not None
    await stack.editor.save_texts(
        ana, ENTRY, stored.content_hash, "en", {"description": NEW_DESCRIPTION}
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=browser_path)
        context = await browser.new_context(
            base_url=stack.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = await context.new_page()
        await page.goto(f"/login/{await stack.staff.login_token(ana.id)}")
        await page.get_by_role("button", name="Sign in to the console").click()
        await page.wait_for_url("**/city/brussels")
        await page.locator(".todo summary").first.click()  # the texts to do, opened
        await shoot(page, out, "city")
        await page.goto(f"/entries/{ENTRY}?lang=ar")
        await shoot(page, out, "entry", down_to="#texts")
        await page.goto(f"/entries/{ENTRY}/revisions/1")
        await shoot(page, out, "revision")
        await context.clear_cookies()
        seeded = await seed(stack.app.sessions, datetime.now(UTC))
        ines, _ = await stack.staff.add(
            "Ines", Role.COORDINATOR, "brussels", organisation_id=seeded.red_cross
        )
        await page.goto(f"/login/{await stack.staff.login_token(ines.id)}")
        await page.get_by_role("button", name="Sign in to the console").click()
        await page.wait_for_url(f"**/organisations/{seeded.red_cross}")
        await shoot(page, out, "organisation")
        await context.clear_cookies()
        await page.goto(f"/login/{await stack.staff.login_token(ana.id)}")
        await page.get_by_role("button", name="Sign in to the console").click()
        await page.wait_for_url("**/city/brussels")
        await page.goto("/coverage")
        await shoot(page, out, "coverage")
        now = datetime.now(UTC)
        for chat, (question, answer, language, topic) in enumerate(SUGGESTED):
            await suggested(
                stack.app.sessions, question=question, answer=answer, now=now,
                language=language, topic=topic, chat=f"s{chat}",
            )  # fmt: skip
        await page.goto("/city/brussels/review")
        await shoot(page, out, "review")
        user = await stack.app.users.get_or_create("telegram", "screenshots")
        for language, text, days in GAPS:
            await stack.app.questions.record(
                user_id=user.id, city="brussels", language=language, action="unknown",
                topic=None, confidence=0.1, text=text, now=now - timedelta(days=days),
            )  # fmt: skip
        await page.goto("/city/brussels/gaps")
        await shoot(page, out, "gaps")
        await statistics_month(stack.app.sessions, now)
        await page.goto("/city/brussels/statistics?days=30")
        await page.locator("section.stat .chart canvas").nth(3).wait_for()
        await shoot(page, out, "statistics", down_to="section.stat >> nth=4")
        await browser.close()


async def main(out: Path) -> int:
    found = chromium()
    if found is None:
        print("no chromium: apt-get install chromium", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    knowledge, _ = load_directory(ROOT / "knowledge")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'guichet.db'}"
        # The meaning model on: the gaps page groups by meaning, across languages.
        async with serving(url, knowledge, Path(tmp) / "state", semantic=True) as stack:
            await take(stack, out, found)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    sys.exit(asyncio.run(main(parser.parse_args().out)))
