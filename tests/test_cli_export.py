"""`python main.py kb export [PATH]` as staff type it: the database's knowledge back as files."""

import re
from pathlib import Path

import pytest

from bot.core.knowledge import Knowledge
from bot.storage.database import create_engine, sessionmaker, upgrade
from bot.storage.knowledge_store import import_knowledge
from tests.cli_harness import Cli
from tests.knowledge_parts import only


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Cli:
    return Cli(monkeypatch, database_url)


async def test_kb_export_of_a_database_without_knowledge_says_so_and_writes_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    ran = await cli("kb", "export", str(tmp_path / "kb"))
    assert ran.code == 1
    assert "holds no knowledge: nothing to export" in ran.out
    assert not (tmp_path / "kb").exists()


async def test_kb_export_writes_files_that_kb_check_passes_and_kb_import_finds_unchanged(
    cli: Cli, database_url: str, knowledge: Knowledge, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        await import_knowledge(sessionmaker(engine), only(knowledge, "jelgava"), "test")
    finally:
        await engine.dispose()
    kb = tmp_path / "kb"
    ran = await cli("kb", "export", env={"GUICHET_KNOWLEDGE_DIR": str(kb)})  # the default
    assert ran.code == 0, ran.out + ran.err
    assert "  ~ cities/jelgava.yaml" in ran.out.splitlines()
    summary = re.fullmatch(
        rf"Exported to {re.escape(str(kb))}: (\d+) file\(s\) written, 0 removed, 0 unchanged\.",
        ran.out.splitlines()[-1],
    )
    assert summary is not None, ran.out
    checked = await cli("kb", "check", str(kb))
    assert checked.code == 0, checked.out
    imported = await cli("kb", "import", str(kb), env={"GUICHET_SEMANTIC": "off"})
    assert imported.code == 0, imported.out + imported.err
    assert imported.out.splitlines()[-1] == "No changes."
    again = await cli("kb", "export", str(kb))
    assert again.out.splitlines() == [
        f"Exported to {kb}: 0 file(s) written, 0 removed, {summary[1]} unchanged."
    ]
