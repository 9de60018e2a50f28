"""The runner, one cycle at a time (inline), and the guarantee that the attempt row is committed
before any network call."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import ClassVar

import pytest
from django.db import connections
from django.utils import timezone

from tamtam.channels.models import Channel
from tamtam.networks.base import PublishRequest, PublishResult
from tamtam.networks.registry import register
from tamtam.networks.sandbox.connector import SandboxConnector
from tamtam.publishing import engine
from tamtam.publishing.models import PostTarget, PublishAttempt
from tamtam.work import drill
from tamtam.work.models import WorkerHeartbeat
from tamtam.work.registry import WorkKind
from tamtam.work.runner import Runner, make_owner


@register
class ProbeSandbox(SandboxConnector):
    """Before answering, looks at the database from another connection, as a crash would leave it."""

    network = "sandbox_probe"
    seen: ClassVar[list[tuple[bool, str]]] = []

    def publish(self, request: PublishRequest) -> PublishResult:
        def look() -> None:
            try:
                committed = PublishAttempt.objects.filter(
                    idempotency_key=request.idempotency_key, outcome="started"
                ).exists()
                state = (
                    PostTarget.objects.filter(idempotency_key=request.idempotency_key)
                    .values_list("state", flat=True)
                    .first()
                    or ""
                )
                self.seen.append((committed, state))
            finally:
                connections.close_all()

        other = threading.Thread(target=look)
        other.start()
        other.join(30)
        return super().publish(request)


def due(channel: Channel, count: int = 1) -> list[int]:
    return drill.create_targets([channel], [timezone.now() - timedelta(seconds=1)] * count)


@pytest.mark.django_db(transaction=True)
def test_the_attempt_row_is_committed_before_the_network_call(make_channel: Callable[..., Channel]) -> None:
    ProbeSandbox.seen.clear()
    [pk] = due(make_channel(network="sandbox_probe"))

    Runner(name="probe", inline=True).tick()

    assert ProbeSandbox.seen == [(True, "sending")]
    assert PostTarget.objects.get(pk=pk).state == "published"


@pytest.mark.django_db
def test_a_tick_claims_no_more_than_its_free_slots(make_channel: Callable[..., Channel]) -> None:
    due(make_channel(), 5)
    seen: list[int] = []
    kind = WorkKind(name="count", claim=engine.claim_due, process=lambda pk, owner: seen.append(pk))
    runner = Runner(name="slots", concurrency=2, inline=True, kinds=[kind])

    assert runner.tick() == 2
    assert len(seen) == 2


@pytest.mark.django_db
def test_a_failing_handler_does_not_stop_the_runner(make_channel: Callable[..., Channel]) -> None:
    due(make_channel(), 2)

    def explode(pk: int, owner: str) -> None:
        raise RuntimeError("boom")

    runner = Runner(
        name="x", inline=True, kinds=[WorkKind(name="bad", claim=engine.claim_due, process=explode)]
    )

    assert runner.tick() == 2
    assert runner.in_flight == 0
    assert runner.processed == 2


@pytest.mark.django_db
def test_the_runner_writes_a_heartbeat_and_removes_it_when_it_stops(
    make_channel: Callable[..., Channel],
) -> None:
    runner = Runner(name="beat", inline=True)
    runner.tick()
    beat = WorkerHeartbeat.objects.get(name=runner.owner)
    assert beat.last_seen <= timezone.now()

    runner.close()

    assert not WorkerHeartbeat.objects.filter(name=runner.owner).exists()


@pytest.mark.django_db
def test_stopping_gives_back_claims_that_never_started(make_channel: Callable[..., Channel]) -> None:
    ids = due(make_channel(), 3)
    runner = Runner(name="stopper", inline=True)
    engine.claim_due(timezone.now(), 3, runner.owner)  # claimed, not yet handed to a thread

    runner.close()

    assert set(PostTarget.objects.filter(pk__in=ids).values_list("state", "lease_owner")) == {
        ("scheduled", "")
    }


@pytest.mark.django_db
def test_a_stopped_runner_claims_nothing(make_channel: Callable[..., Channel]) -> None:
    due(make_channel(), 1)
    runner = Runner(name="stopped", inline=True)
    runner.stop()

    assert runner.tick() == 0


def test_each_worker_run_has_its_own_lease_owner() -> None:
    assert make_owner("w") != make_owner("w")
    assert len(make_owner("x" * 100)) <= 64
