"""Render a city's entries for a topic in the user's language, for any channel.

A `Formatter` decides the markup (plain text for the console and JSON, HTML for Telegram), so
the wording lives here once. Every piece of knowledge-base text passes through `escape`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import quote_plus

from bot.core.geo import Nearby, Point, nearest
from bot.core.hours import status
from bot.core.i18n import N_, Translator
from bot.core.knowledge import City, Entry, Knowledge, Topic
from bot.core.knowledge.model import TextField

EMERGENCY_LINE = N_("In danger right now? Call 112 (free, day and night).")


class Formatter(Protocol):
    def escape(self, text: str) -> str: ...
    def bold(self, text: str) -> str: ...
    def italic(self, text: str) -> str: ...
    def link(self, url: str, label: str) -> str: ...


class PlainFormatter:
    def escape(self, text: str) -> str:
        return text

    def bold(self, text: str) -> str:
        return text

    def italic(self, text: str) -> str:
        return text

    def link(self, url: str, label: str) -> str:
        return url


class HtmlFormatter:
    """Telegram's HTML subset; every text is escaped."""

    def escape(self, text: str) -> str:
        return html.escape(text, quote=False)

    def bold(self, text: str) -> str:
        return f"<b>{text}</b>"

    def italic(self, text: str) -> str:
        return f"<i>{text}</i>"

    def link(self, url: str, label: str) -> str:
        return f'<a href="{html.escape(url, quote=True)}">{label}</a>'


@dataclass(frozen=True, slots=True)
class Localized:
    text: str
    fallback: bool  # not in the user's language
    language: str | None = None  # the language fallen back to, when known
    unreviewed: bool = False  # translated, and no person of the city has checked it yet
    outdated: bool = False  # translated from a text that has changed since


def pick(
    texts: dict[str, str] | None, language: str, city: City, also: str | None = None
) -> Localized | None:
    """The text in `language`, else in `also`, else English, else the city's languages, else any.

    `also` is the language another part of the same entry fell back to, so that one entry is
    never in three languages (the interface's, English and the city's).
    """
    if not texts:
        return None
    if texts.get(language):
        return Localized(texts[language], False)
    for lang in (*((also,) if also else ()), "en", *city.languages):
        if texts.get(lang):
            return Localized(texts[lang], True, lang)
    first = next(iter(texts.values()))
    return Localized(first, True)


def entry_text(
    entry: Entry, field: TextField, language: str, city: City, also: str | None = None
) -> Localized | None:
    """An entry's text in `language`, as written or translated; else as `pick` falls back.

    A translation counts as the user's language whatever its status; the status travels with
    it, so the reply can say "not yet checked" or "may be out of date" instead of hiding it.
    """
    found = entry.text(field, language)
    if found is not None:
        return Localized(
            found.text,
            False,
            unreviewed=found.status == "unreviewed",
            outdated=found.status == "outdated",
        )
    return pick(entry.originals(field), language, city, also)


def map_link(entry: Entry) -> str | None:
    if entry.coordinates:
        lat, lon = entry.coordinates
        return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=18/{lat:.5f}/{lon:.5f}"
    if entry.address:
        return f"https://www.openstreetmap.org/search?query={quote_plus(entry.address)}"
    return None


class Renderer:
    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    def city_name(self, slug: str, t: Translator) -> str:
        """The city's name in the user's language (or its fallback)."""
        city = self.knowledge.cities[slug]
        name = pick(city.name, t.language, city)
        return name.text if name else slug

    def contact(self, slug: str, now: datetime, t: Translator, fmt: Formatter) -> str | None:
        """The city's own contact entry, rendered; None when the city names none."""
        city = self.knowledge.cities.get(slug)
        entry = self.knowledge.entry(city.contact) if city and city.contact else None
        if city is None or entry is None:
            return None
        return self.entry(entry, 1, city, now, t, fmt)

    def topic_title(self, topic: Topic, t: Translator) -> str:
        return f"{topic.emoji} {topic.title.get(t.language) or topic.title['en']}"

    def _opening(self, entry: Entry, city: City, now: datetime, t: Translator) -> str | None:
        st = status(entry, now, city.zone)
        _ = t.gettext
        if st.temporarily_closed:
            if st.closed_until is None:
                return _("Temporarily closed until further notice")
            return _("Temporarily closed until {date}").format(date=t.date(st.closed_until))
        if st.open_now is None:
            return None
        if st.always_open:
            return _("Open 24 hours a day, every day")
        if st.open_now and st.closes_at:
            return _("Open now, until {time}").format(time=t.time(st.closes_at))
        if st.next_open is None:
            return _("Closed now")
        local_now = now.astimezone(city.zone)
        days = (st.next_open.date() - local_now.date()).days
        when = t.time(st.next_open)
        if days == 0:
            return _("Closed now. Opens today at {time}").format(time=when)
        if days == 1:
            return _("Closed now. Opens tomorrow at {time}").format(time=when)
        if days < 7:
            return _("Closed now. Opens {weekday} at {time}").format(
                weekday=t.weekday(st.next_open), time=when
            )
        return _("Closed now. Opens on {date} at {time}").format(
            date=t.date(st.next_open), time=when
        )

    def entry(
        self,
        entry: Entry,
        number: int,
        city: City,
        now: datetime,
        t: Translator,
        fmt: Formatter,
        *,
        meters: float | None = None,
    ) -> str:
        _ = t.gettext
        esc = fmt.escape
        iso = t.isolate
        desc = entry_text(entry, "description", t.language, city)
        also = desc.language if desc else None
        name = entry_text(entry, "name", t.language, city, also)
        title = name.text if name else entry.id
        if not name or name.fallback:  # a Latin name stays readable in a right-to-left reply
            title = iso(title)
        lines = [f"{number}. {fmt.bold(esc(title))}"]
        if meters is not None:
            away = _("{distance} from you").format(distance=iso(t.distance(meters)))
            lines.append(f"🚶 {esc(away)}")
        if desc:
            lines.append(esc(desc.text))
        link = map_link(entry)
        map_label = esc(_("map"))
        if entry.address:
            where = esc(iso(entry.address))
            lines.append(f"📍 {where}" + (f" · {fmt.link(link, map_label)}" if link else ""))
        elif link:
            lines.append(f"📍 {fmt.link(link, map_label)}")
        if entry.phone:
            lines.append(f"📞 {esc(iso(entry.phone))}")
        if entry.website:
            lines.append(f"🌐 {fmt.link(entry.website, esc(iso(entry.website)))}")
        if entry.email:
            lines.append(f"✉️ {esc(iso(entry.email))}")
        opening = self._opening(entry, city, now, t)
        if opening:
            lines.append(f"🕒 {esc(opening)}")
        if entry.appointment:
            label = {
                "required": _("By appointment only"),
                "walk-in": _("No appointment needed"),
                "either": _("With or without an appointment"),
            }[entry.appointment]
            book = _("book online")
            booking = f" · {fmt.link(entry.booking, esc(book))}" if entry.booking else ""
            lines.append(f"📅 {esc(label)}{booking}")
        elif entry.booking:
            book = _("Book an appointment online")
            lines.append(f"📅 {fmt.link(entry.booking, esc(book))}")
        cost = entry_text(entry, "cost", t.language, city, also)
        if cost:
            lines.append(f"💶 {esc(cost.text)}")
        if entry.languages:
            spoken = ", ".join(t.language_name(code) for code in entry.languages)
            label = _("Languages spoken: {languages}").format(languages=spoken)
            lines.append(f"🗣 {esc(label)}")
        access = entry_text(entry, "accessibility", t.language, city, also)
        if access:
            lines.append(f"♿ {esc(access.text)}")
        if not entry.verified:
            warning = _("Not yet verified by the city: please check before you go.")
            lines.append(f"⚠️ {esc(warning)}")
        texts = [x for x in (name, desc, cost, access) if x is not None]
        if any(x.fallback for x in texts):
            note = _("This text is not yet available in your language.")
            lines.append(f"ℹ️ {esc(note)}")
        if any(x.outdated for x in texts):
            note = _("Translated from a text that has changed since: it may be out of date.")
            lines.append(f"ℹ️ {esc(note)}")
        elif any(x.unreviewed for x in texts):
            note = _("Translated, not yet checked by the city.")
            lines.append(f"ℹ️ {esc(note)}")
        return "\n".join(lines)

    def answer(
        self,
        city_slug: str,
        topic_id: str,
        now: datetime,
        t: Translator,
        fmt: Formatter,
        *,
        offset: int = 0,
        limit: int = 3,
        order: Sequence[int] | None = None,
    ) -> tuple[str, int]:
        """The rendered entries and how many more there are after them.

        `order` lists the positions of the topic's entries in the order to show them (best fit
        to the question first); None keeps the layer order.
        """
        _ = t.gettext
        city = self.knowledge.cities[city_slug]
        topic = self.knowledge.topics[topic_id]
        entries = self.knowledge.entries_for(city_slug, topic_id)
        if order is not None:
            entries = [entries[i] for i in order]
        title = fmt.bold(fmt.escape(self.topic_title(topic, t)))
        head = f"{title} · {fmt.escape(self.city_name(city_slug, t))}"
        parts = [head]
        if topic_id == "emergency" and offset == 0:
            parts.append(fmt.bold(fmt.escape(_(EMERGENCY_LINE))))
        shown = entries[offset : offset + limit]
        for i, entry in enumerate(shown, start=offset + 1):
            parts.append(self.entry(entry, i, city, now, t, fmt))
        if not shown:
            parts.append(fmt.escape(_("There is no service for this topic in your city yet.")))
        more = max(0, len(entries) - offset - len(shown))
        return "\n\n".join(parts), more

    def nearby(
        self,
        city_slug: str,
        here: Point,
        topic_id: str | None,
        now: datetime,
        t: Translator,
        fmt: Formatter,
        *,
        limit: int = 5,
    ) -> tuple[str, list[Nearby]]:
        """The services nearest to `here` (for one topic, or all), with distances."""
        _ = t.gettext
        city = self.knowledge.cities[city_slug]
        entries = (
            self.knowledge.entries_for(city_slug, topic_id)
            if topic_id
            else self.knowledge.layered_entries(city_slug)
        )
        found = nearest(entries, here, limit=limit)
        where = fmt.escape(self.city_name(city_slug, t))
        if topic_id:
            title = self.topic_title(self.knowledge.topics[topic_id], t)
            head = fmt.bold(fmt.escape(_("Near you: {topic}").format(topic=title)))
        else:
            head = "📍 " + fmt.bold(fmt.escape(_("Services near you")))
        parts = [f"{head} · {where}"]
        for i, near in enumerate(found, start=1):
            parts.append(self.entry(near.entry, i, city, now, t, fmt, meters=near.meters))
        unplaced = sum(1 for e in entries if e.coordinates is None)
        if not found:
            parts.append(fmt.escape(_("I do not know the location of these services yet.")))
        if unplaced:
            note = t.ngettext(
                "{n} service has no location on the map yet.",
                "{n} services have no location on the map yet.",
                unplaced,
            ).format(n=unplaced)
            parts.append(f"ℹ️ {fmt.escape(note)}")
        return "\n\n".join(parts), found
