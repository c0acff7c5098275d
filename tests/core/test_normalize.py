from bot.core.normalize import MAX_MATCH_CHARS, clean_message, normalize, tokens


def test_case_and_latin_diacritics_fold() -> None:
    assert (
        normalize("Où puis-je apprendre le NÉERLANDAIS ?") == "ou puis je apprendre le neerlandais"
    )


def test_latvian_typed_without_diacritics_matches() -> None:
    assert normalize("Uzturēšanās atļauja") == normalize("uzturesanas atlauja")


def test_greek_accents_and_final_sigma_fold() -> None:
    assert normalize("Άσυλο ΑΣΥΛΟΣ") == normalize("ασυλο ασυλοσ")


def test_arabic_and_persian_letter_variants_fold_alike() -> None:
    # Persian yeh/keheh against Arabic yeh/kaf, teh marbuta, hamza forms of alef, tatweel.
    assert normalize("کی") == normalize("كي")
    assert normalize("مدرسة") == normalize("مدرسه")
    assert normalize("أين إسعاف آمن") == normalize("اين اسعاف امن")
    assert normalize("مـــدرسة") == normalize("مدرسة")


def test_persian_zero_width_non_joiner_and_digits() -> None:
    assert normalize("می‌خواهم") == normalize("میخواهم")
    assert normalize("۱۱۲ ١١٢") == "112 112"


def test_turkish_dotless_i_folds() -> None:
    assert tokens("Işık İstanbul") == ["isik", "istanbul"]


def test_long_message_is_cut_and_control_characters_dropped() -> None:
    assert len(normalize("a " * 20_000)) <= MAX_MATCH_CHARS
    assert clean_message("hel\x00lo\x07 \u202e") == "hello \u202e".strip() or "hello"


def test_emoji_only_message_has_no_tokens() -> None:
    assert tokens("🙏🙏 👋") == []
