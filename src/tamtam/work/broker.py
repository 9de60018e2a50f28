"""The Celery bridge of the scale-out mode (DESIGN §2.1, §2.6): queues that carry row ids only.

`tamtam beat` reads the due rows of every kind and sends their ids, a few per message, to the queue
of the kind's family (publish, inbox, listening, metrics, crisis, reports, upkeep), so that a flood of
one family never waits behind another: each worker serves the queues it is told to. A worker that
receives a message claims those rows with the same conditional update as the embedded mode
(`work.claim.only`): a duplicate or late message finds the rows taken or done and claims nothing,
and a lost message is only a delay, because beat sends the ids again while they stay due.

Messages are acknowledged on receipt (not late): the row's lease, not the broker, says who holds the
work, and the sweeper, not a redelivery, returns what a dead worker held.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from tamtam.ops import logs
from tamtam.work import registry
from tamtam.work.claim import only
from tamtam.work.models import WorkerHeartbeat
from tamtam.work.registry import WorkKind

log = logging.getLogger("tamtam.work")

TASK_NAME = "tamtam.work.run"
HEARTBEAT_SECONDS = 5.0

# Queue family → the kinds it carries. A kind missing here goes to `upkeep` (tests/work checks that
# every registered kind is placed on purpose).
FAMILIES: dict[str, tuple[str, ...]] = {
    "publish": ("publish", "first_comment", "reconcile"),
    "inbox": ("inbox_reply", "inbox_reply_reconcile", "inbox_fetch"),
    "listening": ("listening_source",),
    "metrics": ("metrics_poll",),
    "crisis": ("crisis_evaluate", "crisis_notify"),
    "reports": ("report_schedule", "report_send"),
    "upkeep": ("refresh_tokens", "feed_watch"),
}
DEFAULT_QUEUE = "upkeep"
# Ids per message, where it differs from TAMTAM_WORK_BATCH_IDS: one listening source (a batch of
# mentions through the pipeline) per message spreads the sources over every listening worker.
BATCH_BY_QUEUE = {"listening": 1, "reports": 1, "crisis": 4}
_QUEUE_OF = {kind: family for family, members in FAMILIES.items() for kind in members}


def queue_for(kind: str) -> str:
    return _QUEUE_OF.get(kind, DEFAULT_QUEUE)


def queue_names() -> list[str]:
    return list(FAMILIES)


def batch_size(queue: str) -> int:
    return max(1, BATCH_BY_QUEUE.get(queue, settings.WORK_BATCH_IDS))


# --- the Celery application ------------------------------------------------------------------------

_app: Any = None
_app_lock = threading.Lock()


def app() -> Any:
    """The Celery app of this process (made on first use, from TAMTAM_BROKER_URL)."""
    global _app
    with _app_lock:
        if _app is None:
            _app = make_app(settings.BROKER_URL)
    return _app


def make_app(url: str) -> Any:
    from celery import Celery
    from kombu import Queue

    if not url:
        raise RuntimeError("scale-out mode needs TAMTAM_BROKER_URL (redis://… or amqp://…)")
    celery = Celery("tamtam", broker=url, set_as_current=False)
    celery.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        task_queues=[Queue(name, routing_key=name) for name in queue_names()],
        task_default_queue=DEFAULT_QUEUE,
        task_create_missing_queues=False,
        # A restarted broker: workers wait for it as long as it takes; beat fails fast and retries.
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_connection_timeout=float(settings.READY_BROKER_TIMEOUT_SECONDS),
        broker_transport_options=transport_options(url),
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_enable_remote_control=False,
        task_send_sent_event=False,
        worker_send_task_events=False,
    )
    celery.task(name=TASK_NAME, ignore_result=True)(run_ids)
    return celery


def is_amqp(url: str) -> bool:
    return url.startswith(("amqp://", "amqps://", "pyamqp://"))


def transport_options(url: str) -> dict[str, Any]:
    """Per broker: the timeouts that keep a dead broker from hanging a process, and, on RabbitMQ,
    publisher confirms, so that beat learns of a message the broker did not take (Redis's LPUSH
    answers by itself)."""
    if is_amqp(url):
        return {"confirm_publish": True}
    return {"socket_timeout": 5, "socket_connect_timeout": 2}


# --- in the worker ---------------------------------------------------------------------------------


class WorkerState:
    """What one scale-out worker process shares between its Celery threads."""

    def __init__(self) -> None:
        from tamtam.work.runner import make_owner

        self.owner = make_owner()
        self.processed = 0
        self._lock = threading.Lock()
        self._kinds: dict[str, WorkKind] | None = None
        # The network calls of one message run side by side (they touch no database).
        size = max(2, settings.WORK_BATCH_IDS)
        self.calls = ThreadPoolExecutor(max_workers=size, thread_name_prefix="call")

    def kinds(self) -> dict[str, WorkKind]:
        with self._lock:
            if self._kinds is None:
                self._kinds = {k.name: k for k in registry.kinds()}
            return self._kinds

    def count(self, n: int) -> None:
        with self._lock:
            self.processed += n


state = WorkerState()


def run_ids(kind_name: str, ids: Sequence[int]) -> int:
    """The one task: claim these rows of `kind_name` (those still due), handle them; how many."""
    kind = state.kinds().get(kind_name)
    if kind is None:
        log.warning("message for an unknown kind of work %r: dropped", kind_name)
        return 0
    wanted = [int(i) for i in ids][:1000]
    close_old_connections()
    claimed: list[int] = []
    try:
        with logs.bound(fresh=True, work_kind=kind.name, worker=state.owner):
            with only(wanted):
                claimed = kind.claim(timezone.now(), len(wanted), state.owner)
            if claimed:
                _handle(kind, claimed)
    except DatabaseError:
        # Rows claimed and not finished keep their lease: the sweeper returns them to a safe state.
        log.exception("work %s: database error; the rows come back when their lease expires", kind.name)
    finally:
        close_old_connections()
        state.count(len(claimed))
    return len(claimed)


def _handle(kind: WorkKind, ids: list[int]) -> None:
    if not kind.batched:
        for item_id in ids:
            with logs.bound(work_id=item_id):
                try:
                    kind.process(item_id, state.owner)
                except DatabaseError:
                    raise
                except Exception:
                    log.exception("work %s #%s failed in its handler", kind.name, item_id)
        return
    assert kind.prepare is not None
    assert kind.execute is not None
    assert kind.record is not None
    jobs = kind.prepare(ids, state.owner)  # committed before any call
    execute = kind.execute

    def call(job: Any) -> Any:
        target = getattr(job, "target", None)
        try:
            with logs.bound(work_kind=kind.name, work_id=getattr(target, "pk", None), worker=state.owner):
                return execute(job)
        except Exception:
            log.exception("work %s: a call failed outside its handler", kind.name)
            return None  # the target stays `sending`; the sweeper makes it unconfirmed

    dones = [d for d in state.calls.map(call, jobs) if d is not None]
    kind.record(dones, state.owner)


# --- heartbeats (what /readyz reads) ---------------------------------------------------------------


def beat_heartbeat(name: str, kind: str, processed: int, *, first: bool = False) -> None:
    now = timezone.now()
    fields = {"last_seen": now, "processed": processed, "pid": os.getpid(), "host": _host(), "kind": kind}
    WorkerHeartbeat.objects.update_or_create(
        name=name, defaults=fields, create_defaults={**fields, "started_at": now}
    )


def _host() -> str:
    return socket.gethostname()[:120]


def forget_predecessors(owner: str) -> int:
    """A restarted process (same `--name`, same host) replaces the heartbeat of the one it follows:
    a worker killed and restarted by systemd is one worker, not a dead one plus a new one."""
    base = owner.split(":", 1)[0]
    return (
        WorkerHeartbeat.objects.filter(name__startswith=f"{base}:", host=_host())
        .exclude(name=owner)
        .exclude(pid=os.getpid())
        .delete()[0]
    )


class Heartbeat:
    """A thread writing this process's heartbeat every few seconds until stopped."""

    def __init__(self, name: str, kind: str, processed: Any = lambda: 0) -> None:
        self.name, self.kind, self.processed = name, kind, processed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tamtam-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                beat_heartbeat(self.name, self.kind, int(self.processed()))
            except DatabaseError:
                log.warning("%s %s: heartbeat not written (database unavailable)", self.kind, self.name)
            finally:
                close_old_connections()
            self._stop.wait(HEARTBEAT_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(HEARTBEAT_SECONDS + 1)
        try:
            WorkerHeartbeat.objects.filter(name=self.name).delete()
        except DatabaseError:
            log.warning("%s %s: heartbeat not removed (database unavailable)", self.kind, self.name)


def wait_for_database(timeout: float = 60.0) -> None:
    """A process started while PostgreSQL restarts waits for it instead of exiting."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.ensure_connection()
            return
        except DatabaseError:
            close_old_connections()
            if time.monotonic() >= deadline:
                raise
            time.sleep(1.0)
