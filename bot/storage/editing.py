"""Edit the live knowledge, one entry at a time, as the console's staff do.

Every query is scoped by who asks: an admin sees every layer; an editor or a translator sees
the entries of their city and of its region, and nothing else (another city's entry is "not
found", as if it did not exist). A change is checked by the same rules as the files (`kb
check`), stored with its revision and an audit line, and published as a new knowledge version
in one transaction: every bot process picks it up within seconds (bot/live.py).
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, delete, false, func, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.core.i18n import N_, Message
from bot.core.knowledge import Entry
from bot.core.knowledge.model import PROBLEMS, TEXT_FIELDS, TextField, fingerprint
from bot.storage.knowledge_store import _hash
from bot.storage.models import (
    EntryRevision,
    KbCity,
    KbCountry,
    KbEntry,
    KbEntryTopic,
    KbRegion,
    KnowledgeVersion,
)
from bot.storage.staff import Role, Staff, audit


@dataclass(frozen=True, slots=True)
class Stored:
    """One entry as stored, with where it lives and the hash a save must start from."""

    entry: Entry
    scope: str
    scope_key: str
    content_hash: str
    updated_at: datetime

    @property
    def data(self) -> dict[str, Any]:
        return self.entry.model_dump(mode="json", by_alias=True, exclude_defaults=True)


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a change was refused, by field (a dotted path such as `hours.mon`), each message
    for its reader's language (str() is the English)."""

    errors: dict[str, list[Message]]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Someone saved the entry since this form was opened: nothing was changed."""

    current: Stored


@dataclass(frozen=True, slots=True)
class Revision:
    number: int
    action: str
    staff_id: int | None
    staff_name: str | None
    created_at: datetime
    data: dict[str, Any] = field(repr=False)


Saved = Stored | Invalid | Conflict


@dataclass(frozen=True, slots=True)
class TextEdit:
    """One text to set: the entry's own text in the language, or a translation of it."""

    field: TextField
    text: str
    #: the language it was translated from; None: the English text, else the first one
    source: str | None = None
    #: of the source text it was made from; None: of that text as it is now
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class EntryTexts:
    """One entry's texts to set in a batch, from the version with `base` as content hash."""

    entry_id: str
    base: str
    texts: tuple[TextEdit, ...]


@dataclass(frozen=True, slots=True)
class Together:
    """What a batch did: every entry saved, or, when one was refused, none and why."""

    saved: dict[str, Stored]
    refused: dict[str, Invalid | Conflict | None]  # None: not found for this person


class _Undo(Exception):
    """Leaves a batch's transaction, which rolls it back."""


#: What the console's facts form edits; an entry's other fields are kept as they are.
FACT_KEYS = frozenset(
    {
        "topics",
        "address",
        "coordinates",
        "phone",
        "email",
        "website",
        "hours",
        "always_open",
        "appointment",
        "booking",
        "temporarily_closed",
        "languages",
        "see_also",
    }
)


def _set_texts(data: dict[str, Any], language: str, edits: Iterable[TextEdit]) -> dict[str, Any]:
    """The entry's data with these texts set in `language` (see Editor.save_texts)."""
    data = {**data, "translations": {**data.get("translations", {})}}
    mine = dict(data["translations"].get(language, {}))
    for edit in edits:
        name = edit.field
        text = edit.text.strip()
        own = dict(data.get(name) or {})
        if not own:
            continue  # the entry has no such text: nothing to translate
        if language in own:
            own[language] = text  # an emptied original is refused by validation
            data[name] = own
            continue
        if not text:
            mine.pop(name, None)
            continue
        source = edit.source or ("en" if "en" in own else next(iter(own)))
        made_from = edit.fingerprint or fingerprint(own.get(source, ""))
        previous = mine.get(name) or {}
        if previous == {**previous, "text": text, "from": source, "fingerprint": made_from}:
            continue  # unchanged: an unreviewed text stays unreviewed
        mine[name] = {"text": text, "from": source, "fingerprint": made_from, "reviewed": True}
    if mine:
        data["translations"][language] = mine
    else:
        data["translations"].pop(language, None)
    if not data["translations"]:
        data.pop("translations")
    return data


def _slug(text: str) -> str:
    """`Maison de l'Emploi` -> `maison-de-l-emploi`: an id's part, in a-z, 0-9 and '-'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].strip("-")


def _set_keywords(data: dict[str, Any], language: str, words: Sequence[str]) -> dict[str, Any]:
    """The entry's data with its keywords in `language` replaced (none: removed)."""
    keywords = {k: v for k, v in (data.get("keywords") or {}).items() if k != language}
    if words:
        keywords[language] = list(words)
    data = {k: v for k, v in data.items() if k != "keywords"}
    return {**data, "keywords": keywords} if keywords else data


#: Messages the console shows in the person's language (marked for the catalogs).
EMPTY = N_("This may not be empty.")
NOT_A_DATE = N_("This is not a date.")
MISSING_LANGUAGES = N_("missing language(s) {languages}")
BROKEN_REFERENCE = N_("broken reference: no entry '{entry}'")
ALREADY_WRITTEN = N_("already written in {language}")
NO_SOURCE = N_("no text in '{language}' to translate from")
NO_NAME_FOR_ID = N_("Give the name in English with at least one letter or digit a-z, 0-9.")
_PLAIN = {
    "string_too_short": EMPTY,
    "too_short": EMPTY,
    "missing": EMPTY,
    "date_from_datetime_parsing": NOT_A_DATE,
    "date_parsing": NOT_A_DATE,
}


def _errors(exc: ValidationError) -> dict[str, list[Message]]:
    out: dict[str, list[Message]] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        kind = err["type"]
        if kind in PROBLEMS:  # the model's own, with their values
            message = Message(PROBLEMS[kind], err.get("ctx") or {})
        elif kind in _PLAIN:
            message = Message(_PLAIN[kind])
        else:  # pydantic's own (a wrong type...): in English
            message = Message(str(err["msg"]).removeprefix("Value error, "))
        out.setdefault(loc or "entry", []).append(message)
    return out


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word by word: ('same' | 'removed' | 'added', words), for "what changed in the source"."""
    a, b = old.split(), new.split()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("removed", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("added", " ".join(b[j1:j2])))
    return out


#: How many parsed entries an Editor keeps (a few cities' worth; the oldest goes first).
PARSED_KEPT = 4096


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Editor:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        today: Callable[[], date] | None = None,
    ) -> None:
        self.sessions = sessions
        self.today = today or (lambda: datetime.now(UTC).date())
        # Entries parsed from their stored data, by content hash: a hash covers the whole
        # row, so an entry with the same hash is the same entry. Validating 500 entries took
        # most of a city list's time; now only the changed ones are.
        self._parsed: dict[str, Entry] = {}

    # --- what a person may see -----------------------------------------------------------

    async def _region_of(self, session: AsyncSession, city: str | None) -> str | None:
        if city is None:
            return None
        row = await session.get(KbCity, city)
        return row.data["city"].get("region") if row is not None else None

    async def _scope(self, session: AsyncSession, who: Staff) -> ColumnElement[bool]:
        if who.role is Role.ADMIN:
            return true()
        if who.role not in (Role.EDITOR, Role.TRANSLATOR) or who.city is None:
            return false()
        mine = and_(KbEntry.scope == "city", KbEntry.scope_key == who.city)
        region = await self._region_of(session, who.city)
        if region is None:
            return mine
        return or_(mine, and_(KbEntry.scope == "region", KbEntry.scope_key == region))

    async def cities(self, who: Staff) -> list[str]:
        """The cities whose lists this person may open."""
        async with self.sessions() as session:
            slugs = list(await session.scalars(select(KbCity.slug).order_by(KbCity.slug)))
        if who.admin:
            return slugs
        return [s for s in slugs if s == who.city]

    async def city_entries(self, who: Staff, city: str) -> list[Stored]:
        """The entries of a city's own layers (the city's, then its region's) this person may
        see; an empty list for a city that is not theirs."""
        async with self.sessions() as session:
            if not who.admin and city != who.city:
                return []
            region = await self._region_of(session, city)
            own = and_(KbEntry.scope == "city", KbEntry.scope_key == city)
            layers = or_(own, and_(KbEntry.scope == "region", KbEntry.scope_key == region))
            where = (layers if region else own, await self._scope(session, who))
            # First the rows without their data; then the data of the entries not parsed yet,
            # with their hash again (on PostgreSQL a save may land between the two reads).
            heads = (
                await session.execute(
                    select(
                        KbEntry.id,
                        KbEntry.scope,
                        KbEntry.scope_key,
                        KbEntry.content_hash,
                        KbEntry.updated_at,
                    )
                    .where(*where)
                    .order_by(KbEntry.scope, KbEntry.position)
                )
            ).all()
            # Taken now: another request may evict some while this one waits below.
            known = {h.id: self._parsed.get(h.content_hash) for h in heads}
            unparsed = [entry_id for entry_id, entry in known.items() if entry is None]
            fresh: dict[str, tuple[str, Entry]] = {}
            for chunk in _chunks(unparsed, 500):  # under every driver's parameter limit
                rows = await session.execute(
                    select(KbEntry.id, KbEntry.content_hash, KbEntry.data).where(
                        KbEntry.id.in_(chunk)
                    )
                )
                for entry_id, digest, data in rows:
                    fresh[entry_id] = (digest, self._parse(digest, data))
        out = []
        for h in heads:
            cached = known[h.id]
            if h.id in fresh:
                digest, entry = fresh[h.id]
            elif cached is not None:
                digest, entry = h.content_hash, cached
            else:
                continue  # removed (by an import) between the two reads
            out.append(Stored(entry, h.scope, h.scope_key, digest, _utc(h.updated_at)))
        return out

    async def get(self, who: Staff, entry_id: str) -> Stored | None:
        async with self.sessions() as session:
            row = await self._row(session, who, entry_id)
            return self._stored(row) if row is not None else None

    async def _row(self, session: AsyncSession, who: Staff, entry_id: str) -> KbEntry | None:
        return await session.scalar(
            select(KbEntry).where(KbEntry.id == entry_id, await self._scope(session, who))
        )

    def _parse(self, digest: str, data: dict[str, Any]) -> Entry:
        entry = self._parsed.get(digest)
        if entry is None:
            entry = Entry.model_validate(data)
            if len(self._parsed) >= PARSED_KEPT:
                del self._parsed[next(iter(self._parsed))]
            self._parsed[digest] = entry
        return entry

    def _stored(self, row: KbEntry) -> Stored:
        return Stored(
            self._parse(row.content_hash, row.data),
            row.scope,
            row.scope_key,
            row.content_hash,
            _utc(row.updated_at),
        )

    async def layer_languages(self, stored: Stored) -> list[str]:
        """The languages an entry of this layer must be written in (as `kb check` asks)."""
        async with self.sessions() as session:
            return await self._required(session, stored.scope, stored.scope_key)

    async def _required(self, session: AsyncSession, scope: str, key: str) -> list[str]:
        langs: list[str] = []
        if scope == "city":
            row = await session.get(KbCity, key)
            langs = row.data["city"]["languages"] if row else []
        elif scope == "region":
            region = await session.get(KbRegion, key)
            langs = region.data["languages"] if region else []
        elif scope == "country":
            country = await session.get(KbCountry, key)
            langs = country.data["languages"] if country else []
        return list(dict.fromkeys(["en", *langs]))

    # --- changes -------------------------------------------------------------------------

    async def create(
        self,
        who: Staff,
        city: str,
        topics: Sequence[str],
        texts: Mapping[str, Mapping[str, str]],
        source: str,
    ) -> Stored | Invalid | None:
        """A new entry of the city, last in its list: its topics, its name and description
        (field -> language -> text; the city's languages and English are required, as `kb
        check` asks) and where its facts come from. Its id is made from the English name.
        Not yet confirmed: the entry editor is where its facts are added and it is confirmed.
        None: this person may not add entries to this city."""
        if not who.may_edit_entries() or (not who.admin and city != who.city):
            return None
        async with self.sessions() as session, session.begin():
            if await session.get(KbCity, city) is None:
                return None
            base = _slug(texts.get("name", {}).get("en", ""))
            if not base:
                return Invalid({"name": [Message(NO_NAME_FOR_ID)]})
            entry_id = await self._free_id(session, f"{city}-{base}")
            data: dict[str, Any] = {
                "id": entry_id,
                "topics": list(dict.fromkeys(topics)),
                **{
                    name: {lang: text.strip() for lang, text in by_lang.items() if text.strip()}
                    for name, by_lang in texts.items()
                    if name in ("name", "description")
                },
                "source": source.strip(),
                "last_reviewed": self.today().isoformat(),
                "verified": False,
            }
            try:
                entry = Entry.model_validate(data)
            except ValidationError as exc:
                return Invalid(_errors(exc))
            position = await session.scalar(
                select(func.coalesce(func.max(KbEntry.position), -1)).where(
                    KbEntry.scope == "city", KbEntry.scope_key == city
                )
            )
            row = KbEntry(
                id=entry_id, scope="city", scope_key=city, position=int(position or 0) + 1
            )
            problems = await self._check(session, row, entry)
            if problems:
                return Invalid(problems)
            stored = entry.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            row.data = stored
            row.content_hash = _hash({**self._row_fields(row), "data": stored})
            row.updated_at = datetime.now(UTC)
            session.add(row)
            session.add(
                EntryRevision(
                    entry_id=entry_id, number=1, scope="city", scope_key=city,
                    data=stored, action="create", staff_id=who.id,
                )
            )  # fmt: skip
            await session.flush()
            await session.execute(
                insert(KbEntryTopic), [{"entry_id": entry_id, "topic_id": t} for t in entry.topics]
            )
            audit(session, who, "entry.create", f"entry:{entry_id}", city=city)
            await self._publish(session, who, entry_id, "create", added=1)
            await session.flush()
            return self._stored(row)

    @staticmethod
    async def _free_id(session: AsyncSession, wanted: str) -> str:
        taken = set(await session.scalars(select(KbEntry.id).where(KbEntry.id.like(f"{wanted}%"))))
        if wanted not in taken:
            return wanted
        return next(f"{wanted}-{n}" for n in itertools.count(2) if f"{wanted}-{n}" not in taken)

    async def save_facts(
        self, who: Staff, entry_id: str, base: str, facts: Mapping[str, Any]
    ) -> Saved | None:
        """Replace the facts the console edits (FACT_KEYS: address, hours, topics...); texts,
        sources and everything else stay as they are. Editors only."""
        if not who.may_edit_entries():
            return None

        def change(data: dict[str, Any]) -> dict[str, Any]:
            kept = {k: v for k, v in data.items() if k not in FACT_KEYS}
            return {**kept, **{k: v for k, v in facts.items() if k in FACT_KEYS}}

        return await self._change(who, entry_id, base, "edit", change)

    async def save_texts(
        self,
        who: Staff,
        entry_id: str,
        base: str,
        language: str,
        texts: Mapping[str, str],
        keywords: Sequence[str] | None = None,
    ) -> Saved | None:
        """Set the entry's texts in one language. In a language the entry is written in, the
        text itself; in another, a translation from its English (or first) text, reviewed,
        since a person wrote or checked it. An emptied translation is removed. `keywords`:
        the words people use for the service in that language (none: left as they are)."""
        if not who.may_translate(language):
            return None
        edits = [TextEdit(name, texts[name]) for name in TEXT_FIELDS if name in texts]

        def change(data: dict[str, Any]) -> dict[str, Any]:
            data = _set_texts(data, language, edits)
            return data if keywords is None else _set_keywords(data, language, keywords)

        return await self._change(who, entry_id, base, f"texts:{language}", change)

    async def save_texts_together(
        self, who: Staff, language: str, changes: Sequence[EntryTexts]
    ) -> Together | None:
        """Set texts of several entries in one language, all in one transaction: every entry
        is saved as `save_texts` would save it, or (when one is refused) none is. One knowledge
        version is published for them all."""
        if not who.may_translate(language):
            return None
        action = f"texts:{language}"
        saved: dict[str, Stored] = {}
        refused: dict[str, Invalid | Conflict | None] = {}
        try:
            async with self.sessions() as session, session.begin():
                for change in changes:
                    set_texts = partial(_set_texts, language=language, edits=change.texts)
                    result = await self._apply(
                        session, who, change.entry_id, change.base, action, set_texts, publish=False
                    )
                    if isinstance(result, Stored):
                        saved[change.entry_id] = result
                    else:
                        refused[change.entry_id] = result
                if refused:
                    raise _Undo  # leaving the transaction by an exception rolls it back
                changed = [c.entry_id for c in changes if saved[c.entry_id].content_hash != c.base]
                if changed:
                    await self._publish(session, who, ",".join(changed), action, len(changed))
        except _Undo:
            return Together({}, refused)
        return Together(saved, {})

    async def confirm(self, who: Staff, entry_id: str) -> Saved | None:
        """ "Still correct in all languages": reviewed today, and every translation confirmed
        as a faithful text of today's source."""
        if not who.may_edit_entries():
            return None
        today = self.today().isoformat()

        def change(data: dict[str, Any]) -> dict[str, Any]:
            data = {**data, "last_reviewed": today}
            confirmed: dict[str, Any] = {}
            for lang, fields in data.get("translations", {}).items():
                confirmed[lang] = {}
                for name, tr in fields.items():
                    source = (data.get(name) or {}).get(tr["from"])
                    if source is None:
                        continue
                    confirmed[lang][name] = {
                        **tr,
                        "fingerprint": fingerprint(source),
                        "reviewed": True,
                    }
            if confirmed:
                data["translations"] = confirmed
            return data

        return await self._change(who, entry_id, None, "confirm", change)

    async def restore(self, who: Staff, entry_id: str, number: int) -> Saved | None:
        """Make an earlier revision the entry's content again, as a new revision."""
        if not who.may_edit_entries():
            return None
        async with self.sessions() as session:
            old = await session.scalar(
                select(EntryRevision).where(
                    EntryRevision.entry_id == entry_id, EntryRevision.number == number
                )
            )
        if old is None:
            return None
        data = old.data
        return await self._change(who, entry_id, None, "restore", lambda _: dict(data), number)

    async def _change(
        self,
        who: Staff,
        entry_id: str,
        base: str | None,
        action: str,
        change: Callable[[dict[str, Any]], dict[str, Any]],
        restored: int | None = None,
    ) -> Saved | None:
        while True:
            async with self.sessions() as session, session.begin():
                result = await self._apply(session, who, entry_id, base, action, change, restored)
            if base is not None or not isinstance(result, Conflict):
                return result
            # No form was opened (confirm, restore): a save made meanwhile is no conflict,
            # the change is made again on the version saved.

    async def _apply(
        self,
        session: AsyncSession,
        who: Staff,
        entry_id: str,
        base: str | None,
        action: str,
        change: Callable[[dict[str, Any]], dict[str, Any]],
        restored: int | None = None,
        *,
        publish: bool = True,
    ) -> Saved | None:
        """One entry's change in the caller's transaction; nothing is written unless it is
        saved (a refused change leaves the session as it found it)."""
        row = await self._row(session, who, entry_id)
        if row is None:
            return None
        if base is not None and row.content_hash != base:
            return Conflict(self._stored(row))
        before = dict(row.data)
        data = change(before)
        data["id"] = entry_id  # an entry's id never changes here
        try:
            entry = Entry.model_validate(data)
        except ValidationError as exc:
            return Invalid(_errors(exc))
        problems = await self._check(session, row, entry)
        if problems:
            return Invalid(problems)
        stored = entry.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        if stored == before:
            return self._stored(row)
        digest = _hash({**self._row_fields(row), "data": stored})
        # Compare and swap: only if no one saved the entry since it was read above. From here
        # to the commit the row (on SQLite, the database) is locked to other writers, so two
        # saves cannot both start from one version, nor take one revision number.
        swapped = await session.execute(
            update(KbEntry)
            .where(KbEntry.id == entry_id, KbEntry.content_hash == row.content_hash)
            .values(data=stored, content_hash=digest, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session="evaluate")
        )
        if swapped.rowcount != 1:  # type: ignore[attr-defined]
            await session.refresh(row)
            return Conflict(self._stored(row))
        await self._revise(session, row, before, stored, who, action)
        await session.execute(delete(KbEntryTopic).where(KbEntryTopic.entry_id == entry_id))
        await session.execute(
            insert(KbEntryTopic), [{"entry_id": entry_id, "topic_id": t} for t in entry.topics]
        )
        detail: dict[str, Any] = {"fields": sorted(_changed(before, stored))}
        if restored is not None:
            detail["restored"] = restored
        audit(session, who, f"entry.{action.split(':')[0]}", f"entry:{entry_id}", **detail)
        if publish:
            await self._publish(session, who, entry_id, action)
        await session.flush()
        return self._stored(row)

    @staticmethod
    def _row_fields(row: KbEntry) -> dict[str, Any]:
        return {"scope": row.scope, "scope_key": row.scope_key, "position": row.position}

    async def _check(
        self, session: AsyncSession, row: KbEntry, entry: Entry
    ) -> dict[str, list[Message]]:
        """The rules of `kb check` beyond one entry's own fields."""
        out: dict[str, list[Message]] = {}
        required = await self._required(session, row.scope, row.scope_key)
        for name in ("name", "description"):
            texts = getattr(entry, name)
            missing = [lang for lang in required if not texts.get(lang)]
            if missing:
                out.setdefault(name, []).append(
                    Message(MISSING_LANGUAGES, {"languages": ", ".join(missing)})
                )
        if entry.see_also:
            known = set(
                await session.scalars(select(KbEntry.id).where(KbEntry.id.in_(entry.see_also)))
            )
            broken = [i for i in entry.see_also if i not in known]
            if broken:
                out["see_also"] = [Message(BROKEN_REFERENCE, {"entry": i}) for i in broken]
        for lang, fields in entry.translations.items():
            for name, tr in fields.items():
                own = entry.originals(name)
                if own.get(lang):
                    out.setdefault(name, []).append(Message(ALREADY_WRITTEN, {"language": lang}))
                elif tr.source not in own:
                    out.setdefault(name, []).append(Message(NO_SOURCE, {"language": tr.source}))
        return out

    async def _revise(
        self,
        session: AsyncSession,
        row: KbEntry,
        before: dict[str, Any],
        after: dict[str, Any],
        who: Staff,
        action: str,
    ) -> None:
        """Append the new revision; the first change also keeps the imported version."""
        last = await session.scalar(
            select(func.max(EntryRevision.number)).where(EntryRevision.entry_id == row.id)
        )
        number = last or 0
        if number == 0:
            number = 1
            session.add(
                EntryRevision(
                    entry_id=row.id,
                    number=1,
                    scope=row.scope,
                    scope_key=row.scope_key,
                    data=before,
                    action="import",
                    staff_id=None,
                )
            )
        session.add(
            EntryRevision(
                entry_id=row.id,
                number=number + 1,
                scope=row.scope,
                scope_key=row.scope_key,
                data=after,
                action=action.split(":")[0],
                staff_id=who.id,
            )
        )

    async def _publish(
        self,
        session: AsyncSession,
        who: Staff,
        entry_id: str,
        action: str,
        changed: int = 1,
        added: int = 0,
    ) -> None:
        """A new knowledge version: what every bot process watches for."""
        session.add(
            KnowledgeVersion(
                checksum=_hash(
                    {
                        "after": await _latest_checksum(session),
                        "entry": entry_id,
                        "at": datetime.now(UTC).isoformat(),
                    }
                ),
                source=f"console:{who.id}:{entry_id}"[:500],
                summary={
                    "entries": {"added": added, "changed": changed - added, "removed": 0},
                    "action": action,
                },
            )
        )

    # --- history -------------------------------------------------------------------------

    async def revisions(self, who: Staff, entry_id: str) -> list[Revision] | None:
        """The entry's revisions, newest first; None when this person may not see it."""
        from bot.storage.models import StaffMember

        async with self.sessions() as session:
            if await self._row(session, who, entry_id) is None:
                return None
            rows = await session.execute(
                select(EntryRevision, StaffMember.name)
                .outerjoin(StaffMember, StaffMember.id == EntryRevision.staff_id)
                .where(EntryRevision.entry_id == entry_id)
                .order_by(EntryRevision.number.desc())
            )
            return [
                Revision(r.number, r.action, r.staff_id, name, _utc(r.created_at), r.data)
                for r, name in rows.all()
            ]

    async def source_before(
        self, who: Staff, entry_id: str, name: TextField, language: str
    ) -> str | None:
        """The source text an outdated translation was made from, if a revision keeps it."""
        revisions = await self.revisions(who, entry_id) or []
        current = await self.get(who, entry_id)
        if current is None:
            return None
        tr = current.entry.translations.get(language, {}).get(name)
        if tr is None:
            return None
        for rev in revisions:
            old = (rev.data.get(name) or {}).get(tr.source)
            if old is not None and fingerprint(old) == tr.fingerprint:
                return str(old)
        return None


async def _latest_checksum(session: AsyncSession) -> str | None:
    return await session.scalar(
        select(KnowledgeVersion.checksum).order_by(KnowledgeVersion.id.desc()).limit(1)
    )


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {k for k in {*before, *after} if before.get(k) != after.get(k)}
