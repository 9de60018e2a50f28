"""Speed of the live crisis scoring: 10,000 queries' buckets every minute, persistence included.

    nice -n 10 .venv/bin/python bench/crisis_speed.py [--queries 10000] [--minutes 20]

Each query has three rules (all mentions, negative mentions, negative share): 30,000 series.

(a) Scoring alone: the vectorised banks in memory, one minute of every series (the detector).
(b) The real live path on a fresh SQLite file database (or TAMTAM_DATABASE_URL): 10,000 queries,
    30,000 alert rules, the pipeline's per-minute counters written for each minute (Poisson counts,
    most queries quiet), then one `crisis_evaluate` run per minute exactly as the worker does it:
    claim, read the counters, score, and commit the minute log + the checkpoints due (a slice of
    the rules, crisis/persist.py) + the evaluator row in one transaction. Timed per minute, wall and
    CPU (the machine is shared: CPU time is what the run itself cost), and split into its parts:
    reading the rules and counters + scoring (`live.score_minutes`), encoding the due checkpoints
    (`persist.prepare`), and the write transaction (`persist.write` inside `live.commit`). Then a
    restart: the worker's memory dropped, the next run rebuilds every series from its checkpoint and
    the log (run with --minutes 65 or more to see it with a full hour of log, the worst case at the
    default CRISIS_CHECKPOINT_MINUTES=60).
Baselines: the issue's "well under a second" per minute, and the previous design's whole state
dumped to one blob after every minute and loaded back (measured here, in memory).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from httpload import fresh_django, load_average  # noqa: E402


def ms_value(values: list[float]) -> float:
    return statistics.median(values) * 1000


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


def scoring_alone(n: int, minutes: int, rates: np.ndarray, rng: np.random.Generator) -> None:
    from tamtam.crisis.detectors import CountBank, ShareBank, params_for
    from tamtam.crisis.detectors.blob import dump_bank, load_bank

    step, params = 60.0, params_for("normal")
    banks = (CountBank(n, step, params), CountBank(n, step, params), ShareBank(n, step, params))
    t0 = 1_767_225_600.0
    wall, cpu = [], []
    for m in range(180 + minutes):  # 3 hours untimed first, so the states are not empty
        ts = np.full(n, t0 + m * step)
        x = rng.poisson(rates).astype(float)
        k = rng.binomial(x.astype(int), 0.2).astype(float)
        w, c = time.perf_counter(), time.process_time()
        banks[0].update(ts, x)
        banks[1].update(ts, k)
        banks[2].update(ts, k, x)
        if m >= 180:
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
    print(f"(a) scoring one minute of {3 * n} series, banks in memory: wall {ms(wall)}; CPU {ms(cpu)}")
    # Baseline: the previous design dumped the whole state to one blob after every minute and loaded
    # it back at the next (the database round trip of those bytes came on top; not counted here).
    ids = list(range(n))
    rt_wall, rt_cpu, size = [], [], 0
    for _ in range(5):
        w, c = time.perf_counter(), time.process_time()
        blobs = [dump_bank(bank, ids) for bank in banks]
        for bank, blob in zip(banks, blobs, strict=True):
            load_bank(type(bank), blob, ids, step, params)
        rt_wall.append(time.perf_counter() - w)
        rt_cpu.append(time.process_time() - c)
        size = sum(len(b) for b in blobs)
    print(
        f"    baseline, previous design: whole state ({size / 1e6:.1f} MB) dumped + loaded every minute: "
        f"wall {ms(rt_wall)}; CPU {ms(rt_cpu)} (database round trip not included)"
    )


def live_path(n: int, minutes: int, rates: np.ndarray, rng: np.random.Generator) -> None:
    from django.db import connection

    from tamtam.accounts.models import Agency, Workspace
    from tamtam.crisis import live, persist
    from tamtam.crisis.models import AlertRule, Evaluator, SeriesKind
    from tamtam.listening.models import MentionCounter, Query

    agency = Agency.objects.create(name="Bench")
    ws = Workspace.objects.create(agency=agency, name="Bench", slug="bench")
    Query.objects.bulk_create(
        [Query(workspace=ws, name=f"q{i}", expression=f"brand{i}") for i in range(n)], batch_size=2000
    )
    queries = list(Query.objects.filter(workspace=ws).order_by("pk").values_list("pk", flat=True))
    rules = [
        AlertRule(workspace=ws, query_id=q, name=f"{s}-{q}", series=s)
        for q in queries
        for s in (SeriesKind.ALL, SeriesKind.NEGATIVE, SeriesKind.SHARE)
    ]
    AlertRule.objects.bulk_create(rules, batch_size=2000)
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    evaluator = live.ensure_evaluator()
    Evaluator.objects.filter(pk=evaluator.pk).update(last_bucket=start - timedelta(minutes=1))
    owner = "bench"

    def minute_of_counters(bucket: datetime) -> None:
        x = rng.poisson(rates)
        k = rng.binomial(x, 0.2)
        rows = [
            MentionCounter(query_id=q, bucket_start=bucket, mentions=int(m), negative=int(g))
            for q, m, g in zip(queries, x, k, strict=True)
            if m
        ]
        MentionCounter.objects.bulk_create(rows, batch_size=2000)

    parts: dict[str, list[float]] = {"score": [], "prepare": [], "write": [], "commit": []}
    written: list[int] = []

    def timed(module: Any, name: str, key: str) -> None:
        inner = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            w = time.perf_counter()
            result = inner(*args, **kwargs)
            parts[key].append(time.perf_counter() - w)
            if key == "prepare":
                written.append(len(result.checkpoints))
            return result

        setattr(module, name, wrapper)

    timed(live, "score_minutes", "score")
    timed(persist, "prepare", "prepare")
    timed(persist, "write", "write")
    timed(live, "commit", "commit")

    split: dict[str, list[float]] = {key: [] for key in parts}

    def run(bucket: datetime) -> tuple[float, float, str]:
        now = bucket + timedelta(minutes=1, seconds=live.settle_seconds() + 1)
        Evaluator.objects.update(due_at=now)
        w, c = time.perf_counter(), time.process_time()
        ids = live.claim_due(now, 1, owner)
        outcome = live.evaluate(ids[0], owner, now=now)
        return time.perf_counter() - w, time.process_time() - c, outcome

    wall, cpu = [], []
    first = None
    for m in range(minutes + 1):
        bucket = start + timedelta(minutes=m)
        minute_of_counters(bucket)
        for values in parts.values():
            values.clear()
        w, c, outcome = run(bucket)
        assert outcome.startswith("scored 1 minutes"), outcome
        if m == 0:
            first = (w, c)  # every rule new: all 30,000 checkpoints written once
            continue
        wall.append(w)
        cpu.append(c)
        for key, values in parts.items():
            split[key].append(sum(values))
    sizes = [persist.stored_size()]
    assert first is not None
    print(f"(b) live path, {len(queries)} queries, {len(rules)} rules, database {connection.vendor}")
    print(
        f"    first run (all {len(rules)} checkpoints written): wall {first[0]:.1f} s, CPU {first[1]:.1f} s"
    )
    print(f"    one minute, end to end (claim, read counters, score, commit): wall {ms(wall)}; CPU {ms(cpu)}")
    last = sizes[-1]
    print(
        f"    stored state: {last['checkpoints']} checkpoints, "
        f"{last['checkpoint_bytes'] / 1e6:.1f} MB in all "
        f"({last['checkpoint_bytes'] / max(last['checkpoints'], 1):.0f} B each); log {last['log_minutes']} "
        f"minutes, {last['log_bytes'] / 1e3:.0f} KB"
    )
    print(
        f"      of which: read rules and counters + score {ms(split['score'])}; "
        f"encode the due checkpoints {ms(split['prepare'])}; "
        f"write transaction (log row, checkpoints, prune) {ms(split['write'])}; "
        f"whole commit {ms(split['commit'])}"
    )
    steady = written[1:]
    each = last["checkpoint_bytes"] / max(last["checkpoints"], 1)
    print(
        f"    checkpoints written per minute (measured): median {statistics.median(steady):.0f}, "
        f"max {max(steady)} (~{statistics.median(steady) * each / 1e3:.0f} KB) + one log row; "
        f"CRISIS_CHECKPOINT_MINUTES={persist.checkpoint_minutes()}"
    )
    print(
        f"    baseline, the issue's target: well under 1000 ms a minute -> median {ms_value(wall):.0f} ms "
        f"({1000 / max(ms_value(wall), 1e-9):.1f}x under it)"
    )
    live.forget()
    bucket = start + timedelta(minutes=minutes + 1)
    minute_of_counters(bucket)
    w, c, outcome = run(bucket)
    print(f"    after a restart (rebuild from checkpoints + {last['log_minutes']} logged minutes): "
          f"wall {w:.1f} s, CPU {c:.1f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=20)
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load_average()}")
    rng = np.random.default_rng(0)
    rates = rng.gamma(0.5, 0.2, args.queries)  # mean 0.1 mention a minute; a few busy queries
    with tempfile.TemporaryDirectory() as tmp:
        fresh_django(Path(tmp), "crisis-bench", {"TAMTAM_CRISIS_SETTLE_SECONDS": "0"})
        scoring_alone(args.queries, args.minutes, rates, rng)
        live_path(args.queries, args.minutes, rates, rng)
    print(f"load average at the end {load_average()}")


if __name__ == "__main__":
    main()
