"""The scale-out mode under faults, for real: its own PostgreSQL cluster and redis-server on free
ports of 127.0.0.1 (never the machine's shared ones), three Celery workers (`tamtam worker`), one
`tamtam beat`, the web app under gunicorn; sandbox posts with faults turned up. During the run a
worker is paused past its lease, Redis and PostgreSQL are restarted, workers are SIGKILLed at random.

Runs in the PostgreSQL pass of `make test` (the SQLite pass skips it: it is the same run). The full
variant, 10,000 posts: `python bench/scaleout_faults.py`.

TAMTAM_FAULT_SEED replays a run; TAMTAM_FAULT_LEASE (seconds, default 10) and TAMTAM_FAULT_PAUSE
(seconds the worker stays SIGSTOPped, default lease + 2) set the paused-worker fault, e.g. a 6 s lease
and a 14 s pause: longer than 2 x lease, the paused worker's calls outlive their deadline.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tamtam.work import rig, scaleout_drill

TARGETS = 1200
SPREAD = 45.0

pytestmark = pytest.mark.slow


def _on_postgres() -> bool:
    return os.environ.get("TAMTAM_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.mark.skipif(not _on_postgres(), reason="runs once, in the PostgreSQL pass of the suite")
def test_scale_out_keeps_every_post_exactly_once_through_worker_broker_and_database_faults(
    tmp_path: Path,
) -> None:
    assert (rig.PG_BIN / "initdb").exists(), f"PostgreSQL server binaries missing in {rig.PG_BIN}"
    assert shutil.which("redis-server"), "redis-server is missing (apt-get install redis-server)"
    seed = int(os.environ["TAMTAM_FAULT_SEED"]) if os.environ.get("TAMTAM_FAULT_SEED") else None
    lease = int(os.environ.get("TAMTAM_FAULT_LEASE") or 10)
    pause = float(os.environ["TAMTAM_FAULT_PAUSE"]) if os.environ.get("TAMTAM_FAULT_PAUSE") else None
    result = scaleout_drill.run(
        tmp_path, targets=TARGETS, spread=SPREAD, seed=seed, lease=lease, pause=pause, say=print
    )
    check = result["check"]
    print(json.dumps({k: v for k, v in result.items() if k != "check"}, default=str))
    print(json.dumps({k: check[k] for k in ("states", "attempt_outcomes", "lateness_p99")}, default=str))
    if check["loss_examples"]:  # the evidence in full (an assertion's message is cut short)
        print("losses:", json.dumps(check["loss_examples"]), json.dumps(check.get("loss_attempts")))

    assert result["seeded"] == TARGETS
    assert result["settled_in_time"], check["states"]
    assert check["targets"] == TARGETS
    assert check["duplicates"] == 0, check["duplicate_keys"]
    assert check["losses"] == 0, (check["loss_examples"], check.get("loss_attempts"))
    assert check["first_comments"]["duplicates"] == 0
    # Every target final or waiting visibly on a person.
    assert set(check["states"]) <= {"published", "failed", "needs_user", "unconfirmed"}
    assert check["states"].get("needs_user") == TARGETS // 8  # the revoked channel's share
    assert check["states"]["published"] >= TARGETS * 0.8
    assert check["remote_posts"] == check["states"]["published"]
    # /readyz named each fault while it lasted, and the system caught up after each one.
    watched = [f for f in result["faults"] if f["watched"]]
    assert {f["expect"] for f in watched} == {"workers", "broker", "database"}
    for fault in watched:
        assert fault["reported"], fault
        assert fault["catch_up_s"] is not None, fault
    assert len(result["faults"]) - len(watched) >= 3  # SIGKILLs back to back
    assert result["final_readyz"] == 200, result["final_failing"]
    # Nothing secret in any process's log (database and broker passwords, keys, tokens).
    assert len(result["logs"]) == 5  # beat, web, three workers
    assert result["secrets_in_logs"] == []
