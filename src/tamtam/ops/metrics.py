"""Prometheus metrics (/metrics): figures read from the database at scrape time, plus API latency.

Multi-process: tamtam runs several processes (web x N, workers x N). Everything the workers do is
read from the database when Prometheus scrapes (queue depth and lag per kind, publish attempts by
outcome, mentions and inbox messages ingested): the figures are the same whichever web process
answers, survive restarts and need nothing from the workers. The request latency histogram lives in
the web processes: with several of them (gunicorn), set PROMETHEUS_MULTIPROC_DIR to a directory
they share and prometheus_client's multiprocess mode sums them (docs/operations.md).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from tamtam.ops import queues

# Latency buckets from a cached page (5 ms) to a slow report (10 s).
REQUEST_SECONDS = Histogram(
    "tamtam_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL route (the pattern, not the raw path), method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(route=route, method=method, status=str(status)).observe(seconds)


class DatabaseCollector(Collector):
    """The work figures, from the rows (a few aggregate queries per scrape)."""

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        from tamtam.inbox.models import Direction, Message
        from tamtam.listening.models import Mention
        from tamtam.publishing.models import PostTarget, PublishAttempt
        from tamtam.work.models import WorkerHeartbeat

        now = timezone.now()
        depth = GaugeMetricFamily(
            "tamtam_queue_depth", "Due items waiting for a worker, per kind.", labels=["kind"]
        )
        lag = GaugeMetricFamily(
            "tamtam_queue_lag_seconds",
            "How late the oldest due item is, per kind (0: none waiting).",
            labels=["kind"],
        )
        for figures in queues.all_figures(now):
            depth.add_metric([figures.kind], figures.depth)
            lag.add_metric([figures.kind], figures.lag_seconds)
        yield depth
        yield lag

        attempts = CounterMetricFamily(
            "tamtam_publish_attempts",
            "Network calls of the publishing engine, by step (post, first_comment, reconcile) and outcome.",
            labels=["step", "outcome"],
        )
        rows = PublishAttempt.objects.values("step", "outcome").annotate(n=Count("pk")).order_by()
        for row in rows:
            attempts.add_metric([row["step"], row["outcome"]], row["n"])
        yield attempts

        targets = GaugeMetricFamily("tamtam_post_targets", "Post targets by state.", labels=["state"])
        for state_row in PostTarget.objects.values("state").annotate(n=Count("pk")).order_by():
            targets.add_metric([state_row["state"]], state_row["n"])
        yield targets

        yield CounterMetricFamily(
            "tamtam_listening_mentions",
            "Mentions stored by listening (rate() of it is the listening throughput).",
            value=Mention.objects.count(),
        )
        yield CounterMetricFamily(
            "tamtam_inbox_messages_ingested",
            "Incoming inbox messages (comments, mentions, direct messages) collected.",
            value=Message.objects.filter(direction=Direction.IN).count(),
        )
        stale = now - timedelta(seconds=settings.READY_HEARTBEAT_STALE_SECONDS)
        yield GaugeMetricFamily(
            "tamtam_workers_alive",
            "Worker processes whose heartbeat is fresh.",
            value=WorkerHeartbeat.objects.filter(last_seen__gte=stale).count(),
        )


def exposition() -> bytes:
    """The text format: this process's (or, in multiprocess mode, every process's) in-process metrics,
    then the database figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shared = CollectorRegistry()
        MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
        local = generate_latest(shared)
    else:
        local = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return local + generate_latest(database)


def _forwarded(request: HttpRequest) -> bool:
    return any(h in request.headers for h in ("X-Forwarded-For", "Forwarded", "X-Real-IP"))


def address_allowed(address: str, allowed: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for item in allowed:
        try:
            if ip in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


def authorised(request: HttpRequest) -> bool:
    """A bearer token equal to TAMTAM_METRICS_TOKEN, or a direct call from an allowed address.

    A request that came through a reverse proxy looks like it comes from the proxy's address (often
    127.0.0.1): it is let in by its token only.
    """
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    if _forwarded(request):
        return False
    return address_allowed(request.META.get("REMOTE_ADDR", ""), settings.METRICS_ALLOWED_IPS)
