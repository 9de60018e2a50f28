"""Engine health: worker heartbeats, queue lag and the oldest due item (status page and /healthz)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Min
from django.utils import timezone

from tamtam.publishing.models import PostTarget
from tamtam.publishing.states import CLAIMABLE
from tamtam.work.models import WorkerHeartbeat

HEARTBEAT_STALE_SECONDS = 30


@dataclass
class Health:
    workers_alive: int
    last_heartbeat: datetime | None
    due_count: int
    oldest_due_at: datetime | None
    lag_seconds: float  # how late the oldest due item is; 0 when nothing is waiting
    in_flight: int

    @property
    def ok(self) -> bool:
        # Healthy when a worker is alive, or when nothing is waiting for one.
        return self.workers_alive > 0 or self.due_count == 0

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "workers_alive": self.workers_alive,
            "last_heartbeat": self.last_heartbeat.isoformat() if self.last_heartbeat else None,
            "due_count": self.due_count,
            "oldest_due_at": self.oldest_due_at.isoformat() if self.oldest_due_at else None,
            "queue_lag_seconds": round(self.lag_seconds, 3),
            "in_flight": self.in_flight,
        }


def snapshot() -> Health:
    now = timezone.now()
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=now - timedelta(seconds=HEARTBEAT_STALE_SECONDS))
    last = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
    due = PostTarget.objects.filter(state__in=CLAIMABLE, due_at__lte=now)
    oldest = due.aggregate(oldest=Min("due_at"))["oldest"]
    return Health(
        workers_alive=alive.count(),
        last_heartbeat=last,
        due_count=due.count(),
        oldest_due_at=oldest,
        lag_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        in_flight=PostTarget.objects.filter(state__in=["claimed", "sending"]).count(),
    )
