from datetime import UTC, datetime

import pytest

from bot.core.i18n import FSI, PDI, translator
from bot.core.knowledge import Entry, Knowledge
from bot.core.render import Formatter, HtmlFormatter, PlainFormatter, Renderer, map_link


def make_entry(**extra: object) -> Entry:
    base: dict[str, object] = {
        "id": "demo-entry",
        "topics": ["language-courses"],
        "name": {"en": "Language school <Demo>", "fr": "École de langues <Démo>"},
        "description": {"en": "Dutch courses for adults.", "fr": "Cours de néerlandais."},
        "source": "https://example.org",
        "last_reviewed": "2026-11-25",
        "verified": False,
    }
    base.update(extra)
    return Entry.model_validate(base)


def render(knowledge: Knowledge, entry: Entry, lang: str, fmt: Formatter | None = None) -> str:
    city = knowledge.cities["brussels"]
    return Renderer(knowledge).entry(
        entry,
        1,
        city,
        datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        translator(lang),
        fmt or PlainFormatter(),
    )


def test_entry_shows_address_map_phone_hours_and_appointment(knowledge: Knowledge) -> None:
    e = make_entry(
        address="Rue de la Loi 16, 1000 Bruxelles",
        coordinates=[50.8466, 4.3668],
        phone="+32 2 000 00 00",
        hours={"mon": ["08:30-12:00"]},
        appointment="required",
    )
    text = render(knowledge, e, "en")
    assert "Rue de la Loi 16" in text
    assert "https://www.openstreetmap.org/?mlat=50.84660&mlon=4.36680" in text
    assert "+32 2 000 00 00" in text
    assert "Open now, until" in text
    assert "By appointment only" in text
    assert "Not yet verified" in text


def test_missing_translation_falls_back_with_a_note(knowledge: Knowledge) -> None:
    text = render(knowledge, make_entry(), "tr")
    assert "Language school" in text
    assert "ℹ️" in text


def test_an_entry_falls_back_to_one_language_not_two(knowledge: Knowledge) -> None:
    # A Spanish reader, a Brussels entry described in French only: its name and cost follow
    # the description into French rather than into English, a third language.
    entry = make_entry(
        name={"fr": "École de langues", "en": "Language school"},
        description={"fr": "Cours de néerlandais pour adultes."},
        cost={"fr": "Gratuit", "en": "Free"},
    )
    text = render(knowledge, entry, "es")
    assert "École de langues" in text and "Gratuit" in text
    assert "Language school" not in text and "Free" not in text


def test_html_escapes_knowledge_text(knowledge: Knowledge) -> None:
    text = render(knowledge, make_entry(), "en", HtmlFormatter())
    assert "&lt;Demo&gt;" in text
    assert "<Demo>" not in text


def test_rtl_replies_isolate_phone_numbers(knowledge: Knowledge) -> None:
    text = render(knowledge, make_entry(phone="+32 2 000 00 00"), "ar")
    assert f"{FSI}+32 2 000 00 00{PDI}" in text


def test_map_link_from_address_when_no_coordinates() -> None:
    link = map_link(make_entry(address="Grand-Place 1, Bruxelles"))
    assert link == "https://www.openstreetmap.org/search?query=Grand-Place+1%2C+Bruxelles"


@pytest.mark.parametrize("lang", ["en", "fr", "ar", "lv"])
def test_closed_message_names_the_next_opening_in_the_locale(
    knowledge: Knowledge, lang: str
) -> None:
    e = make_entry(hours={"fri": ["09:00-12:00"]})
    text = render(knowledge, e, lang)
    t = translator(lang)
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert t.weekday(friday) in text


def translated(text: str, source: str, reviewed: bool = False) -> dict[str, object]:
    from bot.core.knowledge.model import fingerprint

    return {"text": text, "from": "en", "fingerprint": fingerprint(source), "reviewed": reviewed}


def test_an_unreviewed_translation_says_so_in_the_readers_language(knowledge: Knowledge) -> None:
    e = make_entry(
        translations={
            "tr": {
                "name": translated("Dil okulu", "Language school <Demo>"),
                "description": translated(
                    "Yetişkinler için Felemenkçe kursları.", "Dutch courses for adults."
                ),
            }
        }
    )
    text = render(knowledge, e, "tr")
    assert "Dil okulu" in text and "Felemenkçe" in text
    assert "belediye henüz kontrol etmedi" in text  # "Translated, not yet checked by the city."
    assert "Dutch courses" not in text


def test_a_reviewed_translation_carries_no_note(knowledge: Knowledge) -> None:
    e = make_entry(
        translations={
            "tr": {
                "name": translated("Dil okulu", "Language school <Demo>", reviewed=True),
                "description": translated(
                    "Yetişkinler için Felemenkçe kursları.", "Dutch courses for adults.", True
                ),
            }
        }
    )
    text = render(knowledge, e, "tr")
    assert "ℹ️" not in text


def test_an_outdated_translation_is_shown_and_marked(knowledge: Knowledge) -> None:
    e = make_entry(
        translations={
            "tr": {
                "name": translated("Dil okulu", "Language school <Demo>"),
                "description": translated("Eski metin.", "An older English text."),
            }
        }
    )
    text = render(knowledge, e, "tr")
    assert "Eski metin." in text  # never silently dropped...
    assert "güncel olmayabilir" in text  # ...and never silently wrong: "may be out of date"


def test_booking_link_and_a_temporary_closure(knowledge: Knowledge) -> None:
    e = make_entry(
        hours={"mon": ["08:30-12:00"]},
        appointment="required",
        booking="https://example.org/book",
        temporarily_closed={"since": "2026-11-01", "until": "2026-12-15"},
    )
    text = render(knowledge, e, "fr", HtmlFormatter())
    assert '<a href="https://example.org/book">réserver en ligne</a>' in text
    assert "Fermé temporairement jusqu’au 15 déc. 2026" in text
    assert "Ouvert" not in text
    open_ended = make_entry(temporarily_closed={"since": "2026-11-01"})
    assert "until further notice" in render(knowledge, open_ended, "en")
    over = make_entry(
        hours={"mon": ["08:30-12:00"]},
        temporarily_closed={"since": "2026-10-01", "until": "2026-11-01"},
    )
    assert "Open now" in render(knowledge, over, "en")
