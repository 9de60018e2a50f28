"""Claims and leases: exclusive under concurrency, on rows still due, with jittered backoff."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tamtam.channels.models import Channel
from tamtam.publishing import engine
from tamtam.publishing.models import PostTarget
from tamtam.work import drill, harness
from tamtam.work.claim import backoff, claim


def due_targets(channel: Channel, count: int, seconds_ago: float = 1.0) -> list[int]:
    return drill.create_targets([channel], [timezone.now() - timedelta(seconds=seconds_ago)] * count)


@pytest.mark.django_db
def test_two_claimers_never_get_the_same_row(make_channel: Callable[..., Channel]) -> None:
    ids = due_targets(make_channel(), 5)
    now = timezone.now()

    first = engine.claim_due(now, 3, "a")
    second = engine.claim_due(now, 10, "b")
    third = engine.claim_due(now, 10, "c")

    assert len(first) == 3
    assert sorted(first + second) == sorted(ids)
    assert third == []
    owners = dict(PostTarget.objects.values_list("pk", "lease_owner"))
    assert all(owners[i] == "a" for i in first)
    assert all(owners[i] == "b" for i in second)


@pytest.mark.django_db
def test_a_claim_takes_the_oldest_due_rows_first(make_channel: Callable[..., Channel]) -> None:
    channel = make_channel()
    now = timezone.now()
    late, early = drill.create_targets([channel], [now - timedelta(seconds=5), now - timedelta(seconds=50)])

    assert engine.claim_due(now, 1, "a") == [early]
    assert engine.claim_due(now, 1, "a") == [late]


@pytest.mark.django_db
def test_a_claim_sets_the_state_and_a_lease(make_channel: Callable[..., Channel]) -> None:
    [pk] = due_targets(make_channel(), 1)
    now = timezone.now()

    claim(PostTarget.objects.all(), states=["scheduled"], now=now, limit=5, lease_seconds=30, owner="me")

    target = PostTarget.objects.get(pk=pk)
    assert (target.state, target.lease_owner) == ("claimed", "me")
    assert target.lease_until == now + timedelta(seconds=30)


@pytest.mark.django_db
def test_a_lease_only_claim_keeps_the_state_and_respects_a_held_lease(
    make_channel: Callable[..., Channel],
) -> None:
    [pk] = due_targets(make_channel(), 1)
    PostTarget.objects.filter(pk=pk).update(state="unconfirmed")
    now = timezone.now()

    def take(owner: str) -> list[int]:
        return claim(
            PostTarget.objects.all(),
            states=["unconfirmed"],
            now=now,
            limit=5,
            lease_seconds=30,
            owner=owner,
            to_state=None,
            require_free_lease=True,
        )

    assert take("first") == [pk]
    assert take("second") == []
    assert PostTarget.objects.get(pk=pk).state == "unconfirmed"


CLAIMER = """
import time
from django.utils import timezone
from tamtam.publishing import engine
from pathlib import Path
name, barrier = sys.argv[1], Path(sys.argv[2])
# All claimers start together, however long each took to start (a loaded machine): a file barrier.
(barrier / name).touch()
while len(list(barrier.iterdir())) < int(sys.argv[3]):
    time.sleep(0.01)
got = []
while batch := engine.claim_due(timezone.now(), 7, name):
    got += batch
    time.sleep(0.005)  # a worker does something with its batch before it claims again
print(json.dumps(got))
"""


def test_concurrent_claimer_processes_split_the_work_without_overlap(tmp_path: Path) -> None:
    with harness.live_database(tmp_path, os.environ.get("TAMTAM_DATABASE_URL", "")) as env:
        seeded = harness.drill(env, "seed", "--targets", "300", "--channels", "3", "--delay", "-1")
        barrier = tmp_path / "barrier"
        barrier.mkdir()
        prelude = "import django, json, sys\ndjango.setup()\n"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", prelude + CLAIMER, f"claimer-{i}", str(barrier), "4"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(4)
        ]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err[-2000:]
            results.append(json.loads(out.strip().splitlines()[-1]))

    claimed = [pk for got in results for pk in got]
    assert len(claimed) == seeded["count"] == 300
    assert len(set(claimed)) == len(claimed), "a row was claimed by two workers"
    assert sum(1 for got in results if got) >= 2, "the race did not happen: one claimer took everything"


@given(attempt=st.integers(min_value=0, max_value=60), base=st.floats(0.1, 10), cap=st.floats(1, 1000))
def test_backoff_stays_within_full_jitter_bounds(attempt: int, base: float, cap: float) -> None:
    delay = backoff(attempt, base, cap)
    assert 0 <= delay <= min(cap, base * 2 ** min(attempt, 30))


def test_backoff_is_jittered() -> None:
    assert len({round(backoff(5), 6) for _ in range(20)}) > 1
