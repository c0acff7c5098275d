"""Read and check the knowledge files. Every problem is reported with its file and line.

`load_directory` returns either a complete `Knowledge` or the full list of problems, never a
half-read base: the import is all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bot.core.knowledge.model import (
    INTENT_IDS,
    TOPIC_IDS,
    CityFile,
    CountryFile,
    Entry,
    Intent,
    IntentsFile,
    Knowledge,
    NetworkFile,
    RegionFile,
    Topic,
    Translation,
    TranslationsFile,
    fingerprint,
)
from bot.core.languages import UI_LANGUAGES

M = TypeVar("M", bound=BaseModel)
P = TypeVar("P")
PlaceFile = TypeVar("PlaceFile", bound=CountryFile | RegionFile | CityFile)


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


@lru_cache(maxsize=256)
def _parse(text: str) -> Any:
    """The YAML tree of a file's text, with the line of every node.

    ruamel's round-trip parser, which keeps the lines, is pure Python (about 1.8 s for the
    sample base), so a file whose text has not changed since the last check is not parsed
    again. Nothing here changes a tree once it is parsed.
    """
    return YAML(typ="rt").load(text)


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

    def label(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def error(self, src: _Source | str, line: int, message: str) -> None:
        label = src.label if isinstance(src, _Source) else src
        self.problems.append(Problem(label, line, message))

    def warn(self, src: _Source, line: int, message: str) -> None:
        self.problems.append(Problem(src.label, line, message, warning=True))

    def take(self) -> list[Problem]:
        """The problems found so far, in file and line order; the list starts again empty."""
        found, self.problems = sorted(self.problems), []
        return found

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
            data = _parse(text)
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


def _raw_entries(src: _Source) -> list[tuple[int, CommentedMap]]:
    """Every entry of a file as written, valid or not, with its position."""
    items = src.data.get("entries")
    if not isinstance(items, CommentedSeq):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, CommentedMap)]


def _ids(src: _Source) -> list[tuple[str, int]]:
    """The id of every entry written in a file, even one with other errors, and its line."""
    return [
        (item["id"], _line_of(src.data, ("entries", i, "id")))
        for i, item in _raw_entries(src)
        if isinstance(item.get("id"), str)
    ]


@dataclass
class _File(Generic[P]):
    """A valid file of entries: its valid entries with their positions, and its header."""

    src: _Source
    entries: list[tuple[int, Entry]]
    place: P  # the CountryFile or CityFile; None for the network file

    def valid(self) -> list[Entry]:
        return [e for _, e in self.entries]


def _entries(reader: _Reader, src: _Source, required: list[str]) -> list[tuple[int, Entry]]:
    """Validate each entry on its own; return the valid ones with their position."""
    items = src.data.get("entries")
    valid = []
    for i in range(len(items) if isinstance(items, CommentedSeq) else 0):
        entry = reader.validate(src, Entry, ("entries", i))
        if entry is None:
            continue
        for key in ("name", "description"):
            reader.check_languages(src, ("entries", i, key), getattr(entry, key), required)
        valid.append((i, entry))
    return valid


def _place_files(
    reader: _Reader, folder: Path, model: type[PlaceFile], read: list[_Source]
) -> dict[str, _File[PlaceFile]]:
    """The valid country or city files of `folder`, by code or slug, after each file's own
    checks. Every file that parses is added to `read`, valid or not."""
    keys: dict[type[BaseModel], tuple[str, str]] = {
        CountryFile: ("country", "code"),
        RegionFile: ("region", "slug"),
    }
    section, key = keys.get(model, ("city", "slug"))
    files: dict[str, _File[PlaceFile]] = {}
    for path in sorted(folder.glob("*.yaml")):
        src = reader.read(path)
        read.extend([src] if src else [])
        parsed = reader.validate(src, model) if src else None
        if src is None or parsed is None:
            continue
        about = getattr(parsed, section)
        name = getattr(about, key)
        if name != path.stem:
            reader.error(
                src,
                _line_of(src.data, (section, key)),
                f"{key} '{name}' does not match the file name",
            )
        reader.check_languages(src, (section, "name"), about.name, ["en"])
        found = _entries(reader, src, ["en", *about.languages])
        files[name] = _File(src, found, parsed)
    return files


def load_directory(root: Path | str) -> tuple[Knowledge, list[Problem]]:
    """Load and check a knowledge directory. Raises KnowledgeError on any error.

    Every problem is reported. Each file's own problems come first, in file and line order,
    then those between files (duplicate ids, references), so a cause is read before what it
    causes. Returns the knowledge and the warnings (such as a topic a city does not cover).
    """
    root = Path(root)
    reader = _Reader(root)
    if not root.is_dir():
        raise KnowledgeError([Problem(str(root), 0, "not a directory")])
    topics = _load_topics(reader, root)
    intents = _load_intents(reader, root)
    read: list[_Source] = []  # every file of entries that parses, valid or not
    network_path = root / "network" / "network.yaml"
    src = reader.read(network_path) if network_path.exists() else None
    network = None
    if src:
        read.append(src)
        if reader.validate(src, NetworkFile):
            network = _File(src, _entries(reader, src, ["en"]), None)
    countries = _place_files(reader, root / "countries", CountryFile, read)
    regions = _place_files(reader, root / "regions", RegionFile, read)
    cities = _place_files(reader, root / "cities", CityFile, read)
    if not cities:
        reader.error(reader.label(root / "cities"), 0, "no city files")
    own = reader.take()

    files: list[_File[Any]] = [
        *([network] if network else []),
        *countries.values(),
        *regions.values(),
        *cities.values(),
    ]
    translations = _load_translations(reader, root, files, {i for r in read for i, _ in _ids(r)})
    own += reader.take()

    for region_file in regions.values():
        region = region_file.place.region
        _check_country(reader, root, region_file.src, "region", region.country, countries)
    for city_file in cities.values():
        _check_city_links(reader, root, city_file, countries, regions)
        _check_mentor(reader, city_file, set(cities))
    _check_ids(reader, read)
    problems = own + reader.take()
    if any(not p.warning for p in problems):
        raise KnowledgeError(problems)
    for f in files:
        f.entries = [
            (
                i,
                e.model_copy(update={"translations": translations[e.id]})
                if e.id in translations
                else e,
            )
            for i, e in f.entries
        ]
    knowledge = Knowledge(
        topics={t: topics[t] for t in TOPIC_IDS},
        intents=intents,
        network_entries=tuple(network.valid()) if network else (),
        countries={c: f.place.country for c, f in countries.items()},
        country_entries={c: tuple(f.valid()) for c, f in countries.items()},
        cities={s: f.place.city for s, f in cities.items()},
        city_entries={s: tuple(f.valid()) for s, f in cities.items()},
        regions={r: f.place.region for r, f in regions.items()},
        region_entries={r: tuple(f.valid()) for r, f in regions.items()},
        city_phrasings={
            s: {t: dict(v) for t, v in f.place.phrasings.items()} for s, f in cities.items()
        },
    )
    for slug in knowledge.cities:
        for topic in knowledge.missing_topics(slug):
            reader.warn(
                cities[slug].src,
                1,
                f"topic '{topic}' has no entry for this city (city, country or network)",
            )
    return knowledge, sorted(problems + reader.take())


def _load_translations(
    reader: _Reader, root: Path, files: list[_File[Any]], written: set[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Read `translations/<language>.yaml`; return entry id -> language -> field -> translation.

    A translation must name an entry and a text that exist, come from a language the entry is
    written in, and not stand beside a text the entry already has in that language. One whose
    source text has changed since is kept, and listed as outdated. A translation of an entry
    with errors of its own is not checked: that entry's errors say what to fix first.
    """
    entries = {e.id: e for f in files for e in f.valid()}
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted((root / "translations").glob("*.yaml")):
        src = reader.read(path)
        parsed = reader.validate(src, TranslationsFile) if src else None
        if src is None or parsed is None:
            continue
        lang = parsed.language
        if lang != path.stem:
            reader.error(
                src,
                _line_of(src.data, ("language",)),
                f"language '{lang}' does not match the file name",
            )
            continue
        for entry_id, fields in parsed.entries.items():
            entry = entries.get(entry_id)
            if entry is None and entry_id in written:
                continue
            if entry is None:  # renamed or removed: the translation waits, unused
                reader.warn(
                    src,
                    _line_of(src.data, ("entries", entry_id)),
                    f"no entry '{entry_id}': this translation is not used",
                )
                continue
            for name in fields:
                loc = ("entries", entry_id, name)
                tr = reader.validate(src, Translation, loc)
                if tr is None:
                    continue
                own = entry.originals(name)
                if not own:
                    reader.error(
                        src, _line_of(src.data, loc), f"{entry_id} has no {name} to translate"
                    )
                elif own.get(lang):
                    reader.error(
                        src,
                        _line_of(src.data, loc),
                        f"{entry_id}.{name} is already written in {lang} in its own file",
                    )
                elif tr.source not in own:
                    reader.error(
                        src,
                        _line_of(src.data, (*loc, "from")),
                        f"{entry_id}.{name} has no text in '{tr.source}' to translate from",
                    )
                else:
                    if fingerprint(own[tr.source]) != tr.fingerprint:
                        reader.warn(
                            src,
                            _line_of(src.data, loc),
                            f"outdated: {entry_id}.{name} changed in '{tr.source}' "
                            "since it was translated",
                        )
                    found.setdefault(entry_id, {}).setdefault(lang, {})[name] = tr
    return found


def _check_country(
    reader: _Reader,
    root: Path,
    src: _Source,
    section: str,
    code: str,
    countries: dict[str, _File[CountryFile]],
) -> bool:
    """Report a region's or city's unknown country; True when the country exists.

    A country file with errors of its own has had them reported already: it exists.
    """
    if code in countries or (root / "countries" / f"{code}.yaml").exists():
        return True
    reader.error(
        src,
        _line_of(src.data, (section, "country")),
        f"unknown country '{code}' (no countries/{code}.yaml)",
    )
    return False


def _check_city_links(
    reader: _Reader,
    root: Path,
    city_file: _File[CityFile],
    countries: dict[str, _File[CountryFile]],
    regions: dict[str, _File[RegionFile]],
) -> None:
    """The city's country and region exist, and its contact is one of its own entries."""
    src, city = city_file.src, city_file.place.city
    known_country = _check_country(reader, root, src, "city", city.country, countries)
    if city.region is not None and known_country:
        region = regions.get(city.region)
        if region is None and not (root / "regions" / f"{city.region}.yaml").exists():
            reader.error(
                src,
                _line_of(src.data, ("city", "region")),
                f"unknown region '{city.region}' (no regions/{city.region}.yaml)",
            )
        elif region is not None and region.place.region.country != city.country:
            reader.error(
                src,
                _line_of(src.data, ("city", "region")),
                f"region '{city.region}' is in '{region.place.region.country}', "
                f"not in '{city.country}'",
            )
    contact = city.contact
    if contact and contact not in {i for i, _ in _ids(src)}:
        reader.error(
            src,
            _line_of(src.data, ("city", "contact")),
            f"broken reference: contact '{contact}' is not an entry of this city",
        )


def _check_mentor(reader: _Reader, city_file: _File[CityFile], cities: set[str]) -> None:
    """A learning city's mentor is another city; one not in these files (a deployment of some
    of the network's cities) is only warned about: there is nothing to compare with."""
    src, city = city_file.src, city_file.place.city
    line = _line_of(src.data, ("city", "mentor"))
    if city.mentor == city.slug:
        reader.error(src, line, f"a city cannot be its own mentor ('{city.mentor}')")
    elif city.mentor is not None and city.mentor not in cities:
        others = ", ".join(sorted(cities - {city.slug})) or "none"
        reader.warn(src, line, f"mentor '{city.mentor}' is not in these files (cities: {others})")


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


def _check_ids(reader: _Reader, sources: list[_Source]) -> None:
    """Entry ids are unique across all files, and every reference names an entry.

    Entries with errors of their own count too: their id is still taken, and a reference to
    them is not broken (their own error says what to fix).
    """
    where: dict[str, tuple[_Source, int]] = {}
    for src in sources:
        for entry_id, line in _ids(src):
            if entry_id in where:
                first, first_line = where[entry_id]
                reader.error(
                    src,
                    line,
                    f"duplicate id '{entry_id}' (first used in {first.label}:{first_line})",
                )
            else:
                where[entry_id] = (src, line)
    for src in sources:
        for i, item in _raw_entries(src):
            refs = item.get("see_also")
            if not isinstance(refs, CommentedSeq):
                continue
            for j, ref in enumerate(refs):
                if isinstance(ref, str) and ref not in where:
                    reader.error(
                        src,
                        _line_of(src.data, ("entries", i, "see_also", j)),
                        f"broken reference: no entry '{ref}'",
                    )
