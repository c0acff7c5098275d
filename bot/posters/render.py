"""A poster drawn on one A4 page: PDF with fpdf2 (text shaped by HarfBuzz, so Arabic and Persian
join and run right to left), PNG rendered from that PDF by PDFium.

The fonts are vendored in fonts/ (Noto Sans for Latin, Greek and Cyrillic, Noto Naskh Arabic
for Arabic and Persian; SIL Open Font License): nothing is read from the system or the network.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Final

import pypdfium2 as pdfium
import segno
from fpdf import FPDF

from bot.posters.content import Line, Poster

FONTS: Final = Path(__file__).resolve().parent / "fonts"
SANS: Final = "NotoSans"
NASKH: Final = "NotoNaskhArabic"
PNG_DPI: Final = 150

WIDTH: Final = 210.0  # A4, in millimetres
MARGIN: Final = 14.0
INK: Final = (20, 33, 61)
ACCENT: Final = (0, 92, 153)
GREY: Final = (95, 99, 104)


def _document() -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_creator("Guichet")
    for family, file in ((SANS, "NotoSans"), (NASKH, "NotoNaskhArabic")):
        pdf.add_font(family, "", str(FONTS / f"{file}-Regular.ttf"))
        pdf.add_font(family, "B", str(FONTS / f"{file}-Bold.ttf"))
    pdf.set_text_shaping(True)
    pdf.add_page()
    return pdf


def _font(pdf: FPDF, line: Line, size: float, bold: bool = False) -> None:
    pdf.set_font(NASKH if line.rtl else SANS, "B" if bold else "", size)


def _say(
    pdf: FPDF, line: Line, x: float, w: float, h: float, size: float, bold: bool = False
) -> None:
    """One line of text in its language's font and direction, aligned to its reading start."""
    _font(pdf, line, size, bold)
    pdf.set_x(x)
    pdf.cell(w, h, line.text, align="R" if line.rtl else "L", new_x="LMARGIN", new_y="NEXT")


def _qr(pdf: FPDF, link: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares, with its quiet zone of 2 modules inside `size`."""
    matrix = segno.make_qr(link, error="m").matrix
    module = size / (len(matrix) + 4)
    pdf.set_fill_color(0, 0, 0)
    for row, bits in enumerate(matrix):
        for col, dark in enumerate(bits):
            if dark:
                pdf.rect(x + (col + 2) * module, y + (row + 2) * module, module, module, "F")


def _header(pdf: FPDF, poster: Poster, title: str | None) -> None:
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, WIDTH, 38, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(MARGIN, 8)
    pdf.set_font(SANS, "B", 30)
    pdf.cell(0, 13, "Guichet", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(SANS, "", 17)
    pdf.cell(0, 10, " · ".join(poster.city_names), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    if title:
        pdf.set_xy(MARGIN, 44)
        pdf.set_font(SANS, "B", 24)
        pdf.multi_cell(0, 11, title, new_x="LMARGIN", new_y="NEXT")


def _ask_and_code(pdf: FPDF, poster: Poster, top: float, code: float) -> float:
    """The invitation in the 12 languages beside the QR code; returns the bottom."""
    pdf.set_text_color(*INK)
    column = WIDTH - 2 * MARGIN - code - 8
    step = code / len(poster.ask)
    pdf.set_y(top)
    for line in poster.ask:
        _say(pdf, line, MARGIN, column, step, 12.5 if not line.rtl else 13.5, bold=True)
    x = WIDTH - MARGIN - code
    _qr(pdf, poster.link, x, top, code)
    pdf.set_text_color(*GREY)
    pdf.set_font(SANS, "", 9)
    pdf.set_xy(x, top + code + 1)
    pdf.cell(code, 5, poster.link.removeprefix("https://"), align="C")
    return top + code + 8


def _code_then_ask(pdf: FPDF, poster: Poster, top: float, code: float) -> float:
    """A topic's poster: the QR code centred, then the invitation in two columns."""
    x = (WIDTH - code) / 2
    _qr(pdf, poster.link, x, top, code)
    pdf.set_text_color(*GREY)
    pdf.set_font(SANS, "", 9)
    pdf.set_xy(x, top + code + 1)
    pdf.cell(code, 5, poster.link.removeprefix("https://"), align="C")
    pdf.set_text_color(*INK)
    half = (len(poster.ask) + 1) // 2
    column = (WIDTH - 2 * MARGIN - 6) / 2
    start = top + code + 9
    for i, line in enumerate(poster.ask):
        pdf.set_y(start + (i % half) * 7.5)
        x_line = MARGIN + (i // half) * (column + 6)
        _say(pdf, line, x_line, column, 7.5, 11 if not line.rtl else 12, bold=True)
    return start + half * 7.5 + 5


def _scan(pdf: FPDF, poster: Poster, y: float) -> float:
    pdf.set_y(y)
    pdf.set_text_color(*INK)
    for line in poster.scan:
        _font(pdf, line, 11)
        pdf.multi_cell(0, 5.5, line.text, align="R" if line.rtl else "L", new_x="LMARGIN")
    return float(pdf.get_y())


def _fit(pdf: FPDF, text: str, width: float, size: float, bold: bool = False) -> None:
    """The largest font size up to `size` at which `text` fits in `width`."""
    style = "B" if bold else ""
    pdf.set_font(SANS, style, size)
    while size > 5 and pdf.get_string_width(text) > width:
        size -= 0.25
        pdf.set_font(SANS, style, size)


def _topics(pdf: FPDF, poster: Poster, y: float) -> None:
    pdf.set_y(y + 4)
    pdf.set_draw_color(*ACCENT)
    pdf.line(MARGIN, pdf.get_y(), WIDTH - MARGIN, pdf.get_y())
    pdf.set_y(pdf.get_y() + 3)
    pdf.set_text_color(*ACCENT)
    pdf.set_font(SANS, "B", 14)
    pdf.cell(
        0, 8, " · ".join(line.text for line in poster.helps_with), new_x="LMARGIN", new_y="NEXT"
    )
    columns = 3
    width = (WIDTH - 2 * MARGIN) / columns
    rows = -(-len(poster.topics) // columns)
    lines = max(len(t.titles) + (1 if t.also else 0) for t in poster.topics)
    step = 4.3
    start = pdf.get_y() + 1
    height = min(lines * step + 2.5, (297 - MARGIN - start) / max(rows, 1))
    for i, topic in enumerate(poster.topics):
        x = MARGIN + (i % columns) * width
        y_cell = start + (i // columns) * height
        pdf.set_text_color(*INK)
        for n, title in enumerate(topic.titles):
            _fit(pdf, title, width - 3, 9, bold=n == 0)
            pdf.set_xy(x, y_cell + n * step)
            pdf.cell(width - 3, step, title)
        if topic.also:
            pdf.set_text_color(*GREY)
            _fit(pdf, topic.also, width - 3, 8.5)
            pdf.set_xy(x, y_cell + len(topic.titles) * step)
            pdf.cell(width - 3, step, topic.also)


def render_pdf(poster: Poster) -> bytes:
    """The poster as a one-page A4 PDF."""
    pdf = _document()
    if poster.topic is None:
        _header(pdf, poster, None)
        bottom = _ask_and_code(pdf, poster, 45, 84)
        bottom = _scan(pdf, poster, bottom)
        _topics(pdf, poster, bottom)
    else:
        only = poster.topics[0]
        title = " / ".join(only.titles) + (f"\n{only.also}" if only.also else "")
        _header(pdf, poster, title)
        bottom = _code_then_ask(pdf, poster, float(pdf.get_y()) + 4, 100)
        _scan(pdf, poster, bottom)
    pdf.set_title(f"Guichet: {poster.city}" + (f", {poster.topic}" if poster.topic else ""))
    return bytes(pdf.output())


def render_png(pdf: bytes, dpi: int = PNG_DPI) -> bytes:
    """The PDF's first page as a PNG at `dpi` (150: a sharp A4 print, 1241 x 1754)."""
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render(poster: Poster, fmt: str) -> bytes:
    """The poster in `fmt` (a key of content.FORMATS)."""
    pdf = render_pdf(poster)
    return pdf if fmt == "pdf" else render_png(pdf)
