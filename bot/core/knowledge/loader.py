"""Read and check the knowledge files. Every problem is reported with its file and line.

`load_directory` returns either a complete `Knowledge` or the full list of problems, never a
half-read base: the import is all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bot.core.knowledge.model import (
    INTENT_IDS,
    TOPIC_IDS,
    CityFile,
    Country,
    CountryFile,
    Entry,
    Intent,
    IntentsFile,
    Knowledge,
    NetworkFile,
    Topic,
)
from bot.core.languages import UI_LANGUAGES

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a knowledge file."""

    path: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning" if self.warning else "error"
        return f"{self.path}:{self.line}: {kind}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge files have errors; nothing was loaded."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.errors)} error(s) in the knowledge files")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]


@dataclass
class _Source:
    path: Path
    label: str
    data: Any


def _line_of(node: Any, loc: Iterable[Any]) -> int:
    """Follow a pydantic error location into the YAML tree; return the deepest known line."""
    line = 0
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0]
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line = node.lc.item(key)[0]
            node = node[key]
        else:
            break
    else:
        if isinstance(node, CommentedMap | CommentedSeq):
            line = node.lc.line
    return line + 1


def _dotted(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self._yaml = YAML(typ="rt")

    def label(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def error(self, src: _Source | str, line: int, message: str, warning: bool = False) -> None:
        label = src.label if isinstance(src, _Source) else src
        self.problems.append(Problem(label, line, message, warning))

    def read(self, path: Path) -> _Source | None:
        label = self.label(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.error(label, 1, f"not UTF-8 text ({exc.reason})")
            return None
        except OSError as exc:
            self.error(label, 1, f"cannot read the file ({exc.strerror})")
            return None
        try:
            data = self._yaml.load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            self.error(label, line, f"YAML syntax: {exc.problem or exc.context}")
            return None
        except YAMLError as exc:
            self.error(label, 1, f"YAML syntax: {exc}")
            return None
        if not isinstance(data, CommentedMap):
            self.error(label, 1, "the file must hold a mapping (key: value) at the top")
            return None
        return _Source(path, label, data)

    def validate(self, src: _Source, model: type[M], at: tuple[Any, ...] = ()) -> M | None:
        data = src.data
        for key in at:
            data = data[key]
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = (*at, *err["loc"])
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "extra_forbidden":
                    msg = "unknown field"
                elif err["type"] == "missing":
                    msg = "required field is missing"
                where = _dotted(loc)
                self.error(src, _line_of(src.data, loc), f"{where}: {msg}" if where else msg)
            return None

    def check_languages(
        self,
        src: _Source,
        loc: tuple[Any, ...],
        texts: dict[str, Any] | None,
        required: Iterable[str],
    ) -> None:
        if texts is None:
            return
        missing = [lang for lang in required if not texts.get(lang)]
        if missing:
            self.error(
                src,
                _line_of(src.data, loc),
                f"{_dotted(loc)}: missing language(s) {', '.join(missing)}",
            )


def _entries(
    reader: _Reader, src: _Source, count: int, required: list[str]
) -> list[tuple[int, Entry]]:
    """Validate each entry on its own; return the valid ones with their position."""
    valid = []
    for i in range(count):
        entry = reader.validate(src, Entry, ("entries", i))
        if entry is None:
            continue
        for key in ("name", "description"):
            reader.check_languages(src, ("entries", i, key), getattr(entry, key), required)
        valid.append((i, entry))
    return valid


def load_directory(root: Path | str) -> tuple[Knowledge, list[Problem]]:
    """Load and check a knowledge directory. Raises KnowledgeError on any error.

    Returns the knowledge and the warnings (such as a topic a city does not cover).
    """
    root = Path(root)
    reader = _Reader(root)
    if not root.is_dir():
        raise KnowledgeError([Problem(str(root), 0, "not a directory")])
    topics = _load_topics(reader, root)
    intents = _load_intents(reader, root)

    # Every file's valid entries, with their positions, for the cross-file checks.
    sources: list[tuple[_Source, list[tuple[int, Entry]]]] = []
    network_entries: list[Entry] = []
    network_path = root / "network" / "network.yaml"
    src = reader.read(network_path) if network_path.exists() else None
    parsed_net = src and reader.validate(src, NetworkFile)
    if src and parsed_net:
        found = _entries(reader, src, len(parsed_net.entries), ["en"])
        network_entries = [e for _, e in found]
        sources.append((src, found))

    countries: dict[str, tuple[Country, list[Entry]]] = {}
    for path in sorted((root / "countries").glob("*.yaml")):
        src = reader.read(path)
        parsed_country = src and reader.validate(src, CountryFile)
        if not (src and parsed_country):
            continue
        country = parsed_country.country
        if country.code != path.stem:
            reader.error(
                src,
                _line_of(src.data, ("country", "code")),
                f"code '{country.code}' does not match the file name",
            )
        reader.check_languages(src, ("country", "name"), country.name, ["en"])
        found = _entries(reader, src, len(parsed_country.entries), ["en", *country.languages])
        countries[country.code] = (country, [e for _, e in found])
        sources.append((src, found))

    cities: dict[str, tuple[CityFile, list[Entry]]] = {}
    city_sources: dict[str, _Source] = {}
    for path in sorted((root / "cities").glob("*.yaml")):
        src = reader.read(path)
        parsed_city = src and reader.validate(src, CityFile)
        if not (src and parsed_city):
            continue
        city = parsed_city.city
        if city.slug != path.stem:
            reader.error(
                src,
                _line_of(src.data, ("city", "slug")),
                f"slug '{city.slug}' does not match the file name",
            )
        if city.country not in countries:
            reader.error(
                src,
                _line_of(src.data, ("city", "country")),
                f"unknown country '{city.country}' (no countries/{city.country}.yaml)",
            )
        reader.check_languages(src, ("city", "name"), city.name, ["en"])
        found = _entries(reader, src, len(parsed_city.entries), ["en", *city.languages])
        city_entries = [e for _, e in found]
        contact = city.contact
        if contact and not any(e.id == contact for e in city_entries):
            reader.error(
                src,
                _line_of(src.data, ("city", "contact")),
                f"broken reference: contact '{contact}' is not an entry of this city",
            )
        cities[city.slug] = (parsed_city, city_entries)
        city_sources[city.slug] = src
        sources.append((src, found))
    if not cities:
        reader.error(reader.label(root / "cities"), 0, "no city files")
    _check_ids(reader, sources)

    if any(not p.warning for p in reader.problems):
        raise KnowledgeError(sorted(reader.problems))
    knowledge = Knowledge(
        topics={t: topics[t] for t in TOPIC_IDS},
        intents=intents,
        network_entries=tuple(network_entries),
        countries={c: country for c, (country, _) in countries.items()},
        country_entries={c: tuple(entries) for c, (_, entries) in countries.items()},
        cities={s: f.city for s, (f, _) in cities.items()},
        city_entries={s: tuple(entries) for s, (_, entries) in cities.items()},
        city_phrasings={
            s: {t: dict(v) for t, v in f.phrasings.items()} for s, (f, _) in cities.items()
        },
    )
    for slug in knowledge.cities:
        for topic in knowledge.missing_topics(slug):
            reader.error(
                city_sources[slug],
                1,
                f"topic '{topic}' has no entry for this city (city, country or network)",
                warning=True,
            )
    return knowledge, sorted(reader.problems)


def _load_topics(reader: _Reader, root: Path) -> dict[str, Topic]:
    topics: dict[str, Topic] = {}
    folder = root / "network" / "topics"
    for path in sorted(folder.glob("*.yaml")):
        src = reader.read(path)
        topic = src and reader.validate(src, Topic)
        if not (src and topic):
            continue
        if topic.id != path.stem:
            reader.error(
                src, _line_of(src.data, ("id",)), f"id '{topic.id}' does not match the file name"
            )
        for key in ("title", "keywords", "phrasings"):
            reader.check_languages(src, (key,), getattr(topic, key), UI_LANGUAGES)
        topics[topic.id] = topic
    for missing in [t for t in TOPIC_IDS if t not in topics]:
        if not (folder / f"{missing}.yaml").exists():
            reader.error(reader.label(folder), 0, f"topic file {missing}.yaml is missing")
    return topics


def _load_intents(reader: _Reader, root: Path) -> dict[str, Intent]:
    path = root / "network" / "intents.yaml"
    if not path.exists():
        reader.error(reader.label(path), 0, "file is missing")
        return {}
    src = reader.read(path)
    parsed = src and reader.validate(src, IntentsFile)
    if not (src and parsed):
        return {}
    for name in INTENT_IDS:
        if name not in parsed.intents:
            reader.error(src, 1, f"intent '{name}' is missing")
            continue
        for key in ("keywords", "phrasings"):
            reader.check_languages(
                src, ("intents", name, key), getattr(parsed.intents[name], key), UI_LANGUAGES
            )
    return {str(k): v for k, v in parsed.intents.items()}


def _check_ids(reader: _Reader, sources: list[tuple[_Source, list[tuple[int, Entry]]]]) -> None:
    """Entry ids are unique across all files, and every reference names an entry."""
    where: dict[str, tuple[_Source, int]] = {}
    for src, found in sources:
        for i, entry in found:
            line = _line_of(src.data, ("entries", i, "id"))
            if entry.id in where:
                first, first_line = where[entry.id]
                reader.error(
                    src,
                    line,
                    f"duplicate id '{entry.id}' (first used in {first.label}:{first_line})",
                )
            else:
                where[entry.id] = (src, line)
    for src, found in sources:
        for i, entry in found:
            for j, ref in enumerate(entry.see_also):
                if ref not in where:
                    reader.error(
                        src,
                        _line_of(src.data, ("entries", i, "see_also", j)),
                        f"broken reference: no entry '{ref}'",
                    )
