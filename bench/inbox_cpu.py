"""CPU time per request of the inbox benchmark's six requests, in-process (no server, one at a time).

    nice -n 5 .venv/bin/python -u bench/inbox_cpu.py                       # seeds /tmp/tamtam-inbox-cpu once
    nice -n 5 .venv/bin/python -u bench/inbox_cpu.py --profile page api    # + cProfile of 10 requests each

What a request costs the server is what bench/inbox_load.py's closed loop multiplies (8 clients that
never pause, one server process: p50 ≈ 8 x the mean service time), and CPU time is steadier than
wall time on a shared machine. The six requests of bench/inbox_load.py (the page's default view, a
filtered view, a search, and the same three through the API) through django.test.Client, logged in
as a community manager with a session cookie and a bearer token (the load benchmark's clients send
both); `--requests` of each after one warm-up; medians of time.process_time per request (SQLite
in-process: the database's work is included) and of wall time.

The inbox (`--items`, default 200,000, over 20 channels: bench/inbox_load.py's seed) is seeded once
into `--db-dir` (a SQLite file) and reused by later runs; delete the directory to seed again. With
TAMTAM_DATABASE_URL set to a PostgreSQL database, that database is seeded once instead (a marker
file in `--db-dir` says it was); PostgreSQL's own CPU is then not in the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote_plus

from httpload import fresh_django, load_average


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30, help="timed requests of each kind")
    parser.add_argument("--db-dir", default="/tmp/tamtam-inbox-cpu")
    parser.add_argument(
        "--profile", nargs="*", default=[], help="kinds to profile: page pagef pages api apif apis"
    )
    args = parser.parse_args()
    tmp = Path(args.db_dir)
    tmp.mkdir(parents=True, exist_ok=True)
    marker = tmp / "seeded"
    os.environ["TAMTAM_SANDBOX_DB"] = str(tmp / "sandbox.sqlite3")
    fresh_django(tmp, "inbox-cpu")
    logging.disable(logging.INFO)  # a log line per request is not what is measured
    import inbox_load

    if not marker.exists():
        inbox_load.seed(args.items, args.channels)
        marker.touch()
    from django.db import connection
    from django.test import Client

    from tamtam.accounts.models import ApiToken, Membership, Role, Workspace
    from tamtam.channels.models import Channel

    ws = Workspace.objects.order_by("pk").last()
    assert ws is not None
    member = Membership.objects.filter(workspace=ws, role=Role.COMMUNITY).order_by("pk").first()
    assert member is not None
    channel = Channel.objects.filter(workspace=ws).order_by("pk")[3]  # as inbox_load's filtered view
    _token, raw = ApiToken.issue(member.user, "bench-cpu")
    client = Client()
    client.force_login(member.user)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    w, q = ws.pk, quote_plus(inbox_load.SEARCH)
    filtered = f"view=unassigned&priority=high&channel={channel.pk}"
    paths = {
        "page": f"/w/{w}/inbox/",
        "pagef": f"/w/{w}/inbox/?{filtered}",
        "pages": f"/w/{w}/inbox/?q={q}",
        "api": f"/api/workspaces/{w}/inbox/conversations",
        "apif": f"/api/workspaces/{w}/inbox/conversations?{filtered}",
        "apis": f"/api/workspaces/{w}/inbox/conversations?q={q}",
    }
    print(f"database: {connection.vendor}; load average {load_average()}")
    medians = []
    for kind, path in paths.items():
        response = client.get(path, **headers)
        if response.status_code != 200:
            raise SystemExit(f"{kind}: {response.status_code}")
        cpu, wall = [], []
        for _ in range(args.requests):
            c0, w0 = time.process_time(), time.perf_counter()
            client.get(path, **headers)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        medians.append(statistics.median(cpu))
        print(
            f"  {kind:6s} CPU median {statistics.median(cpu) * 1000:6.1f} ms   "
            f"wall median {statistics.median(wall) * 1000:6.1f} ms   ({path})"
        )
    mean = statistics.mean(medians) * 1000
    print(f"mean of the six CPU medians: {mean:.1f} ms; load average {load_average()}")
    for kind in args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(10):
            client.get(paths[kind], **headers)
        profile.disable()
        print(f"===== {kind}: 10 requests")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    sys.exit(main())
