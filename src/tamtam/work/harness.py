"""Real processes on a real, throwaway database: for the fault-injection test, the command tests and
the burst benchmark.

A test's own database lives inside its transaction (or in memory, for SQLite) where other processes
cannot see it. `live_database` makes one they can share — a SQLite file in WAL mode, or a fresh
PostgreSQL database on the server the suite uses — migrates it with the real `tamtam migrate`, and
drops it afterwards. Everything runs as subprocesses of `python -m tamtam.cli`, as in production.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PYTHON = sys.executable


def _pg_admin(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    )


@contextmanager
def live_database(
    tmp: Path, base_url: str = "", *, extra_env: dict[str, str] | None = None
) -> Iterator[dict[str, str]]:
    """Environment variables pointing at a fresh migrated database (PostgreSQL when `base_url` is a
    postgres:// URL, else a SQLite file in `tmp`) and a sandbox network file in `tmp`."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAMTAM_") or k == "TAMTAM_LOG_LEVEL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tamtam.settings",
            "TAMTAM_DATA_DIR": str(tmp / "data"),
            "TAMTAM_SANDBOX_DB": str(tmp / "sandbox.sqlite3"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra_env or {})
    pg_name = ""
    if base_url.startswith(("postgres://", "postgresql://")):
        pg_name = f"tamtam_live_{os.getpid()}_{secrets.token_hex(3)}"
        with _pg_admin(base_url) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        env["TAMTAM_DATABASE_URL"] = urlunsplit(urlsplit(base_url)._replace(path=f"/{pg_name}"))
    else:
        env["TAMTAM_DATABASE_URL"] = f"sqlite:///{tmp / 'live.sqlite3'}"
    try:
        manage(env, "migrate", "--no-input", "--skip-checks", "-v", "0")
        yield env
    finally:
        if pg_name:
            with _pg_admin(base_url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run `tamtam <args>` in `env`; its stdout. Raises with its stderr when it fails."""
    done = subprocess.run(
        [PYTHON, "-m", "tamtam.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"tamtam {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def python_json(env: dict[str, str], code: str, *, timeout: float = 300) -> Any:
    """Run `code` after django.setup() in `env`; it must print one JSON document as its last line."""
    prelude = "import django, json, sys\ndjango.setup()\n"
    done = subprocess.run(
        [PYTHON, "-c", prelude + code], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"script failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def drill(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [PYTHON, "-m", "tamtam.work.drill", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"drill {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_worker(
    env: dict[str, str],
    name: str,
    *,
    concurrency: int | None = None,
    log: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    cmd = [PYTHON, "-m", "tamtam.cli", "worker", "--name", name]
    if concurrency:
        cmd += ["--concurrency", str(concurrency)]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - handed to the child, closed below
    try:
        return subprocess.Popen(cmd, env={**env, **(extra_env or {})}, stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log:
            out.close()  # type: ignore[union-attr]


def stop(proc: subprocess.Popen[bytes], *, grace: float = 30.0) -> int:
    """SIGTERM (finish in-flight calls), then SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def wait_until(predicate: Any, *, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
