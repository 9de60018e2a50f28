"""Publishing engine benchmark, embedded mode: is every post on time, once?

    .venv/bin/python bench/publish_burst.py                      # the full run (about 2 minutes)
    .venv/bin/python bench/publish_burst.py --steady-seconds 10  # a quick one

What runs: `tamtam run --workers N` exactly as a user starts it (SQLite file database in WAL mode in
a temporary directory, waitress on 127.0.0.1, N worker processes with the default concurrency and
poll interval), against the sandbox network with 20 ms mean latency.

(a) burst: 1,000 targets all due at the same second → lateness p50/p99 (published_at - scheduled_at),
    time to drain, duplicates, losses;
(b) steady: 100 targets per second for 60 s → lateness p99;
(c) peak: 5,000 targets due at once → the most publishes in one second, and the average rate;
then the same schedules are run through discrete simulations of two common polling designs with the
same network latency — a cron every 60 s that publishes everything due, one post after the other,
and a 15 s poll that publishes at most 10 posts per tick — and a table compares them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tamtam.work import harness  # noqa: E402 - after the path set-up above

TARGETS = {"burst_p99": 2.0, "steady_p99": 1.0, "peak_per_second": 300}

EXPORT = """
from datetime import timedelta
from tamtam.publishing.models import PostTarget
ws = int(sys.argv[1])
rows = PostTarget.objects.filter(workspace_id=ws).values_list("scheduled_at", "published_at", "state")
print(json.dumps([[s.timestamp(), p.timestamp() if p else None, st] for s, p, st in rows]))
"""


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def peak_per_second(times: Sequence[float]) -> int:
    """Most publishes in any one-second window."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] > 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass
class Result:
    name: str
    p50: float
    p99: float
    worst: float
    drain: float  # from the first due time to the last publish
    published: int
    peak: int = 0


def summarise(name: str, due: Sequence[float], published: Sequence[float]) -> Result:
    lateness = [p - d for d, p in zip(due, published, strict=True)]
    return Result(
        name,
        percentile(lateness, 0.5),
        percentile(lateness, 0.99),
        max(lateness),
        max(published) - min(due),
        len(published),
        peak_per_second(published),
    )


# --- the anchors: discrete simulations with the same schedule and latency --------------------------


def latency_draws(count: int, mean_ms: float, seed: int) -> list[float]:
    # The sandbox draws each call's latency uniformly in [0.5, 1.5] times the mean: same here.
    rng = random.Random(seed)
    return [mean_ms / 1000 * rng.uniform(0.5, 1.5) for _ in range(count)]


def simulate_poller(
    due: Sequence[float], *, period: float, cap: int | None, mean_ms: float, phases: int = 12
) -> tuple[list[float], list[float]]:
    """A poller that wakes every `period` s and publishes the due posts one after the other (at most
    `cap` per wake-up). The phase of its clock against the schedule is unknown, so the run is repeated
    for `phases` evenly spread phases and the lateness of all runs is pooled."""
    order = sorted(due)
    all_due: list[float] = []
    all_published: list[float] = []
    for phase_index in range(phases):
        phase = period * phase_index / phases
        calls = iter(latency_draws(len(order), mean_ms, seed=phase_index))
        tick = order[0] - ((order[0] - phase) % period)  # the last wake-up at or before the first due
        clock = tick
        nxt = 0
        while nxt < len(order):
            tick += period
            clock = max(clock, tick)
            sent = 0
            while nxt < len(order) and order[nxt] <= tick and (cap is None or sent < cap):
                clock += next(calls)
                all_due.append(order[nxt])
                all_published.append(clock)
                nxt += 1
                sent += 1
    return all_due, all_published


# --- the system under test -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sandbox_duplicates(env: dict[str, str]) -> int:
    conn = sqlite3.connect(env["TAMTAM_SANDBOX_DB"])
    try:
        row = conn.execute(
            "SELECT COUNT(*) FROM (SELECT idempotency_key FROM posts WHERE deleted_at IS NULL "
            "GROUP BY idempotency_key HAVING COUNT(*) > 1)"
        ).fetchone()
        return int(row[0])
    finally:
        conn.close()


def run_scenario(
    env: dict[str, str],
    *,
    name: str,
    targets: int,
    spread: float,
    latency_ms: float,
    channels: int,
    lead: float,
    timeout: float,
) -> tuple[Result, dict[str, object], list[float]]:
    dials = json.dumps({"latency_ms": latency_ms})
    seeded = harness.drill(
        env,
        "seed",
        "--targets",
        str(targets),
        "--channels",
        str(channels),
        "--options",
        dials,
        "--delay",
        str(lead),
        "--spread",
        str(spread),
    )
    workspace = str(seeded["workspace_id"])
    deadline = time.monotonic() + lead + spread + timeout
    # Watch with one cheap query on the file: a Django process per look would steal a core.
    db = sqlite3.connect(env["TAMTAM_DATABASE_URL"].removeprefix("sqlite:///"))
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            waiting = db.execute(
                "SELECT COUNT(*) FROM publishing_posttarget WHERE workspace_id = ? AND (state NOT IN "
                "('published', 'failed', 'needs_user', 'unconfirmed') OR (state = 'unconfirmed' AND due_at "
                "IS NOT NULL))",
                (int(workspace),),
            ).fetchone()[0]
            if waiting == 0:
                break
    finally:
        db.close()
    report = harness.drill(env, "check", "--workspace", workspace)
    rows = harness.python_json(env, EXPORT.replace("sys.argv[1]", workspace))
    done = [(s, p) for s, p, state in rows if state == "published" and p is not None]
    result = summarise(name, [s for s, _ in done], [p for _, p in done])
    return result, report, [s for s, _p, _st in rows]


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({model or platform.processor() or 'unknown CPU'}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.system()}"
    )


def fmt(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def table(rows: list[tuple[str, Result, Result, Result]]) -> str:
    lines = [
        "| scenario | metric | tamtam | cron 60 s (ratio) | poll 15 s, 10/tick (ratio) |",
        "|---|---|---|---|---|",
    ]
    for scenario, ours, cron, poll in rows:
        for metric in ("p50", "p99", "drain"):
            mine = getattr(ours, metric)
            cells = [
                f"{fmt(getattr(a, metric))} ({getattr(a, metric) / mine:.0f}x)"
                if mine > 0
                else fmt(getattr(a, metric))
                for a in (cron, poll)
            ]
            label = {"p50": "lateness p50", "p99": "lateness p99", "drain": "time to drain"}[metric]
            lines.append(f"| {scenario} | {label} | {fmt(mine)} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2: one per core)")
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--steady-rate", type=int, default=100, help="targets per second")
    parser.add_argument("--steady-seconds", type=float, default=60.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--peak-burst", type=int, default=5000, help="targets of the peak-rate burst (c)")
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args()

    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="tamtam-bench-") as tmp:
        env_extra = {"TAMTAM_LOG_LEVEL": "WARNING"}
        with harness.live_database(Path(tmp), "", extra_env=env_extra) as env:
            # A workspace exists, so `tamtam run` skips the demo seeding: only the benchmark's posts are due.
            harness.drill(env, "seed", "--targets", "0", "--channels", "1")
            port = free_port()
            log = Path(tmp) / "run.log"
            with log.open("wb") as out:
                run = subprocess.Popen(
                    [
                        harness.PYTHON,
                        "-m",
                        "tamtam.cli",
                        "run",
                        "--port",
                        str(port),
                        "--workers",
                        str(args.workers),
                    ],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            try:
                if not harness.wait_until(
                    lambda: "is running at" in log.read_text(), timeout=60, interval=0.2
                ):
                    print(log.read_text(), file=sys.stderr)
                    return 2
                time.sleep(2)  # let the workers start and reach their first poll
                print(
                    f"tamtam run --workers {args.workers} on 127.0.0.1:{port}; sandbox latency "
                    f"{args.latency_ms:g} ms; {machine()}",
                    flush=True,
                )
                burst, burst_report, burst_due = run_scenario(
                    env,
                    name="burst",
                    targets=args.burst,
                    spread=0.0,
                    latency_ms=args.latency_ms,
                    channels=args.channels,
                    lead=3.0,
                    timeout=120,
                )
                steady_n = int(args.steady_rate * args.steady_seconds)
                steady, steady_report, steady_due = run_scenario(
                    env,
                    name="steady",
                    targets=steady_n,
                    spread=args.steady_seconds,
                    latency_ms=args.latency_ms,
                    channels=args.channels,
                    lead=3.0,
                    timeout=120,
                )
                # (c) how fast it can go: a burst big enough that one second is not enough for it.
                peak, peak_report, _peak_due = run_scenario(
                    env,
                    name="peak",
                    targets=args.peak_burst,
                    spread=0.0,
                    latency_ms=args.latency_ms,
                    channels=args.channels,
                    lead=3.0,
                    timeout=180,
                )
            finally:
                run.send_signal(signal.SIGTERM)
                try:
                    run.wait(60)
                except subprocess.TimeoutExpired:
                    run.kill()
            duplicates = sandbox_duplicates(env)

    losses = sum(int(r["losses"]) for r in (burst_report, steady_report, peak_report))  # type: ignore[call-overload]
    lost_burst = args.burst - burst.published
    lost_steady = steady_n - steady.published + args.peak_burst - peak.published
    sustained = peak.published / peak.drain if peak.drain > 0 else float("nan")
    cron_b = summarise("cron", *simulate_poller(burst_due, period=60, cap=None, mean_ms=args.latency_ms))
    poll_b = summarise("poll", *simulate_poller(burst_due, period=15, cap=10, mean_ms=args.latency_ms))
    cron_s = summarise("cron", *simulate_poller(steady_due, period=60, cap=None, mean_ms=args.latency_ms))
    poll_s = summarise("poll", *simulate_poller(steady_due, period=15, cap=10, mean_ms=args.latency_ms))

    print()
    print(
        f"(a) burst of {args.burst} due at the same second: p50 {fmt(burst.p50)}, p99 {fmt(burst.p99)}, "
        f"max {fmt(burst.worst)}, drained in {fmt(burst.drain)}, peak {burst.peak} publishes/s"
    )
    print(
        f"(b) steady {args.steady_rate}/s for {args.steady_seconds:g} s ({steady_n} targets): "
        f"p50 {fmt(steady.p50)}, p99 {fmt(steady.p99)}, max {fmt(steady.worst)}"
    )
    print(
        f"(c) burst of {args.peak_burst}: peak {peak.peak} publishes in one second, "
        f"{sustained:.0f}/s on average over its {fmt(peak.drain)} drain (p99 lateness {fmt(peak.p99)})"
    )
    print(
        f"duplicates: {duplicates}; losses: {losses} (unpublished: burst {lost_burst}, others {lost_steady})"
    )
    print()
    print(
        table(
            [
                (f"burst {args.burst}", burst, cron_b, poll_b),
                (f"steady {args.steady_rate}/s", steady, cron_s, poll_s),
            ]
        )
    )
    print()
    checks = {
        f"burst p99 ≤ {TARGETS['burst_p99']:g} s": burst.p99 <= TARGETS["burst_p99"],
        f"steady p99 ≤ {TARGETS['steady_p99']:g} s": steady.p99 <= TARGETS["steady_p99"],
        f"peak ≥ {TARGETS['peak_per_second']} publishes/s": peak.peak >= TARGETS["peak_per_second"],
        "0 duplicates": duplicates == 0,
        "0 losses": losses == 0 and lost_burst == 0 and lost_steady == 0,
    }
    for label, ok in checks.items():
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "started": started.isoformat(),
                    "machine": machine(),
                    "workers": args.workers,
                    "latency_ms": args.latency_ms,
                    "burst": burst.__dict__,
                    "steady": steady.__dict__,
                    "peak": peak.__dict__ | {"sustained_per_second": sustained},
                    "duplicates": duplicates,
                    "losses": losses,
                    "anchors": {
                        "burst": {"cron": cron_b.__dict__, "poll": poll_b.__dict__},
                        "steady": {"cron": cron_s.__dict__, "poll": poll_s.__dict__},
                    },
                    "checks": checks,
                },
                indent=2,
                default=str,
            )
        )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
