"""Import the knowledge files into the database (all or nothing) and load the live version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import TOPIC_IDS, City, Country, Entry, Intent, Knowledge, Region, Topic
from bot.storage.embeddings import Embeddings, replace_vectors
from bot.storage.models import (
    AuditEvent,
    EntryRevision,
    KbCity,
    KbCountry,
    KbEntry,
    KbEntryTopic,
    KbIntent,
    KbRegion,
    KbTopic,
    KnowledgeVersion,
    StaffMember,
)


def _hash(data: Any) -> str:
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class Change:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass
class ImportReport:
    version: int | None
    changes: dict[str, Change]

    @property
    def unchanged(self) -> bool:
        return all(c.empty for c in self.changes.values())

    def lines(self) -> list[str]:
        out = []
        for kind, ch in self.changes.items():
            counts = f"{len(ch.added)} added, {len(ch.changed)} changed, {len(ch.removed)} removed"
            out.append(f"{kind}: {counts}")
            for label, ids in (("+", ch.added), ("~", ch.changed), ("-", ch.removed)):
                out.extend(f"  {label} {i}" for i in ids)
        return out


def _rows(knowledge: Knowledge) -> dict[str, dict[str, dict[str, Any]]]:
    """Every record as plain JSON, keyed by kind then id."""
    entries: dict[str, dict[str, Any]] = {}

    def add(scope: str, key: str, items: tuple[Entry, ...]) -> None:
        for pos, e in enumerate(items):
            entries[e.id] = {
                "scope": scope,
                "scope_key": key,
                "position": pos,
                "data": e.model_dump(mode="json", by_alias=True, exclude_defaults=True),
            }

    add("network", "", knowledge.network_entries)
    for code, items in knowledge.country_entries.items():
        add("country", code, items)
    for slug, items in knowledge.region_entries.items():
        add("region", slug, items)
    for slug, items in knowledge.city_entries.items():
        add("city", slug, items)
    return {
        "topics": {k: {"data": v.model_dump(mode="json")} for k, v in knowledge.topics.items()},
        "intents": {k: {"data": v.model_dump(mode="json")} for k, v in knowledge.intents.items()},
        "countries": {
            k: {"data": v.model_dump(mode="json")} for k, v in knowledge.countries.items()
        },
        "regions": {
            k: {"country": v.country, "data": v.model_dump(mode="json")}
            for k, v in knowledge.regions.items()
        },
        "cities": {
            k: {
                "country": v.country,
                "data": {
                    "city": v.model_dump(mode="json"),
                    "phrasings": knowledge.city_phrasings.get(k, {}),
                },
            }
            for k, v in knowledge.cities.items()
        },
        "entries": entries,
    }


_MODELS: dict[str, Any] = {
    "topics": KbTopic,
    "intents": KbIntent,
    "countries": KbCountry,
    "regions": KbRegion,
    "cities": KbCity,
    "entries": KbEntry,
}


def _pk(model: Any) -> Any:
    if model is KbCountry:
        return model.code
    return model.slug if model in (KbCity, KbRegion) else model.id


@dataclass(frozen=True)
class ConsoleEdit:
    """An entry changed in the console since the files were imported."""

    entry_id: str
    action: str  # what the console did last: edit, texts, confirm, restore
    staff: str | None
    at: datetime


class ConsoleEdits(Exception):
    """The import would overwrite or remove entries changed in the console; nothing was
    imported. `report` is what the import would have changed."""

    def __init__(self, edits: list[ConsoleEdit], report: ImportReport) -> None:
        super().__init__(f"{len(edits)} entries were changed in the console")
        self.edits = edits
        self.report = report


async def _console_edits(session: AsyncSession, ids: list[str]) -> list[ConsoleEdit]:
    """Of these entries, those whose newest revision was made in the console."""
    if not ids:
        return []
    newest = (
        select(EntryRevision.entry_id, func.max(EntryRevision.number).label("n"))
        .where(EntryRevision.entry_id.in_(ids))
        .group_by(EntryRevision.entry_id)
        .subquery()
    )
    rows = await session.execute(
        select(EntryRevision, StaffMember.name)
        .join(
            newest,
            (EntryRevision.entry_id == newest.c.entry_id) & (EntryRevision.number == newest.c.n),
        )
        .outerjoin(StaffMember, StaffMember.id == EntryRevision.staff_id)
        .where(EntryRevision.action != "import")
        .order_by(EntryRevision.entry_id)
    )
    return [ConsoleEdit(r.entry_id, r.action, name, r.created_at) for r, name in rows.all()]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _phrasing_edits(session: AsyncSession, cities: list[str]) -> list[ConsoleEdit]:
    """Of these cities, those whose own phrasings were changed in the console since the
    files were last imported."""
    if not cities:
        return []
    last_import = await session.scalar(
        select(func.max(KnowledgeVersion.imported_at)).where(
            ~KnowledgeVersion.source.startswith("console:")
        )
    )
    stmt = (
        select(AuditEvent, StaffMember.name)
        .outerjoin(StaffMember, StaffMember.id == AuditEvent.staff_id)
        .where(
            AuditEvent.action == "phrasings.edit",
            AuditEvent.target.in_([f"city:{c}" for c in cities]),
        )
        .order_by(AuditEvent.id)
    )
    # Compared here, not in SQL: SQLite keeps these times as text of two shapes (with and
    # without fractions of a second), which do not compare as times.
    since = _utc(last_import) if last_import is not None else None
    newest: dict[str, ConsoleEdit] = {}
    for event, name in (await session.execute(stmt)).all():
        if since is not None and _utc(event.at) < since:
            continue
        city = event.target.removeprefix("city:")
        newest[city] = ConsoleEdit(
            f"{city} (the city's own phrasings)", "phrasings", name, event.at
        )
    return list(newest.values())


async def _keep_history(session: AsyncSession, ids: list[str], rows: dict[str, Any]) -> None:
    """An entry with a history gets the imported version as its newest revision, so that
    what the import replaced can be seen and restored in the console."""
    if not ids:
        return
    found = await session.execute(
        select(EntryRevision.entry_id, func.max(EntryRevision.number))
        .where(EntryRevision.entry_id.in_(ids))
        .group_by(EntryRevision.entry_id)
    )
    last: dict[str, int] = {entry_id: number for entry_id, number in found.all()}
    for entry_id, number in last.items():
        row = rows.get(entry_id)
        if row is None:
            continue
        session.add(
            EntryRevision(
                entry_id=entry_id,
                number=number + 1,
                scope=row["scope"],
                scope_key=row["scope_key"],
                data=row["data"],
                action="import",
                staff_id=None,
            )
        )


async def import_knowledge(
    sessions: async_sessionmaker[AsyncSession],
    knowledge: Knowledge,
    source: str,
    embeddings: Embeddings | None = None,
    *,
    force: bool = False,
) -> ImportReport:
    """Replace the stored knowledge (and its embeddings) with `knowledge` in one transaction.

    Entries changed in the console since are not overwritten or removed: ConsoleEdits says
    which, with what the import would change, and nothing is imported. With `force` they are,
    and their history keeps the console's version.
    """
    rows = _rows(knowledge)
    changes: dict[str, Change] = {}
    async with sessions() as session, session.begin():
        for kind, model in _MODELS.items():
            pk = _pk(model)
            result = await session.execute(select(pk, model.content_hash))
            existing: dict[str, str] = {row[0]: row[1] for row in result.all()}
            change = Change()
            new_rows = []
            for key, row in rows[kind].items():
                digest = _hash(row)
                if key not in existing:
                    change.added.append(key)
                    new_rows.append({pk.key: key, **row, "content_hash": digest})
                elif existing[key] != digest:
                    change.changed.append(key)
                    await session.execute(
                        update(model).where(pk == key).values(**row, content_hash=digest)
                    )
            change.removed = sorted(set(existing) - set(rows[kind]))
            if change.removed:
                await session.execute(delete(model).where(pk.in_(change.removed)))
            if new_rows:  # one multi-row statement, not one per row
                await session.execute(insert(model), new_rows)
            changes[kind] = change
        touched = [*changes["entries"].changed, *changes["entries"].removed]
        edits = await _console_edits(session, touched)
        edits += await _phrasing_edits(
            session, [*changes["cities"].changed, *changes["cities"].removed]
        )
        if edits and not force:  # leaving the transaction rolls it back
            raise ConsoleEdits(edits, ImportReport(None, changes))
        await _keep_history(session, changes["entries"].changed, rows["entries"])
        await session.execute(delete(KbEntryTopic))
        await session.execute(
            insert(KbEntryTopic),
            [
                {"entry_id": eid, "topic_id": topic}
                for eid, row in rows["entries"].items()
                for topic in row["data"]["topics"]
            ],
        )
        if embeddings is not None:
            await replace_vectors(session, embeddings.model_id, embeddings.new, embeddings.keys)
        report = ImportReport(None, changes)
        checksum = _hash(rows)
        latest = await session.scalar(
            select(KnowledgeVersion).order_by(KnowledgeVersion.id.desc()).limit(1)
        )
        if latest is None or latest.checksum != checksum:
            version = KnowledgeVersion(
                checksum=checksum,
                source=source[:500],
                summary={
                    k: {"added": len(c.added), "changed": len(c.changed), "removed": len(c.removed)}
                    for k, c in changes.items()
                },
            )
            session.add(version)
            await session.flush()
            report.version = version.id
        else:
            report.version = latest.id
    return report


@dataclass(frozen=True)
class StoredRows:
    """The live knowledge as its rows hold it, before validation (see knowledge_of)."""

    # (primary key, data)
    topics: list[tuple[str, dict[str, Any]]]
    intents: list[tuple[str, dict[str, Any]]]
    countries: list[tuple[str, dict[str, Any]]]
    regions: list[tuple[str, dict[str, Any]]]
    cities: list[tuple[str, dict[str, Any]]]
    #: (scope, scope key, content hash, data), in the layers' order
    entries: list[tuple[str, str, str, dict[str, Any]]]


async def stored_rows(sessions: async_sessionmaker[AsyncSession]) -> StoredRows | None:
    """The live knowledge's rows, or None when nothing was imported yet: only the reading,
    which is all that needs the event loop."""
    async with sessions() as session:
        if await session.scalar(select(func.count()).select_from(KnowledgeVersion)) == 0:
            return None
        entries = await session.execute(
            select(KbEntry.scope, KbEntry.scope_key, KbEntry.content_hash, KbEntry.data).order_by(
                KbEntry.scope, KbEntry.scope_key, KbEntry.position
            )
        )

        async def keyed(*columns: Any) -> list[tuple[str, dict[str, Any]]]:
            return [(r[0], r[1]) for r in await session.execute(select(*columns))]

        return StoredRows(
            topics=await keyed(KbTopic.id, KbTopic.data),
            intents=await keyed(KbIntent.id, KbIntent.data),
            countries=await keyed(KbCountry.code, KbCountry.data),
            regions=await keyed(KbRegion.slug, KbRegion.data),
            cities=await keyed(KbCity.slug, KbCity.data),
            entries=[(r[0], r[1], r[2], r[3]) for r in entries],
        )


def knowledge_of(rows: StoredRows, parsed: dict[str, Entry] | None = None) -> Knowledge:
    """The Knowledge of these rows, validated. Pure and CPU-bound (half a second for the whole
    base): a reload runs it off the event loop. `parsed`: entries already validated, by content
    hash (a hash covers the whole row, so an entry with the same hash is the same entry); it
    is updated to hold just this knowledge's entries."""
    topics = {k: Topic.model_validate(data) for k, data in rows.topics}
    cities: dict[str, City] = {}
    phrasings: dict[str, dict[str, dict[str, list[str]]]] = {}
    for slug, data in rows.cities:
        cities[slug] = City.model_validate(data["city"])
        phrasings[slug] = data.get("phrasings", {})
    network: list[Entry] = []
    by_country: dict[str, list[Entry]] = {}
    by_region: dict[str, list[Entry]] = {}
    by_city: dict[str, list[Entry]] = {}
    layers = {"country": by_country, "region": by_region, "city": by_city}
    kept: dict[str, Entry] = {}
    known = parsed if parsed is not None else {}
    for scope, key, digest, data in rows.entries:
        entry = known.get(digest) or Entry.model_validate(data)
        kept[digest] = entry
        if scope == "network":
            network.append(entry)
        else:
            layers.get(scope, by_city).setdefault(key, []).append(entry)
    if parsed is not None:
        parsed.clear()
        parsed.update(kept)
    return Knowledge(
        topics={t: topics[t] for t in TOPIC_IDS if t in topics},
        intents={k: Intent.model_validate(data) for k, data in rows.intents},
        network_entries=tuple(network),
        countries={k: Country.model_validate(data) for k, data in rows.countries},
        country_entries={k: tuple(v) for k, v in by_country.items()},
        cities=cities,
        city_entries={k: tuple(v) for k, v in by_city.items()},
        city_phrasings=phrasings,
        regions={k: Region.model_validate(data) for k, data in rows.regions},
        region_entries={k: tuple(v) for k, v in by_region.items()},
    )


async def load_knowledge(sessions: async_sessionmaker[AsyncSession]) -> Knowledge | None:
    """The live knowledge, or None when nothing was imported yet."""
    rows = await stored_rows(sessions)
    return knowledge_of(rows) if rows is not None else None
