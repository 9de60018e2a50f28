"""Readiness: is the whole system able to do its work now? (/readyz; /healthz only says "alive").

Each check answers on its own, with the reason when it fails, so that an operator (or the fault
drill) sees which part is down: the database, the broker (scale-out mode), the workers (a heartbeat
gone stale: a worker killed or paused past its lease) or a queue (its oldest due item waits longer
than the kind's limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.utils import timezone

from tamtam.ops import logs, queues
from tamtam.work.models import WorkerHeartbeat

# A stale heartbeat this old is forgotten: a worker killed long ago and replaced since is no longer a
# fault of now. Younger, it is reported (killed or paused workers show until a person looks).
HEARTBEAT_FORGET_SECONDS = 600


@dataclass
class Check:
    name: str
    ok: bool
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": self.ok}
        if self.reason:
            body["reason"] = self.reason
        body.update(self.details)
        return body


def _error(exc: BaseException) -> str:
    # The driver's words can hold a URL with its password: scrubbed like a log line.
    return logs.secrets.scrub(f"{type(exc).__name__}: {exc}".strip())[:300]


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return Check("database", False, _error(exc), {"vendor": connection.vendor})
    return Check("database", True, details={"vendor": connection.vendor})


def check_broker(url: str | None = None, timeout: float | None = None) -> Check:
    url = settings.BROKER_URL if url is None else url
    timeout = float(settings.READY_BROKER_TIMEOUT_SECONDS if timeout is None else timeout)
    if not url:
        return Check("broker", True, details={"configured": False})
    scheme = urlsplit(url).scheme
    try:
        if scheme in {"redis", "rediss", "unix"}:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
            try:
                client.ping()
            finally:
                client.close()
        elif scheme in {"amqp", "amqps", "pyamqp"}:
            _amqp_answers(url, timeout)
        else:
            return Check("broker", False, f"unknown broker scheme {scheme!r} (redis:// or amqp://)")
    except Exception as exc:  # any failure of the broker is the answer of this check
        return Check("broker", False, _error(exc), {"configured": True, "scheme": scheme})
    return Check("broker", True, details={"configured": True, "scheme": scheme})


def _amqp_answers(url: str, timeout: float) -> None:
    """A real AMQP login (user, password, virtual host), as a worker makes: a server that accepts the
    socket but refuses the credentials or the vhost is not a broker the workers can use."""
    from kombu import Connection

    conn = Connection(
        url, connect_timeout=timeout, transport_options={"read_timeout": timeout, "write_timeout": timeout}
    )
    try:
        conn.connect()
    finally:
        conn.release()


def check_workers(now: datetime) -> Check:
    stale_after = settings.READY_HEARTBEAT_STALE_SECONDS
    fresh_since = now - timedelta(seconds=stale_after)
    forget_before = now - timedelta(seconds=HEARTBEAT_FORGET_SECONDS)
    beats = list(
        WorkerHeartbeat.objects.filter(last_seen__gte=forget_before).values_list("name", "last_seen")
    )
    alive = [name for name, seen in beats if seen >= fresh_since]
    stale = {name: round((now - seen).total_seconds(), 1) for name, seen in beats if seen < fresh_since}
    details: dict[str, Any] = {"alive": len(alive), "stale": stale, "stale_after_seconds": stale_after}
    if stale:
        names = ", ".join(f"{n} ({s:.0f}s)" for n, s in sorted(stale.items()))
        return Check("workers", False, f"heartbeat older than {stale_after}s: {names}", details)
    if not alive and settings.READY_REQUIRE_WORKERS:
        return Check("workers", False, f"no worker heartbeat in the last {stale_after}s", details)
    return Check("workers", True, details=details)


def lag_limits() -> dict[str, float]:
    """Per kind: the lag that makes the system not ready (TAMTAM_READY_MAX_LAG_BY_KIND overrides)."""
    default = float(settings.READY_MAX_LAG_SECONDS)
    limits = dict.fromkeys(queues.known_kinds(), default)
    for item in settings.READY_MAX_LAG_BY_KIND:
        kind, sep, seconds = item.partition("=")
        kind = kind.strip()
        if not sep or kind not in limits:
            raise ImproperlyConfigured(
                f"TAMTAM_READY_MAX_LAG_BY_KIND: {item!r}: expected kind=seconds with a kind among "
                f"{', '.join(sorted(limits))}"
            )
        try:
            limits[kind] = float(seconds)
        except ValueError:
            raise ImproperlyConfigured(
                f"TAMTAM_READY_MAX_LAG_BY_KIND: {item!r}: {seconds!r} is not a number of seconds"
            ) from None
    return limits


def check_queues(now: datetime) -> Check:
    limits = lag_limits()
    kinds: dict[str, Any] = {}
    late: list[str] = []
    for figures in queues.all_figures(now):
        limit = limits[figures.kind]
        ok = figures.lag_seconds <= limit
        kinds[figures.kind] = {
            "ok": ok,
            "depth": figures.depth,
            "lag_seconds": round(figures.lag_seconds, 1),
            "max_lag_seconds": limit,
        }
        if not ok:
            late.append(
                f"{figures.kind} ({figures.depth} due, oldest {figures.lag_seconds:.0f}s > {limit:.0f}s)"
            )
    if late:
        return Check("queues", False, "lagging: " + ", ".join(late), {"kinds": kinds})
    return Check("queues", True, details={"kinds": kinds})


def run_checks(now: datetime | None = None) -> list[Check]:
    now = now or timezone.now()
    database = check_database()
    checks = [database, check_broker()]
    if database.ok:
        for check in (check_workers, check_queues):
            try:
                checks.append(check(now))
            except DatabaseError as exc:
                checks.append(Check(check.__name__.removeprefix("check_"), False, _error(exc)))
    else:
        reason = "not checked: the database does not answer"
        checks += [Check("workers", False, reason), Check("queues", False, reason)]
    return checks


def report(now: datetime | None = None) -> tuple[bool, dict[str, Any]]:
    checks = run_checks(now)
    ready = all(c.ok for c in checks)
    failing = [c.name for c in checks if not c.ok]
    body = {"ready": ready, "failing": failing, "checks": {c.name: c.as_dict() for c in checks}}
    return ready, body
