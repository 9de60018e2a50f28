"""Small per-process memos with a time to live, for values a page reads on every request and that
change rarely (a workspace's channel names, its inbox settings). A write made through any process of
the installation drops the entry everywhere at once: the owner connects its model signals to
`forget`, which drops it here and, once the write is committed, renews the key's marker in Django's
"shared" cache (settings.CACHES), which every `get` compares with the marker its entry was computed
under (one small read, about 15 µs). A write made outside tamtam (SQL by hand) shows within the TTL.
Values must be immutable (tuples, frozen dataclasses): one object is handed to every request."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.core.cache import caches
from django.db import connection, transaction

V = TypeVar("V")

_ALL: list[TTLMemo[object]] = []
MAX_ENTRIES = 10_000  # beyond, a memo starts over: never unbounded


class TTLMemo(Generic[V]):
    def __init__(self, name: str, ttl_s: float) -> None:
        self.name = name
        self.ttl_s = ttl_s
        self._entries: dict[Hashable, tuple[float, Any, V]] = {}
        self._lock = threading.Lock()
        # Bumped by every forget: a value computed while a write was being forgotten is not kept
        # (it may have been read before the write).
        self._generation = 0
        _ALL.append(self)  # type: ignore[arg-type]

    def _marker_key(self, key: Hashable) -> str:
        return f"memo:{self.name}:{key!r}"

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        now = time.monotonic()
        marker = caches["shared"].get(self._marker_key(key))
        found = self._entries.get(key)
        if found is not None and now - found[0] <= self.ttl_s and found[1] == marker:
            return found[2]
        generation = self._generation
        value = compute()
        with self._lock:
            if generation != self._generation:
                return value
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now, marker, value)
        return value

    def forget(self, key: Hashable | None = None) -> None:
        """Drop one entry, in every process (None: all of this process's entries)."""
        with self._lock:
            self._generation += 1
            if key is None:
                self._entries.clear()
                return
            self._entries.pop(key, None)
        marker_key = self._marker_key(key)
        # After the commit: a process that read the row before it would keep the old value under
        # the new marker.
        after_commit(lambda: caches["shared"].set(marker_key, new_marker(), None))


_markers = itertools.count()


def after_commit(func: Callable[[], object]) -> None:
    """Run `func` once the current transaction commits, or at once outside one — without opening a
    database connection for it (a CLI command or a worker renewing a marker may have none)."""
    if connection.in_atomic_block:
        transaction.on_commit(func)
    else:
        func()


def new_marker() -> str:
    """A value for a shared marker, never reused across processes and restarts: what was kept under
    an older one (or under one the cache evicted) is never read again."""
    return f"{time.time_ns()}.{os.getpid()}.{next(_markers)}"


def forget_all() -> None:
    """Empty every memo (tests start each with an empty process state)."""
    for memo in _ALL:
        memo.forget()
