"""`tamtam run` with its default server, granian, and two web processes: both answer, each one's
pending clicks are written when the run stops, SIGTERM stops them all, and a web process that dies is
forked again."""

from __future__ import annotations

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
ShortLink.objects.create(workspace=ws, code="ww1", destination="https://shop.example/p?x=1",
                         original_url="https://shop.example/p")
print(json.dumps(ws.pk))
"""

COUNT_CLICKS = "from tamtam.analytics.models import Click\nprint(json.dumps(Click.objects.count()))"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """Live child processes of `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def server_side_owner(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """The process holding the server end of the connection 127.0.0.1:client_port → server_port: the
    inode of that socket in /proc/net/tcp, then the process whose fds include it. No response header
    says which web process answered, and none is needed for that."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            inode = fields[9]
    if inode is None:
        return None
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
        except OSError:
            continue
    return None


def click(conn: http.client.HTTPConnection, n: int) -> None:
    conn.request(
        "GET",
        "/l/ww1",
        headers={"User-Agent": "Mozilla/5.0", "X-Forwarded-For": f"10.8.{n // 250}.{n % 250}"},
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 302


def status(port: int, path: str) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None


def test_two_web_processes_answer_and_each_writes_its_clicks_at_stop(tmp_path: Path) -> None:
    port = free_port()
    extra = {
        "TAMTAM_CLICK_FLUSH_MS": "600000",
        "TAMTAM_WEB_SERVER": "",
    }  # clicks reach the DB at the stop only
    with harness.live_database(tmp_path, os.environ.get("TAMTAM_DATABASE_URL", ""), extra_env=extra) as env:
        harness.python_json(env, SEED)
        output = tmp_path / "run.log"
        with output.open("wb") as out:
            run = subprocess.Popen(
                [
                    harness.PYTHON,
                    "-m",
                    "tamtam.cli",
                    "run",
                    "--port",
                    str(port),
                    "--workers",
                    "0",
                    "--web-workers",
                    "2",
                    "--threads",
                    "2",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        web: list[int] = []
        try:
            assert harness.wait_until(lambda: status(port, "/healthz") == 200, timeout=90, interval=0.3), (
                output.read_text()[-2000:]
            )
            assert "2 granian web process(es)" in output.read_text()
            assert harness.wait_until(lambda: len(children(run.pid)) == 2, timeout=30)
            web = children(run.pid)

            # New connections until each web process has answered at least one click.
            answered: dict[int, int] = {}
            sent = 0
            while len(answered) < 2 and sent < 400:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                click(conn, sent)
                sent += 1
                owner = server_side_owner(port, conn.sock.getsockname()[1], web)
                if owner is not None:
                    answered[owner] = answered.get(owner, 0) + 1
                conn.close()
            assert set(answered) == set(web), (answered, web)
            assert harness.python_json(env, COUNT_CLICKS) == 0  # still in the web processes' buffers

            run.send_signal(signal.SIGTERM)
            assert run.wait(60) == 0, output.read_text()[-2000:]
            assert not any(alive(pid) for pid in web)
            assert status(port, "/healthz") is None
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
        assert harness.python_json(env, COUNT_CLICKS) == sent


def test_a_web_process_that_dies_is_forked_again(tmp_path: Path) -> None:
    port = free_port()
    with harness.live_database(tmp_path, os.environ.get("TAMTAM_DATABASE_URL", "")) as env:
        output = tmp_path / "run.log"
        with output.open("wb") as out:
            run = subprocess.Popen(
                [
                    harness.PYTHON,
                    "-m",
                    "tamtam.cli",
                    "run",
                    "--server",
                    "granian",
                    "--port",
                    str(port),
                    "--workers",
                    "0",
                    "--web-workers",
                    "2",
                    "--threads",
                    "2",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            assert harness.wait_until(lambda: status(port, "/healthz") == 200, timeout=90, interval=0.3)
            assert harness.wait_until(lambda: len(children(run.pid)) == 2, timeout=30)
            victim = children(run.pid)[0]
            os.kill(victim, signal.SIGKILL)
            assert harness.wait_until(
                lambda: len(children(run.pid)) == 2 and victim not in children(run.pid),
                timeout=30,
                interval=0.3,
            ), output.read_text()[-2000:]
            assert status(port, "/healthz") == 200
            web = children(run.pid)
            run.send_signal(signal.SIGTERM)
            assert run.wait(60) == 0, output.read_text()[-2000:]
            assert not any(alive(pid) for pid in web)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
