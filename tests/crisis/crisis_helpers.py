"""Helpers of the crisis tests (imported by name: tests/ has no packages)."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.utils import timezone

from tamtam.crisis import live, notify
from tamtam.crisis.models import Evaluator, Notification
from tamtam.listening.models import MentionCounter, Query
from tamtam.listening.pipeline import RawItem

OWNER = "test-worker"


def start_evaluator_at(last_bucket: datetime | None) -> Evaluator:
    evaluator = live.ensure_evaluator()
    Evaluator.objects.filter(pk=evaluator.pk).update(last_bucket=last_bucket)
    return evaluator


def tick(now: datetime | None = None) -> str:
    """One pass of the `crisis_evaluate` work kind, as the runner would do it at `now`."""
    now = now or timezone.now()
    Evaluator.objects.update(due_at=now)
    ids = live.claim_due(now, 5, OWNER)
    assert ids, "the evaluator could not be claimed"
    return live.evaluate(ids[0], OWNER, now=now)


def send_notifications(now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    Notification.objects.filter(state="pending").update(due_at=now)
    return [notify.process(i, OWNER, now=now) for i in notify.claim_due(now, 50, OWNER)]


def store_history(
    query: Query, start: Any, end: Any, rate: float = 1.0, seed: int = 1, neg: float = 0.2
) -> None:
    """Counters for every minute in [start, end): quiet Poisson traffic, as the pipeline would write."""
    rng = np.random.default_rng(seed)
    rows = []
    t = start
    while t < end:
        m = int(rng.poisson(rate))
        if m:
            rows.append(
                MentionCounter(query=query, bucket_start=t, mentions=m, negative=int(rng.binomial(m, neg)))
            )
        t += timedelta(minutes=1)
    MentionCounter.objects.bulk_create(rows, batch_size=2000)


def spike_items(
    at: Any, n: int, text: str = "lumen phone exploded, terrible battery #lumenfail"
) -> list[RawItem]:
    return [
        RawItem(
            network="sandbox",
            remote_id=f"spike-{at:%H%M}-{i}",
            text=f"{text} ({i})",
            published_at=at + timedelta(seconds=i % 50),
            author_id=f"angry{i % 7}",
            author_handle=f"angry{i % 7}",
            author_followers=1000 * (i % 7 + 1),
            shares=i % 5,
        )
        for i in range(n)
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fake_dns(monkeypatch: Any, answers: dict[str, str]) -> None:
    """getaddrinfo answering `answers` (host → address) and failing for any other name (the
    machine running the tests may have no DNS at all)."""
    from tamtam.crisis import safehttp

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(safehttp.socket, "getaddrinfo", getaddrinfo)
