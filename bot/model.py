"""The trained model, cached by a hash of everything it is trained from.

``python -m bot.model ensure`` trains only when config.yml, domain.yml, our NLU components (bot/nlu/) or
anything under data/ changed since the model in models/ was trained, and
prints the model's path. ``python -m bot.model path`` prints it without
training (exit 1 if it is missing).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable

from bot.nlu import training_sources
from bot.nlu.encoder import CACHE_DIR as ENCODER_CACHE_DIR
from bot.nlu.encoder import exported_path
from bot.settings import PROJECT_ROOT
from bot.telemetry import no_telemetry

MODELS_DIR = PROJECT_ROOT / "models"


def training_inputs(root: Path = PROJECT_ROOT) -> Iterable[Path]:
    yield root / "config.yml"
    yield root / "domain.yml"
    yield from sorted(p for p in (root / "data").rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml", ".txt"))
    # Our own NLU components and their data: changing how they train changes the model.
    yield from training_sources(root / "bot" / "nlu")


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path = PROJECT_ROOT) -> Path:
    return MODELS_DIR / f"council-{fingerprint(root)}.tar.gz"


def ensure_model(root: Path = PROJECT_ROOT) -> Path:
    """Path of an up-to-date model, training one first if needed.

    Holds a file lock while checking and training, so two processes that
    need the same model (make test and a benchmark, say) train it once.
    """
    path = model_path(root)
    if path.exists():
        print(f"Model is up to date: {path.relative_to(root)}", flush=True)
        return path
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    with open(MODELS_DIR / ".training.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():  # another process trained it while we waited
            print(f"Model is up to date: {path.relative_to(root)}", flush=True)
            return path
        return _train(root, path)


def _train(root: Path, path: Path) -> Path:
    print("Training data changed (or no model yet): training, this takes a few minutes...", flush=True)
    started = time.monotonic()
    # The sentence encoder's one-off export (a fresh clone's first training) runs beside
    # `rasa train` on the other core; the classifier waits for it (bot/nlu/intent_classifier.py).
    export = None
    if not exported_path(root / ENCODER_CACHE_DIR).exists():
        export = subprocess.Popen(
            [sys.executable, "-c", "from pathlib import Path; from bot.nlu.intent_classifier import encoder_cache; "
                                   f"encoder_cache(Path({ENCODER_CACHE_DIR!r}))"],
            cwd=root, env=no_telemetry(dict(os.environ)),
        )
    try:
        _rasa_train(root, path)
    finally:
        if export is not None:
            export.wait()
    print(f"Trained in {time.monotonic() - started:.0f} s: {path.relative_to(root)}", flush=True)
    prune_old_models(keep=3)
    return path


def _rasa_train(root: Path, path: Path) -> None:
    """``rasa train`` into a scratch folder beside ``path``, then moved into place."""
    # Trained beside the final path and moved into place in one step, so no
    # process ever sees a half-written model under the final name.
    with tempfile.TemporaryDirectory(dir=MODELS_DIR) as scratch:
        subprocess.run(
            [
                sys.executable, "-m", "rasa", "train",
                "--config", str(root / "config.yml"),
                "--domain", str(root / "domain.yml"),
                "--data", str(root / "data"),
                "--out", scratch,
                "--fixed-model-name", path.name[: -len(".tar.gz")],
                # `rasa data validate` runs in the tests (tests/test_data.py) and
                # `make validate`; repeating it here took ~20 s of every training.
                "--skip-validation",
            ],
            cwd=root,
            check=True,
            # Training reports nothing to Rasa's telemetry or Sentry (bot/telemetry.py).
            env=no_telemetry(dict(os.environ)),
        )
        os.replace(Path(scratch) / path.name, path)


def prune_old_models(keep: int) -> None:
    """Delete all but the ``keep`` newest models (each is about 75 MB)."""
    models = sorted(MODELS_DIR.glob("council-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[keep:]:
        old.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "ensure"
    if command == "ensure":
        ensure_model()
        return 0
    if command == "path":
        path = model_path()
        print(path)
        return 0 if path.exists() else 1
    if command == "fingerprint":
        print(fingerprint())
        return 0
    print("usage: python -m bot.model [ensure|path|fingerprint]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
