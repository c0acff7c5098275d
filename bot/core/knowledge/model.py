"""Typed knowledge records. The same models validate the YAML files and the database rows."""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, time
from typing import Annotated, Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.core.i18n import N_
from bot.core.languages import UI_LANGUAGES

TOPIC_IDS: Final = (
    "emergency",
    "language-courses",
    "legal-aid",
    "asylum",
    "residence-permit",
    "registration",
    "housing",
    "shelter",
    "health-care",
    "mental-health",
    "school-enrolment",
    "childcare",
    "employment",
    "diploma-recognition",
    "social-assistance",
    "food-aid",
    "interpretation",
    "banking",
    "public-transport",
    "family-reunification",
    "integration-programme",
    "violence-support",
    "material-aid",
    "city-hall",
)
INTENT_IDS: Final = ("greeting", "thanks", "human", "chatter")
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ./()-]{1,24}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_URL = re.compile(r"^https?://[^\s]+$")


#: The model's own problems, by error type: the files' checks print them in English, and the
#: staff console shows them in the person's language (bot/storage/editing.py).
PROBLEMS: Final = {
    "guichet_id": N_("'{value}' is not a valid id (use a-z, 0-9 and '-')"),
    "guichet_language": N_("unknown language '{value}' (expected one of {expected})"),
    "guichet_topic": N_("unknown topic '{value}'"),
    "guichet_phone": N_("'{value}' is not a valid phone number"),
    "guichet_email": N_("'{value}' is not a valid e-mail address"),
    "guichet_url": N_("'{value}' is not a valid web address (http:// or https://)"),
    "guichet_hours": N_("bad opening hours '{value}' (expected HH:MM-HH:MM)"),
    "guichet_hours_time": N_("bad opening hours '{value}' (no such time)"),
    "guichet_hours_order": N_("bad opening hours '{value}' (closes before it opens)"),
    "guichet_closure": N_("a closure ends before it starts"),
    "guichet_temporary_closure": N_("a temporary closure ends before it starts"),
    "guichet_hours_or_always": N_("an entry is either always_open or has hours, not both"),
    "guichet_hours_overlap": N_("overlapping opening hours {first} and {second}"),
}


def _problem(kind: str, **values: object) -> PydanticCustomError:
    return PydanticCustomError(kind, PROBLEMS[kind], values)


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise _problem("guichet_id", value=value)
    return value


def _check_language(value: str) -> str:
    if value not in UI_LANGUAGES:
        raise _problem("guichet_language", value=value, expected=", ".join(UI_LANGUAGES))
    return value


def _check_topic(value: str) -> str:
    if value not in TOPIC_IDS:
        raise _problem("guichet_topic", value=value)
    return value


def _check_pattern(pattern: re.Pattern[str], kind: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise _problem(kind, value=value)
        return value

    return AfterValidator(check)


def _stringify(value: Any) -> Any:
    # YAML reads 112 as a number and `no` as a boolean; a text field wants the text.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Id = Annotated[str, AfterValidator(_check_id)]
LanguageCode = Annotated[str, AfterValidator(_check_language)]
TopicId = Annotated[str, AfterValidator(_check_topic)]
Text = Annotated[str, BeforeValidator(_stringify), Field(min_length=1)]
LangText = dict[LanguageCode, Text]
LangList = dict[LanguageCode, list[Text]]
Phone = Annotated[str, BeforeValidator(_stringify), _check_pattern(_PHONE, "guichet_phone")]
Email = Annotated[str, _check_pattern(_EMAIL, "guichet_email")]
Url = Annotated[str, _check_pattern(_URL, "guichet_url")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeRange(_Model):
    """One opening slot, such as 08:30-12:00 (an end of 24:00 means midnight)."""

    start: time
    end: time | None  # None: until midnight

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        m = _RANGE.match(value)
        if not m:
            raise _problem("guichet_hours", value=value)
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise _problem("guichet_hours_time", value=value)
        end = None if h2 == 24 else time(h2, m2)
        if end is not None and end <= time(h1, m1):
            raise _problem("guichet_hours_order", value=value)
        return {"start": time(h1, m1), "end": end}

    def label(self) -> str:
        end = self.end.strftime("%H:%M") if self.end else "24:00"
        return f"{self.start.strftime('%H:%M')}-{end}"


class Closure(_Model):
    start: date = Field(alias="from")
    end: date | None = Field(default=None, alias="to")
    note: LangText | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Closure:
        if self.end is not None and self.end < self.start:
            raise _problem("guichet_closure")
        return self

    def covers(self, day: date) -> bool:
        return self.start <= day <= (self.end or self.start)


class TemporaryClosure(_Model):
    """Closed for works, a move or a strike: from `since` until `until` (None: no end known)."""

    since: date
    until: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TemporaryClosure:
        if self.until is not None and self.until < self.since:
            raise _problem("guichet_temporary_closure")
        return self

    def covers(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


Fact = Literal[
    "description",  # what the service does, for whom, and when (said in the texts)
    "cost",
    "address",
    "coordinates",
    "phone",
    "email",
    "website",
    "hours",
    "appointment",
    "booking",
    "languages",
    "temporarily_closed",
]


SourceDate = Annotated[
    str,
    BeforeValidator(lambda v: v.isoformat() if isinstance(v, date) else _stringify(v)),
    Field(pattern=r"^(19|20)\d\d(-[01]\d(-[0-3]\d)?)?$"),
]


class FactSource(_Model):
    """Where some facts of an entry come from, so that a city can check them one by one."""

    url: Url
    #: the date the source gives itself: YYYY-MM-DD, YYYY-MM or YYYY; None when it gives none
    dated: SourceDate | None = Field(default=None, alias="date")
    facts: list[Fact] = Field(min_length=1)
    quote: Text | None = None  # the words of the source that state them
    note: Text | None = None  # what a reviewer should know about this source

    @model_validator(mode="before")
    @classmethod
    def _undated(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("date") == "unknown":
            return {**value, "date": None}
        return value


class HoursException(_Model):
    date: date
    hours: list[TimeRange] = Field(default_factory=list)  # empty: closed that day


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

#: The texts of an entry that a migrant reads and that a translation may stand in for.
TextField = Literal["name", "description", "cost", "accessibility"]
TEXT_FIELDS: Final[tuple[TextField, ...]] = ("name", "description", "cost", "accessibility")


def fingerprint(text: str) -> str:
    """A short digest of a source text; a translation keeps the one of the text it came from.

    Unicode form and outer spaces do not count, so re-saving a file in another editor does
    not make every translation of it outdated.
    """
    norm = unicodedata.normalize("NFC", text.strip())
    return hashlib.sha256(norm.encode()).hexdigest()[:12]


class Translation(_Model):
    """One text of an entry in a language the entry was not written in."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    text: Text
    source: LanguageCode = Field(alias="from")  # the language it was translated from
    fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")]
    reviewed: bool = False  # True once a person of the city has checked it


TextStatus = Literal["original", "reviewed", "unreviewed", "outdated", "missing"]


@dataclass(frozen=True, slots=True)
class EntryText:
    """An entry's text in one language, and how far it can be trusted."""

    text: str
    language: str
    status: TextStatus


class Entry(_Model):
    """One service, in the city, region, country or network layer."""

    id: Id
    topics: list[TopicId] = Field(min_length=1)
    name: LangText
    description: LangText
    #: words people use for this service that its texts do not hold ("huisarts", "GP")
    keywords: LangList | None = None
    address: Text | None = None
    coordinates: (
        tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]]
        | None
    ) = None
    phone: Phone | None = None
    website: Url | None = None
    email: Email | None = None
    hours: dict[Weekday, list[TimeRange]] | None = None
    always_open: bool = False
    closures: list[Closure] = Field(default_factory=list)
    exceptions: list[HoursException] = Field(default_factory=list)
    appointment: Literal["required", "walk-in", "either"] | None = None
    booking: Url | None = None  # where to book the appointment online
    temporarily_closed: TemporaryClosure | None = None
    cost: LangText | None = None
    #: spoken at the counter: any ISO 639 code, not only the 12 of the interface
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]] = Field(default_factory=list)
    accessibility: LangText | None = None
    source: Text
    fact_sources: list[FactSource] = Field(default_factory=list)
    last_reviewed: date
    verified: bool
    see_also: list[Id] = Field(default_factory=list)
    #: language -> field -> translation; read from `translations/<language>.yaml`.
    translations: dict[LanguageCode, dict[TextField, Translation]] = Field(default_factory=dict)

    def sourced(self, fact: Fact) -> bool:
        """Whether one of the entry's fact sources states this fact."""
        return any(fact in s.facts for s in self.fact_sources)

    def originals(self, field: TextField) -> dict[str, str]:
        texts: dict[str, str] | None = getattr(self, field)
        return texts or {}

    def text(self, field: TextField, language: str) -> EntryText | None:
        """The field in `language`: as written, or translated (with its status), or None."""
        own = self.originals(field)
        if own.get(language):
            return EntryText(own[language], language, "original")
        tr = self.translations.get(language, {}).get(field)
        if tr is None:
            return None
        source = own.get(tr.source)
        if source is None or fingerprint(source) != tr.fingerprint:
            return EntryText(tr.text, language, "outdated")
        return EntryText(tr.text, language, "reviewed" if tr.reviewed else "unreviewed")

    def text_status(self, field: TextField, language: str) -> TextStatus | None:
        """None when the entry has no such text at all (an entry without `cost`)."""
        if not self.originals(field):
            return None
        found = self.text(field, language)
        return found.status if found else "missing"

    @model_validator(mode="after")
    def _hours_or_always(self) -> Entry:
        if self.always_open and self.hours:
            raise _problem("guichet_hours_or_always")
        for ranges in (self.hours or {}).values():
            ordered = sorted(ranges, key=lambda r: r.start)
            for a, b in itertools.pairwise(ordered):
                if a.end is None or a.end > b.start:
                    raise _problem("guichet_hours_overlap", first=a.label(), second=b.label())
        return self


class Topic(_Model):
    id: TopicId
    emoji: Text
    title: LangText
    keywords: LangList
    phrasings: LangList


class Intent(_Model):
    keywords: LangList
    phrasings: LangList


class Country(_Model):
    code: Annotated[str, Field(pattern=r"^[a-z]{2}$")]
    name: LangText
    languages: list[LanguageCode] = Field(min_length=1)


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{value}'") from None
    return value


class Region(_Model):
    """An area between country and city whose services only its own cities should list
    (Brussels-Capital, Flanders, the Community of Madrid...)."""

    slug: Id
    name: LangText
    country: Annotated[str, Field(pattern=r"^[a-z]{2}$")]
    languages: list[LanguageCode] = Field(min_length=1)


class City(_Model):
    slug: Id
    name: LangText
    country: Annotated[str, Field(pattern=r"^[a-z]{2}$")]
    region: Id | None = None
    timezone: Annotated[str, AfterValidator(_check_timezone)]
    languages: list[LanguageCode] = Field(min_length=1)
    center: tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]]
    contact: Id | None = None
    #: the city this one learns from: the network pairs experienced "mentor" cities with
    #: "learning" ones (the staff console compares their coverage topic by topic)
    mentor: Id | None = None

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# --- what one file holds -------------------------------------------------------------------


class IntentsFile(_Model):
    intents: dict[Literal["greeting", "thanks", "human", "chatter"], Intent]


# Entries are validated one by one (see the loader), so one bad entry hides no other problem.


class NetworkFile(_Model):
    network: dict[str, Any] = Field(default_factory=dict)
    entries: list[Any] = Field(default_factory=list)


class CountryFile(_Model):
    country: Country
    entries: list[Any] = Field(default_factory=list)


class RegionFile(_Model):
    region: Region
    entries: list[Any] = Field(default_factory=list)


class TranslationsFile(_Model):
    """`translations/<language>.yaml`: entry id -> field -> translated text."""

    language: LanguageCode
    # Each translation is validated on its own (see the loader): one bad text hides no other.
    entries: dict[Id, dict[TextField, Any]] = Field(default_factory=dict)


class CityFile(_Model):
    city: City
    phrasings: dict[TopicId, LangList] = Field(default_factory=dict)
    entries: list[Any] = Field(default_factory=list)


# --- the whole base ----------------------------------------------------------------------


@dataclass(frozen=True)
class Knowledge:
    """One consistent version of the knowledge base, as the assistant reads it."""

    topics: dict[str, Topic]
    intents: dict[str, Intent]
    network_entries: tuple[Entry, ...]
    countries: dict[str, Country]
    country_entries: dict[str, tuple[Entry, ...]]
    cities: dict[str, City]
    city_entries: dict[str, tuple[Entry, ...]]
    city_phrasings: dict[str, dict[str, dict[str, list[str]]]]
    regions: dict[str, Region] = field(default_factory=dict)
    region_entries: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    _by_id: dict[str, Entry] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        every = [*self.network_entries]
        for entries in (
            *self.country_entries.values(),
            *self.region_entries.values(),
            *self.city_entries.values(),
        ):
            every.extend(entries)
        self._by_id.update({e.id: e for e in every})

    def entry(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def all_entries(self) -> list[Entry]:
        """Every entry of every layer, each once."""
        return list(self._by_id.values())

    def own_entries(self, city: str) -> list[Entry]:
        """The entries of the city's own layers: the city's, then its region's."""
        region = self.cities[city].region
        return [*self.city_entries.get(city, ()), *self.region_entries.get(region or "", ())]

    def layered_entries(self, city: str) -> list[Entry]:
        """The city's entries, then its region's, its country's, and the network's."""
        c = self.cities[city]
        return [
            *self.own_entries(city),
            *self.country_entries.get(c.country, ()),
            *self.network_entries,
        ]

    def entries_for(self, city: str, topic: str) -> list[Entry]:
        return [e for e in self.layered_entries(city) if topic in e.topics]

    def missing_topics(self, city: str) -> list[str]:
        covered = {t for e in self.layered_entries(city) for t in e.topics}
        return [t for t in TOPIC_IDS if t not in covered]

    def entry_count(self) -> int:
        return len(self._by_id)
