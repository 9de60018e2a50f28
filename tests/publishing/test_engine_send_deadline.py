"""A worker paused past its lease does not send: the call that would have left late is dropped as
"not sent" (a plain retry), so it cannot land after reconcile stopped waiting for it and post twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from tamtam.channels.models import Channel
from tamtam.networks.base import ChannelContext, NotSent, PublishRequest, PublishResult, send_deadline
from tamtam.networks.http import HttpConnector
from tamtam.networks.sandbox import store
from tamtam.networks.sandbox.connector import SandboxConnector
from tamtam.networks.sandbox.store import SandboxNetwork
from tamtam.publishing import engine
from tamtam.publishing.engine.publish import execute, prepare_batch, record
from tamtam.publishing.models import PostTarget, PublishAttempt
from tamtam.work import drill
from tamtam.work.runner import Runner


def _sandbox() -> SandboxConnector:
    return SandboxConnector(ChannelContext(channel_id=7, handle="@brand", credentials={}, options={}))


def test_the_sandbox_refuses_a_call_whose_deadline_has_passed_and_records_nothing() -> None:
    connector = _sandbox()
    with send_deadline(time.monotonic() - 0.001), pytest.raises(NotSent) as caught:
        connector.publish(PublishRequest(text="Late", idempotency_key="late-1"))
    assert "lease ran out" in caught.value.message
    assert SandboxNetwork().count_for("late-1") == 0
    with send_deadline(time.monotonic() + 60):
        connector.publish(PublishRequest(text="On time", idempotency_key="late-2"))
    assert SandboxNetwork().count_for("late-2") == 1


def test_a_call_held_back_waiting_for_the_networks_write_turn_past_its_deadline_is_not_sent() -> None:
    # The fault run's double first comments: a paused worker's threads queued for the sandbox store's
    # lock, past a check made before it, landed after reconcile had sent the comment again.
    connector = _sandbox()
    connector.publish(PublishRequest(text="Warm-up", idempotency_key="turn-0"))  # the schema exists
    outcome: list[BaseException | None] = []

    def late_call() -> None:
        try:
            with send_deadline(time.monotonic() + 0.2):
                _sandbox().publish(PublishRequest(text="Held back", idempotency_key="turn-1"))
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with store.write():  # another writer holds the network's turn past the call's deadline
        caller = threading.Thread(target=late_call)
        caller.start()
        time.sleep(0.6)
    caller.join(10)
    assert len(outcome) == 1
    assert isinstance(outcome[0], NotSent)
    assert SandboxNetwork().count_for("turn-1") == 0


class _Api(HttpConnector):
    network = "deadline_test"
    label = "Test network"
    base_url = "https://api.example.test"

    def publish(self, request: PublishRequest) -> PublishResult:
        return PublishResult(remote_id=str(self.json("POST", "/posts", json={"text": request.text})["id"]))


def test_an_http_connector_sends_no_write_past_the_deadline_but_still_reads() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        return httpx.Response(200, json={"id": len(sent)})

    ctx = ChannelContext(channel_id=1, handle="@x", credentials={}, options={})
    api = _Api(ctx, transport=httpx.MockTransport(handler))
    with send_deadline(time.monotonic() - 0.001):
        with pytest.raises(NotSent):
            api.publish(PublishRequest(text="late", idempotency_key="k"))
        api.call("GET", "/posts")  # a read cannot publish anything: no reason to refuse it
    assert api.publish(PublishRequest(text="no deadline set", idempotency_key="k")).remote_id == "2"
    assert sent == ["GET", "POST"]


@pytest.mark.django_db
def test_a_post_whose_worker_was_paused_past_its_lease_is_retried_and_published_once(
    make_channel: Callable[..., Channel],
) -> None:
    channel = make_channel()
    [pk] = drill.create_targets([channel], [timezone.now() - timedelta(seconds=1)])
    target = PostTarget.objects.get(pk=pk)
    [claimed] = engine.claim_due(timezone.now(), 1, "paused")
    prepared = prepare_batch([claimed], "paused")
    [job] = prepared.jobs
    job.send_by = time.monotonic() - 0.001  # as if SIGSTOPped between the commit and the call

    labels = record([execute(job)], "paused")

    target.refresh_from_db()
    assert SandboxNetwork().count_for(target.idempotency_key) == 0
    assert labels[pk] == target.state == "retry_wait"
    assert "lease ran out" in target.last_error
    attempt = PublishAttempt.objects.get(target=target)
    assert attempt.outcome == "retry"  # closed, not left open for reconcile to wait on

    Runner(name="test", concurrency=4, inline=True).tick(now=target.due_at)
    target.refresh_from_db()
    assert target.state == "published"
    assert SandboxNetwork().count_for(target.idempotency_key) == 1


@pytest.mark.django_db
def test_a_second_handler_of_the_same_worker_does_not_post_a_first_comment_being_posted(
    make_channel: Callable[..., Channel],
) -> None:
    # Threads of one worker share its owner: a late batch and a second wake-up both hold "the" lease.
    from tamtam.publishing.engine.first_comment import claim_first_comments, process_first_comment
    from tamtam.publishing.engine.ledger import FIRST_COMMENT_STEP, start_attempt

    channel = make_channel()
    [pk] = drill.create_targets([channel], [timezone.now() - timedelta(seconds=1)], first_comment="#lyon")
    [claimed] = engine.claim_due(timezone.now(), 1, "w1")
    record([execute(job) for job in prepare_batch([claimed], "w1").jobs], "w1")
    target = PostTarget.objects.get(pk=pk)
    assert target.state == "published"
    assert target.first_comment_remote_id == ""
    PostTarget.objects.filter(pk=pk).update(due_at=timezone.now() - timedelta(seconds=1))
    assert claim_first_comments(timezone.now(), 10, "w1") == [pk]
    # The first handler has started its call (attempt row committed) and not finished it yet.
    start_attempt(pk, FIRST_COMMENT_STEP, f"{target.idempotency_key}:first_comment", "w1", timezone.now())

    assert process_first_comment(pk, "w1") == "busy"
    assert SandboxNetwork().count_for(f"{target.idempotency_key}:first_comment") == 0
    assert process_first_comment(pk, "another worker") == "skipped"  # not its lease


def _swept_mid_call(channel: Channel) -> tuple[PostTarget, list[engine.publish.Done]]:
    """A call answered while the sweeper, seeing the lease run out, moved its target to unconfirmed."""
    [pk] = drill.create_targets([channel], [timezone.now() - timedelta(seconds=1)])
    [claimed] = engine.claim_due(timezone.now(), 1, "slow")
    dones = [execute(job) for job in prepare_batch([claimed], "slow").jobs]
    assert engine.sweep_expired(timezone.now() + timedelta(seconds=engine.lease_seconds() + 1)) == 1
    return PostTarget.objects.get(pk=pk), dones


@pytest.mark.django_db
def test_a_refusal_answered_after_the_sweep_puts_the_target_back_in_retry_not_unconfirmed(
    make_channel: Callable[..., Channel],
) -> None:
    # Seen under load in the fault run: a 503 recorded after the sweep left the target unconfirmed,
    # waiting minutes for reconcile to find a post the network had said it never stored.
    target, dones = _swept_mid_call(make_channel(options={"error_rate": 1.0}))
    assert target.state == "unconfirmed"

    labels = record(dones, "slow")

    target.refresh_from_db()
    assert labels[target.pk] == target.state == "retry_wait"
    assert target.due_at is not None
    assert target.attempts == 1
    assert (target.lease_owner, target.last_error_kind) == ("", "retry")
    assert PublishAttempt.objects.get(target=target).outcome == "retry"
    assert SandboxNetwork().count_for(target.idempotency_key) == 0


@pytest.mark.django_db
def test_a_refusal_after_the_sweep_leaves_the_target_unconfirmed_while_another_call_is_unknown(
    make_channel: Callable[..., Channel],
) -> None:
    target, dones = _swept_mid_call(make_channel(options={"error_rate": 1.0}))
    # Another call of the same target whose outcome nobody knows: only reconcile may settle it.
    other = engine.start_attempt(target.pk, "post", target.idempotency_key, "dead", timezone.now())
    PublishAttempt.objects.filter(pk=other.pk).update(outcome="ambiguous")

    labels = record(dones, "slow")

    target.refresh_from_db()
    assert labels[target.pk] == "lost"
    assert target.state == "unconfirmed"
