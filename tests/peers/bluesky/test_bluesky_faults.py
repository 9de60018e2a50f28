"""Fault injection with Bluesky in the mix: real worker processes SIGKILLed at random while they
publish to faulty sandbox channels and to a real Bluesky account on the local AT Protocol stack.

A shorter run than tests/publishing/test_fault_injection.py (a few hundred sandbox targets, a few dozen
Bluesky ones, some with a first comment). Its proof for Bluesky comes from the PDS, which the workers
cannot roll back: the account's repository is listed and every target must own exactly one post at
the record key derived from its idempotency key (one first-comment reply likewise), with nothing else
there; the sandbox keeps the same invariants as in the full test.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from atproto import models
from bsky_stack import Account, Stack

from tamtam.networks.bluesky import rkeys
from tamtam.networks.bluesky.connector import POST, split_uri
from tamtam.work import harness

pytestmark = [pytest.mark.peers, pytest.mark.slow]

SANDBOX_TARGETS = 320
SANDBOX_CHANNELS = 4
BLUESKY_TARGETS = 48
FIRST_COMMENT_EVERY = 4
WORKERS = 3
KILL_SECONDS = 15.0
# Well under the PDS's write limits (~1,600 creates an hour), so no RetryAfter is expected; should one
# come, the engine waits it out (60 s at most for a 429 without a reset header): the bound allows it.
SETTLE_TIMEOUT = 240.0
LEASE_SECONDS = 4  # short, so that killed workers' targets come back within the test

SANDBOX_DIALS = [
    {"latency_ms": 20, "error_rate": 0.1, "ambiguous_rate": 0.05, "permanent_rate": 0.01},
    {"latency_ms": 20, "error_rate": 0.1, "ambiguous_rate": 0.05, "permanent_rate": 0.01},
    # Rate-limit headers on every answer; not exceeded, so that no minute-long Retry-After stretches the run.
    {"latency_ms": 60, "error_rate": 0.1, "ambiguous_rate": 0.05, "rate_limit_per_minute": 150},
    {"latency_ms": 20, "error_rate": 0.1, "needs_user": True},  # a revoked token: its targets wait
]

# Run inside the live database's environment (so that credentials are encrypted with the workers' key):
# connect the account with an app password as the channels UI does, and plant the Bluesky targets.
PLANT_BLUESKY = """
import os
from datetime import timedelta
from django.utils import timezone
from tamtam.channels.models import Channel
from tamtam.networks.bluesky.connector import connect
from tamtam.work import drill

pds = os.environ["BSKY_FAULT_PDS"]
app_password = os.environ["BSKY_FAULT_APP_PASSWORD"]
did, handle, credentials = connect(os.environ["BSKY_FAULT_HANDLE"], app_password, pds)
workspace = drill.create_workspace("Bluesky drill")
channel = Channel.objects.create(
    workspace=workspace, network="bluesky", name="Bluesky", handle=handle, external_id=did,
    options={"api_base": pds},
)
channel.set_credentials(credentials)
channel.save()
count, every = int(os.environ["BSKY_FAULT_TARGETS"]), int(os.environ["BSKY_FAULT_EVERY"])
start = timezone.now() + timedelta(seconds=2)
due = [start + timedelta(seconds=8 * i / count) for i in range(count)]
ids = drill.create_targets(
    [channel], due, text="Publié malgré les pannes", first_comment="Premier commentaire 👇",
    first_comment_every=every,
)
print(json.dumps({"workspace_id": workspace.pk, "count": len(ids)}))
"""

BLUESKY_ROWS = """
from tamtam.publishing.models import PostTarget
rows = PostTarget.objects.filter(channel__network="bluesky").values(
    "idempotency_key", "state", "remote_id", "first_comment", "first_comment_remote_id", "last_error"
)
print(json.dumps(list(rows)))
"""


def repository(account: Account) -> list[tuple[str, dict[str, Any]]]:
    """Every post record in the account's repository, as (uri, value), straight from the PDS."""
    found: list[tuple[str, dict[str, Any]]] = []
    cursor = None
    while True:
        page = account.client.com.atproto.repo.list_records(
            models.ComAtprotoRepoListRecords.Params(
                repo=account.did, collection=POST, limit=100, cursor=cursor
            )
        )
        for rec in page.records:
            value = rec.value.model_dump(by_alias=True) if hasattr(rec.value, "model_dump") else rec.value
            found.append((rec.uri, dict(value)))
        cursor = page.cursor
        if not cursor or not page.records:
            return found


def test_bluesky_targets_publish_exactly_once_while_workers_are_killed(
    tmp_path: Path, bluesky_stack: Stack
) -> None:
    seed = int(os.environ.get("TAMTAM_FAULT_SEED", str(random.SystemRandom().randrange(1_000_000))))
    rng = random.Random(seed)
    print(f"fault-injection seed: {seed} (TAMTAM_FAULT_SEED={seed} replays the kill schedule)")
    account = bluesky_stack.create_account("faults")  # its own repository: nothing else is posted there
    worker_env = {
        "TAMTAM_WORK_LEASE_SECONDS": str(LEASE_SECONDS),
        "TAMTAM_WORK_POLL_MS": "100",
        "TAMTAM_WORK_CONCURRENCY": "8",
        "TAMTAM_LOG_LEVEL": "WARNING",
    }
    base_url = os.environ.get("TAMTAM_DATABASE_URL", "")
    with harness.live_database(tmp_path, base_url, extra_env=worker_env) as env:
        sandbox = harness.drill(
            env,
            "seed",
            "--targets",
            str(SANDBOX_TARGETS),
            "--channels",
            str(SANDBOX_CHANNELS),
            "--options",
            json.dumps(SANDBOX_DIALS),
            "--delay",
            "2",
            "--spread",
            "8",
            "--first-comment",
            "First comment 👇",
            "--first-comment-every",
            str(FIRST_COMMENT_EVERY),
        )
        assert sandbox["count"] == SANDBOX_TARGETS
        planted = harness.python_json(
            {
                **env,
                "BSKY_FAULT_PDS": bluesky_stack.pds,
                "BSKY_FAULT_HANDLE": account.handle,
                "BSKY_FAULT_APP_PASSWORD": bluesky_stack.app_password(account),
                "BSKY_FAULT_TARGETS": str(BLUESKY_TARGETS),
                "BSKY_FAULT_EVERY": str(FIRST_COMMENT_EVERY),
            },
            PLANT_BLUESKY,
        )
        assert planted["count"] == BLUESKY_TARGETS
        logs = tmp_path / "logs"
        logs.mkdir()
        workers = [
            harness.start_worker(env, f"bsky-fault-{i}", log=logs / f"bsky-fault-{i}.log")
            for i in range(WORKERS)
        ]
        kills = 0
        reports: dict[str, dict[str, Any]] = {}
        started = time.monotonic()
        try:
            kill_until = time.monotonic() + KILL_SECONDS
            while time.monotonic() < kill_until:
                time.sleep(rng.uniform(0.3, 2.5))
                index = rng.randrange(WORKERS)
                workers[index].send_signal(signal.SIGKILL)
                workers[index].wait()
                kills += 1
                workers[index] = harness.start_worker(
                    env, f"bsky-fault-{index}", log=logs / f"bsky-fault-{index}.log"
                )

            def settled() -> bool:
                for name, ws in (("sandbox", sandbox["workspace_id"]), ("bluesky", planted["workspace_id"])):
                    reports[name] = harness.drill(env, "check", "--workspace", str(ws))
                return all(r["awaiting_engine"] == 0 for r in reports.values())

            assert harness.wait_until(settled, timeout=SETTLE_TIMEOUT, interval=2.0), (
                f"not settled after {SETTLE_TIMEOUT}s: "
                f"{ {name: r.get('states') for name, r in reports.items()} }"
            )
        finally:
            for proc in workers:
                harness.stop(proc, grace=20)
        print(f"settled {time.monotonic() - started:.0f} s after the workers started, {kills} kills")
        final = harness.drill(env, "check", "--workspace", str(sandbox["workspace_id"]))
        bluesky_rows: list[dict[str, Any]] = harness.python_json(env, BLUESKY_ROWS)
        bluesky_outcomes = harness.drill(env, "check", "--workspace", str(planted["workspace_id"]))[
            "attempt_outcomes"
        ]
    print(json.dumps({k: final[k] for k in ("states", "attempt_outcomes", "remote_posts")}, default=str))
    print(json.dumps({"bluesky": dict(Counter(r["state"] for r in bluesky_rows)), **bluesky_outcomes}))
    assert kills >= 5
    assert all(proc.returncode is not None for proc in workers)

    # Bluesky: what the PDS holds, by record key.
    records = repository(account)
    by_rkey = Counter(split_uri(uri)[2] for uri, _ in records)
    keys_on_pds = Counter(rkeys.key_of(split_uri(uri)[2], value) for uri, value in records)
    assert len(bluesky_rows) == BLUESKY_TARGETS
    assert all(n == 1 for n in by_rkey.values())
    problems = [r for r in bluesky_rows if r["state"] != "published"]
    assert not problems, problems[:5]  # no fault on this channel but the kills: every one gets out
    posted_comments = 0
    for row in bluesky_rows:
        key = row["idempotency_key"]
        uri = f"at://{account.did}/{POST}/{rkeys.rkey_for(key)}"
        assert keys_on_pds[key] == 1, key  # published exactly once, never lost
        assert row["remote_id"] == uri
        if row["first_comment"]:
            assert row["first_comment_remote_id"], row  # settled means the reply went out too
            assert keys_on_pds[f"{key}:first_comment"] == 1, key
            assert row["first_comment_remote_id"].endswith(rkeys.rkey_for(f"{key}:first_comment"))
            posted_comments += 1
        else:
            assert keys_on_pds[f"{key}:first_comment"] == 0
    assert posted_comments == len(range(0, BLUESKY_TARGETS, FIRST_COMMENT_EVERY))
    assert "" not in keys_on_pds  # nothing in the repository that tamtam did not publish
    assert len(records) == BLUESKY_TARGETS + posted_comments

    # The sandbox: the same invariants as the full fault-injection test.
    assert final["targets"] == SANDBOX_TARGETS
    assert final["duplicates"] == 0, final["duplicate_keys"]
    assert final["losses"] == 0, final["loss_examples"]
    states = final["states"]
    assert set(states) <= {"published", "failed", "needs_user", "unconfirmed"}
    assert states.get("needs_user") == SANDBOX_TARGETS // SANDBOX_CHANNELS  # the revoked channel's share
    assert states["published"] >= SANDBOX_TARGETS * 0.7
    outcomes = final["attempt_outcomes"]
    assert outcomes.get("retry", 0) > 0
    assert outcomes.get("reconciled", 0) > 0
    assert final["remote_posts"] == states["published"]
    comments = final["first_comments"]
    assert comments["duplicates"] == 0
    assert comments["posted"] >= comments["wanted"] * 0.9
