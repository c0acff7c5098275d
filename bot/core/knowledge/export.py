"""Write a knowledge base back as the files of a knowledge directory (`kb export`).

The same knowledge always gives the same bytes, so that a city keeping its files in git sees
only what changed: keys in the order the sample files use, languages in the interface's order,
block style with short lists and place names in flow style, non-ASCII as is, and lines never
wrapped (a changed word changes one line). Translations go to `translations/<language>.yaml`.
What the database does not hold (a file's opening comments, the network file's `network:`
header) is taken from the file being replaced, when there is one.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bot.core.knowledge.model import (
    INTENT_IDS,
    TEXT_FIELDS,
    TOPIC_IDS,
    WEEKDAYS,
    City,
    Closure,
    Entry,
    FactSource,
    HoursException,
    Knowledge,
    TemporaryClosure,
    TimeRange,
)
from bot.core.languages import UI_LANGUAGES

#: An entry's keys in the order most sample entries write them; later keys (closures,
#: exceptions, temporarily_closed, accessibility) where the README's example puts them.
ENTRY_KEYS: Final = (
    "id",
    "topics",
    "name",
    "description",
    "keywords",
    "website",
    "address",
    "coordinates",
    "phone",
    "always_open",
    "cost",
    "appointment",
    "email",
    "booking",
    "hours",
    "closures",
    "exceptions",
    "temporarily_closed",
    "languages",
    "accessibility",
    "source",
    "fact_sources",
    "last_reviewed",
    "verified",
    "see_also",
)
NETWORK_FILE: Final = "network/network.yaml"
INTENTS_FILE: Final = "network/intents.yaml"
_NEVER_WRAP: Final = 1_000_000_000


class _Emitter(RoundTripEmitter):
    """Quotes a text that cannot stand plain ("112") with double quotes, as the files do."""

    def choose_scalar_style(self) -> Any:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def _flow_list(items: Iterable[Any]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _flow_map(items: Iterable[tuple[str, Any]]) -> CommentedMap:
    out = CommentedMap(items)
    out.fa.set_flow_style()
    return out


def _by_language(texts: Mapping[str, Any], first: Iterable[str] = ()) -> list[tuple[str, Any]]:
    """The languages in the interface's order, after `first` (a city's own languages)."""
    rank = {lang: i for i, lang in enumerate(dict.fromkeys([*first, *UI_LANGUAGES]))}
    return sorted(texts.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


def _quoted(texts: Mapping[str, str]) -> CommentedMap:
    """The texts a migrant reads first (name, description), one per line, in quotes."""
    return CommentedMap((k, DoubleQuotedScalarString(v)) for k, v in _by_language(texts))


def _words(lists: Mapping[str, list[str]], first: Iterable[str] = ()) -> CommentedMap:
    """Keywords and the like: one flow list per language."""
    return CommentedMap((k, _flow_list(v)) for k, v in _by_language(lists, first))


def _lines(lists: Mapping[str, list[str]]) -> CommentedMap:
    """Phrasings: one block list per language, a phrasing per line."""
    return CommentedMap((k, CommentedSeq(v)) for k, v in _by_language(lists))


def _short(texts: Mapping[str, str]) -> CommentedMap:
    """Short texts (a cost, a place name) on one line: {en: Free, fr: Gratuit}."""
    return _flow_map(_by_language(texts))


def _ranges(ranges: list[TimeRange]) -> CommentedSeq:
    return _flow_list(r.label() for r in ranges)


def _closure(c: Closure) -> CommentedMap:
    items: list[tuple[str, Any]] = [("from", c.start)]
    items += [("to", c.end)] if c.end is not None else []
    items += [("note", _short(c.note))] if c.note is not None else []
    return _flow_map(items)


def _exception(x: HoursException) -> CommentedMap:
    return _flow_map([("date", x.date), ("hours", _ranges(x.hours))])


def _closed(closed: TemporaryClosure | None) -> CommentedMap:
    items: list[tuple[str, Any]] = [("since", closed.since)] if closed else []
    items += [("until", closed.until)] if closed and closed.until is not None else []
    return _flow_map(items)


def _source_date(dated: str | None) -> date | int | str:
    """As a person writes it: 2024-05-01 and 2024 unquoted, `unknown` when there is none."""
    if dated is None:
        return "unknown"
    if len(dated) == len("2024-05-01"):
        return date.fromisoformat(dated)
    return int(dated) if dated.isdigit() else dated


def _fact_source(s: FactSource) -> CommentedMap:
    out = CommentedMap([("url", s.url), ("date", _source_date(s.dated))])
    out["facts"] = _flow_list(s.facts)
    for key, value in (("quote", s.quote), ("note", s.note)):
        if value is not None:
            out[key] = value
    return out


_FIELDS: Final[dict[str, Callable[[Entry], Any]]] = {
    "id": lambda e: e.id,
    "topics": lambda e: _flow_list(e.topics),
    "name": lambda e: _quoted(e.name),
    "description": lambda e: _quoted(e.description),
    "keywords": lambda e: _words(e.keywords or {}),
    "website": lambda e: e.website,
    "address": lambda e: e.address,
    "coordinates": lambda e: _flow_list(e.coordinates or ()),
    "phone": lambda e: e.phone,
    "always_open": lambda e: e.always_open,
    "cost": lambda e: _short(e.cost or {}),
    "appointment": lambda e: e.appointment,
    "email": lambda e: e.email,
    "booking": lambda e: e.booking,
    "hours": lambda e: CommentedMap(
        (day, _ranges((e.hours or {})[day])) for day in WEEKDAYS if day in (e.hours or {})
    ),
    "closures": lambda e: CommentedSeq(_closure(c) for c in e.closures),
    "exceptions": lambda e: CommentedSeq(_exception(x) for x in e.exceptions),
    "temporarily_closed": lambda e: _closed(e.temporarily_closed),
    "languages": lambda e: _flow_list(e.languages),
    "accessibility": lambda e: _short(e.accessibility or {}),
    "source": lambda e: e.source,
    "fact_sources": lambda e: CommentedSeq(_fact_source(s) for s in e.fact_sources),
    "last_reviewed": lambda e: e.last_reviewed,
    "verified": lambda e: e.verified,
    "see_also": lambda e: _flow_list(e.see_also),
}


def _entry(entry: Entry) -> CommentedMap:
    """One entry as its file writes it: the fields it sets, in ENTRY_KEYS order. Its
    translations are not here: they go to the translation files."""
    written = entry.model_dump(exclude_defaults=True, exclude={"translations"})
    return CommentedMap((key, _FIELDS[key](entry)) for key in ENTRY_KEYS if key in written)


def _entries(entries: Iterable[Entry]) -> CommentedSeq:
    seq = CommentedSeq(_entry(e) for e in entries)
    for i in range(1, len(seq)):
        seq.yaml_set_comment_before_after_key(i, before="\n")  # a blank line between entries
    return seq


def _city(city: City) -> CommentedMap:
    out = CommentedMap([("slug", city.slug), ("name", _short(city.name))])
    out["country"] = city.country
    if city.region is not None:
        out["region"] = city.region
    out["timezone"] = city.timezone
    out["languages"] = _flow_list(city.languages)
    out["center"] = _flow_list(city.center)
    if city.contact is not None:
        out["contact"] = city.contact
    if city.mentor is not None:
        out["mentor"] = city.mentor
    return out


def _kept(value: Any) -> Any:
    """Data kept from an old file (the network header), in the files' style."""
    if isinstance(value, Mapping):
        items = [(str(k), _kept(v)) for k, v in value.items()]
        flat = all(not isinstance(v, Mapping | list) for v in value.values())
        return _flow_map(items) if flat and value else CommentedMap(items)
    if isinstance(value, list):
        flat = all(not isinstance(v, Mapping | list) for v in value)
        return _flow_list(map(_kept, value)) if flat else CommentedSeq(map(_kept, value))
    return value


def _network_files(knowledge: Knowledge, header: Mapping[str, Any] | None) -> dict[str, Any]:
    """The network's entries, its intents and its topics, by path."""
    network = CommentedMap([("network", _kept(header))] if header else [])
    network["entries"] = _entries(knowledge.network_entries)
    intents = CommentedMap(
        (
            name,
            CommentedMap(
                [
                    ("keywords", _words(knowledge.intents[name].keywords)),
                    ("phrasings", _lines(knowledge.intents[name].phrasings)),
                ]
            ),
        )
        for name in INTENT_IDS
        if name in knowledge.intents
    )
    files: dict[str, Any] = {
        NETWORK_FILE: network,
        INTENTS_FILE: CommentedMap([("intents", intents)]),
    }
    for t in [knowledge.topics[t] for t in TOPIC_IDS if t in knowledge.topics]:
        files[f"network/topics/{t.id}.yaml"] = CommentedMap(
            [
                ("id", t.id),
                ("emoji", DoubleQuotedScalarString(t.emoji)),
                ("title", CommentedMap(_by_language(t.title))),
                ("keywords", _words(t.keywords)),
                ("phrasings", _lines(t.phrasings)),
            ]
        )
    return files


def _place_files(knowledge: Knowledge) -> dict[str, Any]:
    """Each country, region and city with its entries, by path."""
    files: dict[str, Any] = {}
    for code, country in sorted(knowledge.countries.items()):
        about = CommentedMap([("code", code), ("name", _short(country.name))])
        about["languages"] = _flow_list(country.languages)
        entries = _entries(knowledge.country_entries.get(code, ()))
        files[f"countries/{code}.yaml"] = CommentedMap([("country", about), ("entries", entries)])
    for slug, region in sorted(knowledge.regions.items()):
        about = CommentedMap([("slug", slug), ("name", _short(region.name))])
        about["country"] = region.country
        about["languages"] = _flow_list(region.languages)
        entries = _entries(knowledge.region_entries.get(slug, ()))
        files[f"regions/{slug}.yaml"] = CommentedMap([("region", about), ("entries", entries)])
    for slug, city in sorted(knowledge.cities.items()):
        doc = CommentedMap([("city", _city(city))])
        phrasings = knowledge.city_phrasings.get(slug) or {}
        if phrasings:
            doc["phrasings"] = CommentedMap(
                (t, _words(phrasings[t], city.languages)) for t in _topic_order(phrasings)
            )
        doc["entries"] = _entries(knowledge.city_entries.get(slug, ()))
        files[f"cities/{slug}.yaml"] = doc
    return files


def _topic_order(by_topic: Mapping[str, Any]) -> list[str]:
    return sorted(by_topic, key=lambda t: (TOPIC_IDS.index(t) if t in TOPIC_IDS else 99, t))


def _layered(knowledge: Knowledge) -> list[Entry]:
    """Every entry, in the order of the files: network, countries, regions, then cities."""
    out = list(knowledge.network_entries)
    for layer in (knowledge.country_entries, knowledge.region_entries, knowledge.city_entries):
        for key in sorted(layer):
            out.extend(layer[key])
    return out


def _translations(knowledge: Knowledge) -> dict[str, CommentedMap]:
    by_language: dict[str, CommentedMap] = {}
    for entry in _layered(knowledge):
        for lang, fields in entry.translations.items():
            texts = CommentedMap()
            for name in [f for f in TEXT_FIELDS if f in fields]:
                tr = fields[name]
                texts[name] = CommentedMap(
                    [
                        ("text", DoubleQuotedScalarString(tr.text)),
                        ("from", tr.source),
                        ("fingerprint", tr.fingerprint),
                        ("reviewed", tr.reviewed),
                    ]
                )
            if texts:
                by_language.setdefault(lang, CommentedMap())[entry.id] = texts
    return {
        f"translations/{lang}.yaml": CommentedMap([("language", lang), ("entries", entries)])
        for lang, entries in sorted(by_language.items())
    }


def header(text: str | None) -> str:
    """The comment lines a file opens with, kept when the file is written again."""
    lines = []
    for line in (text or "").splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line if line.endswith("\n") else line + "\n")
    return "".join(lines)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Emitter = _Emitter
    yaml.width = _NEVER_WRAP
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    return yaml


def _network_header(text: str | None) -> Mapping[str, Any] | None:
    """The `network:` section of the old network file, which the database does not keep."""
    if not text:
        return None
    try:
        data = YAML(typ="safe").load(text)
    except Exception:  # a broken old file has nothing to keep
        return None
    found = data.get("network") if isinstance(data, dict) else None
    return found if isinstance(found, dict) and found else None


def render(knowledge: Knowledge, previous: Mapping[str, str] | None = None) -> dict[str, str]:
    """The text of every knowledge file, by path relative to the directory (sorted).

    `previous` holds the texts of the files being replaced, by the same paths: their opening
    comments and the network file's `network:` section are kept.
    """
    previous = previous or {}
    yaml = _yaml()
    docs = {
        **_network_files(knowledge, _network_header(previous.get(NETWORK_FILE))),
        **_place_files(knowledge),
        **_translations(knowledge),
    }
    out: dict[str, str] = {}
    for path in sorted(docs):
        buffer = io.StringIO()
        yaml.dump(docs[path], buffer)
        out[path] = header(previous.get(path)) + buffer.getvalue()
    return out


def differences(expected: Knowledge, found: Knowledge) -> list[str]:
    """What of `expected` is not the same in `found`, one line per part ([] when equal)."""
    out = []
    parts: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = [
        ("topic", expected.topics, found.topics),
        ("intent", expected.intents, found.intents),
        ("country", expected.countries, found.countries),
        ("region", expected.regions, found.regions),
        ("city", expected.cities, found.cities),
        ("phrasings of city", expected.city_phrasings, found.city_phrasings),
        ("entries of country", expected.country_entries, found.country_entries),
        ("entries of region", expected.region_entries, found.region_entries),
        ("entries of city", expected.city_entries, found.city_entries),
        ("entries of the network", {"": expected.network_entries}, {"": found.network_entries}),
    ]
    for what, a, b in parts:
        empty: Any = () if what.startswith("entries") else {} if what.startswith("phr") else None
        for key in sorted({*a, *b}):
            if a.get(key, empty) != b.get(key, empty):
                out.append(f"{what} {key}".rstrip())
    return out
