"""Short-link redirect benchmark: requests per second and latency of `/l/<code>` over real HTTP.

    nice -n 10 .venv/bin/python bench/analytics_redirect.py                      # granian, 20 s, 8 clients
    nice -n 10 .venv/bin/python bench/analytics_redirect.py --server waitress    # tamtam run's default
    nice -n 10 .venv/bin/python bench/analytics_redirect.py --server gunicorn    # gunicorn gthread
    nice -n 10 .venv/bin/python bench/analytics_redirect.py --seconds 5          # a quick one

What runs: a fresh SQLite file database (WAL mode; or TAMTAM_DATABASE_URL) migrated with the real
migrations, `--links` short links (default 1,000) in one workspace, the app (tamtam.wsgi: the
short-link fast path in front of Django) served in a separate process by granian (`--workers` x
`--threads`: Rust I/O, Python threads calling the app; `tamtam run --server granian`), waitress
(`--threads`) or gunicorn with gthread workers (`--workers` x `--threads`), see bench/httpload.py;
`--clients` client threads (one HTTP keep-alive connection each, browser user agents, a distinct
X-Forwarded-For address per client so the flood rule does not kick in) follow random links for `--seconds`.
A warm-up first follows every link once (a link's first visit in a process reads it from the
database, which puts it in that process's memory) and asks Django one unknown code (Django sets
itself up on its first request). Every answered redirect is one click, written by the
server's flusher thread in batches; the clicks stored are counted after the server stopped (its
exit writes what is pending) and must equal the redirects answered.

Baselines (named in the output), all on the same server and clients:
- the issue's target (≥ 2,000 requests/s, p99 ≤ 20 ms);
- unknown code (404): Django's whole stack (middleware, URL resolution, view, a cache-miss query);
- static WSGI app (302): a fixed answer with no tamtam code at all — the server's and the clients'
  own cost per request on this machine, the ceiling any application can reach here.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from httpload import LoadResult, Picker, fresh_django, load_average, random_choice, run_load, serve

TARGET_RPS = 2000.0
TARGET_P99_MS = 20.0
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def seed(count: int) -> list[str]:
    from tamtam.accounts.models import Agency, Workspace
    from tamtam.analytics.models import ShortLink

    agency = Agency.objects.create(name="Bench", slug="bench")
    ws = Workspace.objects.create(agency=agency, name="Lumen", slug="lumen")
    links = [
        ShortLink(
            workspace=ws,
            code=f"b{i:07d}",
            destination=f"https://shop.example/p/{i}?utm_source=x",
            original_url=f"https://shop.example/p/{i}",
        )
        for i in range(count)
    ]
    ShortLink.objects.bulk_create(links, batch_size=1000)
    return [link.code for link in links]


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a server process and its children (gunicorn's workers), from /proc."""

    def stat(p: str) -> list[str] | None:
        try:
            return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None

    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = stat(entry)
        if fields and (entry == str(pid) or fields[1] == str(pid)):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def visitor(n: int) -> dict[str, str]:
    return {"User-Agent": BROWSER, "X-Forwarded-For": f"10.0.{n // 250}.{n % 250 + 1}"}


def walk(paths: list[str], clients: int) -> Picker:
    """Client c asks paths c, c + clients, c + 2 x clients…: together they ask every path once, then again."""

    def pick(client: int, n: int) -> tuple[str, str]:
        return "warm-up", paths[(n * clients + client) % len(paths)]

    return pick


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--server", choices=["granian", "waitress", "gunicorn"], default="granian")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (gunicorn: 2, granian: 1)"
    )
    parser.add_argument("--threads", type=int, default=8, help="server threads (per gunicorn worker)")
    parser.add_argument("--warm-seconds", type=float, default=120.0, help="at most, to visit every link once")
    args = parser.parse_args()
    if args.workers is None:
        # One granian worker: its I/O runs in Rust threads outside the GIL; a second process only
        # adds a second flusher at SQLite's single writer.
        args.workers = 2 if args.server == "gunicorn" else 1
    with tempfile.TemporaryDirectory() as tmp:
        fresh_django(Path(tmp), "redirect-bench")
        from django.db import connection

        from tamtam.analytics.models import Click

        codes = seed(args.links)
        connection.close()
        paths = [f"/l/{code}" for code in codes]
        shape = f"{args.workers} workers x {args.threads} threads" if args.server != "waitress" else ""
        shape = shape or f"{args.threads} threads"
        print(f"server: {args.server} ({shape}); {args.clients} clients; {os.cpu_count()} cores")
        print(f"load average before: {load_average()}")
        answered = 0
        results: dict[str, LoadResult] = {}
        common = {"clients": args.clients, "client_headers": visitor}
        with serve(args.server, threads=args.threads, workers=args.workers) as server:
            # One request first: the server process imports and sets up lazily on its first request.
            first = run_load(
                server.port, walk(paths, 1), clients=1, seconds=300, max_requests=1, expect=302, timeout=300
            )
            # Django itself sets up lazily (URL conf, views, templates) on the first request it
            # answers, and the redirect no longer goes through it: one unknown code for that, before
            # the 404 baseline is measured (per gunicorn worker: as many as workers x threads).
            run_load(
                server.port,
                random_choice("warm", ["/l/zz-warm"]),
                clients=args.workers * args.threads,
                seconds=300,
                max_requests=1,
                expect=404,
                timeout=300,
            )
            warm = run_load(
                server.port,
                walk(paths, args.clients),
                seconds=args.warm_seconds,
                max_requests=-(-len(paths) // args.clients),
                expect=302,
                **common,
            )
            answered += first.count() + warm.count()
            print(warm.line("warm-up (first visits: one read each)"))
            hit = random_choice("redirect", paths)
            server_cpu, client_cpu = tree_cpu(server.process.pid), time.process_time()
            results["redirect"] = run_load(server.port, hit, seconds=args.seconds, expect=302, **common)
            server_cpu = tree_cpu(server.process.pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
            answered += results["redirect"].count()
            misses = random_choice("miss", [f"/l/zz{i}" for i in range(50)])
            results["miss"] = run_load(server.port, misses, seconds=args.seconds / 2, expect=404, **common)
            in_db_at_end = Click.objects.count()
            connection.close()
        stored = Click.objects.count()
        with serve(
            args.server, threads=args.threads, workers=args.workers, app="httpload:static_app"
        ) as server:
            fixed = random_choice("static", paths)
            static_cpu = tree_cpu(server.process.pid)
            results["static"] = run_load(server.port, fixed, seconds=args.seconds / 2, expect=302, **common)
            static_cpu = tree_cpu(server.process.pid) - static_cpu
        print(f"load average after: {load_average()}")
        redirect = results["redirect"]
        print(redirect.line("redirect /l/<code> (302)"))
        print(results["miss"].line("baseline: unknown code (404)"))
        print(results["static"].line("baseline: static WSGI app (302)"))
        n = max(redirect.count(), 1)
        print(
            f"CPU per redirect: server {1e6 * server_cpu / n:.0f} us, clients {1e6 * client_cpu / n:.0f} us"
            f" ({server_cpu:.1f} s and {client_cpu:.1f} s for {redirect.count()} redirects);"
            f" static app: server {1e6 * static_cpu / max(results['static'].count(), 1):.0f} us per answer"
        )
        print(
            f"clicks stored: {stored} for {answered} redirects answered "
            f"({stored - in_db_at_end} of them written at the server's exit)"
            + ("" if stored == answered else "  MISMATCH")
        )
        static_rps = results["static"].rps()
        print(
            f"target: >= {TARGET_RPS:.0f} req/s -> {redirect.rps() / TARGET_RPS:.2f}x;"
            f" p99 <= {TARGET_P99_MS:.0f} ms -> {redirect.pct(0.99):.1f} ms;"
            f" redirect / static server floor = {redirect.rps() / max(static_rps, 1e-9):.2f};"
            f" redirect / full Django 404 = {redirect.rps() / max(results['miss'].rps(), 1e-9):.1f}x"
        )


if __name__ == "__main__":
    main()
