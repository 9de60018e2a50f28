"""A real Synapse homeserver (matrix-synapse from PyPI, in its own venv: tests/peers/setup_python_peers.sh)
started once per test session: config generated in a temp dir, SQLite, bound to 127.0.0.1 on a free
port, rate limits raised for tests, users registered with `register_new_matrix_user`, stopped at
teardown."""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
VENV = ROOT / ".venv-peers" / "synapse" / "bin"
SERVER_NAME = "tamtam.test"
PASSWORD = secrets.token_urlsafe(12)  # test users' password, new each session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(folder: Path, port: int, shared_secret: str) -> str:
    # Every rate limit raised: the tests send bursts no person would.
    return f"""
server_name: "{SERVER_NAME}"
pid_file: "{folder}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{folder}/homeserver.db"
log_config: "{folder}/log.yaml"
media_store_path: "{folder}/media"
signing_key_path: "{folder}/signing.key"
registration_shared_secret: "{shared_secret}"
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
enable_registration: false
federation_domain_whitelist: []
max_upload_size: 10M
url_preview_enabled: false
presence:
  enabled: false
rc_message:
  per_second: 10000
  burst_count: 10000
rc_registration:
  per_second: 10000
  burst_count: 10000
rc_login:
  address:
    per_second: 10000
    burst_count: 10000
  account:
    per_second: 10000
    burst_count: 10000
  failed_attempts:
    per_second: 10000
    burst_count: 10000
rc_joins:
  local:
    per_second: 10000
    burst_count: 10000
rc_invites:
  per_room:
    per_second: 10000
    burst_count: 10000
  per_user:
    per_second: 10000
    burst_count: 10000
rc_admin_redaction:
  per_second: 10000
  burst_count: 10000
"""


LOG_CONFIG = """
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(levelname)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {folder}/homeserver.log
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


@dataclass
class Synapse:
    base: str
    config_path: Path
    password: str = PASSWORD

    def register(self, username: str, password: str = PASSWORD) -> str:
        """A new user (through Synapse's own tool); its full user id."""
        subprocess.run(
            [
                str(VENV / "register_new_matrix_user"),
                "-c",
                str(self.config_path),
                "-u",
                username,
                "-p",
                password,
                "--no-admin",
                self.base,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return f"@{username}:{SERVER_NAME}"

    def login(self, username: str, password: str = PASSWORD) -> str:
        answer = httpx.post(
            f"{self.base}/_matrix/client/v3/login",
            json={
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": username},
                "password": password,
            },
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def api(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=30.0)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    python = VENV / "python"
    if not python.exists():
        pytest.skip("Synapse is not installed: run tests/peers/setup_python_peers.sh (scripts/test.sh does)")
    folder = tmp_path_factory.mktemp("synapse")
    port = free_port()
    path = folder / "homeserver.yaml"
    path.write_text(config(folder, port, secrets.token_hex(16)), encoding="utf-8")
    (folder / "log.yaml").write_text(LOG_CONFIG.format(folder=folder), encoding="utf-8")
    subprocess.run(
        [str(python), "-m", "synapse.app.homeserver", "-c", str(path), "--generate-keys"],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=folder,
    )
    out = (folder / "stdout.log").open("w")
    process = subprocess.Popen(
        [str(python), "-m", "synapse.app.homeserver", "-c", str(path)],
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail("Synapse exited: " + (folder / "stdout.log").read_text()[-3000:])
            try:
                if httpx.get(f"{base}/_matrix/client/versions", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("Synapse did not start in 120 s: " + (folder / "stdout.log").read_text()[-3000:])
            time.sleep(0.3)
        yield Synapse(base, path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        out.close()
