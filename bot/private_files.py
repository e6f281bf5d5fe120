"""Residents' data on disk is readable by our own user only.

VAR_DIR holds the databases (SQLite), logs, photos residents uploaded and
MMS media. Every entry point calls :func:`restrict` first: new files are
created 0600 and folders 0700 (umask 0o077, inherited by every process the
launcher starts), and whatever an older version left readable to others in
VAR_DIR is tightened. Files we write ourselves are also created 0600
explicitly (:func:`write_private`), whatever the umask.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Optional

logger = logging.getLogger(__name__)

UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def restrict(var_dir: Optional[Path] = None) -> None:
    """Set the process umask to 0o077, and make ``var_dir`` and everything in it ours alone."""
    os.umask(UMASK)
    if var_dir is None:
        return
    var_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    info = var_dir.lstat()
    if info.st_mode & stat.S_ISVTX or info.st_uid != os.geteuid():
        # A shared folder such as /tmp (sticky) or someone else's: never change it.
        logger.warning("VAR_DIR %s is shared or not ours; its permissions were left alone", var_dir)
        return
    _tighten(var_dir, DIR_MODE)
    for root, dirs, files in os.walk(var_dir):
        for name in dirs:
            _tighten(Path(root) / name, DIR_MODE)
        for name in files:
            _tighten(Path(root) / name, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            return  # never follow a link out of VAR_DIR, never touch others' files
        if stat.S_IMODE(info.st_mode) & ~mode:
            os.chmod(path, stat.S_IMODE(info.st_mode) & mode)
    except FileNotFoundError:
        pass  # removed meanwhile (a photo past retention)


def private_dir(path: Path) -> Path:
    """``path`` created (with parents) 0700 if missing."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


def write_private(path: Path, data: bytes, sync: bool = False) -> None:
    """Write ``data`` to a new file ``path`` created 0600 (fails if it exists)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())
