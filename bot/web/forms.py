"""The entry editor's facts form: from an entry to the fields a person sees, and back.

Opening hours are a grid (weekday × up to three slots of two time fields) rather than a text
to type in a format. A slot's end of 00:00 means midnight. Problems of form (a slot with a
start and no end) are found here, in the person's language; the rules of the knowledge itself
are the model's (bot/core/knowledge/model.py), as in `kb check`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from bot.core.i18n import Translator
from bot.core.knowledge import Entry
from bot.core.knowledge.model import WEEKDAYS

SLOTS: Final = 3


@dataclass(frozen=True)
class FactsForm:
    """The form's values as strings, ready for the template."""

    values: dict[str, str]
    topics: frozenset[str]
    always_open: bool
    hours: dict[str, list[tuple[str, str]]]  # weekday -> SLOTS × (start, end)
    errors: dict[str, list[str]] = field(default_factory=dict)


def form_of(entry: Entry) -> FactsForm:
    hours: dict[str, list[tuple[str, str]]] = {}
    for day in WEEKDAYS:
        slots = [
            (r.start.strftime("%H:%M"), r.end.strftime("%H:%M") if r.end else "00:00")
            for r in (entry.hours or {}).get(day, [])  # type: ignore[call-overload,unused-ignore]
        ]
        hours[day] = (slots + [("", "")] * SLOTS)[: max(SLOTS, len(slots))]
    closed = entry.temporarily_closed
    lat, lon = entry.coordinates or ("", "")
    values = {
        "address": entry.address or "",
        "phone": entry.phone or "",
        "email": entry.email or "",
        "website": entry.website or "",
        "booking": entry.booking or "",
        "appointment": entry.appointment or "",
        "languages": ", ".join(entry.languages),
        "see_also": ", ".join(entry.see_also),
        "lat": str(lat),
        "lon": str(lon),
        "closed_since": closed.since.isoformat() if closed else "",
        "closed_until": closed.until.isoformat() if closed and closed.until else "",
    }
    return FactsForm(values, frozenset(entry.topics), entry.always_open, hours)


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]


def parse_facts(
    form: Mapping[str, Any], topics: list[str], t: Translator
) -> tuple[dict[str, Any], FactsForm]:
    """The facts to save, and the form as submitted (with its problems, if any) to show
    again. `topics` are the topics ticked, read from the multi-valued field."""
    _ = t.gettext
    errors: dict[str, list[str]] = {}
    facts: dict[str, Any] = {"topics": topics}
    for name in ("address", "phone", "email", "website", "booking", "appointment"):
        value = _text(form, name)
        if value:
            facts[name] = value
    langs = [code.lower() for code in _list(_text(form, "languages"))]
    if langs:
        facts["languages"] = langs
    see_also = _list(_text(form, "see_also"))
    if see_also:
        facts["see_also"] = see_also
    lat, lon = _text(form, "lat"), _text(form, "lon")
    if lat or lon:
        try:
            facts["coordinates"] = [float(lat), float(lon)]
        except ValueError:
            errors["coordinates"] = [_("Give both the latitude and the longitude, as numbers.")]
    always = _text(form, "always_open") == "on"
    if always:
        facts["always_open"] = True
    hours: dict[str, list[str]] = {}
    grid: dict[str, list[tuple[str, str]]] = {}
    for day in WEEKDAYS:
        grid[day] = []
        for i in range(SLOTS):
            start, end = _text(form, f"hours-{day}-{i}-start"), _text(form, f"hours-{day}-{i}-end")
            grid[day].append((start, end))
            if not start and not end:
                continue
            if not (start and end):
                errors.setdefault(f"hours.{day}", []).append(
                    _("Each opening slot needs a start and an end time.")
                )
                continue
            hours.setdefault(day, []).append(f"{start}-{'24:00' if end == '00:00' else end}")
    if hours:
        facts["hours"] = hours
    since, until = _text(form, "closed_since"), _text(form, "closed_until")
    if since:
        facts["temporarily_closed"] = {"since": since, **({"until": until} if until else {})}
    elif until:
        errors["temporarily_closed"] = [_("Say since when the service is closed.")]
    values = {
        name: _text(form, name)
        for name in (
            "address",
            "phone",
            "email",
            "website",
            "booking",
            "appointment",
            "languages",
            "see_also",
            "lat",
            "lon",
            "closed_since",
            "closed_until",
        )
    }
    shown = FactsForm(values, frozenset(topics), always, grid, errors)
    return facts, shown
