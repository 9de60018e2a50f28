"""`tamtam run`: the embedded mode in one process group — migrate, serve the UI with granian (or
waitress, `--server waitress`), and keep N worker subprocesses alive (DESIGN §2.6). Ctrl-C or SIGTERM
stops everything.

granian (a Rust HTTP server, its Python threads calling the WSGI app) is the default: it serves the
app from one web process per core (`--web-workers`), forked from this one, so that page rendering is
not held to one core by the GIL (docs/benchmarks.md, "Community inbox"), and it answers the short-link
redirect for half the CPU waitress spends on it ("Short-link redirect"). SQLite in WAL mode takes
several processes (the publishing workers already are). waitress serves from this process alone."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.wsgi import get_wsgi_application

from tamtam.accounts.models import Workspace

RESTART_MIN_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
STABLE_AFTER = 30.0  # a worker up this long is healthy: its next crash restarts it at once
STOP_GRACE = 20.0  # how long a stopping worker may take to finish its in-flight calls


class WorkerSupervisor:
    """Keeps `count` `tamtam worker` subprocesses running; restarts one that dies (with backoff)."""

    def __init__(self, count: int, *, concurrency: int | None = None, out: Any = None) -> None:
        self.count = count
        self.concurrency = concurrency
        self.out = out or sys.stdout
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * count
        self.started_at = [0.0] * count
        self.delay = [RESTART_MIN_DELAY] * count
        self.restart_at = [0.0] * count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="tamtam-supervisor", daemon=True)

    def command(self, index: int) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "tamtam.cli",
            "worker",
            "--name",
            f"embedded-{index + 1}",
            "--parent-pid",
            str(os.getpid()),
        ]
        if self.concurrency:
            cmd += ["--concurrency", str(self.concurrency)]
        return cmd

    def _spawn(self, index: int) -> None:
        # Same process group as `tamtam run`: a terminal's Ctrl-C reaches every worker too.
        self.procs[index] = subprocess.Popen(self.command(index), env=os.environ.copy())
        self.started_at[index] = time.monotonic()

    def start(self) -> None:
        for index in range(self.count):
            self._spawn(index)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for index, proc in enumerate(self.procs):
                if proc is None or proc.poll() is None:
                    continue
                now = time.monotonic()
                if not self.restart_at[index]:
                    stable = now - self.started_at[index] >= STABLE_AFTER
                    self.delay[index] = (
                        RESTART_MIN_DELAY if stable else min(RESTART_MAX_DELAY, self.delay[index] * 2)
                    )
                    self.restart_at[index] = now + (0 if stable else self.delay[index])
                    self.out.write(f"worker {index + 1} exited with code {proc.returncode}; restarting\n")
                    self.out.flush()
                if now >= self.restart_at[index] and not self._stop.is_set():
                    self.restart_at[index] = 0.0
                    self._spawn(index)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        live = [p for p in self.procs if p is not None and p.poll() is None]
        for proc in live:
            proc.send_signal(signal.SIGTERM)  # finish in-flight calls, give back the rest
        deadline = time.monotonic() + STOP_GRACE
        for proc in live:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()  # its `sending` rows will be swept to unconfirmed and reconciled
                proc.wait()


def default_web_workers() -> int:
    """One web process per core this process may run on (its CPU affinity, as a container sets it)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        count = counter()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return max(1, count or 1)


def _env_web_workers() -> int:
    raw = os.environ.get("TAMTAM_WEB_WORKERS", "").strip()
    if not raw:
        return default_web_workers()
    try:
        value = int(raw)
    except ValueError:
        raise CommandError(f"TAMTAM_WEB_WORKERS must be a whole number, not {raw!r}") from None
    if value < 1:
        raise CommandError("TAMTAM_WEB_WORKERS must be at least 1")
    return value


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


class _Granian:
    """granian behind the same run()/close() as waitress's server. Its main process is this one: it
    forks the `workers` processes that serve tamtam.wsgi, and stops them on SIGINT/SIGTERM before
    run() returns (each writes its pending clicks as it exits)."""

    def __init__(self, host: str, port: int, threads: int, workers: int) -> None:
        from granian.constants import Interfaces
        from granian.log import LogLevels
        from granian.server import Server

        self.server = Server(
            f"{__name__}:granian_worker_app",
            factory=True,
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=threads,
            # A web process that dies (a crash, the OOM killer) is forked again, as the supervisor
            # does for the publishing workers; without it granian would stop serving altogether.
            respawn_failed_workers=True,
            # A web process still starting when the stop comes may miss its SIGTERM (its handlers are
            # not set yet): after this long granian kills it instead of waiting for ever. One that
            # was serving stops well within it, writing its pending clicks.
            workers_kill_timeout=int(STOP_GRACE),
            websockets=False,
            log_level=LogLevels.warning,
        )

    def run(self) -> None:
        from django.db import connections

        connections.close_all()  # the forked worker must not share this process's database connections
        self.server.serve()

    def close(self) -> None:
        """Nothing left to do: serve() returns once its worker has stopped."""


def granian_worker_app() -> Any:
    """The app of granian's worker (called in the worker, after the fork): tamtam.wsgi's, plus a thread
    that stops the worker when `tamtam run` is gone (SIGKILL gives it no chance to): a SIGTERM to
    itself, which granian takes as a graceful stop (pending clicks written), instead of an orphan
    that keeps serving on the port."""
    from tamtam.wsgi import application

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="tamtam-parent-watch", daemon=True).start()
    return application


def _web_server(options: dict[str, Any]) -> Any:
    host, port, threads = options["host"], options["port"], options["threads"]
    if options["server"] == "granian":
        # granian binds when run() starts; a port in use is found here first, with a clear message.
        try:
            with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((host, port))
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        return _Granian(host, port, threads, options["web_workers"])
    from waitress.server import create_server

    from tamtam.analytics.fastpath import ShortLinkFastPath  # short links before the middleware

    try:
        return create_server(ShortLinkFastPath(get_wsgi_application()), host=host, port=port, threads=threads)
    except OSError as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


class Command(BaseCommand):
    help = "Run tamtam (embedded mode): the web UI and the publishing workers, until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=None, help="worker processes (default: TAMTAM_EMBEDDED_WORKERS)"
        )
        parser.add_argument("--threads", type=int, default=8, help="web server threads (per web process)")
        parser.add_argument(
            "--server",
            choices=["granian", "waitress"],
            default=os.environ.get("TAMTAM_WEB_SERVER") or "granian",
            help="web server (default: TAMTAM_WEB_SERVER, else granian); waitress serves from one process",
        )
        parser.add_argument(
            "--web-workers",
            type=int,
            default=None,
            help="granian web processes (default: TAMTAM_WEB_WORKERS, else one per CPU core)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        if options["web_workers"] is None:
            options["web_workers"] = _env_web_workers()
        elif options["web_workers"] < 1:
            raise CommandError("--web-workers must be at least 1")
        call_command("migrate", interactive=False, verbosity=0)
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from finders
        if "seed_demo" in get_commands() and not Workspace.objects.exists():
            self.stdout.write("First start: creating the demo workspace…")
            call_command("seed_demo")
        count = options["workers"] if options["workers"] is not None else settings.EMBEDDED_WORKERS
        server = _web_server(options)
        supervisor = WorkerSupervisor(max(0, count))
        signal.signal(signal.SIGTERM, _raise_exit)
        supervisor.start()
        beat: subprocess.Popen[bytes] | None = None
        if settings.BROKER_URL and count > 0:
            # Scale-out settings on one machine: the workers are Celery workers, woken by one beat.
            beat = subprocess.Popen([sys.executable, "-m", "tamtam.cli", "beat"], env=os.environ.copy())
        host = options["host"]
        shown = f"[{host}]" if ":" in host else host
        web = (
            f"{options['web_workers']} granian web process(es)"
            if options["server"] == "granian"
            else "waitress (one web process)"
        )
        self.stdout.write(
            f"tamtam is running at http://{shown}:{options['port']}/ with {web} and {count} worker(s). "
            "Press Ctrl-C to stop."
        )
        self.stdout.flush()
        try:
            server.run()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.stdout.write("Stopping: finishing in-flight publishes…")
            server.close()
            supervisor.stop()
            if beat is not None:
                beat.terminate()
                beat.wait(STOP_GRACE)
            self.stdout.write("Stopped.")
