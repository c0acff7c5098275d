"""Typed knowledge records. The same models validate the YAML files and the database rows."""

from __future__ import annotations

import itertools
import re
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


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"'{value}' is not a valid id (use a-z, 0-9 and '-')")
    return value


def _check_language(value: str) -> str:
    if value not in UI_LANGUAGES:
        raise ValueError(f"unknown language '{value}' (expected one of {', '.join(UI_LANGUAGES)})")
    return value


def _check_topic(value: str) -> str:
    if value not in TOPIC_IDS:
        raise ValueError(f"unknown topic '{value}'")
    return value


def _check_pattern(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"'{value}' is not a valid {what}")
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
Phone = Annotated[str, BeforeValidator(_stringify), _check_pattern(_PHONE, "phone number")]
Email = Annotated[str, _check_pattern(_EMAIL, "e-mail address")]
Url = Annotated[str, _check_pattern(_URL, "web address (http:// or https://)")]


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
            raise ValueError(f"bad opening hours '{value}' (expected HH:MM-HH:MM)")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"bad opening hours '{value}' (no such time)")
        end = None if h2 == 24 else time(h2, m2)
        if end is not None and end <= time(h1, m1):
            raise ValueError(f"bad opening hours '{value}' (closes before it opens)")
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
            raise ValueError("a closure ends before it starts")
        return self

    def covers(self, day: date) -> bool:
        return self.start <= day <= (self.end or self.start)


class HoursException(_Model):
    date: date
    hours: list[TimeRange] = Field(default_factory=list)  # empty: closed that day


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Entry(_Model):
    """One service, in the city, country or network layer."""

    id: Id
    topics: list[TopicId] = Field(min_length=1)
    name: LangText
    description: LangText
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
    cost: LangText | None = None
    languages: list[LanguageCode] = Field(default_factory=list)
    accessibility: LangText | None = None
    source: Text
    last_reviewed: date
    verified: bool
    see_also: list[Id] = Field(default_factory=list)

    @model_validator(mode="after")
    def _hours_or_always(self) -> Entry:
        if self.always_open and self.hours:
            raise ValueError("an entry is either always_open or has hours, not both")
        for ranges in (self.hours or {}).values():
            ordered = sorted(ranges, key=lambda r: r.start)
            for a, b in itertools.pairwise(ordered):
                if a.end is None or a.end > b.start:
                    raise ValueError(f"overlapping opening hours {a.label()} and {b.label()}")
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


class City(_Model):
    slug: Id
    name: LangText
    country: Annotated[str, Field(pattern=r"^[a-z]{2}$")]
    timezone: Annotated[str, AfterValidator(_check_timezone)]
    languages: list[LanguageCode] = Field(min_length=1)
    center: tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]]
    contact: Id | None = None

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
    _by_id: dict[str, Entry] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        every = [*self.network_entries]
        for entries in (*self.country_entries.values(), *self.city_entries.values()):
            every.extend(entries)
        self._by_id.update({e.id: e for e in every})

    def entry(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def layered_entries(self, city: str) -> list[Entry]:
        """The city's entries, then its country's, then the network's."""
        c = self.cities[city]
        return [
            *self.city_entries.get(city, ()),
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
