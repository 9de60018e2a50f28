"""Whose turn it is to write a SQLite file.

SQLite has one writer at a time. A writer that finds the file busy sleeps in SQLite's busy handler
(1, 2, 5 … up to 100 ms) and tries again, so a pool of threads, or two worker processes, spend most
of their time asleep while the lock is actually free. Taking turns before asking SQLite — a lock
between the threads of a process, an advisory `flock` on `<file>-writer.lock` between processes —
hands the file over the moment it is released. Writers that do not take a turn (a web request) still
work: they simply meet the busy handler as before.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: threads still take turns, processes do not
    fcntl = None  # type: ignore[assignment]


KEEP_FILES = 8


class WriterTurn:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._files: dict[str, int] = {}

    def _fd(self, db_path: str | None) -> int | None:
        if fcntl is None or not db_path or db_path == ":memory:" or db_path.startswith("file:"):
            return None
        fd = self._files.get(db_path)
        if fd is None:
            fd = os.open(f"{db_path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            self._files[db_path] = fd
            while len(self._files) > KEEP_FILES:  # tests switch databases; a process keeps one or two
                os.close(self._files.pop(next(iter(self._files))))
        return fd

    @contextmanager
    def hold(self, db_path: str | None) -> Iterator[None]:
        """Hold the turn for `db_path` (re-entrant within a thread)."""
        with self._lock:
            fd = self._fd(db_path) if self._depth == 0 else None
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
