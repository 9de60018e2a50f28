"""Ops fixtures: due publish targets on the sandbox, worker heartbeats of a given age."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.channels.models import Channel
from tamtam.publishing.models import PostTarget
from tamtam.work import drill
from tamtam.work.models import WorkerHeartbeat


@pytest.fixture
def due_target(make_channel: Callable[..., Channel]) -> Callable[..., PostTarget]:
    def make(*, late_seconds: float = 1.0, channel: Channel | None = None, **kwargs: str) -> PostTarget:
        channel = channel or make_channel()
        due = timezone.now() - timedelta(seconds=late_seconds)
        [pk] = drill.create_targets([channel], [due], **kwargs)
        return PostTarget.objects.get(pk=pk)

    return make


@pytest.fixture
def heartbeat(db) -> Callable[..., WorkerHeartbeat]:  # type: ignore[no-untyped-def]
    counter = iter(range(1, 1000))

    def beat(*, age_seconds: float = 0.0, name: str | None = None) -> WorkerHeartbeat:
        seen = timezone.now() - timedelta(seconds=age_seconds)
        return WorkerHeartbeat.objects.create(
            name=name or f"host:{next(counter)}:abc", pid=1, host="host", started_at=seen, last_seen=seen
        )

    return beat
