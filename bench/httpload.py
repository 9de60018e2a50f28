"""Shared HTTP load harness for the benchmarks: a fresh tamtam served in a subprocess, concurrent clients.

Used by bench/analytics_redirect.py, bench/analytics_dashboard.py and bench/inbox_load.py:

    from httpload import fresh_django, serve, run_load, cycle

    fresh_django(tmp, "my-bench")              # env + django.setup() + migrate, on a new SQLite file
    ...seed...
    with serve(threads=8) as server:           # waitress (or server="gunicorn") on 127.0.0.1
        result = run_load(server.port, cycle({"home": "/"}), clients=8, seconds=10)
    print(result.line("home"))                 # req/s, p50/p95/p99, errors

Each client is a thread with one HTTP/1.1 keep-alive connection (stdlib http.client: the lightest
client Python has, so the clients steal as little CPU as possible from the server on a small
machine). A request that times out, fails or answers another status than expected is counted as an
error (never silently dropped) and its latency is not mixed with the good answers'.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

#: (client number, request number of that client) -> (kind, path). The kind groups the figures.
Picker = Callable[[int, int], tuple[str, str]]
#: client number -> headers of that client (e.g. its own X-Forwarded-For address).
ClientHeaders = Callable[[int], Mapping[str, str]]

WSGI_APP = "tamtam.wsgi:application"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_django(tmp: Path, name: str, extra_env: Mapping[str, str] | None = None) -> None:
    """Point tamtam at a new database in `tmp` (or TAMTAM_DATABASE_URL when set), set Django up, migrate.

    The environment is set in os.environ so that the server started by serve() sees the same database.
    """
    os.environ.setdefault("TAMTAM_DATABASE_URL", f"sqlite:///{tmp / (name + '.sqlite3')}")
    os.environ["TAMTAM_DATA_DIR"] = str(tmp)
    os.environ.setdefault("TAMTAM_DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tamtam.settings")
    for key, value in (extra_env or {}).items():
        os.environ[key] = value
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@dataclass
class Server:
    """A running server process; `port` is where it listens on 127.0.0.1."""

    port: int
    process: subprocess.Popen[bytes]
    command: list[str]


def _command(server: str, port: int, threads: int, workers: int, app: str) -> list[str]:
    if server == "waitress":
        # waitress is one process; `workers` does not apply.
        return [
            sys.executable,
            "-m",
            "waitress",
            "--listen",
            f"127.0.0.1:{port}",
            "--threads",
            str(threads),
            app,
        ]
    if server == "gunicorn":
        if importlib.util.find_spec("gunicorn") is None:
            raise SystemExit("gunicorn is not installed in this environment: pip install gunicorn")
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
            app,
        ]
    if server == "granian":
        if importlib.util.find_spec("granian") is None:
            raise SystemExit("granian is not installed in this environment: pip install granian")
        # Rust I/O threads, `threads` Python threads calling the app, `workers` processes.
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--no-ws",
            "--log-level",
            "warning",
            app,
        ]
    raise SystemExit(f"unknown server {server!r}: waitress, gunicorn or granian")


@contextmanager
def serve(
    server: str = "waitress",
    *,
    threads: int = 8,
    workers: int = 1,
    app: str = WSGI_APP,
    env: Mapping[str, str] | None = None,
    startup_s: float = 60.0,
) -> Iterator[Server]:
    """Start `app` under waitress or gunicorn (gthread) on a free 127.0.0.1 port; stop it on exit.

    The process inherits os.environ (so fresh_django's database) plus `env`. Close the parent's
    database connections before serving if the seed left a write transaction open.
    """
    port = free_port()
    command = _command(server, port, threads, workers, app)
    # The server's log goes to a file, never to a pipe nobody reads: a full pipe blocks the server.
    log_file = tempfile.TemporaryFile()  # noqa: SIM115  (closed in the finally below)
    process = subprocess.Popen(
        command,
        # bench/ on the path too, so that `app` may be httpload:static_app (the server's own floor).
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'bench'}", **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    try:
        deadline = time.time() + startup_s
        while True:
            if process.poll() is not None:
                log_file.seek(0)
                err = log_file.read()
                raise SystemExit(f"{server} exited at start: {err.decode(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit(f"{server} did not listen within {startup_s:.0f} s") from None
                time.sleep(0.2)
        yield Server(port=port, process=process, command=command)
    finally:
        # A graceful stop, so the app's exit hooks run (tamtam writes its pending clicks): waitress-serve
        # exits normally on Ctrl-C (SIGINT), gunicorn on SIGTERM.
        process.send_signal(signal.SIGINT if server == "waitress" else signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log_file.close()


def static_app(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
    """A WSGI app that answers a fixed 302 at once: served by the same server, it shows what the server
    itself costs per request (parsing, threads, sockets), so the application's share can be told apart."""
    start_response(
        "302 Found",
        [("Location", "https://shop.example/"), ("Content-Length", "0"), ("Cache-Control", "no-store")],
    )
    return [b""]


def cycle(paths: Mapping[str, str]) -> Picker:
    """Each client asks the kinds in turn (client n starts at the n-th), so all are asked evenly."""
    order = list(paths.items())

    def pick(client: int, n: int) -> tuple[str, str]:
        return order[(client + n) % len(order)]

    return pick


def random_choice(kind: str, paths: list[str], seed: int = 0) -> Picker:
    """A path drawn at random (reproducibly per client) from `paths`, all filed under `kind`."""
    rngs: dict[int, random.Random] = {}

    def pick(client: int, n: int) -> tuple[str, str]:
        rng = rngs.setdefault(client, random.Random(seed * 100_003 + client))
        return kind, rng.choice(paths)

    return pick


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by the nearest rank of the sorted values; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class LoadResult:
    """Latencies (ms) of the expected answers per kind, and every error, over `seconds` of load."""

    seconds: float
    clients: int
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def values(self, kind: str | None = None) -> list[float]:
        if kind is not None:
            return self.latencies.get(kind, [])
        return [x for per in self.latencies.values() for x in per]

    def count(self, kind: str | None = None) -> int:
        return len(self.values(kind))

    def rps(self, kind: str | None = None) -> float:
        """Expected answers per second (errors are not throughput)."""
        return self.count(kind) / self.seconds if self.seconds else 0.0

    def pct(self, q: float, kind: str | None = None) -> float:
        return percentile(self.values(kind), q)

    def line(self, name: str, kind: str | None = None) -> str:
        """One printable line: requests/s, p50/p95/p99/max in ms, counts."""
        values = self.values(kind)
        errors = [e for e in self.errors if kind is None or e.startswith(kind + ":")]
        return (
            f"{name:<34} {self.rps(kind):8.0f} req/s   p50 {self.pct(0.50, kind):7.1f} ms"
            f"   p95 {self.pct(0.95, kind):7.1f} ms   p99 {self.pct(0.99, kind):7.1f} ms"
            f"   max {max(values or [float('nan')]):7.1f} ms   ({len(values)} answers, {len(errors)} errors)"
        )


def run_load(
    port: int,
    pick: Picker,
    *,
    clients: int = 8,
    seconds: float = 10.0,
    headers: Mapping[str, str] | None = None,
    client_headers: ClientHeaders | None = None,
    expect: int | Mapping[str, int] = 200,
    method: str = "GET",
    timeout: float = 30.0,
    host: str = "127.0.0.1",
    max_requests: int | None = None,
) -> LoadResult:
    """`clients` threads, each on its own keep-alive connection, asking pick()'s paths for `seconds`.

    `headers` go on every request, `client_headers(n)` adds client n's own; `expect` is the status a
    good answer has (one for all kinds, or per kind). After an error the client reconnects.
    `max_requests` stops each client after that many requests, even before `seconds` are over.
    """
    result = LoadResult(seconds=seconds, clients=clients)
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def expected(kind: str) -> int:
        return expect if isinstance(expect, int) else expect[kind]

    def client(n: int) -> None:
        own = {**(headers or {}), **(client_headers(n) if client_headers else {})}
        mine: dict[str, list[float]] = {}
        errors: list[str] = []
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        i = 0
        while time.perf_counter() < stop and (max_requests is None or i < max_requests):
            kind, path = pick(n, i)
            i += 1
            began = time.perf_counter()
            try:
                conn.request(method, path, headers=own)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{kind}: {type(exc).__name__}")
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
                continue
            elapsed = (time.perf_counter() - began) * 1000
            if response.status != expected(kind):
                errors.append(f"{kind}: {response.status}")
            else:
                mine.setdefault(kind, []).append(elapsed)
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.close()
        with lock:
            for kind, values in mine.items():
                result.latencies.setdefault(kind, []).extend(values)
            result.errors.extend(errors)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f}"
