"""Residents' data on disk is ours alone: VAR_DIR 0700, files in it 0600."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot import private_files
from bot.channels.sms_media import MediaStore
from bot.settings import PROJECT_ROOT
from bot.web.uploads import store_photo
from tests.support.sms import TINY_PNG


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def umask_restored():
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


def test_what_an_older_version_left_readable_is_tightened(tmp_path, umask_restored):
    var = tmp_path / "var"
    (var / "logs").mkdir(parents=True, mode=0o755)
    (var / "uploads").mkdir(mode=0o755)
    for name in ("council.db", "logs/rasa-server.log", "uploads/0123.jpg"):
        (var / name).write_bytes(b"personal data")
        os.chmod(var / name, 0o644)
    os.chmod(var, 0o755)
    outside = tmp_path / "not-ours-to-change.txt"
    outside.write_text("x")
    os.chmod(outside, 0o644)
    (var / "link").symlink_to(outside)

    private_files.restrict(var)

    assert mode(var) == mode(var / "logs") == mode(var / "uploads") == 0o700
    assert {mode(var / n) for n in ("council.db", "logs/rasa-server.log", "uploads/0123.jpg")} == {0o600}
    assert mode(outside) == 0o644  # a link is never followed out of VAR_DIR
    new_file = var / "later.log"
    new_file.write_text("written after")  # the umask: new files are private too
    assert mode(new_file) == 0o600


def test_a_shared_folder_such_as_tmp_is_left_alone(tmp_path, umask_restored):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    private_files.restrict(shared)
    assert mode(shared) == 0o1777


def test_photos_are_stored_readable_by_us_only_whatever_the_umask(tmp_path, umask_restored):
    os.umask(0o022)
    upload_id = store_photo(TINY_PNG, tmp_path / "uploads", 1_000_000)
    url = MediaStore(tmp_path / "media" / "sms", "https://bot.example", 1_000_000).store(TINY_PNG, "image/png")
    assert mode(tmp_path / "uploads" / upload_id) == 0o600 and mode(tmp_path / "uploads") == 0o700
    media = tmp_path / "media" / "sms" / url.rsplit("/", 1)[1]
    assert mode(media) == 0o600 and mode(media.parent) == 0o700


def test_an_entry_point_creates_var_and_its_databases_private(tmp_path):
    """`python -m bot.retention` as cron would run it, from a shell with the usual umask 022."""
    var = tmp_path / "var"
    env = {**os.environ, "VAR_DIR": str(var), "PYTHONPATH": str(PROJECT_ROOT)}
    for inherited in ("DATABASE_URL", "TRACKER_STORE_URL"):
        env.pop(inherited, None)
    result = subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0o022); from bot.retention import main; "
                             "sys.exit(main(['--dry-run']))"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    databases = list(var.glob("*.db"))
    assert databases and mode(var) == 0o700
    assert {mode(path) for path in databases} == {0o600}
