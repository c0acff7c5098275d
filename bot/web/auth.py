"""Who is signed in, and the checks every request of the console passes.

Sessions are signed cookies (Starlette's SessionMiddleware, itsdangerous) that expire after
eight hours; they hold the staff id and a CSRF token, nothing else. The person is read again
on every request, so a removed person is signed out at once. Every POST must carry the
session's CSRF token (a hidden field, or the X-CSRF-Token header that htmx sends), signing in
included: the sign-in page puts a token in the not yet signed-in session first.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Final

from babel import Locale, negotiate_locale
from starlette.requests import Request

from bot.settings import WebSettings
from bot.storage.staff import Staff, StaffStore

SESSION_SECONDS: Final = 8 * 3600
MOST_UPLOAD: Final = 5 * 1024 * 1024  # bytes of one uploaded file (a translator's sheet)
#: The languages the console speaks: the network's local languages and English.
CONSOLE_LANGUAGES: Final = ("en", "fr", "nl", "es", "it", "el", "lv")


def session_secret(settings: WebSettings) -> str:
    """GUICHET_WEB_SECRET, else one generated once and kept in the state folder (0600), so
    that a restart keeps people signed in."""
    if settings.secret:
        return settings.secret
    folder = settings.state_dir or Path("state")
    path = folder / "web-secret"
    if path.exists():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


async def csrf_ok(request: Request) -> bool:
    expected = request.session.get("csrf")
    if not isinstance(expected, str):
        return False
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        # Parsed once for the whole request (Starlette keeps it); an uploaded spreadsheet
        # may be a few megabytes.
        form = await request.form(max_part_size=MOST_UPLOAD)
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    return sent is not None and secrets.compare_digest(sent, expected)


async def signed_in(request: Request, staff: StaffStore) -> Staff | None:
    staff_id = request.session.get("staff")
    if not isinstance(staff_id, int):
        return None
    who = await staff.get(staff_id)
    if who is None:
        request.session.clear()
    return who


def console_language(request: Request) -> str:
    """The person's choice (?ui=, kept in the session), else their browser's, else English."""
    chosen = request.query_params.get("ui")
    if chosen in CONSOLE_LANGUAGES:
        request.session["ui"] = chosen
        return chosen
    kept = request.session.get("ui")
    if isinstance(kept, str) and kept in CONSOLE_LANGUAGES:
        return kept
    header = request.headers.get("accept-language", "")
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",")]
    found = negotiate_locale([w for w in wanted if w], list(CONSOLE_LANGUAGES), sep="_")
    if found is None:
        bases = [str(Locale.parse(w, sep="_").language) for w in wanted if _parses(w)]
        found = next((b for b in bases if b in CONSOLE_LANGUAGES), None)
    return found or "en"


def _parses(tag: str) -> bool:
    try:
        Locale.parse(tag, sep="_")
    except (ValueError, TypeError):
        return False
    return True
