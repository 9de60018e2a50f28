"""Kinds of durable work the runner knows: how to claim them, handle one, give back, sweep.

Each app declares its kinds in its `tasks.py` and registers them here; the runner imports
`HANDLER_MODULES` on start. Publishing is the first user; inbox fetches, metrics polls, listening
sources and report sends will be more kinds of the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from typing import Any

# Modules that register work kinds when imported.
HANDLER_MODULES = [
    "tamtam.publishing.tasks",
    "tamtam.channels.tasks",
    "tamtam.inbox.tasks",
    "tamtam.listening.tasks",
    "tamtam.crisis.tasks",
    "tamtam.analytics.tasks",
    "tamtam.reports.tasks",
]


@dataclass(frozen=True)
class WorkKind:
    name: str
    # (now, limit, owner) → ids claimed for this owner
    claim: Callable[[datetime, int, str], list[int]]
    # (id, owner) → a short outcome label; must be harmless when the row is no longer ours
    process: Callable[[int, str], object]
    # (ids, owner) → how many claims were given back unstarted (shutdown); None: lease just expires
    release: Callable[[list[int] | None, str], int] | None = None
    # (now) → how many expired leases were returned to a safe state
    sweep: Callable[[datetime], int] | None = None
    priority: int = 100  # lower first: publishing on time matters more than bookkeeping
    # Optional batch stages, used by the runner instead of `process` when all three are given:
    # prepare(ids, owner) → jobs (one transaction, before any call); execute(job) → done (the
    # network call alone, on a pool thread); record(dones, owner) (one transaction per batch).
    prepare: Callable[[list[int], str], Sequence[Any]] | None = None
    execute: Callable[[Any], Any] | None = None
    record: Callable[[Sequence[Any], str], object] | None = None

    @property
    def batched(self) -> bool:
        return self.prepare is not None and self.execute is not None and self.record is not None


_KINDS: dict[str, WorkKind] = {}


def register(kind: WorkKind) -> WorkKind:
    _KINDS[kind.name] = kind
    return kind


def kinds() -> list[WorkKind]:
    for module in HANDLER_MODULES:
        import_module(module)
    return sorted(_KINDS.values(), key=lambda k: (k.priority, k.name))
