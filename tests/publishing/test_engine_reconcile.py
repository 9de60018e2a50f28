"""Unconfirmed posts: the sweeper, reconcile against the network's own record, and the human way out.

"A late post is bad; a double post is worse; a lost post is unacceptable": each test checks the
sandbox's record of what actually reached the network, not only our database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import ClassVar

import pytest
from django.utils import timezone

from tamtam.accounts.models import AuditEvent, User
from tamtam.channels.models import Channel
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.networks.base import Capability, PublishRequest
from tamtam.networks.registry import register
from tamtam.networks.sandbox.connector import SandboxConnector
from tamtam.networks.sandbox.store import SandboxNetwork
from tamtam.publishing import engine, reconcile
from tamtam.publishing.models import PostTarget, PublishAttempt
from tamtam.work import drill
from tamtam.work.runner import Runner

pytestmark = pytest.mark.django_db


@register
class BlindSandbox(SandboxConnector):
    """The sandbox without `list_recent`: like a network whose API cannot show an account's posts."""

    network = "sandbox_blind"
    capabilities: ClassVar[frozenset[Capability]] = SandboxConnector.capabilities - {Capability.LIST_RECENT}


@pytest.fixture
def runner() -> Runner:
    return Runner(name="test", concurrency=8, inline=True)


@pytest.fixture
def make_target(make_channel: Callable[..., Channel]) -> Callable[..., PostTarget]:
    def make(channel: Channel | None = None, **kwargs: str) -> PostTarget:
        channel = channel or make_channel()
        [pk] = drill.create_targets([channel], [timezone.now() - timedelta(seconds=1)], **kwargs)
        return PostTarget.objects.get(pk=pk)

    return make


def die_while_sending(target: PostTarget, *, reached_network: bool) -> None:
    """What a SIGKILL mid-call leaves: `sending`, a started attempt, an expired lease — and on the
    network the post or nothing."""
    [pk] = engine.claim_due(timezone.now(), 1, "doomed")
    assert pk == target.pk
    past = timezone.now() - timedelta(seconds=engine.lease_seconds() + 1)
    engine.move(pk, ["claimed"], "doomed", state="sending", lease_until=past)
    engine.start_attempt(pk, "post", target.idempotency_key, "doomed", past - timedelta(seconds=1))
    if reached_network:
        request = engine.build_request(target)
        engine.connector_for(target.channel).publish(request)


def outcomes(target: PostTarget) -> list[tuple[str, str]]:
    return list(
        PublishAttempt.objects.filter(target=target).order_by("number").values_list("step", "outcome")
    )


def test_the_sweeper_returns_an_expired_claim_to_scheduled(make_target: Callable[..., PostTarget]) -> None:
    target = make_target()
    engine.claim_due(timezone.now(), 1, "gone")

    later = timezone.now() + timedelta(seconds=engine.lease_seconds() + 1)
    assert engine.sweep_expired(later) == 1

    target.refresh_from_db()
    assert (target.state, target.lease_owner, target.lease_until) == ("scheduled", "", None)
    assert not PublishAttempt.objects.filter(target=target).exists()


def test_the_sweeper_keeps_a_retried_target_in_retry_wait(make_target: Callable[..., PostTarget]) -> None:
    target = make_target()
    PostTarget.objects.filter(pk=target.pk).update(state="retry_wait", attempts=2)
    engine.claim_due(timezone.now(), 1, "gone")

    engine.sweep_expired(timezone.now() + timedelta(seconds=engine.lease_seconds() + 1))

    target.refresh_from_db()
    assert (target.state, target.attempts) == ("retry_wait", 2)


def test_the_sweeper_leaves_a_live_lease_alone(make_target: Callable[..., PostTarget]) -> None:
    target = make_target()
    engine.claim_due(timezone.now(), 1, "alive")

    assert engine.sweep_expired(timezone.now()) == 0
    target.refresh_from_db()
    assert target.state == "claimed"


def test_the_sweeper_turns_an_expired_send_into_unconfirmed(make_target: Callable[..., PostTarget]) -> None:
    target = make_target()
    die_while_sending(target, reached_network=False)

    assert engine.sweep_expired(timezone.now()) == 1

    target.refresh_from_db()
    assert (target.state, target.last_error_kind) == ("unconfirmed", "ambiguous")
    assert "worker stopped" in target.last_error
    assert outcomes(target) == [("post", "ambiguous")]


def test_a_post_that_reached_the_network_before_the_crash_is_reconciled_not_resent(
    runner: Runner, make_target: Callable[..., PostTarget]
) -> None:
    target = make_target()
    die_while_sending(target, reached_network=True)

    runner.tick()  # sweep → unconfirmed → reconcile finds it
    runner.tick()

    target.refresh_from_db()
    assert target.state == "published"
    assert target.remote_id
    assert outcomes(target) == [("post", "ambiguous"), ("reconcile", "reconciled")]
    assert SandboxNetwork().count_for(target.idempotency_key) == 1
    assert AuditEvent.objects.filter(action="target.published", data__reconciled=True).exists()


def test_an_unconfirmed_target_whose_calls_are_all_closed_waits_from_its_last_call_not_from_each_check(
    make_target: Callable[..., PostTarget],
) -> None:
    # An older version closed the call ("retry", 503) but left the target unconfirmed: each check
    # moved `updated_at`, and with it the window, so the post waited far past the fault run's end.
    target = make_target()
    die_while_sending(target, reached_network=False)
    engine.sweep_expired(timezone.now())
    PublishAttempt.objects.filter(target=target).update(outcome="retry", error="503 Service Unavailable")
    started = PublishAttempt.objects.get(target=target).started_at
    window = started + timedelta(seconds=2 * engine.lease_seconds())

    early = window - timedelta(seconds=1)
    [pk] = reconcile.claim_unconfirmed(early, 1, "reconciler")
    assert reconcile.reconcile_target(pk, "reconciler", now=early) == "unconfirmed"
    target.refresh_from_db()
    assert target.due_at == window

    [pk] = reconcile.claim_unconfirmed(window, 1, "reconciler")
    assert reconcile.reconcile_target(pk, "reconciler", now=window) == "scheduled"
    # The closed call keeps what the network said about it.
    assert PublishAttempt.objects.get(target=target, step="post").error == "503 Service Unavailable"


def test_a_post_that_never_left_is_rescheduled_after_the_window_and_sent_once(
    runner: Runner, make_target: Callable[..., PostTarget]
) -> None:
    target = make_target()
    die_while_sending(target, reached_network=False)
    runner.tick()

    target.refresh_from_db()
    # Not found yet, but a slow call could still land: wait for the window to close.
    assert target.state == "unconfirmed"
    window = target.due_at
    assert window > timezone.now()
    assert SandboxNetwork().count_for(target.idempotency_key) == 0

    assert reconcile.reconcile_target(target.pk, "x", now=window) == "skipped"  # no lease: not ours
    [pk] = reconcile.claim_unconfirmed(window, 1, "reconciler")
    assert reconcile.reconcile_target(pk, "reconciler", now=window) == "scheduled"
    target.refresh_from_db()
    assert (target.state, target.attempts) == ("scheduled", 1)

    runner.tick(now=window)
    target.refresh_from_db()
    assert target.state == "published"
    assert SandboxNetwork().count_for(target.idempotency_key) == 1
    assert outcomes(target) == [("post", "retry"), ("reconcile", "retry"), ("post", "success")]


def test_an_idempotent_network_is_sent_again_at_once_when_the_post_is_not_found(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(make_channel(options={"idempotent": True}))
    die_while_sending(target, reached_network=False)

    runner.tick()  # sweep + reconcile: not found; the network deduplicates keys → retry_wait
    target.refresh_from_db()
    assert target.state == "retry_wait"
    runner.tick()

    target.refresh_from_db()
    assert target.state == "published"
    assert SandboxNetwork().count_for(target.idempotency_key) == 1


def test_an_idempotent_network_never_double_posts_even_when_resent(
    make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(make_channel(options={"idempotent": True}))
    connector = engine.connector_for(target.channel)
    request = engine.build_request(target)

    first = connector.publish(request)
    again = connector.publish(request)

    assert first.remote_id == again.remote_id
    assert SandboxNetwork().count_for(target.idempotency_key) == 1


def test_a_network_that_cannot_list_leaves_the_post_to_a_person(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(make_channel(network="sandbox_blind", options={"ambiguous_rate": 1.0}))

    runner.tick()
    runner.tick()

    target.refresh_from_db()
    assert target.state == "unconfirmed"
    assert target.due_at is None  # nobody will send it again on their own
    assert "mark it as published or retry" in target.last_error
    assert SandboxNetwork().count_for(target.idempotency_key) == 1


def test_a_person_marks_an_unconfirmed_post_as_published(
    runner: Runner,
    make_channel: Callable[..., Channel],
    make_target: Callable[..., PostTarget],
    make_user: Callable[..., User],
) -> None:
    target = make_target(make_channel(network="sandbox_blind", options={"ambiguous_rate": 1.0}))
    runner.tick()
    runner.tick()
    manager = make_user("manager")

    engine.resolve_unconfirmed(target, manager, published=True, url="https://sandbox.tamtam.local/@x/1")

    target.refresh_from_db()
    assert target.state == "published"
    assert target.remote_url == "https://sandbox.tamtam.local/@x/1"
    assert outcomes(target)[-1] == ("manual", "success")
    assert AuditEvent.objects.filter(action="target.marked_published", actor=manager).exists()
    with pytest.raises(Conflict):
        engine.resolve_unconfirmed(target, manager, published=False)


def test_a_person_retries_an_unconfirmed_post_anyway(
    runner: Runner,
    make_channel: Callable[..., Channel],
    make_target: Callable[..., PostTarget],
    make_user: Callable[..., User],
) -> None:
    channel = make_channel(network="sandbox_blind", options={"ambiguous_rate": 1.0})
    target = make_target(channel)
    runner.tick()
    runner.tick()
    Channel.objects.filter(pk=channel.pk).update(options={"seed": 1})

    engine.resolve_unconfirmed(target, make_user("boss"), published=False)
    target.refresh_from_db()
    assert target.state == "retry_wait"
    runner.tick()

    target.refresh_from_db()
    assert target.state == "published"
    # The person chose to send again, knowing the first call may have landed: that is theirs to decide.
    assert SandboxNetwork().count_for(target.idempotency_key) == 2


def test_marking_as_published_refuses_a_bad_url(make_target: Callable[..., PostTarget]) -> None:
    target = make_target()
    PostTarget.objects.filter(pk=target.pk).update(state="unconfirmed")

    with pytest.raises(InvalidInput) as error:
        engine.resolve_unconfirmed(target, None, published=True, url="javascript:alert(1)")
    assert error.value.field == "url"


def test_reconcile_does_not_take_another_targets_post_with_the_same_text(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    channel = make_channel()
    published = make_target(channel, text="Same words")
    runner.tick()
    published.refresh_from_db()
    twin = make_target(channel, text="Same words")
    PostTarget.objects.filter(pk=twin.pk).update(text=published.text)
    twin.refresh_from_db()

    connector = engine.connector_for(channel)
    found, complete = reconcile.look_for(
        connector,
        twin,
        twin.idempotency_key,
        text=twin.text,
        link="",
        since=timezone.now() - timedelta(hours=1),
    )

    assert found is None
    assert complete


def test_reconcile_matches_by_content_when_the_network_keeps_no_key(
    make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(make_channel())
    connector = engine.connector_for(target.channel)
    connector.publish(PublishRequest(text=target.text, idempotency_key=""))  # a network without keys

    found, _complete = reconcile.look_for(
        connector,
        target,
        target.idempotency_key,
        text=target.text,
        link="",
        since=timezone.now() - timedelta(minutes=1),
    )

    assert found is not None
    assert found.text == target.text
