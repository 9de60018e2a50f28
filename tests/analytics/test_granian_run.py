"""`tamtam run --server granian`: the short link answered by granian's worker, and every click it
answered stored when the run stops (the worker is forked by multiprocessing, which skips atexit)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
from pathlib import Path

from tamtam.work import harness

SEED = """
from tamtam.accounts.models import Agency, Workspace
from tamtam.analytics.models import ShortLink
agency = Agency.objects.create(name="A", slug="a")
ws = Workspace.objects.create(agency=agency, name="W", slug="w")
ShortLink.objects.create(workspace=ws, code="gr1", destination="https://shop.example/p?x=1",
                         original_url="https://shop.example/p")
print(json.dumps(ws.pk))
"""


RUN = [harness.PYTHON, "-m", "tamtam.cli", "run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_granian_serves_the_redirect_and_writes_pending_clicks_at_stop(tmp_path: Path) -> None:
    port = free_port()
    # A flush interval far beyond the test: the clicks can only reach the database at the stop.
    extra = {"TAMTAM_CLICK_FLUSH_MS": "600000"}
    with harness.live_database(tmp_path, os.environ.get("TAMTAM_DATABASE_URL", ""), extra_env=extra) as env:
        harness.python_json(env, SEED)
        output = tmp_path / "run.log"
        run = _start(env, port, output)
        try:
            assert harness.wait_until(lambda: _status(port, "/healthz") == 200, timeout=90, interval=0.3), (
                output.read_text()[-2000:]
            )
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for n in range(5):
                conn.request(
                    "GET", "/l/gr1", headers={"User-Agent": "Mozilla/5.0", "X-Forwarded-For": f"10.9.0.{n}"}
                )
                response = conn.getresponse()
                response.read()
                assert response.status == 302
                assert response.getheader("Location") == "https://shop.example/p?x=1"
                assert (response.getheader("Set-Cookie") or "").startswith("ttc=")
            conn.request("GET", "/l/unknown-code")
            missing = conn.getresponse()
            missing.read()
            assert missing.status == 404  # an unknown code goes through Django
            conn.close()
            stored_before = harness.python_json(
                env, "from tamtam.analytics.models import Click\nprint(json.dumps(Click.objects.count()))"
            )
            assert stored_before == 0  # still in the worker's buffer
            run.send_signal(signal.SIGTERM)
            assert run.wait(60) == 0, output.read_text()[-2000:]
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
        stored = harness.python_json(
            env, "from tamtam.analytics.models import Click\nprint(json.dumps(Click.objects.count()))"
        )
        assert stored == 5


def test_granian_worker_stops_when_run_is_killed(tmp_path: Path) -> None:
    port = free_port()
    with harness.live_database(tmp_path, os.environ.get("TAMTAM_DATABASE_URL", "")) as env:
        harness.python_json(env, SEED)
        run = _start(env, port, tmp_path / "run.log")
        try:
            assert harness.wait_until(lambda: _status(port, "/healthz") == 200, timeout=90, interval=0.3)
            run.kill()  # no chance to stop its web worker
            run.wait()
            # The worker notices within a second or two, stops, and the port is free again.
            assert harness.wait_until(lambda: _status(port, "/healthz") is None, timeout=30, interval=0.3)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(run.pid, signal.SIGKILL)  # anything left of the group


def _start(env: dict[str, str], port: int, output: Path) -> subprocess.Popen[bytes]:
    """`tamtam run` with granian and no publishing workers, in its own process group."""
    with output.open("wb") as out:
        return subprocess.Popen(
            [*RUN, "--port", str(port), "--workers", "0", "--server", "granian", "--threads", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _status(port: int, path: str) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
