import pytest

from bot.core.languages import (
    UI_LANGUAGES,
    choose_reply_language,
    default_detector,
    native_name,
)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("où puis-je apprendre le néerlandais", "fr"),
        ("waar kan ik Nederlands leren", "nl"),
        ("where can I find a doctor for my son", "en"),
        ("dónde puedo empadronarme en Fuenlabrada", "es"),
        ("dove posso rinnovare il permesso di soggiorno", "it"),
        ("πού μπορώ να βρω γιατρό", "el"),
        ("kur es varu mācīties latviešu valodu", "lv"),
        ("أين يمكنني أن أجد طبيبا", "ar"),
        ("де знайти лікаря для дитини", "uk"),
        ("где можно найти врача для ребенка", "ru"),
        ("کجا می‌توانم دکتر پیدا کنم", "fa"),
        ("nerede doktor bulabilirim", "tr"),
    ],
)
def test_detects_each_interface_language(text: str, lang: str) -> None:
    assert default_detector().detect(text).language == lang


def test_script_rules_settle_ukrainian_russian_and_persian() -> None:
    d = default_detector()
    assert d.detect("їжа для дітей").language == "uk"
    assert d.detect("объясните пожалуйста").language == "ru"
    assert d.detect("پناهندگی چطور").language == "fa"


def test_extra_languages_are_recognised_where_possible() -> None:
    d = default_detector()
    assert d.detect("زه غواړم ډاکټر ته لاړ شم").language == "ps"
    assert d.detect("ሰላም ከመይ ኣለኹም").language == "ti"


def test_one_word_is_never_confident() -> None:
    detection = default_detector().detect("bonjour")
    assert not detection.confident


def test_reply_language_order() -> None:
    d = default_detector()
    fr = d.detect("je cherche un cours de néerlandais")
    one_word = d.detect("merci")
    assert (
        choose_reply_language(explicit="ar", detection=one_word, client="en", city_default="nl")
        == "ar"
    )
    assert (
        choose_reply_language(explicit=None, detection=fr, client="en", city_default="nl") == "fr"
    )
    assert (
        choose_reply_language(explicit=None, detection=one_word, client="uk", city_default="nl")
        == "uk"
    )
    assert (
        choose_reply_language(explicit=None, detection=one_word, client=None, city_default="nl")
        == "nl"
    )
    assert (
        choose_reply_language(explicit=None, detection=None, client="pt-BR", city_default="it")
        == "it"
    )


def test_pashto_falls_back_to_a_ui_language() -> None:
    detection = default_detector().detect("زه غواړم ډاکټر ته لاړ شم")
    lang = choose_reply_language(explicit=None, detection=detection, client=None, city_default="fr")
    assert lang in UI_LANGUAGES


def test_native_names_come_from_babel() -> None:
    assert native_name("uk") == "Українська"
    assert native_name("ar") == "العربية"


def test_a_non_latin_message_is_not_answered_in_another_script() -> None:
    d = default_detector()
    hesitant = d.detect("где найти бесплатного адвоката")
    assert hesitant.language == "ru"
    assert (
        choose_reply_language(explicit=None, detection=hesitant, client=None, city_default="lv")
        == "ru"
    )
    # ...but it does not flip a user who already speaks a language of that script,
    assert (
        choose_reply_language(explicit=None, detection=hesitant, client="uk", city_default="lv")
        == "uk"
    )
    # ...and a single word is answered in its script too, though it settles nothing.
    one = d.detect("شكرا")
    assert not one.confident
    assert (
        choose_reply_language(explicit=None, detection=one, client="fr", city_default="fr") == "ar"
    )


def test_a_one_word_russian_greeting_is_not_answered_in_french() -> None:
    one = default_detector().detect("Привет")
    lang = choose_reply_language(explicit=None, detection=one, client=None, city_default="fr")
    assert lang in ("ru", "uk")


def test_a_chosen_language_is_a_preference_not_a_lock() -> None:
    d = default_detector()
    italian = d.detect("dove posso trovare un corso di lingua gratis")
    assert italian.confident and italian.words >= 3
    assert (
        choose_reply_language(explicit="es", detection=italian, client="es", city_default="it")
        == "it"
    )
    # Two words, or a hesitant detection, keep the choice.
    for short in (d.detect("grazie mille"), d.detect("ok")):
        assert (
            choose_reply_language(explicit="es", detection=short, client="es", city_default="it")
            == "es"
        )


def test_a_hint_comes_after_what_we_know_of_the_user_and_before_the_city() -> None:
    short = default_detector().detect("doctor?")
    for client, expected in ((None, "en"), ("nl", "nl")):
        chosen = choose_reply_language(
            explicit=None, detection=short, client=client, city_default="fr", hint="en"
        )
        assert chosen == expected
