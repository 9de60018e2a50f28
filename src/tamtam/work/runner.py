"""The worker loop: poll, claim in batches, run handlers in a thread pool, sweep, heartbeat, stop cleanly.

Network calls are I/O bound, so one process runs `WORK_CONCURRENCY` handlers on threads; database
writes stay short. The loop polls every `WORK_POLL_MS` and re-polls at once when it found work or a
slot freed up. On SIGTERM/SIGINT it stops claiming, lets in-flight calls finish, and gives back any
claim that never started. Tests drive it one cycle at a time with `tick()` in inline mode.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from tamtam.ops import logs
from tamtam.work import registry
from tamtam.work.db import serialised
from tamtam.work.models import WorkerHeartbeat
from tamtam.work.registry import WorkKind

log = logging.getLogger("tamtam.work")

HEARTBEAT_SECONDS = 5.0
GATHER_SECONDS = 0.005


def make_owner(name: str | None = None) -> str:
    """A lease owner unique to this process run: a restarted worker never mistakes old leases for its own."""
    base = name or socket.gethostname()[:30]
    return f"{base}:{os.getpid()}:{secrets.token_hex(3)}"[:64]


class _Pool:
    """Fixed threads fed by a queue. Each thread closes its own DB connections when it ends (Django's
    connections are per thread), which a plain ThreadPoolExecutor gives no hook for."""

    def __init__(self, size: int) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._loop, name=f"tamtam-work-{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[[], None]) -> None:
        self._queue.put(fn)

    def _loop(self) -> None:
        try:
            while True:
                fn = self._queue.get()
                if fn is None:
                    return
                fn()
        finally:
            connections.close_all()

    def join(self, timeout: float | None = None) -> None:
        """Run what is queued (every item is a claim already ours), then end the threads."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)


class Runner:
    def __init__(
        self,
        *,
        name: str | None = None,
        concurrency: int | None = None,
        poll_ms: int | None = None,
        lease_seconds: float | None = None,
        kinds: list[WorkKind] | None = None,
        inline: bool = False,
    ) -> None:
        self.owner = make_owner(name)
        self.concurrency = max(1, concurrency or settings.WORK_CONCURRENCY)
        self.poll = max(0.01, (poll_ms or settings.WORK_POLL_MS) / 1000.0)
        lease = lease_seconds or settings.WORK_LEASE_SECONDS
        self.sweep_every = max(0.5, min(lease / 3.0, 15.0))
        self.kinds = kinds if kinds is not None else registry.kinds()
        self.inline = inline
        self.processed = 0
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._done: queue.SimpleQueue[tuple[WorkKind, Any]] = queue.SimpleQueue()
        self._last_sweep = float("-inf")
        self._last_beat = float("-inf")
        self._pool = None if inline else _Pool(self.concurrency)
        self._closed = False

    # --- one cycle ------------------------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        with self._cond:
            return self._in_flight

    def free_slots(self) -> int:
        return self.concurrency - self.in_flight

    def tick(self, now: datetime | None = None) -> int:
        """Record finished calls, sweep and heartbeat when due, then claim what fits and start it.
        Returns how many items were claimed (inline mode: also processed before returning)."""
        self._gather()
        self.flush()
        now = now or timezone.now()
        mono = time.monotonic()
        if mono - self._last_sweep >= self.sweep_every:
            self._last_sweep = mono
            self.sweep(now)
        if mono - self._last_beat >= HEARTBEAT_SECONDS:
            self._last_beat = mono
            self.heartbeat()
        claimed = 0
        for kind in self.kinds:
            free = self.free_slots()
            if free <= 0 or self._stop.is_set():
                break
            with logs.bound(fresh=True, work_kind=kind.name, worker=self.owner):
                ids = kind.claim(now, free, self.owner)
                claimed += len(ids)
                if kind.batched:
                    self._start_batch(kind, ids)
                else:
                    for item_id in ids:
                        self._start(kind, item_id)
            if self._pool is None:
                self.flush()
        return claimed

    def _start(self, kind: WorkKind, item_id: int) -> None:
        with self._cond:
            self._in_flight += 1
        if self._pool is None:
            self._process(kind, item_id)
        else:
            self._pool.submit(functools.partial(self._process, kind, item_id))

    def _process(self, kind: WorkKind, item_id: int) -> None:
        # A pooled thread's connection may have outlived CONN_MAX_AGE or broken; check at the edges.
        if self._pool is not None:
            close_old_connections()
        try:
            # Every line this item's handler logs names it (docs/operations.md: work ids).
            with logs.bound(fresh=True, work_kind=kind.name, work_id=item_id, worker=self.owner):
                kind.process(item_id, self.owner)
        except Exception:
            # The row keeps its state and lease; the sweeper returns it to a safe state later.
            log.exception("work %s #%s failed in its handler", kind.name, item_id)
        finally:
            if self._pool is not None:
                close_old_connections()
            with self._cond:
                self._in_flight -= 1
                self.processed += 1
                self._cond.notify_all()

    def _start_batch(self, kind: WorkKind, ids: list[int]) -> None:
        if not ids:
            return
        assert kind.prepare is not None
        jobs = kind.prepare(ids, self.owner)  # committed before any call
        with self._cond:
            self._in_flight += len(jobs)
        for job in jobs:
            if self._pool is None:
                self._call(kind, job)
            else:
                self._pool.submit(functools.partial(self._call, kind, job))

    def _call(self, kind: WorkKind, job: Any) -> None:
        assert kind.execute is not None
        target = getattr(job, "target", None)
        try:
            item_id = getattr(target, "pk", None)
            with logs.bound(fresh=True, work_kind=kind.name, work_id=item_id, worker=self.owner):
                done = kind.execute(job)
        except Exception:
            log.exception("work %s: a call failed outside its handler", kind.name)
            done = None  # the target stays `sending`; the sweeper makes it unconfirmed
        with self._cond:
            self._done.put((kind, done))
            self._cond.notify_all()

    def _gather(self) -> None:
        # Answers of one batch arrive spread over the network's jitter: waiting a few milliseconds
        # for more of them makes one bigger write (and one bigger claim) instead of many small ones.
        deadline = time.monotonic() + GATHER_SECONDS
        with self._cond:
            while 0 < self._done.qsize() < self._in_flight // 2 and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))

    def flush(self) -> int:
        """Record finished calls, one transaction per kind for all that are waiting."""
        finished: dict[str, tuple[WorkKind, list[Any]]] = {}
        count = 0
        while True:
            try:
                kind, done = self._done.get_nowait()
            except queue.Empty:
                break
            count += 1
            if done is not None:
                finished.setdefault(kind.name, (kind, []))[1].append(done)
        for kind, dones in finished.values():
            assert kind.record is not None
            try:
                with logs.bound(fresh=True, work_kind=kind.name, worker=self.owner):
                    kind.record(dones, self.owner)
            except DatabaseError:
                # Not recorded: the targets stay `sending` → swept to unconfirmed → reconciled.
                log.exception("work %s: could not record %s outcomes", kind.name, len(dones))
        if count:
            with self._cond:
                self._in_flight -= count
                self.processed += count
        return count

    def sweep(self, now: datetime | None = None) -> int:
        now = now or timezone.now()
        swept = 0
        for kind in self.kinds:
            if kind.sweep is not None:
                swept += kind.sweep(now)
        if swept:
            log.info("swept %s expired leases", swept)
        return swept

    def heartbeat(self) -> None:
        now = timezone.now()
        with serialised():
            self._beat(now)

    def _beat(self, now: datetime) -> None:
        WorkerHeartbeat.objects.update_or_create(
            name=self.owner,
            defaults={
                "last_seen": now,
                "processed": self.processed,
                "pid": os.getpid(),
                "host": socket.gethostname()[:120],
                "kind": "worker",
            },
            create_defaults={
                "started_at": now,
                "last_seen": now,
                "processed": self.processed,
                "pid": os.getpid(),
                "host": socket.gethostname()[:120],
                "kind": "worker",
            },
        )

    # --- the loop -------------------------------------------------------------------------------------

    def stop(self, *_: object) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def install_signal_handlers(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("worker %s stopping (signal %s): finishing in-flight calls", self.owner, signum)
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def run(self, *, once: bool = False) -> None:
        """Loop until stopped (or, with `once`, until nothing is due and nothing is in flight)."""
        log.info(
            "worker %s started: concurrency %s, poll %sms",
            self.owner,
            self.concurrency,
            int(self.poll * 1000),
        )
        try:
            while not self._stop.is_set():
                try:
                    with logs.bound(fresh=True, worker=self.owner):
                        claimed = self.tick()
                except DatabaseError:
                    # A locked or dropped database is transient: wait a poll and try again.
                    log.exception("worker %s: claim failed; retrying", self.owner)
                    close_old_connections()
                    claimed = 0
                with self._cond:
                    if once and claimed == 0 and self._in_flight == 0:
                        break
                    if self._stop.is_set():
                        break
                    # Nothing due, or no free slot: sleep until a call finishes or the next poll.
                    idle = claimed == 0 or self._in_flight >= self.concurrency
                    if idle and self._done.empty():
                        self._cond.wait(self.poll)
        finally:
            self.close()

    def close(self) -> None:
        """Stop claiming, let in-flight calls finish and record them, give back anything still claimed."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._pool is not None:
            self._pool.join()
        try:
            self.flush()
        except DatabaseError:
            log.exception("worker %s: could not record its last outcomes; the sweeper will", self.owner)
        for kind in self.kinds:
            if kind.release is not None:
                try:
                    kind.release(None, self.owner)
                except DatabaseError:
                    log.exception("worker %s: could not release its claims; the sweeper will", self.owner)
        try:
            WorkerHeartbeat.objects.filter(name=self.owner).delete()
        except DatabaseError:
            log.exception("worker %s: could not remove its heartbeat", self.owner)
        log.info("worker %s stopped after %s items", self.owner, self.processed)
