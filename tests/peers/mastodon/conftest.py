"""The mastodon-mock emulator (PyPI, in its own venv: tests/peers/setup_python_peers.sh), started once
per test session on 127.0.0.1 at a free port, in memory, stopped at teardown. An emulator, not
Mastodon: tests using it are named `test_mastodon_emulator_*`."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVER = ROOT / ".venv-peers" / "mastodon" / "bin" / "mastodon_mock"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Emulator:
    base: str

    def account(self, username: str) -> str:
        """A new local account; its user access token (through the real signup API)."""
        app = httpx.post(
            f"{self.base}/api/v1/apps",
            data={
                "client_name": "tests",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": "read write",
            },
        ).json()
        app_token = httpx.post(
            f"{self.base}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
            },
        ).json()["access_token"]
        answer = httpx.post(
            f"{self.base}/api/v1/accounts",
            headers={"Authorization": f"Bearer {app_token}"},
            data={
                "username": username,
                "email": f"{username}@example.org",
                "password": "pw-123456",
                "agreement": "true",
            },
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def api(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=10.0)


@pytest.fixture(scope="session")
def mastodon_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    if not SERVER.exists():
        pytest.skip(
            "mastodon-mock is not installed: run tests/peers/setup_python_peers.sh (scripts/test.sh does)"
        )
    port = free_port()
    log = tmp_path_factory.mktemp("mastodon") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(SERVER),
                "serve",
                "--in-memory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path_factory.mktemp("mastodon-cwd"),
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"mastodon-mock exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/api/v1/instance", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mastodon-mock did not start in 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield Emulator(base)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
