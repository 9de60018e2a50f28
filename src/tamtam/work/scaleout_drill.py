"""The scale-out fault run: PostgreSQL, Redis, three `tamtam worker`, one `tamtam beat` and the web
app under gunicorn, all real processes on 127.0.0.1; posts on sandbox channels with faults turned up;
during the run a worker paused past its lease, Redis restarted, PostgreSQL restarted, workers
SIGKILLed at random. Used by tests/work/test_scaleout_faults.py (a short run) and
bench/scaleout_faults.py (10,000 posts).

What it measures, per fault: that /readyz answered 503 naming the failing check while the fault
lasted, and how long the system took afterwards to be ready again with the publish queue caught up.
At the end: the drill's invariants (duplicates, losses, settled) and the secrets found in any log.
"""

from __future__ import annotations

import json
import random
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tamtam.work import harness, rig

PYTHON = harness.PYTHON
CAUGHT_UP_LAG = 15.0  # seconds: the publish queue's oldest due item, once the fault is over


def faulty_dials(channels: int) -> list[dict[str, object]]:
    """The sandbox dials of the engine's fault test: latency, 5xx, ambiguous timeouts, refusals, 429s,
    and one channel whose token was revoked."""
    faulty = {"latency_ms": 20, "error_rate": 0.1, "ambiguous_rate": 0.05, "permanent_rate": 0.01}
    dials: list[dict[str, object]] = [dict(faulty) for _ in range(channels - 2)]
    dials.append({**faulty, "rate_limit_per_minute": 600})
    dials.append({**faulty, "needs_user": True})
    return dials


@dataclass
class Fault:
    name: str
    expect: str  # the /readyz check that must fail while it lasts
    watched: bool = True  # /readyz polled during it and catch-up timed (back-to-back kills: not)
    seen_failing: list[str] = field(default_factory=list)
    reported: bool = False
    lasted: float = 0.0
    catch_up: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expect": self.expect,
            "watched": self.watched,
            "reported": self.reported,
            "seen_failing": sorted(set(self.seen_failing)),
            "lasted_s": round(self.lasted, 1),
            "catch_up_s": None if self.catch_up is None else round(self.catch_up, 1),
        }


class Layout:
    """The processes of the scale-out layout, with their logs in `logs/`."""

    def __init__(self, env: dict[str, str], logs: Path, workers: int, concurrency: int) -> None:
        self.env, self.logs, self.concurrency = env, logs, concurrency
        self.web_port = rig.free_port()
        self.workers: list[subprocess.Popen[bytes] | None] = [None] * workers
        self.beat: subprocess.Popen[bytes] | None = None
        self.web: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.web_port}", timeout=15.0)

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "ab") as out:
            return subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def start_worker(self, index: int, queues: str = "") -> None:
        cmd = [PYTHON, "-m", "tamtam.cli", "worker", "--name", f"sw{index}"]
        cmd += ["--concurrency", str(self.concurrency)]
        if queues:
            cmd += ["--queues", queues]
        self.workers[index] = self._spawn(f"worker-{index}", cmd)

    def start_all(self) -> None:
        for index in range(len(self.workers)):
            self.start_worker(index)
        self.beat = self._spawn("beat", [PYTHON, "-m", "tamtam.cli", "beat"])
        self.web = self._spawn(
            "web",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "tamtam.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "60",
                "--no-control-socket",  # one control socket per user: other gunicorns on the machine
            ],
        )

    def readyz(self) -> tuple[int, dict[str, Any]]:
        try:
            response = self.client.get("/readyz")
        except httpx.HTTPError as exc:
            return 0, {"failing": [f"web:{type(exc).__name__}"]}
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {"failing": ["web:not-json"]}

    def publish_lag(self, body: dict[str, Any]) -> float:
        kinds = body.get("checks", {}).get("queues", {}).get("kinds", {})
        return float(kinds.get("publish", {}).get("lag_seconds", float("inf")))

    def stop_all(self) -> None:
        procs = [p for p in [*self.workers, self.beat, self.web] if p is not None]
        for proc in procs:
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGCONT)  # a paused worker must be able to stop
                    proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.client.close()


def _wait(predicate: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    return harness.wait_until(predicate, timeout=timeout, interval=interval)


def _during(layout: Layout, fault: Fault, timeout: float) -> bool:
    """Poll /readyz until it reports `fault.expect` failing (503)."""

    def reported() -> bool:
        status, body = layout.readyz()
        fault.seen_failing += list(body.get("failing", []))
        return status == 503 and fault.expect in body.get("failing", [])

    fault.reported = _wait(reported, timeout)
    return fault.reported


def _recover(layout: Layout, fault: Fault, ended: float, timeout: float) -> None:
    """Ready again (200) with the publish queue's oldest due item under CAUGHT_UP_LAG."""

    def caught_up() -> bool:
        status, body = layout.readyz()
        return status == 200 and layout.publish_lag(body) <= CAUGHT_UP_LAG

    if _wait(caught_up, timeout, 0.5):
        fault.catch_up = time.monotonic() - ended


def run(
    root: Path,
    *,
    targets: int,
    spread: float,
    channels: int = 8,
    workers: int = 3,
    kills: int = 4,
    lease: int = 10,
    pause: float | None = None,
    concurrency: int = 16,
    seed: int | None = None,
    settle_timeout: float = 300.0,
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    seed = random.SystemRandom().randrange(1_000_000) if seed is None else seed
    rng = random.Random(seed)
    say(f"seed {seed}")
    pg = rig.Postgres(root / "pg").init()
    pg.start()
    redis = rig.Redis(root / "redis")
    redis.start()
    # Heartbeats every 5 s; stale a little after that, and well before the pause ends (by default
    # lease + 2 s; longer than 2 x lease, a call of the paused worker outlives its lease's deadline
    # and must be refused by the connector, not sent: networks.base.NotSent).
    stale = max(7, lease - 2)
    pause = float(lease + 2 if pause is None else pause)
    if pause <= stale:
        raise ValueError(f"the pause ({pause:.0f} s) must outlast the heartbeat's staleness ({stale} s)")
    secret_values = {
        "TAMTAM_SECRET_KEY": secrets.token_urlsafe(40),
        "TAMTAM_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "TAMTAM_METRICS_TOKEN": secrets.token_urlsafe(24),
    }
    extra = {
        "TAMTAM_BROKER_URL": redis.url(),
        "TAMTAM_WORK_LEASE_SECONDS": str(lease),
        "TAMTAM_WORK_RESEND_SECONDS": "10",
        "TAMTAM_READY_HEARTBEAT_STALE_SECONDS": str(stale),
        "TAMTAM_DB_POOL_TIMEOUT": "3",
        "TAMTAM_LOG_LEVEL": "INFO",
        "TAMTAM_LOG_FORMAT": "json",
        **secret_values,
    }
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    faults: list[Fault] = []
    try:
        with harness.live_database(root / "live", pg.url, extra_env=extra) as env:
            layout = Layout(env, logs, workers, concurrency)
            try:
                layout.start_all()
                up = _wait(lambda: layout.readyz()[0] == 200, 180, 1.0)
                say(f"layout ready: {up}")
                seeded = harness.drill(
                    env,
                    "seed",
                    "--targets",
                    str(targets),
                    "--channels",
                    str(channels),
                    "--options",
                    json.dumps(faulty_dials(channels)),
                    "--delay",
                    "2",
                    "--spread",
                    str(spread),
                    "--first-comment",
                    "First comment 👇",
                    "--first-comment-every",
                    "4",
                )
                started = time.monotonic()
                time.sleep(min(5.0, spread / 10))
                faults = _faults(layout, pg, redis, rng, kills=kills, pause=pause, stale=stale, say=say)
                report: dict[str, Any] = {}

                def settled() -> bool:
                    report.update(harness.drill(env, "check"))
                    return report["awaiting_engine"] == 0

                done = _wait(settled, settle_timeout, 2.0)
                elapsed = time.monotonic() - started
                final_status, final_body = layout.readyz()
            finally:
                layout.stop_all()
            final = harness.drill(env, "check")
            if final["loss_examples"]:
                final["loss_attempts"] = _attempts(env, [x["id"] for x in final["loss_examples"][:5]])
    finally:
        pg.destroy()
        redis.destroy()
    leaked = _secrets_in_logs(logs, [pg.password, redis.password, *secret_values.values()])
    return {
        "seed": seed,
        "lease_s": lease,
        "pause_s": pause,
        "seeded": seeded["count"],
        "settled_in_time": done,
        "elapsed_s": round(elapsed, 1),
        "final_readyz": final_status,
        "final_failing": final_body.get("failing"),
        "faults": [f.as_dict() for f in faults],
        "check": final,
        "secrets_in_logs": leaked,
        "logs": sorted(p.name for p in logs.iterdir()),
    }


def _faults(
    layout: Layout,
    pg: rig.Postgres,
    redis: rig.Redis,
    rng: random.Random,
    *,
    kills: int,
    pause: float,
    stale: int,
    say: Callable[[str], None],
) -> list[Fault]:
    faults: list[Fault] = []
    window = float(stale * 3 + 20)

    # 1. A worker paused (SIGSTOP) past its lease: its heartbeat goes stale, its leases expire and
    # are swept; resumed (SIGCONT), its late answers must not double anything.
    fault = Fault("worker paused past its lease", "workers")
    paused = layout.workers[0]
    assert paused is not None
    begin = time.monotonic()
    paused.send_signal(signal.SIGSTOP)
    _during(layout, fault, window)
    time.sleep(max(0.0, pause - (time.monotonic() - begin)))
    paused.send_signal(signal.SIGCONT)
    fault.lasted = time.monotonic() - begin
    _recover(layout, fault, time.monotonic(), 120)
    faults.append(fault)
    say(json.dumps(fault.as_dict()))

    # 2. Redis restarted: its queues are lost (no persistence); beat must send everything again.
    fault = Fault("redis restarted", "broker")
    begin = time.monotonic()
    redis.stop()
    _during(layout, fault, window)
    time.sleep(2)
    redis.start()
    fault.lasted = time.monotonic() - begin
    _recover(layout, fault, time.monotonic(), 120)
    faults.append(fault)
    say(json.dumps(fault.as_dict()))

    # 3. PostgreSQL restarted: every process loses its connections (the pools check them again).
    fault = Fault("postgresql restarted", "database")
    begin = time.monotonic()
    pg.stop("fast")
    _during(layout, fault, window)
    time.sleep(2)
    pg.start()
    fault.lasted = time.monotonic() - begin
    _recover(layout, fault, time.monotonic(), 120)
    faults.append(fault)
    say(json.dumps(fault.as_dict()))

    # 4. Workers SIGKILLed at random moments; the first one stays dead until /readyz says so.
    for number in range(kills):
        time.sleep(rng.uniform(0.5, 3.0))
        index = rng.randrange(len(layout.workers))
        proc = layout.workers[index]
        assert proc is not None
        fault = Fault(f"worker {index} killed (SIGKILL #{number + 1})", "workers", watched=number == 0)
        begin = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if number == 0:
            _during(layout, fault, window)
        layout.start_worker(index)
        fault.lasted = time.monotonic() - begin
        if number == 0:
            _recover(layout, fault, time.monotonic(), 120)
        faults.append(fault)
        say(json.dumps(fault.as_dict()))
    return faults


def _secrets_in_logs(logs: Path, values: list[str]) -> list[str]:
    """Which log files hold one of the secret values (names only: the finding must not leak them)."""
    found = []
    for path in sorted(logs.iterdir()):
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(value and value in text for value in values):
            found.append(path.name)
    return found


def _attempts(env: dict[str, str], ids: list[int]) -> Any:
    """The evidence of a failed run, read before the database is dropped (drill.evidence)."""
    try:
        return harness.drill(env, "evidence", *map(str, ids))
    except RuntimeError as exc:
        return str(exc)[-500:]
