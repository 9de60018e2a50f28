"""The Celery bridge against a real Redis: messages carry (kind, row ids) only, one queue per family,
a duplicate delivery claims nothing, beat sends an id once until it is lost, and again after."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.utils import timezone

from tamtam.channels.models import Channel
from tamtam.publishing import engine
from tamtam.publishing.models import PostTarget
from tamtam.work import beat, broker, drill, registry
from tamtam.work.claim import only

# A db number of our own on the suite's Redis (other tests use theirs).
REDIS_DB = 12


def _redis_url() -> str:
    base = os.environ.get("TAMTAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    return urlunsplit(urlsplit(base)._replace(path=f"/{REDIS_DB}"))


@pytest.fixture
def broker_url(settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    url = _redis_url()
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis must answer at {url} (make test starts it; or set TAMTAM_TEST_REDIS_URL)")
    client.delete(*broker.queue_names())
    settings.BROKER_URL = url
    yield url
    client.delete(*broker.queue_names())
    client.close()


def only_kinds(sender: beat.Beat, *names: str) -> beat.Beat:
    # The sweep adds inbox fetch rows for new channels: other kinds would be due too.
    sender.kinds = [k for k in sender.kinds if k.name in names]
    return sender


def queued(url: str, queue: str) -> list[tuple[str, list[int]]]:
    """The (kind, ids) of every message waiting in `queue`, decoded from kombu's Redis envelope."""
    client = redis.Redis.from_url(url)
    try:
        raw = client.lrange(queue, 0, -1)
    finally:
        client.close()
    out = []
    for item in raw:
        envelope = json.loads(item)
        args, kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        assert kwargs == {}
        assert envelope["headers"]["task"] == broker.TASK_NAME
        out.append((args[0], args[1]))
    return out


def test_every_kind_of_work_has_a_queue_family_on_purpose() -> None:
    placed = {kind for kinds in broker.FAMILIES.values() for kind in kinds}
    assert {k.name for k in registry.kinds()} <= placed
    assert set(broker.queue_names()) >= {"publish", "inbox", "metrics", "listening", "reports"}


@pytest.mark.django_db
def test_a_claim_restricted_to_a_messages_ids_takes_only_those(make_channel: Callable[..., Channel]) -> None:
    ids = drill.create_targets([make_channel()], [timezone.now() - timedelta(seconds=1)] * 4)
    now = timezone.now()
    with only(ids[1:3]):
        got = engine.claim_due(now, 10, "w1")
    assert sorted(got) == ids[1:3]
    with only(ids[1:3]):
        assert engine.claim_due(now, 10, "w2") == []  # a duplicate delivery: nothing left to claim
    assert PostTarget.objects.filter(state="scheduled").count() == 2


# Committed rows, as in a real worker: run_ids closes a connection found inside a transaction, which on
# PostgreSQL would roll the test's own transaction (and its rows) back.
@pytest.mark.django_db(transaction=True)
def test_a_message_delivered_twice_publishes_once(make_channel: Callable[..., Channel]) -> None:
    channel = make_channel()
    ids = drill.create_targets([channel], [timezone.now() - timedelta(seconds=1)] * 3)

    assert broker.run_ids("publish", ids) == 3
    assert broker.run_ids("publish", ids) == 0
    assert set(PostTarget.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"published"}
    report = drill.check(channel.workspace_id)
    assert report["duplicates"] == 0
    assert report["remote_posts"] == 3


@pytest.mark.django_db
def test_beat_sends_due_ids_to_the_queue_of_their_kind_once_until_lost(
    broker_url: str, make_channel: Callable[..., Channel]
) -> None:
    ids = drill.create_targets([make_channel()], [timezone.now() - timedelta(seconds=1)] * 25)
    drill.create_targets([make_channel()], [timezone.now() + timedelta(hours=1)])  # not due yet
    sender = only_kinds(beat.Beat(sender=broker.make_app(broker_url)), "publish", "listening_source")

    assert sender.tick() == 25
    messages = queued(broker_url, "publish")
    assert {kind for kind, _ in messages} == {"publish"}
    assert sorted(i for _, chunk in messages for i in chunk) == sorted(ids)
    assert max(len(chunk) for _, chunk in messages) <= broker.batch_size("publish")
    assert queued(broker_url, "listening") == []

    assert sender.tick() == 0  # sent a moment ago: not again
    sender.sent = {key: when - sender.resend - 1 for key, when in sender.sent.items()}
    assert sender.tick() == 25  # still due long after: the message was lost, send it again


@pytest.mark.django_db
def test_beat_sends_everything_again_when_the_broker_restarted(
    broker_url: str, make_channel: Callable[..., Channel]
) -> None:
    drill.create_targets([make_channel()], [timezone.now() - timedelta(seconds=1)] * 3)
    sender = only_kinds(beat.Beat(sender=broker.make_app(broker_url)), "publish")
    assert sender.tick() == 3
    sender._broker_id = "an earlier run of the server"
    assert sender.tick() == 3


@pytest.mark.django_db
def test_listening_sources_go_one_per_message_to_spread_over_workers(
    broker_url: str, make_workspace: Callable[..., object]
) -> None:
    from tamtam.listening.models import Source

    workspace = make_workspace()
    due = timezone.now() - timedelta(seconds=1)
    for i in range(3):
        Source.objects.create(workspace=workspace, kind="sandbox", name=f"s{i}", due_at=due)
    sender = only_kinds(beat.Beat(sender=broker.make_app(broker_url)), "publish", "listening_source")
    sender.tick()
    messages = queued(broker_url, "listening")
    assert [len(chunk) for kind, chunk in messages if kind == "listening_source"] == [1, 1, 1]
    assert queued(broker_url, "publish") == []
