"""Worker heartbeats: what the status page and /healthz read to say the engine is alive."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    name = models.CharField(max_length=64, unique=True)  # host:pid:random
    kind = models.CharField(max_length=30, default="worker")
    pid = models.PositiveIntegerField()
    host = models.CharField(max_length=120)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)
    processed = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
