"""Posters: one A4 page whose QR code, read back from the rendered image, opens the bot in its
city (or topic), with the invitation in every language, Arabic and Persian shaped."""

from __future__ import annotations

import io
import re
import zlib

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from bot.core.knowledge import Knowledge
from bot.posters.content import PosterError, make_poster
from bot.posters.render import render_pdf, render_png

A4 = (595.28, 841.89)  # points
ASK_AR = "اطرح سؤالك بلغتك"


def qr_text(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image)]


def page_image(pdf: bytes) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        assert len(document) == 1
        assert document[0].get_size() == pytest.approx(A4, abs=0.1)
        image: Image.Image = document[0].render(scale=2).to_pil()
        return image
    finally:
        document.close()


def page_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return str(document[0].get_textpage().get_text_range())
    finally:
        document.close()


def to_unicode_maps(pdf: bytes) -> list[dict[str, str]]:
    """Each embedded font's ToUnicode map: glyph id (hex) → the text it stands for."""
    maps = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(raw).decode("latin-1")
        except zlib.error:  # fpdf2 leaves its ToUnicode maps uncompressed
            data = raw.decode("latin-1")
        if "beginbfchar" not in data and "beginbfrange" not in data:
            continue
        pairs = re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", data)
        maps.append({gid: bytes.fromhex(text).decode("utf-16-be") for gid, text in pairs})
    return maps


def test_a_city_poster_is_one_a4_page_whose_qr_opens_the_bot_in_the_city(
    knowledge: Knowledge,
) -> None:
    pdf = render_pdf(make_poster(knowledge, "mechelen", "GuichetBot"))
    assert pdf.startswith(b"%PDF")
    assert qr_text(page_image(pdf)) == ["https://t.me/GuichetBot?start=mechelen"]
    text = page_text(pdf)
    assert "Mechelen" in text and "Malines" not in text  # the city's languages and English
    assert "Stel je vraag in je eigen taal" in text and "Задайте свой вопрос" in text
    assert "Huisvesting" in text and "Housing" in text  # what Guichet helps with


def test_a_topic_poster_opens_that_topic_in_the_city(knowledge: Knowledge) -> None:
    poster = make_poster(knowledge, "schaerbeek", "GuichetBot", "housing")
    png = render_png(render_pdf(poster))
    image = Image.open(io.BytesIO(png))
    assert image.size == (1241, 1754)  # A4 at 150 dpi
    assert qr_text(image) == ["https://t.me/GuichetBot?start=schaerbeek--housing"]
    assert [t.id for t in poster.topics] == ["housing"]


def test_arabic_and_persian_are_shaped_and_read_in_their_order(knowledge: Knowledge) -> None:
    poster = make_poster(knowledge, "brussels", "GuichetBot")
    assert next(line.text for line in poster.ask if line.rtl) == ASK_AR
    pdf = render_pdf(poster)
    text = page_text(pdf)
    assert ASK_AR in text  # in logical order: not drawn reversed
    assert "سؤال خود را به زبان خودتان بپرسید" in text
    # Shaped: a joining letter is drawn with several glyphs (its initial, medial and final
    # forms) that all stand for the same character; unshaped text has one glyph per letter.
    arabic = next(m for m in to_unicode_maps(pdf) if "\u0644" in m.values())
    lam_glyphs = [gid for gid, ch in arabic.items() if ch == "\u0644"]
    assert len(lam_glyphs) >= 2


def test_unknown_city_or_topic_or_no_username_names_what_to_do(knowledge: Knowledge) -> None:
    with pytest.raises(PosterError, match="brussels, capaci"):
        make_poster(knowledge, "atlantis", "GuichetBot")
    with pytest.raises(PosterError, match="housing"):
        make_poster(knowledge, "brussels", "GuichetBot", "weather")
    with pytest.raises(PosterError, match="GUICHET_BOT_USERNAME"):
        make_poster(knowledge, "brussels", None)
