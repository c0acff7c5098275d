"""`kb export`: write the database's live knowledge back as the files of a knowledge directory.

The staff console edits the database, so it can be newer than the files; a city that keeps its
knowledge in git exports it to commit it. The files are rendered (bot/core/knowledge/export.py)
into a directory beside the target and loaded back there; only when they load as the same
knowledge are they moved into place, and a failure while moving puts the old files back. Only
the YAML files of the layout are written. Those of places that no longer exist (and a language
with no translation left) are removed, so that the directory describes the database and
nothing else; `embeddings/`, `research/`, READMEs and any other file are left as they are.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.core.knowledge import Knowledge
from bot.core.knowledge.export import differences, render
from bot.core.knowledge.loader import KnowledgeError, load_directory
from bot.storage.database import create_engine, normalize_url, sessionmaker
from bot.storage.knowledge_store import load_knowledge

#: The folders whose YAML files an export writes, and removes when the database has no such
#: place (or language) any more. The network's two files in `network/` are always written.
FOLDERS: Final = ("network/topics", "countries", "regions", "cities", "translations")


class _RestoreFailed(OSError):
    """Moving the files failed, and so did putting the old ones back: they are kept aside."""


class ExportError(Exception):
    """The rendered files would not load as the stored knowledge; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the exported files")
        self.problems = problems


@dataclass(frozen=True)
class Exported:
    """What an export did to the directory, by path relative to it."""

    written: list[str]  # new or changed
    unchanged: list[str]
    removed: list[str]


async def stored_knowledge(database_url: str) -> Knowledge | None:
    """The database's live knowledge, or None when it holds none. Changes nothing stored, not
    even the schema, and creates no SQLite file."""
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return None
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda c: c.dialect.has_table(c, "knowledge_versions"))
        return await load_knowledge(sessionmaker(engine)) if found else None
    except SQLAlchemyError:
        return None
    finally:
        await engine.dispose()


def _existing(root: Path) -> dict[str, bytes]:
    """The YAML files of the layout now in `root`, by relative path."""
    paths = [root / "network" / "network.yaml", root / "network" / "intents.yaml"]
    for folder in FOLDERS:
        paths.extend(sorted((root / folder).glob("*.yaml")))
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in paths if p.is_file()}


def _check(knowledge: Knowledge, staged: Path) -> None:
    try:
        loaded, _warnings = load_directory(staged)
    except KnowledgeError as exc:
        raise ExportError([str(p) for p in exc.errors]) from exc
    changed = differences(knowledge, loaded)
    if changed:
        raise ExportError([f"{what} would not load back as stored" for what in changed])


def export_directory(knowledge: Knowledge, root: Path) -> Exported:
    """Write `knowledge` as the files of the directory `root` (created if needed).

    Raises ExportError, and touches nothing, when the files would not load back as the same
    knowledge; an OSError while moving them into place puts the old files back first.
    """
    root = root.resolve()
    old = _existing(root) if root.is_dir() else {}
    texts = render(knowledge, {p: b.decode("utf-8", "replace") for p, b in old.items()})
    new = {path: text.encode() for path, text in texts.items()}
    changed = [p for p in new if old.get(p) != new[p]]
    stale = sorted(set(old) - set(new))
    unchanged = sorted(set(new) - set(changed))
    root.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{root.name}.export-", dir=root.parent))
    stranded = False
    try:
        staged = work / root.name  # so that a problem names the file as in the target
        for path, data in new.items():
            (staged / path).parent.mkdir(parents=True, exist_ok=True)
            (staged / path).write_bytes(data)
        _check(knowledge, staged)
        _replace(root, staged, work / "old", changed, set(stale))
    except _RestoreFailed:
        stranded = True
        raise
    finally:
        if not stranded:
            shutil.rmtree(work, ignore_errors=True)
    return Exported(changed, unchanged, stale)


def _replace(root: Path, staged: Path, backup: Path, changed: list[str], stale: set[str]) -> None:
    """Move the changed files into place and the stale ones out, all or none.

    Each old file is first linked (or copied) into `backup`, so that every file of the
    directory is at any moment either its old or its new version, never missing.
    """
    done: list[tuple[Path, Path | None]] = []  # (file in root, its backup; None: it is new)
    made: list[Path] = []  # folders this export created
    try:
        for path in [*changed, *sorted(stale)]:
            target = root / path
            kept = None
            if target.exists():
                kept = backup / path
                kept.parent.mkdir(parents=True, exist_ok=True)
                _keep(target, kept)
            done.append((target, kept))
            if path in stale:
                target.unlink()
                continue
            if kept is not None:
                shutil.copymode(kept, staged / path)  # a file keeps its permissions
            for folder in reversed(target.relative_to(root).parents):
                if not (root / folder).exists():
                    (root / folder).mkdir()
                    made.append(root / folder)
            os.replace(staged / path, target)
    except BaseException:
        try:
            for target, kept in reversed(done):
                if kept is not None:
                    os.replace(kept, target)
                else:
                    target.unlink(missing_ok=True)
            for folder in reversed(made):
                folder.rmdir()
        except OSError as failed:
            raise _RestoreFailed(f"could not put the old files back; they are in {backup}") from (
                failed
            )
        raise


def _keep(target: Path, kept: Path) -> None:
    try:
        os.link(target, kept)
    except OSError:  # a file system without hard links
        shutil.copy2(target, kept)
