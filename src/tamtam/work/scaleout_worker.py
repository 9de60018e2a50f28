"""`tamtam worker` in scale-out mode: a Celery worker (threads) on some queues, with a heartbeat.

Threads, not forked processes: the work is network calls, and each thread keeps Django's
per-thread connections (taken from the psycopg pool). On SIGTERM Celery stops taking messages and
lets running tasks end; then whatever this process still has claimed and not started is given back.
"""

from __future__ import annotations

import logging
import socket

from django.conf import settings
from django.db import DatabaseError

from tamtam.work import broker
from tamtam.work.runner import make_owner

log = logging.getLogger("tamtam.work")


def parse_queues(raw: str) -> list[str]:
    names = [q.strip() for q in raw.split(",") if q.strip()] or broker.queue_names()
    unknown = [q for q in names if q not in broker.queue_names()]
    if unknown:
        raise ValueError(
            f"unknown queue(s) {', '.join(unknown)}: choose among {', '.join(broker.queue_names())}"
        )
    return names


def run(*, name: str | None, concurrency: int | None, queues: list[str]) -> None:
    owner = make_owner(name)
    broker.state.owner = owner
    threads = max(1, concurrency or settings.WORK_CONCURRENCY)
    broker.wait_for_database()
    try:
        broker.forget_predecessors(owner)
    except DatabaseError:
        log.warning("worker %s: could not tidy the heartbeats of earlier runs", owner)
    heartbeat = broker.Heartbeat(owner, "worker", lambda: broker.state.processed)
    heartbeat.start()
    level = logging.getLevelName(logging.getLogger("tamtam").getEffectiveLevel())
    # Celery says "received" and "succeeded" for every message at INFO: a line per id batch.
    logging.getLogger("celery").setLevel(
        max(logging.WARNING, logging.getLogger("tamtam").getEffectiveLevel())
    )
    log.info("worker %s started (scale-out): queues %s, %s threads", owner, ",".join(queues), threads)
    argv = [
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        str(threads),
        "--queues",
        ",".join(queues),
        "--hostname",
        f"{(name or 'worker')}.{owner.split(':')[1]}@{socket.gethostname()}",
        "--loglevel",
        level if isinstance(level, str) else "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    try:
        broker.app().worker_main(argv)
    finally:
        _give_back(owner)
        heartbeat.stop()
        log.info("worker %s stopped after %s items", owner, broker.state.processed)


def _give_back(owner: str) -> None:
    for kind in broker.state.kinds().values():
        if kind.release is not None:
            try:
                kind.release(None, owner)
            except DatabaseError:
                log.exception("worker %s: could not release its claims; the sweeper will", owner)
