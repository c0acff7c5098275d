"""Finding the Whisper model: a city's folder, or the pinned base model joined once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import VoiceSettings
from bot.voice import model
from bot.voice.apart import TranscriberApart
from bot.voice.model import ModelMissing, assemble, model_dir, sha256_of
from bot.voice.worker import load_voice
from tests.voice_parts import need_voice


def test_the_base_model_is_joined_from_the_wheels_once_and_checked(tmp_path: Path) -> None:
    need_voice()
    folder = assemble(tmp_path)
    assert sha256_of(folder / "model.bin") == model.MODEL_SHA256
    assert {p.name for p in folder.iterdir()} == {"model.bin", *model.BESIDE}
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert model_dir(None, tmp_path) == folder  # reused, not joined again
    assert (folder / "model.bin").stat().st_mtime_ns == stamp


def test_a_model_that_does_not_match_its_checksum_is_never_put_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_voice()
    monkeypatch.setattr(model, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelMissing, match="reinstall the voice extra"):
        assemble(tmp_path)
    assert list((tmp_path / model.FOLDER).iterdir()) == []


def test_a_configured_folder_without_a_model_is_refused_and_voice_stays_off(
    tmp_path: Path,
) -> None:
    with pytest.raises(ModelMissing, match=r"holds no model\.bin"):
        model_dir(tmp_path, tmp_path)
    assert load_voice(VoiceSettings(model_dir=tmp_path, state_dir=tmp_path)) is None
    assert load_voice(VoiceSettings(enabled=False)) is None


def test_with_the_extra_the_worker_takes_the_configured_model_in_a_process_of_its_own(
    tmp_path: Path,
) -> None:
    need_voice()
    folder = assemble(tmp_path)
    worker = load_voice(VoiceSettings(model_dir=folder, state_dir=tmp_path, queue=2, idle=60))
    assert worker is not None and worker.queue_limit == 2 and not worker.full
    assert isinstance(worker.transcriber, TranscriberApart)
    assert worker.transcriber.folder == folder
    assert not worker.transcriber.running  # loaded with the first note, not at start
    assert worker.idle == 60
    worker.close()
