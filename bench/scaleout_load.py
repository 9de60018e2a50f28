"""Scale-out mode against embedded mode, side by side in one run (issue 8, docs/benchmarks.md).

    python bench/scaleout_load.py                       # the recorded run
    python bench/scaleout_load.py --posts 1000 --workers 1,2 --web-seconds 10   # a quick look

For each mode, on its own fresh database (embedded: a SQLite file in WAL mode, `tamtam worker`
polling it; scale-out: a throwaway PostgreSQL cluster and redis-server on free 127.0.0.1 ports,
`tamtam worker` as Celery workers woken by `tamtam beat`):

(a) publishing: a burst of --posts sandbox posts all due at the same instant (20 ms mean network
    latency), with 1, 2 and 4 worker processes: throughput (posts / time to the last one) and p99
    lateness (published_at - scheduled_at);
(b) listening: --sources sandbox stream sources, all due at once, each fetching up to 2,000 mentions
    through the pipeline, with 1, 2 and 4 workers: mentions per second;
(c) web: 50 concurrent clients on the calendar and the inbox of a demo workspace for
    --web-seconds: p95 latency (embedded: granian, one process per core x 8 threads, as
    `tamtam run`; scale-out: gunicorn, 2 processes x 8 threads, psycopg pool).

Every figure is printed with the ratio scale-out / embedded (the baseline). The machine has 2 cores
shared with other work: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import httpload  # noqa: E402
from tamtam.work import harness, rig  # noqa: E402

PYTHON = sys.executable


def scalar(env: dict[str, str], sql: str) -> Any:
    """One value from the mode's database, read from this process (committed after): polling with a
    `tamtam` subprocess (a Django start, seconds of CPU) would steal the cores being measured."""
    url = env["TAMTAM_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
        try:
            row = conn.execute(sql).fetchone()
            conn.commit()
            return row[0] if row else None
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url, connect_timeout=10, autocommit=True) as conn:
        cursor = conn.execute(sql)
        row = cursor.fetchone() if cursor.description else None
        return row[0] if row else None


def sandbox_posts(env: dict[str, str]) -> int:
    """Posts the sandbox network received (not first comments), from its own file."""
    conn = sqlite3.connect(env["TAMTAM_SANDBOX_DB"], timeout=30)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0])
    except sqlite3.OperationalError:  # no post yet: the network made its tables on first use
        return 0
    finally:
        conn.close()


class Mode:
    """One mode's database, environment and processes."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name, self.env, self.logs = name, env, logs
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def scaleout(self) -> bool:
        return bool(self.env.get("TAMTAM_BROKER_URL"))

    def spawn(self, label: str, *args: str) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{self.name}-{label}.log", "ab") as out:
            proc = subprocess.Popen([PYTHON, "-m", "tamtam.cli", *args], env=self.env, stdout=out, stderr=out)
        self.procs.append(proc)
        return proc

    def start_workers(self, count: int, concurrency: int) -> None:
        for index in range(count):
            self.spawn(f"worker{index}", "worker", "--name", f"b{index}", "--concurrency", str(concurrency))
        if self.scaleout:
            self.spawn("beat", "beat")
        wanted = count + (1 if self.scaleout else 0)
        if not harness.wait_until(lambda: self.heartbeats() >= wanted, timeout=180, interval=1.0):
            raise SystemExit(f"{self.name}: {wanted} processes did not start within 180 s")
        time.sleep(2.0)  # Celery consumers connect after the heartbeat thread starts

    def heartbeats(self) -> int:
        return int(scalar(self.env, "SELECT COUNT(*) FROM work_workerheartbeat"))

    def stop_all(self) -> None:
        for proc in self.procs:
            harness.stop(proc, grace=30)
        self.procs = []
        scalar(self.env, "DELETE FROM work_workerheartbeat")


# --- (a) publishing ---------------------------------------------------------------------------------


def publishing(mode: Mode, workers: int, posts: int, concurrency: int) -> dict[str, Any]:
    mode.start_workers(workers, concurrency)
    try:
        before = sandbox_posts(mode.env)
        seeded = harness.drill(
            mode.env,
            "seed",
            "--targets",
            str(posts),
            "--channels",
            "16",
            "--options",
            json.dumps({"latency_ms": 20}),
            "--delay",
            "3",
        )
        # No fault is injected: every post reaches the network, which counts them cheaply.
        harness.wait_until(lambda: sandbox_posts(mode.env) - before >= posts, timeout=900, interval=0.5)
        time.sleep(1.0)  # the last answers recorded
        report = harness.drill(mode.env, "check", "--workspace", str(seeded["workspace_id"]))
    finally:
        mode.stop_all()
    last = report["lateness_max"] or float("nan")
    return {
        "posts": report["targets"],
        "published": report["states"].get("published", 0),
        "duplicates": report["duplicates"],
        "losses": report["losses"],
        "throughput": report["states"].get("published", 0) / last if last else float("nan"),
        "p50": report["lateness_p50"],
        "p99": report["lateness_p99"],
        "max": last,
    }


# --- (b) listening ----------------------------------------------------------------------------------

LISTENING_SEED = """
from datetime import timedelta
from django.utils import timezone
from tamtam.listening.models import Query, Source
from tamtam.networks.sandbox.stream import StreamConfig
from tamtam.work import drill
ws = drill.create_workspace("Listening bench")
Query.objects.create(workspace=ws, name="Brand", expression=StreamConfig().brand)
due = timezone.now() + timedelta(seconds=2)
ids = [
    Source.objects.create(
        workspace=ws, kind="sandbox", name=f"stream {i}", interval_seconds=86400,
        options={"stream_per_minute": 60, "seed": i + 1}, due_at=due,
    ).pk
    for i in range(SOURCES)
]
print(json.dumps({"ids": ids, "due": due.timestamp()}))
"""

LISTENING_CHECK = """
from django.db.models import Sum
from tamtam.listening.models import Source
qs = Source.objects.filter(pk__in=IDS)
per_source = {s.pk: [s.items_seen, s.state, s.last_error[:120]] for s in qs}
print(json.dumps({"items": qs.aggregate(items=Sum("items_seen"))["items"] or 0, "per_source": per_source}))
"""


def listening(mode: Mode, workers: int, sources: int, concurrency: int) -> dict[str, Any]:
    mode.start_workers(workers, concurrency)
    try:
        seeded = harness.python_json(mode.env, LISTENING_SEED.replace("SOURCES", str(sources)))
        ids = ",".join(str(i) for i in seeded["ids"])
        # A run sets last_fetched_at when it starts; it is over when the source is idle again.
        pending = (
            f"SELECT COUNT(*) FROM listening_source WHERE id IN ({ids})"  # noqa: S608
            " AND (last_fetched_at IS NULL OR state <> 'idle')"
        )
        # The end is seen from here, polled every 0.2 s with one cheap query (a run's own writes do
        # not all carry a timestamp).
        harness.wait_until(lambda: scalar(mode.env, pending) == 0, timeout=900, interval=0.2)
        finished = time.time()
        state = harness.python_json(mode.env, LISTENING_CHECK.replace("IDS", repr(seeded["ids"])))
    finally:
        mode.stop_all()
    seconds = finished - seeded["due"]
    short = {k: v for k, v in state["per_source"].items() if v[1] != "idle" or v[2]}
    return {
        "items": state["items"],
        "seconds": seconds,
        "throughput": state["items"] / seconds,
        # Sources that did not end idle and clean, with what they say (none in a good run).
        "sources_not_clean": short,
    }


# --- (c) web ----------------------------------------------------------------------------------------

WEB_SEED = """
from django.test import Client
from tamtam.accounts.models import Membership
from tamtam.web.demo import seed
seed(password=None)
m = Membership.objects.select_related("user", "workspace").order_by("pk").first()
c = Client(); c.force_login(m.user)
print(json.dumps({"ws": m.workspace_id, "cookie": c.cookies["sessionid"].value}))
"""


def web(mode: Mode, clients: int, seconds: float) -> dict[str, Any]:
    seeded = harness.python_json(mode.env, WEB_SEED, timeout=900)
    ws = seeded["ws"]
    paths = {"calendar": f"/w/{ws}/calendar/", "inbox": f"/w/{ws}/inbox/"}
    # Each mode as it is deployed: `tamtam run` serves granian with one process per core; the
    # scale-out unit of docs/deployment.md is gunicorn, 2 processes.
    server = "gunicorn" if mode.scaleout else "granian"
    workers = 2 if mode.scaleout else (os.cpu_count() or 1)
    with httpload.serve(server, threads=8, workers=workers, env=mode.env) as running:
        headers = {"Cookie": f"sessionid={seeded['cookie']}"}
        httpload.run_load(running.port, httpload.cycle(paths), clients=4, seconds=3, headers=headers)  # warm
        result = httpload.run_load(
            running.port, httpload.cycle(paths), clients=clients, seconds=seconds, headers=headers
        )
    out: dict[str, Any] = {"errors": len(result.errors), "first_errors": result.errors[:3]}
    for kind in paths:
        out[kind] = {"p50": result.pct(0.5, kind), "p95": result.pct(0.95, kind), "rps": result.rps(kind)}
    return out


# --- the run ----------------------------------------------------------------------------------------


def ratio(new: float, base: float) -> str:
    usable = base and not math.isnan(base) and not math.isnan(new)
    return f"{new / base:5.2f}x" if usable else "  n/a"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--web-seconds", type=float, default=20.0)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: publish,listen,web")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    print(f"load average at start: {httpload.load_average()} (2 cores, shared with other work)")
    results: dict[str, dict[str, Any]] = {"embedded": {}, "scale-out": {}}
    with tempfile.TemporaryDirectory(prefix="tamtam-scaleout-load-") as tmp_name:
        tmp = Path(tmp_name)
        logs = tmp / "logs"
        logs.mkdir()
        pg = rig.Postgres(tmp / "pg").init()
        pg.start()
        redis = rig.Redis(tmp / "redis")
        redis.start()
        try:
            scaleout = {"TAMTAM_BROKER_URL": redis.url(), "TAMTAM_WORK_BEAT_INTERVAL_MS": "200"}
            setups = {"embedded": ("", {"TAMTAM_WORK_POLL_MS": "100"}), "scale-out": (pg.url, scaleout)}
            for name, (base_url, mode_env) in setups.items():
                extra = {**mode_env, "TAMTAM_LOG_LEVEL": "WARNING"}
                with harness.live_database(tmp / name, base_url, extra_env=extra) as env:
                    mode = Mode(name, env, logs)
                    for n in counts:
                        if "publish" not in skip:
                            results[name][f"publish{n}"] = publishing(mode, n, args.posts, args.concurrency)
                            print(f"{name} publish x{n}: {results[name][f'publish{n}']}", flush=True)
                        if "listen" not in skip:
                            results[name][f"listen{n}"] = listening(mode, n, args.sources, args.concurrency)
                            print(f"{name} listen x{n}: {results[name][f'listen{n}']}", flush=True)
                    if "web" not in skip:
                        results[name]["web"] = web(mode, args.clients, args.web_seconds)
                        print(f"{name} web: {results[name]['web']}", flush=True)
        finally:
            pg.destroy()
            redis.destroy()
    print(f"\nload average at end: {httpload.load_average()}")
    print_table(results, counts, skip, args)
    return 0


def print_table(results: dict[str, dict[str, Any]], counts: list[int], skip: set[str], args: Any) -> None:
    emb, out = results["embedded"], results["scale-out"]
    if "publish" not in skip:
        print(f"\n(a) publishing, burst of {args.posts} posts due at once (sandbox, 20 ms latency)")
        print("workers | embedded posts/s  p99 s | scale-out posts/s  p99 s | throughput ratio | dup/loss")
        for n in counts:
            e, s = emb[f"publish{n}"], out[f"publish{n}"]
            print(
                f"{n:7} | {e['throughput']:16.0f} {e['p99']:6.1f} | {s['throughput']:17.0f} {s['p99']:6.1f} |"
                f" {ratio(s['throughput'], e['throughput']):>16} | {e['duplicates'] + s['duplicates']}/"
                f"{e['losses'] + s['losses']}"
            )
    if "listen" not in skip:
        print(f"\n(b) listening, {args.sources} sandbox sources due at once (up to 2,000 mentions each)")
        print("workers | embedded mentions/s | scale-out mentions/s | ratio")
        for n in counts:
            e, s = emb[f"listen{n}"], out[f"listen{n}"]
            print(
                f"{n:7} | {e['throughput']:19.0f} | {s['throughput']:20.0f} | "
                f"{ratio(s['throughput'], e['throughput'])}"
            )
    if "web" not in skip:
        print(f"\n(c) web, {args.clients} concurrent clients, {args.web_seconds:.0f} s")
        print("page     | embedded p95 ms  req/s | scale-out p95 ms  req/s | p95 ratio")
        for kind in ("calendar", "inbox"):
            e, s = emb["web"][kind], out["web"][kind]
            print(
                f"{kind:8} | {e['p95']:15.0f} {e['rps']:6.0f} | {s['p95']:16.0f} {s['rps']:6.0f} |"
                f" {ratio(s['p95'], e['p95'])}"
            )
        print(f"errors: embedded {emb['web']['errors']}, scale-out {out['web']['errors']}")


if __name__ == "__main__":
    raise SystemExit(main())
