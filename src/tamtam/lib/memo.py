"""Small per-process memos with a time to live, for values a page reads on every request and that
change rarely (a workspace's channel names, its inbox settings). A write made through this process
drops the entry at once (the owner connects its model signals to `forget`); another process's write
is seen within the TTL, which is what bounds staleness with several server processes. Values must be
immutable (tuples, frozen dataclasses): one object is handed to every request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

_ALL: list[TTLMemo[object]] = []
MAX_ENTRIES = 10_000  # beyond, a memo starts over: never unbounded


class TTLMemo(Generic[V]):
    def __init__(self, name: str, ttl_s: float) -> None:
        self.name = name
        self.ttl_s = ttl_s
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()
        # Bumped by every forget: a value computed while a write was being forgotten is not kept
        # (it may have been read before the write).
        self._generation = 0
        _ALL.append(self)  # type: ignore[arg-type]

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and now - found[0] <= self.ttl_s:
            return found[1]
        generation = self._generation
        value = compute()
        with self._lock:
            if generation != self._generation:
                return value
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def forget(self, key: Hashable | None = None) -> None:
        """Drop one entry (None: all of them)."""
        with self._lock:
            self._generation += 1
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)


def forget_all() -> None:
    """Empty every memo (tests start each with an empty process state)."""
    for memo in _ALL:
        memo.forget()
