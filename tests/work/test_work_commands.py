"""`tamtam run`: migrate, serve the UI on 127.0.0.1, keep N workers alive, stop cleanly. waitress here, so
that the run's only children are its publishing workers (granian's web processes: test_run_web_workers)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import urllib.request
from pathlib import Path

from tamtam.work import harness

RUN_WAITRESS = [harness.PYTHON, "-m", "tamtam.cli", "run", "--server", "waitress"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """Live child processes of `pid` (Linux /proc; no extra dependency)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own 127.0.0.1 server
        return response.status, response.read()


def test_run_serves_the_ui_keeps_workers_alive_and_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    base_url = os.environ.get("TAMTAM_DATABASE_URL", "")
    with harness.live_database(tmp_path, base_url, extra_env={"TAMTAM_WORK_POLL_MS": "100"}) as env:
        harness.drill(env, "seed", "--targets", "30", "--channels", "2", "--delay", "-1")
        # A file, not a pipe: the workers inherit it, and a pipe nobody reads would block them.
        output = tmp_path / "run.log"
        with output.open("wb") as out:
            # Its own session, so that a failing test can stop the whole group (server and workers).
            run = subprocess.Popen(
                [*RUN_WAITRESS, "--port", str(port), "--workers", "2"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:

            def healthy() -> bool:
                try:
                    return get(f"http://127.0.0.1:{port}/healthz")[0] == 200
                except OSError:
                    return False

            assert harness.wait_until(healthy, timeout=90, interval=0.3), "the server never answered"
            assert f"tamtam is running at http://127.0.0.1:{port}/" in output.read_text()
            assert harness.wait_until(lambda: len(children(run.pid)) == 2, timeout=30)
            # The workers publish what is due.
            assert harness.wait_until(
                lambda: harness.drill(env, "check")["states"] == {"published": 30}, timeout=60, interval=1
            )
            status = json.loads(get(f"http://127.0.0.1:{port}/readyz")[1])
            assert status["checks"]["workers"]["alive"] >= 1

            # A worker that dies is restarted.
            victim = children(run.pid)[0]
            os.kill(victim, signal.SIGKILL)
            assert harness.wait_until(
                lambda: len(children(run.pid)) == 2 and victim not in children(run.pid), timeout=30
            )
            workers = children(run.pid)

            run.send_signal(signal.SIGTERM)
            assert run.wait(60) == 0
            assert harness.wait_until(lambda: not any(alive(pid) for pid in workers), timeout=10)
            with socket.socket() as sock:
                assert sock.connect_ex(("127.0.0.1", port)) != 0, "the server still listens"
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()


def test_workers_of_a_killed_run_stop_on_their_own(tmp_path: Path) -> None:
    port = free_port()
    base_url = os.environ.get("TAMTAM_DATABASE_URL", "")
    with harness.live_database(tmp_path, base_url) as env:
        output = tmp_path / "run.log"
        with output.open("wb") as out:
            run = subprocess.Popen(
                [*RUN_WAITRESS, "--port", str(port), "--workers", "2"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        workers: list[int] = []
        try:
            assert harness.wait_until(lambda: len(children(run.pid)) == 2, timeout=60, interval=0.3)
            workers = children(run.pid)
            run.kill()  # no chance to stop its workers
            run.wait()
            assert harness.wait_until(
                lambda: not any(alive(pid) for pid in workers), timeout=30, interval=0.3
            )
        finally:
            for pid in workers:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
