"""What the real Bot API refuses, so that the fake refuses it too.

Telegram rejects a message whose HTML it cannot parse ("can't parse entities"), a text longer
than 4096 characters once parsed, and buttons with callback data over 64 bytes. A fake that
accepted these would let escaping and splitting bugs pass the tests.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

# Tags of Telegram's HTML style (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler"}
    | {"a", "tg-emoji", "code", "pre", "blockquote"}
)
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.error: str | None = None
        self.length = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f'unsupported start tag "{tag}"'
        if tag == "a" and not dict(attrs).get("href"):
            self.error = self.error or "a link without href"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'unexpected end tag "{tag}"'
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.error = self.error or "unescaped < or >"
        # Telegram counts UTF-16 code units.
        self.length += len(data.encode("utf-16-le")) // 2

    def handle_entityref(self, name: str) -> None:
        self.length += 1

    def handle_charref(self, name: str) -> None:
        self.length += 1


def check_text(text: str, parse_mode: str | None) -> str | None:
    """The Bot API's error description for this text, or None when it would be accepted."""
    if not text.strip():
        return "Bad Request: message text is empty"
    if parse_mode is None or parse_mode.upper() != "HTML":
        length = len(text.encode("utf-16-le")) // 2
        return "Bad Request: message is too long" if length > MAX_TEXT else None
    for amp in re.finditer("&", text):
        if not _ENTITY.match(text, amp.start()):
            return "Bad Request: can't parse entities: unsupported entity or bare &"
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.error is None and checker.stack:
        checker.error = f'unclosed tag "{checker.stack[-1]}"'
    if checker.error:
        return f"Bad Request: can't parse entities: {checker.error}"
    if checker.length > MAX_TEXT:
        return "Bad Request: message is too long"
    return None


def check_markup(markup: Any) -> str | None:
    if not isinstance(markup, dict):
        return None
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if not str(button.get("text", "")).strip():
                return "Bad Request: text buttons are unallowed in the inline keyboard"
            data = button.get("callback_data")
            if data is not None and len(str(data).encode()) > MAX_CALLBACK_BYTES:
                return "Bad Request: BUTTON_DATA_INVALID"
    return None


def visible(text: str) -> str:
    """The text a user sees: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))
