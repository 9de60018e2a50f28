"""/healthz (alive) and /readyz (database, broker, worker heartbeats, queue lag), each failing check
named with its reason and HTTP 503."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from tamtam.ops import queues, readiness
from tamtam.work import registry

pytestmark = pytest.mark.django_db


def test_healthz_says_alive_without_asking_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_ready_with_a_fresh_worker_and_nothing_late(client, heartbeat, due_target):
    heartbeat(age_seconds=2)
    due_target(late_seconds=5)  # due, a little: a worker will take it
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["ready"] is True
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "broker", "workers", "queues"}
    assert body["checks"]["workers"]["alive"] == 1
    assert body["checks"]["queues"]["kinds"]["publish"]["depth"] == 1
    assert body["checks"]["broker"] == {"ok": True, "configured": False}


def test_a_stale_heartbeat_is_a_failing_check_naming_the_worker(client, heartbeat):
    heartbeat(age_seconds=1)
    heartbeat(age_seconds=95, name="box:4242:dead01")  # killed, or paused past its lease
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["workers"]
    workers = body["checks"]["workers"]
    assert workers["ok"] is False
    assert "box:4242:dead01" in workers["reason"]
    assert list(workers["stale"]) == ["box:4242:dead01"]
    assert 95 <= workers["stale"]["box:4242:dead01"] < 215


def test_a_heartbeat_stale_for_long_is_forgotten(client, heartbeat):
    heartbeat(age_seconds=1)
    heartbeat(age_seconds=readiness.HEARTBEAT_FORGET_SECONDS + 60)  # replaced long ago
    assert client.get("/readyz").status_code == 200


def test_no_worker_at_all_is_not_ready_unless_workers_are_not_required(client, settings):
    body = client.get("/readyz").json()
    assert body["failing"] == ["workers"]
    assert "no worker heartbeat" in body["checks"]["workers"]["reason"]
    settings.READY_REQUIRE_WORKERS = False
    assert client.get("/readyz").status_code == 200


def test_a_lagging_queue_fails_with_its_kind_depth_and_lag(client, heartbeat, due_target, settings):
    heartbeat()
    settings.READY_MAX_LAG_BY_KIND = ["publish=60"]
    due_target(late_seconds=600)
    due_target(late_seconds=30)
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["queues"]
    publish = body["checks"]["queues"]["kinds"]["publish"]
    assert publish["ok"] is False
    assert publish["depth"] == 2
    assert 600 <= publish["lag_seconds"] < 720
    assert publish["max_lag_seconds"] == 60
    assert "publish (2 due" in body["checks"]["queues"]["reason"]
    # Only the kind over its limit fails: the others stay ok.
    assert body["checks"]["queues"]["kinds"]["report_send"]["ok"] is True


def test_the_default_lag_limit_applies_to_every_kind(heartbeat, due_target, settings):
    heartbeat()
    settings.READY_MAX_LAG_SECONDS = 100
    due_target(late_seconds=50)
    assert readiness.check_queues(readiness.timezone.now()).ok
    due_target(late_seconds=150)
    assert not readiness.check_queues(readiness.timezone.now()).ok


def test_a_bad_per_kind_limit_is_a_clear_error(settings):
    settings.READY_MAX_LAG_BY_KIND = ["publsh=60"]
    with pytest.raises(ImproperlyConfigured, match=r"'publsh=60'.*kind among"):
        readiness.lag_limits()
    settings.READY_MAX_LAG_BY_KIND = ["publish=soon"]
    with pytest.raises(ImproperlyConfigured, match="'soon' is not a number"):
        readiness.lag_limits()


def test_every_registered_kind_of_work_has_queue_figures():
    assert {kind.name for kind in registry.kinds()} == queues.known_kinds()


def test_queue_figures_follow_what_a_claim_takes(due_target, make_channel):
    from tamtam.publishing.engine.claims import claim_due

    now = readiness.timezone.now()
    target = due_target(late_seconds=10)
    assert queues.figures("publish", now).depth == 1
    assert claim_due(now, 10, "w") == [target.pk]
    # Claimed: no longer waiting.
    assert queues.figures("publish", now).depth == 0


def test_the_redis_broker_answers(settings):
    settings.BROKER_URL = "redis://127.0.0.1:6379/15"
    check = readiness.check_broker()
    assert check.ok, check.reason
    assert check.details["scheme"] == "redis"


def test_a_broker_that_does_not_answer_fails_readiness(client, heartbeat, settings):
    heartbeat()
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.BROKER_URL = f"redis://:hunter2-broker@127.0.0.1:{port}/0"
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["broker"]
    assert "ConnectionError" in body["checks"]["broker"]["reason"]
    assert "hunter2-broker" not in response.content.decode()


def test_an_amqp_port_that_never_answers_the_login_fails_within_the_timeout():
    # A socket that accepts and stays silent (a paused broker): the check must not hang on it.
    # The real RabbitMQ (login, wrong password, missing vhost) is in tests/work/test_scaleout_rabbitmq.py.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        began = time.monotonic()
        check = readiness.check_broker(f"amqp://guest:amqp-secret@127.0.0.1:{port}//", timeout=1)
        took = time.monotonic() - began
    assert not check.ok
    assert check.details["scheme"] == "amqp"
    assert took < 10
    assert "amqp-secret" not in check.reason


def test_an_unknown_broker_scheme_is_named():
    check = readiness.check_broker("kafka://127.0.0.1:9092", timeout=1)
    assert not check.ok
    assert "kafka" in check.reason


def test_a_database_that_does_not_answer_is_reported_and_the_rest_not_checked(tmp_path):
    # A real tamtam process whose PostgreSQL is a port nobody listens on.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TAMTAM_")}
    environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "tamtam.settings",
            "TAMTAM_DATA_DIR": str(tmp_path),
            "TAMTAM_DATABASE_URL": f"postgres://postgres:pg-secret-pw@127.0.0.1:{port}/nowhere",
        }
    )
    code = (
        "import django, json; django.setup(); from tamtam.ops import readiness; "
        "print(json.dumps(readiness.report()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    ready, body = json.loads(done.stdout)
    assert ready is False
    assert body["failing"] == ["database", "workers", "queues"]
    assert "OperationalError" in body["checks"]["database"]["reason"]
    assert body["checks"]["workers"]["reason"] == "not checked: the database does not answer"
    assert "pg-secret-pw" not in done.stdout
