"""Incremental, restart-safe persistence of the live detector state.

The state of 10,000 queries x 3 series is about 27 MB; rewriting it every minute is far too heavy.
Instead:

- a worker keeps the banks in memory between its runs (`Memory`), valid while the evaluator's
  token is the one its last commit wrote;
- every minute it logs what the detector was given (`ScoredMinute`: the counts of the queries that
  had a mention, a few KB) and checkpoints a slice of the series (`SeriesCheckpoint`, one compact
  row per rule): a rule is checkpointed when it is new, then when `(rule id + minute) %
  CHECKPOINT_MINUTES == 0` (or its checkpoint is that old), so each minute writes about
  1/CHECKPOINT_MINUTES of the state; the log is pruned up to the oldest checkpoint: bounded size;
- a worker that (re)starts, or finds that another worker ran since, rebuilds each series from its
  checkpoint and replays the logged minutes after it. The detector is deterministic and row-wise,
  so the rebuilt state is the never-stopped worker's state, bit for bit, even if late mentions
  changed the stored counters since (the log holds what was scored, not what is stored now).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from django.conf import settings

from tamtam.crisis import history
from tamtam.crisis.detectors.blob import copy_rows
from tamtam.crisis.models import ScoredMinute, SeriesCheckpoint


def checkpoint_minutes() -> int:
    return max(int(getattr(settings, "CRISIS_CHECKPOINT_MINUTES", 60)), 1)


def minute_index(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def from_index(index: int) -> datetime:
    return datetime.fromtimestamp(index * 60, tz=UTC)


def state_key(group: str, bank: Any) -> str:
    """The group key and the state layout: a checkpoint of another layout is not loaded."""
    head = bank._head()
    return f"{group}:v{head['v']}:{int(head['step_s'])}"


# -- one compact row per series ---------------------------------------------------------------


def encode_rows(bank: Any, rows: np.ndarray) -> list[bytes]:
    """Each row's arrays (sorted by name) as one float64 vector: exact (bool and int fit)."""
    arrays = bank._arrays()
    n = len(rows)
    matrix = np.hstack([arrays[name][rows].reshape(n, -1).astype(np.float64) for name in sorted(arrays)])
    return [matrix[i].tobytes() for i in range(n)]


def decode_rows(bank: Any, blobs: Sequence[bytes]) -> None:
    """Fill every row of `bank` (in order) from `encode_rows` output of the same layout."""
    arrays = bank._arrays()
    width = sum(int(np.prod(arrays[name].shape[1:])) for name in arrays)
    matrix = np.frombuffer(b"".join(bytes(b) for b in blobs), dtype=np.float64)
    if matrix.size != width * len(blobs):
        raise ValueError(f"checkpoint rows of {matrix.size // max(len(blobs), 1)} values, expected {width}")
    matrix = matrix.reshape(len(blobs), width)
    col = 0
    for name in sorted(arrays):
        arr = arrays[name]
        w = int(np.prod(arr.shape[1:]))
        arr[...] = matrix[:, col : col + w].reshape(arr.shape).astype(arr.dtype)
        col += w


# -- the input log ----------------------------------------------------------------------------


def encode_counts(query_ids: np.ndarray, total: np.ndarray, negative: np.ndarray) -> bytes:
    have = (total > 0) | (negative > 0)
    triples = np.stack([query_ids[have], total[have], negative[have]], axis=1)
    return np.ascontiguousarray(triples, dtype=np.int64).tobytes()


@dataclass
class Log:
    """Logged minutes after some bucket: sorted query ids and their counts, per minute."""

    minutes: list[datetime] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)  # (k, 3) int64, sorted by query id

    @classmethod
    def load(cls, after: datetime, until: datetime) -> Log:
        log = cls()
        for bucket, blob in (
            ScoredMinute.objects.filter(bucket__gt=after, bucket__lte=until)
            .order_by("bucket")
            .values_list("bucket", "counts")
        ):
            triples = np.frombuffer(bytes(blob), dtype=np.int64).reshape(-1, 3)
            log.minutes.append(bucket)
            log.rows.append(triples[np.argsort(triples[:, 0], kind="stable")])
        return log

    def columns(self, t: int, query_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mentions, negative) of minute t for `query_ids` (zero for queries not logged)."""
        triples = self.rows[t]
        total = np.zeros(len(query_ids))
        negative = np.zeros(len(query_ids))
        if len(triples):
            pos = np.minimum(np.searchsorted(triples[:, 0], query_ids), len(triples) - 1)
            hit = triples[pos, 0] == query_ids
            total[hit] = triples[pos[hit], 1]
            negative[hit] = triples[pos[hit], 2]
        return total, negative


# -- a group's bank in memory -----------------------------------------------------------------


@dataclass
class Group:
    ids: np.ndarray  # rule ids, in bank row order
    queries: np.ndarray  # the query id of each row
    bank: Any
    ckpt: np.ndarray  # minute index of each row's checkpoint; -1: not checkpointed yet


@dataclass
class Memory:
    token: str
    last_bucket: datetime
    groups: dict[str, Group]


def restore(
    group: str,
    series: str,
    bank: Any,
    ckpt: np.ndarray,
    rows: np.ndarray,
    rule_ids: np.ndarray,
    query_ids: np.ndarray,
    log_from: datetime | None,
    last_bucket: datetime,
    logs: dict[datetime, Log],
) -> np.ndarray:
    """Rebuild rows `rows` of `bank` (rules `rule_ids`) from their checkpoints and the log up to
    `last_bucket`; which of them were restored (the others have no usable checkpoint)."""
    restored = np.zeros(len(rows), dtype=bool)
    key = state_key(group, bank)
    position = {int(r): i for i, r in enumerate(rule_ids)}
    by_bucket: dict[datetime, list[tuple[int, bytes]]] = {}
    ids = list(position)
    for i in range(0, len(ids), 5000):  # bounded IN lists (SQLite's variable limit)
        found = SeriesCheckpoint.objects.filter(rule_id__in=ids[i : i + 5000], key=key)
        found = found.filter(bucket__lte=last_bucket)
        if log_from is not None:
            found = found.filter(bucket__gte=log_from)  # older ones miss logged minutes: start afresh
        values = found.values_list("rule_id", "bucket", "state")
        for rule_id, bucket, blob in values.iterator(chunk_size=2000):
            by_bucket.setdefault(bucket, []).append((position[rule_id], bytes(blob)))
    if not by_bucket:
        return restored
    oldest = min(by_bucket)
    if oldest not in logs:
        logs[oldest] = Log.load(oldest, last_bucket)
    log = logs[oldest]
    for bucket, items in sorted(by_bucket.items()):
        items.sort()
        local = np.array([i for i, _ in items], dtype=np.int64)
        sub = type(bank)(len(local), bank.step_s, bank.params)
        decode_rows(sub, [b for _, b in items])
        queries = query_ids[local]
        for t, minute in enumerate(log.minutes):
            if minute <= bucket:
                continue
            total, negative = log.columns(t, queries)
            history.step(sub, series, minute.timestamp(), total, negative)
        copy_rows(bank, rows[local], sub)
        ckpt[rows[local]] = minute_index(bucket)
        restored[local] = True
    return restored


def due_rows(group: Group, end: datetime) -> np.ndarray:
    """Rows to checkpoint after scoring up to `end`: new ones, their slot, or too old a checkpoint."""
    k = checkpoint_minutes()
    now = minute_index(end)
    return np.flatnonzero((group.ckpt < 0) | (now - group.ckpt >= k) | ((group.ids + now) % k == 0))


@dataclass
class Writes:
    """What a run persists, prepared outside the write transaction."""

    minutes: list[ScoredMinute]
    checkpoints: list[SeriesCheckpoint]
    prune_through: datetime
    ckpt_updates: list[tuple[Group, np.ndarray]]


def prepare(groups: dict[str, Group], logged: Iterable[tuple[datetime, bytes]], end: datetime) -> Writes:
    checkpoints: list[SeriesCheckpoint] = []
    updates = []
    oldest = minute_index(end)
    for key, group in groups.items():
        rows = due_rows(group, end)
        if len(rows):
            skey = state_key(key, group.bank)
            for rule_id, blob in zip(group.ids[rows], encode_rows(group.bank, rows), strict=True):
                checkpoints.append(SeriesCheckpoint(rule_id=int(rule_id), key=skey, bucket=end, state=blob))
            updates.append((group, rows))
        kept = np.delete(group.ckpt, rows)
        if len(kept):
            oldest = min(oldest, int(kept.min()))
    minutes = [ScoredMinute(bucket=b, counts=blob) for b, blob in logged]
    return Writes(minutes, checkpoints, from_index(oldest), updates)


def write(writes: Writes, start: datetime) -> None:
    """Inside the run's transaction: the log, the due checkpoints, the prune."""
    ScoredMinute.objects.filter(bucket__gte=start).delete()  # never expected: a fresh log for these minutes
    ScoredMinute.objects.bulk_create(writes.minutes, batch_size=500)
    ids = [c.rule_id for c in writes.checkpoints]
    for i in range(0, len(ids), 500):
        SeriesCheckpoint.objects.filter(rule_id__in=ids[i : i + 500]).delete()
    SeriesCheckpoint.objects.bulk_create(writes.checkpoints, batch_size=500)
    # Rules no longer scored (disabled, or their query is) keep no state: re-enabled, they warm again.
    SeriesCheckpoint.objects.filter(rule__enabled=False).delete()
    SeriesCheckpoint.objects.filter(rule__query__enabled=False).delete()
    ScoredMinute.objects.filter(bucket__lte=writes.prune_through).delete()


def applied(writes: Writes, end: datetime) -> None:
    """After the commit: the in-memory checkpoint marks follow."""
    for group, rows in writes.ckpt_updates:
        group.ckpt[rows] = minute_index(end)


def stored_size() -> dict[str, int]:
    """Rows and bytes of the persisted state (for the benchmark and the admin)."""
    ck = SeriesCheckpoint.objects.values_list("state", flat=True)
    lg = ScoredMinute.objects.values_list("counts", flat=True)
    return {
        "checkpoints": ck.count(),
        "checkpoint_bytes": sum(len(bytes(b)) for b in ck.iterator(chunk_size=2000)),
        "log_minutes": lg.count(),
        "log_bytes": sum(len(bytes(b)) for b in lg.iterator(chunk_size=2000)),
    }
