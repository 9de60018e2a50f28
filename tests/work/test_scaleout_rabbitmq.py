"""The scale-out mode on RabbitMQ (TAMTAM_BROKER_URL=amqp://…), against the real server: /readyz's
broker check logs in, beat sends (kind, row ids) to the queue of each family, and `tamtam worker` +
`tamtam beat` publish every post and first comment exactly once, with /readyz and /metrics reading
the same figures as on Redis.

Each run gets a virtual host of its own (made with rabbitmqctl, deleted afterwards), so parallel runs
never share a queue. Skipped when nothing listens on the AMQP port (TAMTAM_TEST_AMQP_URL, default
amqp://guest:guest@127.0.0.1:5672//); CI has RabbitMQ.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.utils import timezone
from kombu import Connection, Exchange, Queue

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.ops import readiness
from tamtam.work import beat, broker, drill, harness

BASE_URL = os.environ.get("TAMTAM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), 2).close()
    except OSError:
        return False
    return True


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def amqp_url() -> Iterator[str]:
    """A fresh virtual host on the machine's RabbitMQ, the URL of the suite's user on it."""
    if not _listening(BASE_URL):
        pytest.skip(
            f"nothing listens at {urlsplit(BASE_URL).netloc.rpartition('@')[2]}: the RabbitMQ tests need "
            "rabbitmq-server (apt-get install rabbitmq-server; rabbitmq-server -detached), or set "
            "TAMTAM_TEST_AMQP_URL"
        )
    if not shutil.which("rabbitmqctl"):
        pytest.skip("rabbitmqctl is missing: it makes the test's own virtual host")
    user = urlsplit(BASE_URL).username or "guest"
    vhost = f"tamtam-test-{os.getpid()}-{secrets.token_hex(3)}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield urlunsplit(urlsplit(BASE_URL)._replace(path="/" + quote(vhost, safe="")))
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def only_kinds(sender: beat.Beat, *names: str) -> beat.Beat:
    sender.kinds = [k for k in sender.kinds if k.name in names]
    return sender


def drain(url: str, queue: str) -> list[tuple[str, list[int]]]:
    """Take every message waiting in `queue`: (kind, ids), from Celery's AMQP envelope."""
    out = []
    with Connection(url) as conn:
        bound = Queue(queue, Exchange("celery", "direct"), routing_key=queue)(conn.default_channel)
        bound.declare()  # as Celery does when it first sends to it (a queue never sent to is empty)
        while (message := bound.get(no_ack=True)) is not None:
            assert message.headers["task"] == broker.TASK_NAME
            args, kwargs, _embed = message.decode()
            assert kwargs == {}
            out.append((args[0], args[1]))
    return out


def test_readiness_logs_in_and_names_wrong_credentials_or_vhost(amqp_url: str) -> None:
    check = readiness.check_broker(amqp_url, timeout=5)
    assert check.ok, check.reason
    assert check.details["scheme"] == "amqp"

    parts = urlsplit(amqp_url)
    wrong = urlunsplit(parts._replace(netloc=f"guest:not-the-password-42@{parts.hostname}:{parts.port}"))
    refused = readiness.check_broker(wrong, timeout=5)
    assert not refused.ok
    assert "not-the-password-42" not in refused.reason

    missing = urlunsplit(parts._replace(path="/tamtam-no-such-vhost"))
    assert not readiness.check_broker(missing, timeout=5).ok


@pytest.mark.django_db
def test_beat_sends_due_ids_to_the_queue_of_their_kind_once_until_lost(
    amqp_url: str, make_channel: Callable[..., Channel], make_workspace: Callable[..., Workspace]
) -> None:
    from tamtam.listening.models import Source

    ids = drill.create_targets([make_channel()], [timezone.now() - timedelta(seconds=1)] * 25)
    drill.create_targets([make_channel()], [timezone.now() + timedelta(hours=1)])  # not due yet
    workspace = make_workspace()
    for i in range(3):
        Source.objects.create(workspace=workspace, kind="sandbox", name=f"s{i}", due_at=timezone.now())
    sender = only_kinds(beat.Beat(sender=broker.make_app(amqp_url)), "publish", "listening_source")

    assert sender.tick() == 28
    messages = drain(amqp_url, "publish")
    assert {kind for kind, _ in messages} == {"publish"}
    assert sorted(i for _, chunk in messages for i in chunk) == sorted(ids)
    assert max(len(chunk) for _, chunk in messages) <= broker.batch_size("publish")
    # Listening sources: their own queue, one per message (spread over the listening workers).
    assert [len(chunk) for kind, chunk in drain(amqp_url, "listening")] == [1, 1, 1]
    assert drain(amqp_url, "inbox") == []

    assert sender.tick() == 0  # sent a moment ago: not again
    sender.sent = {key: when - sender.resend - 1 for key, when in sender.sent.items()}
    assert sender.tick() == 28  # still due long after: the message was lost, send it again
    assert len(drain(amqp_url, "publish")) == len(messages)
    drain(amqp_url, "listening")


@pytest.mark.slow
def test_workers_and_beat_on_rabbitmq_publish_every_post_and_first_comment_once(
    amqp_url: str, tmp_path: Path
) -> None:
    targets = 60
    extra = {"TAMTAM_BROKER_URL": amqp_url, "TAMTAM_LOG_LEVEL": "INFO", "TAMTAM_WORK_BEAT_INTERVAL_MS": "200"}
    base = os.environ.get("TAMTAM_DATABASE_URL", "")
    with harness.live_database(tmp_path / "live", base, extra_env=extra) as env:
        logs = tmp_path / "logs"
        logs.mkdir()
        # One worker for the publish family only, one for everything: both are woken by beat.
        procs = [
            _spawn(env, logs / "worker-publish.log", "worker", "--name", "wp", "--queues", "publish"),
            _spawn(env, logs / "worker-all.log", "worker", "--name", "wa", "--concurrency", "4"),
            _spawn(env, logs / "beat.log", "beat"),
        ]
        try:
            harness.drill(
                env,
                "seed",
                "--targets",
                str(targets),
                "--channels",
                "3",
                "--options",
                json.dumps({"latency_ms": 10}),
                "--delay",
                "1",
                "--spread",
                "5",
                "--first-comment",
                "First comment 👇",
                "--first-comment-every",
                "3",
            )
            report: dict[str, object] = {}

            def settled() -> bool:
                report.update(harness.drill(env, "check"))
                return report["awaiting_engine"] == 0

            assert harness.wait_until(settled, timeout=180, interval=1.0), report.get("awaiting_examples")
            ready, body = harness.python_json(
                env,
                "from tamtam.ops import readiness, metrics\n"
                "ready, body = readiness.report()\n"
                "print(json.dumps([ready, {**body, 'metrics': metrics.exposition().decode()}]))\n",
            )
        finally:
            for proc in procs:
                harness.stop(proc)
    worked = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in logs.iterdir()}
    assert report["states"] == {"published": targets}, report["states"]
    assert report["duplicates"] == 0, report["duplicate_keys"]
    assert report["losses"] == 0, report["loss_examples"]
    assert report["first_comments"] == {"wanted": targets // 3, "posted": targets // 3, "duplicates": 0}
    # Both workers came up on their queues (one on `publish` only) and logged nothing secret.
    assert all("started (scale-out)" in text for name, text in worked.items() if name.startswith("worker"))
    assert ready, body["failing"]
    assert body["checks"]["broker"] == {"ok": True, "configured": True, "scheme": "amqp"}
    assert body["checks"]["workers"]["alive"] >= 3  # two workers and beat
    # /metrics reads depth and lag from the rows, whichever broker carries the ids: nothing waits.
    assert re.search(r'^tamtam_queue_depth\{kind="publish"\} 0\.0$', body["metrics"], re.M)
    assert re.search(r'^tamtam_queue_lag_seconds\{kind="publish"\} 0\.0$', body["metrics"], re.M)
    assert "guest:guest" not in "".join(worked.values())


def _spawn(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [harness.PYTHON, "-m", "tamtam.cli", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
