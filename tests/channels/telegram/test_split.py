"""Splitting Telegram-HTML replies: every piece fits, is balanced, and no text is lost."""

import html
import itertools
import random
import re
from html.parser import HTMLParser

import pytest

from bot.channels.telegram.split import MIN_LIMIT, split_html

FSI, PDI = "\u2068", "\u2069"
HREF = '<a href="https://x?a=1&amp;b=2">'
# Everything a piece may contain: our four tags, our entities, and plain characters.
WELL_FORMED = re.compile(
    r'(?:<(?:b|i|code)>|<a href="[^"<>]*">|</(?:b|i|code|a)>|&(?:amp|lt|gt|quot|#x27);|[^<>&])*',
    re.DOTALL,
)


class TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def assert_well_formed(piece: str) -> None:
    assert piece == piece.strip()
    assert WELL_FORMED.fullmatch(piece), piece
    parser = TagBalance()
    parser.feed(piece)
    parser.close()
    assert not parser.errors and not parser.stack, piece
    depth = 0
    for char in piece:
        depth += (char == FSI) - (char == PDI)
        assert depth >= 0, piece
    assert depth == 0, piece


def visible(text: str) -> str:
    """The text a reader sees, without tags, whitespace or isolates."""
    return re.sub(r"[\s\u2066-\u2069]", "", html.unescape(re.sub(r"<[^>]*>", "", text)))


def check(text: str, limit: int) -> list[str]:
    pieces = split_html(text, limit)
    assert pieces
    for piece in pieces:
        assert len(piece) <= limit
        assert_well_formed(piece)
    assert visible("\n\n".join(pieces)) == visible(text)
    return pieces


def test_short_text_is_unchanged() -> None:
    text = "  <b>Jobcenter</b> &amp; Rathaus\n\n"
    assert split_html(text) == [text]
    assert split_html("x" * 100, limit=100) == ["x" * 100]


def test_limit_below_minimum_is_refused() -> None:
    with pytest.raises(ValueError):
        split_html("text", limit=MIN_LIMIT - 1)
    assert split_html("word " * 50, limit=MIN_LIMIT)


def test_paragraphs_are_packed_greedily_at_blank_lines() -> None:
    paragraphs = [
        f"{n}. <b>Service {n}</b>\n📍 Hauptstraße {n}\n" + "word " * (n % 7 + 5) + "end"
        for n in range(40)
    ]
    text = "\n\n".join(paragraphs)
    pieces = check(text, 500)
    assert len(pieces) > 1
    assert "\n\n".join(pieces) == text  # whole paragraphs only
    for piece, after in itertools.pairwise(pieces):
        assert len(piece) + 2 + len(after.split("\n\n")[0]) > 500  # the next one did not fit


def test_long_paragraph_is_cut_at_lines_then_words() -> None:
    lines = [f"line {n}: " + "mot " * 12 + "fin" for n in range(30)]
    pieces = check("\n".join(lines), 300)
    assert "\n".join(pieces) == "\n".join(lines)
    assert all(line in lines for piece in pieces for line in piece.split("\n"))

    words = [f"word{n}" for n in range(200)]
    pieces = check(" ".join(words), 100)
    assert [w for piece in pieces for w in piece.split(" ")] == words


def test_giant_word_is_cut_hard() -> None:
    pieces = check("x" * 1000, 100)
    assert pieces == ["x" * 100] * 10


def test_hard_cut_keeps_graphemes_together() -> None:
    word = "e\u0301" * 150 + "👨\u200d👩\u200d👧" * 40
    for piece in check(word, 80):
        assert not re.match(r"[\u0301\u200d]", piece)
        assert not piece.endswith("\u200d")


def test_cut_inside_bold_closes_and_reopens() -> None:
    text = "Intro\n<b>" + " ".join(f"bold{n}" for n in range(60)) + "</b> outro"
    pieces = check(text, 100)
    assert len(pieces) > 2
    for piece in pieces[1:-1]:
        assert piece.startswith("<b>") and piece.endswith("</b>")


def test_cut_inside_link_reopens_with_the_same_href() -> None:
    text = "See " + HREF + " ".join(f"label{n}" for n in range(60)) + "</a>."
    pieces = check(text, 120)
    assert pieces[0].startswith("See " + HREF) and pieces[0].endswith("</a>")
    for piece in pieces[1:]:
        assert piece.startswith(HREF)


def test_nested_elements_reopen_in_order() -> None:
    text = "<b>bold <i>" + "both " * 80 + "</i> bold</b>"
    pieces = check(text, 100)
    assert pieces[1].startswith("<b><i>") and pieces[1].endswith("</i></b>")


def test_entities_are_never_cut() -> None:
    for text in ["&amp;" * 200, "a&lt;b&gt;c " * 100, "&quot;x&#x27;" * 100]:
        for piece in check(text, 67):
            assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;)", piece)


def test_arabic_with_isolates() -> None:
    entry = (
        "<b>مكتب الهجرة</b>\n📍 \u2068Hauptstraße 5, 10115 Berlin\u2069\n"
        "📞 \u2068+49 30 1234 5678\u2069\nيرجى حجز موعد قبل الزيارة."
    )
    text = "\n\n".join([entry] * 30)
    pieces = check(text, 400)
    assert "\n\n".join(pieces) == text

    long_isolate = "العنوان: " + FSI + " ".join(["Hauptstraße"] * 40) + PDI + " شكرا"
    pieces = check(long_isolate, 100)
    assert pieces[0].endswith(PDI)
    assert all(piece.startswith(FSI) for piece in pieces[1:-1])


WORDS = [
    "Ausländerbehörde", "Termin", "&amp;", "a&lt;b", "x&gt;y", "مرحبا", "اللاجئين", "🚶",
    "⚠️", "café", "Straße", "10:00–12:00", "\u2068+49 30 123\u2069", "l&#x27;école",
]  # fmt: skip
HREFS = [HREF, '<a href="https://maps.example/?q=1">', '<a href="tel:+4930">']


def random_inline(rng: random.Random, depth: int = 0) -> str:
    if depth < 3 and rng.random() < 0.25:
        inner = " ".join(random_inline(rng, depth + 1) for _ in range(rng.randint(1, 5)))
        kind = rng.choice(["b", "i", "code", "a", "isolate"])
        if kind == "a":
            return f"{rng.choice(HREFS)}{inner}</a>"
        if kind == "isolate":
            return f"{FSI}{inner}{PDI}"
        return f"<{kind}>{inner}</{kind}>"
    if rng.random() < 0.03:
        return rng.choice(["x", "&amp;", "ب", "e\u0301"]) * rng.randint(30, 300)
    return rng.choice(WORDS)


def random_document(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.randint(1, 25)):
        lines = [
            " ".join(random_inline(rng) for _ in range(rng.randint(1, 15)))
            for _ in range(rng.randint(1, 6))
        ]
        paragraph = "\n".join(lines)
        if rng.random() < 0.1:
            paragraph = f"<b>{paragraph}</b>"
        paragraphs.append(paragraph)
    text = "\n\n".join(paragraphs)
    return f"<i>{text}</i>" if rng.random() < 0.1 else text


@pytest.mark.parametrize("seed", range(300))
def test_random_documents(seed: int) -> None:
    rng = random.Random(seed)
    text = random_document(rng)
    limit = rng.choice([MIN_LIMIT, 200, 500, 1000, 4000])
    if limit == MIN_LIMIT:
        text = re.sub(r"<a [^>]*>|</a>", "", text)  # long hrefs leave too little room
    check(text, limit)
