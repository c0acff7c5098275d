"""A fresh copy of the sample knowledge for each test that breaks it, and its problems."""

import shutil
from pathlib import Path

import pytest

from bot.core.knowledge.loader import KnowledgeError, load_directory

ROOT = Path(__file__).resolve().parents[3] / "knowledge"


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT, target)
    return target


def problems(path: Path) -> list[str]:
    """The errors (not the warnings) that stop `path` from loading, as `kb check` prints them."""
    with pytest.raises(KnowledgeError) as exc:
        load_directory(path)
    return [str(p) for p in exc.value.errors]
