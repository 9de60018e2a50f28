"""`tamtam beat` (scale-out mode, exactly one): send due row ids to the queues, sweep expired leases.

Every `WORK_BEAT_INTERVAL_MS` it reads, per kind, the rows a claim would take now (the definitions of
`ops.queues`, the same ones /readyz and /metrics read) and sends the ids it has not sent in the last
`WORK_RESEND_SECONDS`. An id still due after that was lost (a broker restarted without persistence, a
worker killed with the message in hand, a message expired behind a backlog) and goes again; a
broker that restarted (its run id changed) or refused a message makes beat forget what it sent, so
that everything still due goes again at once. Sending twice is harmless: the claim decides.

The sweep is the embedded runner's: `claimed` rows of a dead or paused worker back to due, `sending`
ones to `unconfirmed` (then reconciled), recurring posts expanded.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import Q
from django.utils import timezone

from tamtam.ops import logs, queues
from tamtam.work import broker, registry
from tamtam.work.registry import WorkKind
from tamtam.work.runner import make_owner

log = logging.getLogger("tamtam.work.beat")

SCAN_LIMIT = 5000  # ids per kind and round: a backlog is sent over several rounds, oldest first


def due_ids(kind: str, now: datetime, limit: int = SCAN_LIMIT) -> list[int]:
    """The ids of `kind` a claim would take now, oldest due first."""
    if kind == "refresh_tokens":
        from tamtam.channels.models import Channel, ChannelStatus

        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        channels = Channel.objects.filter(free, status=ChannelStatus.ACTIVE, refresh_due_at__lte=now)
        return list(channels.order_by("refresh_due_at", "pk").values_list("pk", flat=True)[:limit])
    definition = queues.QUEUES.get(kind)
    if definition is None:
        return []
    rows, states = definition(now)
    qs = rows.filter(state__in=states, due_at__isnull=False, due_at__lte=now)
    return list(qs.order_by("due_at", "pk").values_list("pk", flat=True)[:limit])


class Beat:
    def __init__(self, *, name: str | None = None, sender: Any = None) -> None:
        self.owner = make_owner(name or "beat")
        self.kinds: list[WorkKind] = registry.kinds()
        self.interval = max(0.05, settings.WORK_BEAT_INTERVAL_MS / 1000.0)
        self.resend = float(settings.WORK_RESEND_SECONDS)
        self.expires = float(settings.WORK_MESSAGE_EXPIRES_SECONDS)
        lease = float(settings.WORK_LEASE_SECONDS)
        self.sweep_every = max(0.5, min(lease / 3.0, 15.0))
        self.app = sender or broker.app()
        self.sent: dict[tuple[str, int], float] = {}
        self.messages = 0
        self._broker_id: str | None = None
        self._last_sweep = float("-inf")
        self._stop = threading.Event()

    # --- one round --------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> int:
        """Sweep when due, then send what is due and not recently sent; how many ids were sent."""
        now = now or timezone.now()
        mono = time.monotonic()
        if mono - self._last_sweep >= self.sweep_every:
            self._last_sweep = mono
            self.sweep(now)
        self._check_broker_identity()
        self._forget_older_than(mono - self.resend)
        total = 0
        for kind in self.kinds:
            fresh = [i for i in due_ids(kind.name, now) if (kind.name, i) not in self.sent]
            if fresh:
                total += self._send(kind.name, fresh, mono)
        return total

    def sweep(self, now: datetime) -> int:
        swept = 0
        for kind in self.kinds:
            if kind.sweep is not None:
                with logs.bound(work_kind=kind.name, worker=self.owner):
                    swept += kind.sweep(now)
        try:
            # The embedded runner's inbox claim adds fetch rows for new channels; here beat does.
            from tamtam.inbox import collect

            collect.ensure_fetches()
        except ImportError:  # pragma: no cover - the inbox app is part of tamtam
            pass
        if swept:
            log.info("beat: swept %s expired leases", swept)
        return swept

    def _send(self, kind: str, ids: list[int], mono: float) -> int:
        queue = broker.queue_for(kind)
        size = broker.batch_size(queue)
        sent = 0
        try:
            with self.app.producer_or_acquire() as producer:
                for start in range(0, len(ids), size):
                    chunk = ids[start : start + size]
                    self.app.send_task(
                        broker.TASK_NAME,
                        args=[kind, chunk],
                        queue=queue,
                        routing_key=queue,
                        expires=self.expires,
                        retry=False,
                        producer=producer,
                    )
                    for item_id in chunk:
                        self.sent[(kind, item_id)] = mono
                    sent += len(chunk)
                    self.messages += 1
        except Exception:  # the broker is down or restarting: forget, send everything when it is back
            log.warning("beat: the broker refused messages for %s; sending again when it answers", kind)
            self.sent.clear()
            self._broker_id = None
            raise
        return sent

    def _forget_older_than(self, limit: float) -> None:
        if any(when < limit for when in self.sent.values()):
            self.sent = {key: when for key, when in self.sent.items() if when >= limit}

    def _check_broker_identity(self) -> None:
        """Redis without persistence loses its queues on restart: a new run id means resend all."""
        url = settings.BROKER_URL
        if not url.startswith(("redis://", "rediss://", "unix://")):
            return
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            run_id = str(client.info("server").get("run_id", ""))
        finally:
            client.close()
        if self._broker_id is not None and run_id != self._broker_id:
            log.warning("beat: the broker restarted; sending every due id again")
            self.sent.clear()
        self._broker_id = run_id

    # --- the loop ---------------------------------------------------------------------------------

    def stop(self, *_: object) -> None:
        self._stop.set()

    def install_signal_handlers(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("beat %s stopping (signal %s)", self.owner, signum)
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def run(self) -> None:
        heartbeat = broker.Heartbeat(self.owner, "beat", lambda: self.messages)
        broker.wait_for_database()
        try:
            broker.forget_predecessors(self.owner)
        except DatabaseError:
            log.warning("beat: could not tidy the heartbeats of earlier runs")
        heartbeat.start()
        log.info(
            "beat %s started: every %sms, resend after %ss",
            self.owner,
            int(self.interval * 1000),
            int(self.resend),
        )
        try:
            while not self._stop.is_set():
                try:
                    with logs.bound(worker=self.owner):
                        self.tick()
                except DatabaseError:
                    log.warning("beat: the database does not answer; retrying")
                    close_old_connections()
                    self._stop.wait(1.0)
                except Exception as exc:
                    # A broker down: the next round tries again (workers wait for it as well).
                    log.warning("beat: round failed (%s); retrying", type(exc).__name__)
                    self._stop.wait(1.0)
                close_old_connections()
                self._stop.wait(self.interval)
        finally:
            heartbeat.stop()
            log.info("beat %s stopped after %s messages", self.owner, self.messages)


def kinds_by_queue(kinds: Iterable[WorkKind]) -> dict[str, list[str]]:
    """Queue → kinds, for `tamtam beat --list` and the docs."""
    out: dict[str, list[str]] = {}
    for kind in kinds:
        out.setdefault(broker.queue_for(kind.name), []).append(kind.name)
    return out
