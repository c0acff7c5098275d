"""The staff console in a real browser, on the real bot, the real database and the live
knowledge: what city staff do, as they do it (sign in through the bot, edit, confirm, restore),
and what they must not be able to do (another city, another language, a forged form)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from bot.storage.staff import Role, Staff
from tests.storage.organisation_seed import FOLLOW_UP, QUESTION, seed
from tests.web.stack import Stack

pytestmark = pytest.mark.asyncio(loop_scope="session")

LINK = re.compile(r"http://127\.0\.0\.1:\d+/login/\S+")
SIGN_IN = "Sign in to the console"

CPAS = "brussels-cpas"
CPAS_NAME = "CPAS of the City of Brussels (public social welfare centre)"
SOCIAL_AID_AR = "أحتاج مساعدة اجتماعية"  # "I need social assistance": the Brussels CPAS
CITY_HALL = "brussels-city-hall"
CITY_HALL_PHONE = "+32 2 279 22 11"


async def sign_in(page: Page, stack: Stack, who: Staff) -> None:
    """Sign in as `who` with a fresh one-time link, the one `/staff` in the bot gives."""
    await page.goto(f"/login/{await stack.staff.login_token(who.id)}")
    await page.get_by_role("button", name=SIGN_IN).click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()


async def link_from_the_bot(stack: Stack, chat: int, invite: str) -> str:
    """Open the staff invitation in Telegram, then ask for a sign-in link with /staff."""
    welcome = await stack.tg.say(chat, f"/start s_{invite}", language_code="en")
    assert "/staff" in (welcome[0].text or "")
    [sent] = await stack.tg.say(chat, "/staff", language_code="en")
    found = LINK.search(sent.text or "")
    assert found is not None, sent.text
    assert found.group().startswith(stack.url)
    return found.group()


def today() -> str:
    return datetime.now(UTC).date().isoformat()


async def test_a_staff_member_signs_in_through_the_bot_and_lands_on_their_city(
    page: Page, stack: Stack
) -> None:
    _, invite = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    link = await link_from_the_bot(stack, 901, invite)

    await page.goto(link)
    await page.get_by_role("button", name=SIGN_IN).click()

    await expect(page).to_have_url(f"{stack.url}/city/brussels")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Brussels")
    await expect(page.get_by_role("heading", name="To do")).to_be_visible()
    await expect(page.get_by_role("link", name=CPAS_NAME).first).to_be_visible()
    await expect(page.locator(".who")).to_contain_text("Ana")


async def test_a_sign_in_link_used_once_signs_no_one_in_again(
    page: Page, stack: Stack, browser: Browser
) -> None:
    _, invite = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    link = await link_from_the_bot(stack, 902, invite)
    await page.goto(link)
    await page.get_by_role("button", name=SIGN_IN).click()
    await expect(page).to_have_url(f"{stack.url}/city/brussels")

    # The same link, opened again in another browser (a forwarded message, a shared screen).
    other = await browser.new_context(base_url=stack.url, locale="en-US")
    try:
        second = await other.new_page()
        await second.goto(link)
        await second.get_by_role("button", name=SIGN_IN).click()
        await expect(second.get_by_role("alert")).to_have_text(
            "This sign-in link was used already. Send /staff to the bot for a new one."
        )
        await expect(second.get_by_role("button", name="Sign out")).to_have_count(0)
        home = await second.goto("/city/brussels")
        assert home is not None and home.status == 401
        await expect(second.get_by_role("heading", level=1)).to_have_text("Sign in")
    finally:
        await other.close()


async def test_an_arabic_description_saved_in_the_console_becomes_the_bots_answer(
    page: Page, stack: Stack
) -> None:
    ana, _ = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    await stack.tg.setup(930, "brussels", "ar")
    [before] = await stack.tg.say(930, SOCIAL_AID_AR, language_code="ar")
    assert "اطلب في استقبال CPAS موعدًا" in (before.text or "")  # the imported translation

    new = "يساعدك CPAS إذا لم يكن لديك ما يكفي للعيش. اتصل بالاستقبال صباحًا لتحديد موعد."
    await sign_in(page, stack, ana)
    await page.get_by_role("link", name=CPAS_NAME).first.click()
    await page.get_by_role("link", name="ar", exact=True).click()
    await expect(page.get_by_role("heading", name="Texts in Arabic")).to_be_visible()
    description = page.get_by_label("Description · Arabic")
    await expect(description).to_have_attribute("dir", "rtl")
    await description.fill(new)
    await page.get_by_role("button", name="Save the texts in Arabic").click()
    await expect(page.get_by_role("status")).to_contain_text("Texts saved.")
    loop = asyncio.get_running_loop()
    saved_at = loop.time()

    while True:
        [answer] = await stack.tg.say(930, SOCIAL_AID_AR, language_code="ar")
        waited = loop.time() - saved_at
        if new in (answer.text or ""):
            break
        assert waited < 2, "the bot still answers with the old text after 2 s"
        await asyncio.sleep(0.02)
    assert waited < 2, f"the new text was live after {waited:.2f} s"
    assert "اطلب في استقبال CPAS موعدًا" not in (answer.text or "")
    await expect(description).to_have_value(new)


async def test_an_editor_fixes_the_hours_and_a_persian_text_then_confirms_the_entry_today(
    page: Page, stack: Stack
) -> None:
    sam, _ = await stack.staff.add("Sam", Role.EDITOR, "schaerbeek")
    await sign_in(page, stack, sam)
    await page.goto("/entries/schaerbeek-cpas")
    # Friday afternoon was missing: the CPAS is open 12:50-16:30 then, as on other days.
    await page.get_by_label("Friday opens 2").fill("12:50")
    await page.get_by_label("Friday closes 2").fill("16:30")
    await page.get_by_role("button", name="Save the facts").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved.")

    await page.get_by_role("link", name="fa", exact=True).click()
    name = page.get_by_label("Name · Persian")
    await name.fill("CPAS شهرداری Schaerbeek (مرکز عمومی رفاه اجتماعی)")
    await page.get_by_role("button", name="Save the texts in Persian").click()
    await expect(page.get_by_role("status")).to_contain_text("Texts saved.")

    await page.get_by_role("button", name="Still correct in all languages").click()
    await expect(page.get_by_role("status")).to_contain_text("Confirmed")
    await expect(page.locator("#last-reviewed")).to_have_text(today())

    stored = await stack.editor.get(sam, "schaerbeek-cpas")
    assert stored is not None
    entry = stored.entry
    assert [(str(r.start), str(r.end)) for r in (entry.hours or {})["fri"]] == [
        ("08:00:00", "12:05:00"),
        ("12:50:00", "16:30:00"),
    ]
    assert entry.translations["fa"]["name"].text.startswith("CPAS شهرداری")
    assert entry.last_reviewed.isoformat() == today()
    # Confirmed in all languages: no translation is left unchecked or outdated.
    assert {entry.text_status("description", lang) for lang in entry.translations} == {"reviewed"}
    await page.reload()
    await expect(page.get_by_label("Friday closes 2")).to_have_value("16:30")


async def test_restoring_an_earlier_version_brings_its_value_back_as_a_new_version(
    page: Page, stack: Stack
) -> None:
    ana, _ = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    await sign_in(page, stack, ana)
    await page.goto(f"/entries/{CITY_HALL}")
    phone = page.get_by_label("Phone", exact=True)
    await phone.fill("+32 2 279 99 99")
    await page.get_by_role("button", name="Save the facts").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved.")
    await expect(phone).to_have_value("+32 2 279 99 99")

    await page.get_by_role("link", name="History").click()
    await expect(page.get_by_role("listitem")).to_have_count(2)
    await page.get_by_role("link", name="Version 1").click()
    diff = page.locator("pre.diff")
    await expect(diff.locator("del")).to_contain_text(CITY_HALL_PHONE)
    await expect(diff.locator("ins")).to_contain_text("+32 2 279 99 99")
    lines = (await diff.inner_text()).splitlines()
    assert f'-  "phone": "{CITY_HALL_PHONE}",' in lines
    assert '+  "phone": "+32 2 279 99 99",' in lines
    await page.get_by_role("button", name="Restore this version").click()

    await expect(page.get_by_role("status")).to_contain_text("restored")
    await expect(phone).to_have_value(CITY_HALL_PHONE)
    await page.get_by_role("link", name="History").click()
    versions = page.get_by_role("listitem")
    await expect(versions).to_have_count(3)
    await expect(versions.first).to_contain_text("Version 3")
    await expect(versions.first).to_contain_text("restored")
    await expect(versions.first).to_contain_text("Ana")
    stored = await stack.editor.get(ana, CITY_HALL)
    assert stored is not None and stored.entry.phone == CITY_HALL_PHONE


async def test_a_translator_may_not_change_french_in_the_page_nor_by_a_forged_post(
    page: Page, stack: Stack
) -> None:
    sara, _ = await stack.staff.add("Sara", Role.TRANSLATOR, "brussels", ["ar"])
    await sign_in(page, stack, sara)
    await page.goto(f"/entries/{CPAS}?lang=ar")
    await expect(page.get_by_label("Description · Arabic")).to_be_editable()
    await expect(page.locator("form.facts")).to_have_count(0)
    await expect(page.get_by_role("button", name="Still correct in all languages")).to_have_count(0)

    await page.goto(f"/entries/{CPAS}?lang=fr")
    await expect(page.get_by_label("Description · French")).not_to_be_editable()
    await expect(page.get_by_role("button", name="Save the texts in French")).to_have_count(0)
    csrf = await page.locator("input[name=csrf]").first.input_value()
    base = await page.locator("input[name=base]").first.input_value()
    forged = await page.request.post(
        f"/entries/{CPAS}/texts/fr",
        form={"csrf": csrf, "base": base, "description": "Texte falsifié."},
        max_redirects=0,
    )
    assert forged.status == 403
    stored = await stack.editor.get(sara, CPAS)
    assert stored is not None
    assert stored.entry.description["fr"].startswith("Si vous habitez la Ville de Bruxelles")
    assert await stack.editor.revisions(sara, CPAS) == []


async def test_an_editor_of_another_city_finds_no_brussels_page(page: Page, stack: Stack) -> None:
    mia, _ = await stack.staff.add("Mia", Role.EDITOR, "mechelen")
    await sign_in(page, stack, mia)
    await expect(page).to_have_url(f"{stack.url}/city/mechelen")

    entry = await page.goto(f"/entries/{CPAS}")
    assert entry is not None and entry.status == 404
    await expect(page.get_by_role("alert")).to_have_text("There is no such page.")
    city = await page.goto("/city/brussels")
    assert city is not None and city.status == 404
    history = await page.goto(f"/entries/{CPAS}/revisions")
    assert history is not None and history.status == 404

    await page.goto("/city/mechelen")
    csrf = await page.locator("input[name=csrf]").first.input_value()
    posted = await page.request.post(
        f"/entries/{CPAS}/facts", form={"csrf": csrf, "phone": "+32 0"}, max_redirects=0
    )
    assert posted.status == 404


async def test_an_ngo_coordinator_signs_in_through_the_bot_and_sees_their_volunteers_figures(
    page: Page, stack: Stack
) -> None:
    seeded = await seed(stack.app.sessions, datetime.now(UTC))
    _, invite = await stack.staff.add(
        "Ines", Role.COORDINATOR, "brussels", organisation_id=seeded.red_cross
    )
    link = await link_from_the_bot(stack, 940, invite)

    await page.goto(link)
    await page.get_by_role("button", name=SIGN_IN).click()

    await expect(page).to_have_url(f"{stack.url}/organisations/{seeded.red_cross}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Red Cross")
    await expect(page.locator(".who")).to_contain_text("Ines · NGO coordinator")
    volunteers = page.get_by_role("table", name="Questions taken, answered and closed")
    await expect(volunteers.get_by_role("rowheader")).to_have_text(["Amal", "Bram"])
    amal = volunteers.get_by_role("row", name="Amal")
    await expect(amal.get_by_role("cell")).to_have_text(
        ["Arabic, French", "Housing", "yes", re.compile(r"\d{4}-\d\d-\d\d"), "2", "2", "1",
         "40 min"]
    )  # fmt: skip
    by_topic = page.get_by_role("table", name="By topic")
    await expect(by_topic.get_by_role("row", name="Housing")).to_contain_text("2")
    await expect(page.get_by_text("1 volunteer left or was removed.")).to_be_visible()
    text = await page.locator("body").inner_text()
    assert QUESTION not in text and FOLLOW_UP not in text and "Caritas" not in text

    elsewhere = await page.goto(f"/organisations/{seeded.caritas}")
    assert elsewhere is not None and elsewhere.status == 404
    entries = await page.goto("/city/brussels")
    assert entries is not None and entries.status == 404
    await expect(page.get_by_role("alert")).to_have_text("There is no such page.")


async def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    page: Page, stack: Stack
) -> None:
    ana, _ = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    await sign_in(page, stack, ana)
    await page.goto(f"/entries/{CITY_HALL}")
    base = await page.locator("form.facts input[name=base]").input_value()
    forms: list[dict[str, str | float | bool]] = [
        {"base": base, "phone": "+32 0"},  # no token
        {"csrf": "not-the-sessions-token", "base": base, "phone": "+32 0"},
    ]
    for form in forms:
        refused = await page.request.post(f"/entries/{CITY_HALL}/facts", form=form, max_redirects=0)
        assert refused.status == 403
        assert "This form has expired" in await refused.text()
    wrong_header = await page.request.post(
        f"/entries/{CITY_HALL}/confirm", headers={"X-CSRF-Token": "forged"}, max_redirects=0
    )
    assert wrong_header.status == 403

    stored = await stack.editor.get(ana, CITY_HALL)
    assert stored is not None
    assert stored.entry.phone == CITY_HALL_PHONE
    assert await stack.editor.revisions(ana, CITY_HALL) == []


async def test_a_text_is_changed_and_saved_with_the_keyboard_alone(
    page: Page, stack: Stack
) -> None:
    ana, _ = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    await page.goto(f"/login/{await stack.staff.login_token(ana.id)}")
    # the sign-in button takes the focus by itself (autofocus), once it is laid out
    sign_in = page.get_by_role("button", name="Sign in to the console")
    await expect(sign_in).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{stack.url}/city/brussels")
    await page.goto(f"/entries/{CPAS}?lang=ar")

    async def tab_to(selector: str) -> None:
        for _ in range(80):
            await page.keyboard.press("Tab")
            if await page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    new = "CPAS مدينة بروكسل"
    await tab_to("#text-name")
    await page.keyboard.press("ControlOrMeta+a")
    await page.keyboard.type(new)
    await tab_to("#texts button[type=submit]")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("status")).to_contain_text("Texts saved.")
    await expect(page.get_by_label("Name · Arabic")).to_have_value(new)
    stored = await stack.editor.get(ana, CPAS)
    assert stored is not None
    assert stored.entry.translations["ar"]["name"].text == new


async def test_a_refused_text_says_why_and_the_address_stays_the_entrys(
    page: Page, stack: Stack
) -> None:
    ana, _ = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    await sign_in(page, stack, ana)
    await page.goto(f"/entries/{CPAS}?lang=fr")
    await page.get_by_label("Description · French").fill("")  # Brussels must have French
    await page.get_by_role("button", name="Save the texts in French").click()

    description = page.get_by_label("Description · French")
    await expect(description).to_have_attribute("aria-invalid", "true")
    await expect(description).to_have_attribute("aria-describedby", "err-description")
    await expect(page.locator("#err-description")).to_be_visible()
    await expect(page).to_have_url(f"{stack.url}/entries/{CPAS}?lang=fr")
    reloaded = await page.reload()
    assert reloaded is not None and reloaded.status == 200
    await expect(page.get_by_label("Description · French")).to_have_value(
        re.compile("^Si vous habitez la Ville de Bruxelles")
    )
    assert await stack.editor.revisions(ana, CPAS) == []


async def test_the_console_language_chosen_at_the_top_is_the_language_of_the_pages(
    page: Page, stack: Stack
) -> None:
    ana, _ = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    await sign_in(page, stack, ana)
    await (
        page.get_by_role("navigation", name="Console language")
        .get_by_role("link", name="fr", exact=True)
        .click()
    )
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    in_french = "CPAS de la Ville de Bruxelles"
    await page.get_by_role("link", name=in_french, exact=True).first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(in_french)
    await expect(page.locator("html")).to_have_attribute("lang", "fr")  # kept for the session


async def test_a_learning_city_compares_itself_with_its_mentor_and_adapts_an_entry(
    page: Page, stack: Stack
) -> None:
    sophie, _ = await stack.staff.add("Sophie", Role.EDITOR, "saint-jean-de-la-ruelle")
    await sign_in(page, stack, sophie)
    await expect(page).to_have_url(f"{stack.url}/city/saint-jean-de-la-ruelle")

    await page.get_by_role("link", name="Coverage across the network").click()
    grid = page.get_by_role("table", name="Entries and texts checked, by topic and city")
    await expect(grid.get_by_role("columnheader")).to_have_count(1 + 8)
    shelter = grid.get_by_role("row", name=re.compile("Night shelter"))
    await expect(shelter.get_by_role("cell")).to_have_count(8)

    await page.go_back()
    await page.get_by_role("link", name="What to take from Brussels").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "What Saint-Jean-de-la-Ruelle can take from Brussels"
    )
    section = page.locator("section").filter(
        has=page.get_by_role("heading", name=re.compile("Night shelter"))
    )
    await section.get_by_role("link", name="Start a new entry from this one").first.click()
    await expect(page.get_by_label("French").first).to_have_value(
        "Samusocial (hébergement d'urgence, Région bruxelloise)"
    )
    await page.get_by_label("French").first.fill("Accueil de nuit de Saint-Jean")
    await page.get_by_label("English").first.fill("Saint-Jean night shelter")
    await page.get_by_label(re.compile("Where this comes from")).fill("Call with the town hall")
    await page.get_by_role("button", name="Add the entry").click()

    await expect(page).to_have_url(
        f"{stack.url}/entries/saint-jean-de-la-ruelle-saint-jean-night-shelter?done=created"
    )
    await expect(page.get_by_role("status")).to_contain_text("Entry added")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Saint-Jean night shelter")


async def test_an_editor_finds_the_posters_on_her_city_page_and_downloads_the_pdf(
    page: Page, stack: Stack
) -> None:
    ana, _ = await stack.staff.add("Ana", Role.EDITOR, "mechelen")
    await sign_in(page, stack, ana)  # signing in opens her city's page
    await expect(page).to_have_url(re.compile(r"/city/mechelen$"))
    posters = page.get_by_role("region", name="Posters")
    await expect(posters).to_be_visible()
    async with page.expect_download() as started:
        await (
            posters.get_by_role("row", name="The whole city")
            .get_by_role("link", name="PDF")
            .click()
        )
    download = await started.value
    assert download.suggested_filename == "guichet-mechelen.pdf"
    path = await download.path()
    assert path.read_bytes().startswith(b"%PDF")


async def test_an_editor_adds_a_volunteers_suggestion_as_a_phrasing_and_the_bot_answers_it(
    page: Page, stack: Stack
) -> None:
    """The review queue as an editor uses it: the question a volunteer answered becomes a
    phrasing of the food aid topic in two clicks, and the bot then answers it with that topic."""
    from tests.storage.suggestions import suggested

    question = "On m'a parlé de la Maison Bleue du quartier, c'est où ?"
    answer = "La Maison Bleue, rue Haute 12, distribue des colis le mardi."
    food = {
        e.name.get("fr") or e.name["en"]
        for e in stack.app.knowledge.entries_for("brussels", "food-aid")
    }
    await stack.tg.setup(940, "brussels", "fr")
    [before] = await stack.tg.say(940, question, language_code="fr")
    assert not any(name in (before.text or "") for name in food)
    await suggested(stack.app.sessions, question=question, answer=answer, now=datetime.now(UTC))
    _, invite = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    await page.goto(await link_from_the_bot(stack, 941, invite))
    await page.get_by_role("button", name=SIGN_IN).click()
    await page.get_by_role("link", name=re.compile("Review queue: 1")).click()
    await expect(page.get_by_text(answer)).to_be_visible()
    await expect(page.get_by_label("The question as it will be added")).to_have_value(question)
    await page.get_by_label("Topic").select_option("food-aid")
    await page.get_by_role("button", name="Add as a phrasing of this topic").click()
    await expect(page.get_by_role("status")).to_contain_text("Added as a phrasing")
    await expect(page.get_by_text("Nothing to review.")).to_be_visible()
    loop = asyncio.get_running_loop()
    added_at = loop.time()
    while True:
        [after] = await stack.tg.say(940, question, language_code="fr")
        if any(name in (after.text or "") for name in food):
            break
        assert loop.time() - added_at < 3, f"the bot still does not answer it: {after.text}"
        await asyncio.sleep(0.05)


async def test_an_editor_sees_last_weeks_gaps_and_makes_one_phrasings_the_bot_answers(
    page: Page, stack: Stack
) -> None:
    """The gaps page as an editor uses it: last week's unanswered questions in one group, made
    phrasings of the food aid topic in two clicks; the bot then answers them with that topic."""
    questions = (
        "On m'a parlé de la Maison Bleue du quartier, c'est où ?",
        "La Maison Bleue du quartier, c'est où ?",
    )
    food = {
        e.name.get("fr") or e.name["en"]
        for e in stack.app.knowledge.entries_for("brussels", "food-aid")
    }
    user = await stack.app.users.get_or_create("telegram", "942")
    for text in questions:  # as the bot logs a question it could not answer
        await stack.app.questions.record(
            user_id=user.id, city="brussels", language="fr", action="unknown", topic=None,
            confidence=0.1, text=text, now=datetime.now(UTC),
        )  # fmt: skip
    await stack.tg.setup(942, "brussels", "fr")
    [before] = await stack.tg.say(942, questions[1], language_code="fr")
    assert not any(name in (before.text or "") for name in food)
    ana, _ = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    await sign_in(page, stack, ana)
    await page.goto("/city/brussels")
    await page.get_by_role("link", name="Gaps: what Guichet could not answer last week").click()
    await expect(page.get_by_role("link", name="Last week")).to_have_attribute(
        "aria-current", "page"
    )
    group = page.get_by_role("article").filter(has_text="2 questions")
    await expect(group.get_by_role("textbox").first).to_have_value(questions[1])
    await group.get_by_label("Topic").select_option("food-aid")
    await group.get_by_role("button", name="Add the chosen questions as phrasings").click()
    await expect(page.get_by_role("status")).to_contain_text("Added as phrasings")
    await expect(page.get_by_text("Nothing left unanswered in this period.")).to_be_visible()
    loop = asyncio.get_running_loop()
    added_at = loop.time()
    while True:
        [after] = await stack.tg.say(942, questions[1], language_code="fr")
        if any(name in (after.text or "") for name in food):
            break
        assert loop.time() - added_at < 3, f"the bot still does not answer it: {after.text}"
        await asyncio.sleep(0.05)


async def test_an_editor_reads_her_citys_statistics_as_charts_tables_and_csv(
    page: Page, stack: Stack
) -> None:
    """Six people ask the bot in French and two in Ukrainian; the editor opens Statistics from
    the header: the charts are drawn (Chart.js under the console's strict CSP, no error), each
    beside its table, "< 5" where fewer than 5 people (Ukrainian; French beside it, or French
    would be the total minus Ukrainian), and a table downloads as CSV."""
    errors: list[str] = []

    def error(message: ConsoleMessage) -> None:
        # Chromium asks for /favicon.ico, which the console has none of.
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location['url']})")

    page.on("console", error)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for chat in range(960, 968):
        french = chat < 966
        await stack.tg.setup(chat, "brussels", "fr" if french else "uk")
        question = "Où puis-je dormir ce soir ?" if french else "Де я можу переночувати сьогодні?"
        await stack.tg.say(chat, question, language_code="fr" if french else "uk")
    ana, _ = await stack.staff.add("Ana", Role.EDITOR, "brussels")
    await sign_in(page, stack, ana)
    sections = page.get_by_role("navigation", name="Sections")
    await sections.get_by_role("link", name="Statistics").click()
    await expect(page.get_by_role("heading", name="Statistics of Brussels")).to_be_visible()
    await page.get_by_role("link", name="Last 7 days").click()
    outcomes = page.get_by_role("table").filter(has_text="Outcome")
    await expect(outcomes.get_by_role("row", name=re.compile("^Total"))).to_contain_text("8")
    languages = page.get_by_role("table").filter(has_text="Language").first
    await expect(languages.get_by_role("row", name=re.compile("Ukrainian"))).to_contain_text("< 5")
    await expect(languages.get_by_role("row", name=re.compile("French"))).to_contain_text("< 5")
    await expect(languages.get_by_role("row", name=re.compile("^Total"))).to_contain_text("8")
    await expect(page.locator("section.stat .chart canvas").first).to_be_visible()
    assert await page.locator("section.stat .chart canvas").count() >= 4
    async with page.expect_download() as download:
        await (
            page.locator("#title-languages ~ figure")
            .get_by_role("link", name="Download as CSV")
            .click()
        )
    saved = await (await download.value).path()
    text = saved.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "Language,Questions"
    assert "French,< 5" in text and "Ukrainian,< 5" in text and "Total,8" in text
    assert errors == [], errors  # a CSP violation would be one
