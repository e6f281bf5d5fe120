"""One active delivery worker per SQLite database.

SQLite has no row locks (no ``SKIP LOCKED``), so two workers on one file
could both pick the same row between reading and claiming it. Instead, a
worker takes an exclusive ``flock`` on a file next to the database; a second
worker stands by and takes over when the first exits or dies (the operating
system releases the lock with the process). PostgreSQL needs no such lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Optional

from sqlalchemy.engine import make_url


def lock_path_for(database_url: str) -> Optional[Path]:
    """Where the worker lock lives for this database; None when none is needed."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be shared with a worker process")
    return Path(url.database).with_name(Path(url.database).name + ".outbox-worker.lock")


class WorkerLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: Optional[int] = None

    def try_acquire(self) -> bool:
        """True if this process is now the active worker."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
