"""The publish step, one cycle at a time: every transition of DESIGN §4 against the real sandbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.accounts.models import AuditEvent, Workspace
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.channels.tasks import REFRESH_TOKENS
from tamtam.networks.sandbox.store import SandboxNetwork
from tamtam.publishing import engine
from tamtam.publishing.models import AttemptOutcome, Media, PostTarget, PublishAttempt, TargetMedia
from tamtam.publishing.tasks import FIRST_COMMENT, PUBLISH, RECONCILE
from tamtam.work import drill
from tamtam.work.runner import Runner

pytestmark = pytest.mark.django_db


@pytest.fixture
def runner() -> Runner:
    # The publishing kinds only: a channel also has an inbox to collect, which is not under test here.
    return Runner(
        name="test", concurrency=8, inline=True, kinds=[REFRESH_TOKENS, PUBLISH, FIRST_COMMENT, RECONCILE]
    )


@pytest.fixture
def make_target(make_channel: Callable[..., Channel]) -> Callable[..., PostTarget]:
    def make(channel: Channel | None = None, *, due_in: float = -1.0, **kwargs: str) -> PostTarget:
        channel = channel or make_channel()
        [pk] = drill.create_targets([channel], [timezone.now() + timedelta(seconds=due_in)], **kwargs)
        return PostTarget.objects.get(pk=pk)

    return make


def attempts(target: PostTarget) -> list[PublishAttempt]:
    return list(PublishAttempt.objects.filter(target=target).order_by("number"))


def test_it_publishes_a_due_target_exactly_once(
    runner: Runner, make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(link="https://example.org/launch")

    assert runner.tick() == 1

    target.refresh_from_db()
    assert target.state == "published"
    assert target.remote_url.startswith("https://sandbox.tamtam.local/@")
    assert target.published_at is not None
    assert target.lease_owner == ""
    [attempt] = attempts(target)
    assert (attempt.outcome, attempt.step, attempt.idempotency_key) == (
        "success",
        "post",
        target.idempotency_key,
    )
    assert attempt.duration_ms is not None
    assert attempt.status_code == 200
    assert SandboxNetwork().count_for(target.idempotency_key) == 1
    assert AuditEvent.objects.filter(action="target.published", object_id=str(target.pk)).count() == 1


def test_it_tags_the_link_with_the_posts_utm_fields(
    runner: Runner, make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(link="https://example.org/launch?ref=x")
    target.post.utm_campaign = "spring"
    target.post.save()

    runner.tick()

    [remote] = SandboxNetwork().posts()
    assert (
        "https://example.org/launch?ref=x&utm_source=sandbox&utm_medium=social&utm_campaign=spring"
        in remote.text
    )


def test_it_does_not_claim_a_target_before_it_is_due(
    runner: Runner, make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(due_in=60)

    assert runner.tick() == 0
    target.refresh_from_db()
    assert target.state == "scheduled"


def test_a_duplicate_wake_up_is_harmless(runner: Runner, make_target: Callable[..., PostTarget]) -> None:
    target = make_target()
    [claimed] = engine.claim_due(timezone.now(), 10, runner.owner)

    assert engine.process_target(claimed, runner.owner) == "published"
    assert engine.process_target(claimed, runner.owner) == "skipped"
    assert engine.process_target(claimed, "another-worker") == "skipped"
    assert SandboxNetwork().count_for(target.idempotency_key) == 1
    assert len(attempts(target)) == 1


def test_a_target_claimed_by_another_worker_is_not_sent(make_target: Callable[..., PostTarget]) -> None:
    target = make_target()
    engine.claim_due(timezone.now(), 10, "worker-a")

    assert engine.process_target(target.pk, "worker-b") == "skipped"
    target.refresh_from_db()
    assert (target.state, target.lease_owner) == ("claimed", "worker-a")
    assert SandboxNetwork().total_posts() == 0


def test_it_reschedules_after_retry_after(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(make_channel(options={"error_rate": 1.0}))
    before = timezone.now()

    runner.tick()

    target.refresh_from_db()
    assert (target.state, target.attempts, target.last_error_kind) == ("retry_wait", 1, "retry")
    assert target.due_at is not None
    assert target.due_at >= before
    assert "503" in target.last_error
    [attempt] = attempts(target)
    assert (attempt.outcome, attempt.status_code) == ("retry", 503)
    assert SandboxNetwork().total_posts() == 0


def test_a_retry_is_claimed_again_once_due_and_can_succeed(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    channel = make_channel(options={"error_rate": 1.0})
    target = make_target(channel)
    runner.tick()
    Channel.objects.filter(pk=channel.pk).update(options={**channel.options, "error_rate": 0.0})
    target.refresh_from_db()

    assert runner.tick(now=target.due_at + timedelta(seconds=1)) == 1

    target.refresh_from_db()
    assert target.state == "published"
    assert [a.outcome for a in attempts(target)] == ["retry", "success"]
    assert SandboxNetwork().count_for(target.idempotency_key) == 1


def test_it_fails_with_a_clear_message_after_the_last_attempt(
    settings, runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    settings.WORK_MAX_ATTEMPTS = 2
    target = make_target(make_channel(options={"error_rate": 1.0}))
    runner.tick()
    target.refresh_from_db()
    runner.tick(now=target.due_at + timedelta(seconds=1))

    target.refresh_from_db()
    assert target.state == "failed"
    assert target.last_error.startswith("Gave up after 2 attempts")
    assert AuditEvent.objects.filter(action="target.failed", object_id=str(target.pk)).exists()


def test_it_fails_on_a_permanent_error(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(make_channel(options={"permanent_rate": 1.0}))

    runner.tick()

    target.refresh_from_db()
    assert (target.state, target.last_error_kind) == ("failed", "permanent")
    assert "refused" in target.last_error
    assert attempts(target)[0].status_code == 422
    assert AuditEvent.objects.filter(action="target.failed", object_id=str(target.pk)).exists()


def test_needs_user_marks_the_target_and_the_channel(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    channel = make_channel(options={"needs_user": True})
    target = make_target(channel)

    runner.tick()

    target.refresh_from_db()
    channel.refresh_from_db()
    assert target.state == "needs_user"
    assert channel.status == ChannelStatus.NEEDS_USER
    assert "Reconnect" in channel.status_message
    assert AuditEvent.objects.filter(action="target.needs_user", object_id=str(target.pk)).exists()

    later = make_target(channel)
    runner.tick()
    later.refresh_from_db()
    assert later.state == "needs_user"
    # The second one was not even sent (the channel was known to need a reconnect), yet says why.
    [(outcome, error)] = PublishAttempt.objects.filter(target=later).values_list("outcome", "error")
    assert outcome == "needs_user"
    assert "nothing was sent" in error


def test_an_ambiguous_call_is_unconfirmed_then_reconciled_to_published(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(make_channel(options={"ambiguous_rate": 1.0}))

    runner.tick()
    target.refresh_from_db()
    assert (target.state, target.last_error_kind) == ("unconfirmed", "ambiguous")
    assert attempts(target)[0].outcome == "ambiguous"

    runner.tick()  # the reconcile kind finds it on the network

    target.refresh_from_db()
    assert target.state == "published"
    assert target.remote_id
    assert target.remote_url
    assert [a.outcome for a in attempts(target)] == ["ambiguous", "reconciled"]
    assert SandboxNetwork().count_for(target.idempotency_key) == 1


def test_rate_shaping_skips_the_channel_until_its_reset(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    channel = make_channel(options={"rate_limit_per_minute": 1})
    first = make_target(channel)
    runner.tick()
    first.refresh_from_db()
    assert first.state == "published"
    channel.refresh_from_db()
    assert channel.rate_state["remaining"] == 0
    assert channel.rate_state["limit"] == 1
    assert channel.not_before is not None
    assert channel.not_before > timezone.now()

    second = make_target(channel)
    other = make_target()  # another channel is not held back
    assert runner.tick() == 1
    second.refresh_from_db()
    other.refresh_from_db()
    assert (second.state, other.state) == ("scheduled", "published")

    assert engine.claim_due(channel.not_before + timedelta(seconds=1), 10, "later") == [second.pk]


def test_a_429_defers_the_target_and_the_channel_without_using_up_a_try(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    channel = make_channel(options={"rate_limit_per_minute": 1})
    target = make_target(channel)
    # Another app on the same account spends the budget: tamtam learns it from the 429 itself.
    from tamtam.networks.base import PublishRequest

    engine.connector_for(channel).publish(PublishRequest(text="elsewhere", idempotency_key="other-app"))

    runner.tick()

    target.refresh_from_db()
    channel.refresh_from_db()
    assert (target.state, target.attempts) == ("retry_wait", 0)
    assert channel.not_before is not None
    assert channel.not_before > timezone.now()
    assert target.due_at >= channel.not_before - timedelta(seconds=1)
    assert attempts(target)[0].status_code == 429
    assert SandboxNetwork().count_for(target.idempotency_key) == 0


def test_a_batch_sends_no_more_than_the_rate_budget_left(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    channel = make_channel(options={"rate_limit_per_minute": 2})
    make_target(channel)
    runner.tick()  # one request used: the headers say one is left
    targets = [make_target(channel), make_target(channel)]  # claimed in one batch

    runner.tick()

    states = sorted(PostTarget.objects.filter(pk__in=[t.pk for t in targets]).values_list("state", flat=True))
    assert states == ["published", "scheduled"]
    assert PublishAttempt.objects.filter(target__in=targets).count() == 1  # no call was wasted on a 429


def test_a_workspace_in_crisis_mode_is_never_sent(
    runner: Runner, make_target: Callable[..., PostTarget], workspace: Workspace
) -> None:
    target = make_target()
    Workspace.objects.filter(pk=workspace.pk).update(crisis_mode=True)

    assert runner.tick() == 0
    target.refresh_from_db()
    assert target.state == "scheduled"
    assert SandboxNetwork().total_posts() == 0


def test_crisis_mode_switched_on_after_the_claim_pauses_the_target(
    make_target: Callable[..., PostTarget], workspace: Workspace
) -> None:
    target = make_target()
    [pk] = engine.claim_due(timezone.now(), 10, "w")
    Workspace.objects.filter(pk=workspace.pk).update(crisis_mode=True)

    assert engine.process_target(pk, "w") == "paused"
    target.refresh_from_db()
    assert (target.state, target.paused_from) == ("paused", "scheduled")
    assert SandboxNetwork().total_posts() == 0


def test_the_first_comment_is_a_separate_step_with_its_own_attempt(
    runner: Runner, make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(first_comment="Link in bio 👇")

    runner.tick()

    target.refresh_from_db()
    assert target.state == "published"
    assert target.first_comment_remote_id
    post, comment = attempts(target)
    assert (post.step, post.outcome) == ("post", "success")
    assert (comment.step, comment.outcome, comment.idempotency_key) == (
        "first_comment",
        "success",
        f"{target.idempotency_key}:first_comment",
    )
    [reply] = [p for p in SandboxNetwork().posts() if p.reply_to]
    assert reply.reply_to == target.remote_id
    assert reply.text == "Link in bio 👇"
    assert target.due_at is None
    assert target.lease_owner == ""


def test_a_failed_first_comment_does_not_unpublish_the_post(
    runner: Runner, make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(first_comment="x" * 100_001)  # over the network's limit: refused

    runner.tick()

    target.refresh_from_db()
    assert target.state == "published"
    assert target.remote_id
    assert target.last_error_kind == "first_comment"
    assert "first comment was not posted" in target.last_error
    assert [(a.step, a.outcome) for a in attempts(target)] == [
        ("post", "success"),
        ("first_comment", "permanent"),
    ]
    assert target.due_at is None


def test_a_first_comment_cut_short_is_looked_for_before_sending_again(
    runner: Runner, make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(first_comment="Thanks!")
    [pk] = engine.claim_due(timezone.now(), 1, "w")
    # The post goes out, then the worker dies during the first comment, after the network stored it.
    PostTarget.objects.filter(pk=pk).update(first_comment="")
    engine.process_target(pk, "w")
    target.refresh_from_db()
    connector = engine.connector_for(target.channel)
    from tamtam.networks.base import PublishRequest

    connector.publish(
        PublishRequest(
            text="Thanks!",
            idempotency_key=engine.first_comment_key(target),
            reply_to_remote_id=target.remote_id,
        )
    )
    engine.start_attempt(target.pk, "first_comment", engine.first_comment_key(target), "w", timezone.now())
    PostTarget.objects.filter(pk=pk).update(first_comment="Thanks!", due_at=timezone.now())

    runner.tick()

    target.refresh_from_db()
    assert target.first_comment_remote_id
    assert SandboxNetwork().count_for(engine.first_comment_key(target)) == 1
    # Looked for and found: no new call, a reconcile row says so.
    assert [(a.step, a.outcome) for a in attempts(target)][-2:] == [
        ("first_comment", "ambiguous"),
        ("reconcile", "reconciled"),
    ]


def test_secrets_never_reach_the_attempt_rows(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    channel = make_channel(options={"permanent_rate": 1.0})
    channel.set_credentials({"access_token": "tok-very-secret-123"})
    channel.save()
    target = make_target(channel, text="tok-very-secret-123 leaked in text")

    runner.tick()

    for attempt in attempts(target):
        assert "tok-very-secret-123" not in attempt.error + attempt.response_excerpt
    target.refresh_from_db()
    assert "tok-very-secret-123" not in target.last_error


def test_the_attempt_outcome_reports_the_duration_and_a_short_excerpt(
    runner: Runner, make_channel: Callable[..., Channel], make_target: Callable[..., PostTarget]
) -> None:
    target = make_target(make_channel(options={"latency_ms": 30}))

    runner.tick()

    [attempt] = attempts(target)
    assert attempt.duration_ms is not None
    assert attempt.duration_ms >= 10
    assert attempt.finished_at is not None
    assert attempt.outcome == AttemptOutcome.SUCCESS
    assert len(attempt.response_excerpt) <= 500
    assert target.idempotency_key not in attempt.response_excerpt


def test_the_targets_media_go_with_the_post(
    runner: Runner,
    make_channel: Callable[..., Channel],
    make_target: Callable[..., PostTarget],
    workspace: Workspace,
) -> None:
    channel = make_channel(options={"flavor": "instagram"})  # refuses a post without an image
    with_image = make_target(channel)
    without = make_target(channel)
    image = Media.objects.create(
        workspace=workspace, file="media/photo.jpg", content_type="image/jpeg", size=1234
    )
    TargetMedia.objects.create(target=with_image, media=image, position=0)

    runner.tick()

    with_image.refresh_from_db()
    without.refresh_from_db()
    assert with_image.state == "published"
    assert (without.state, without.last_error_kind) == ("failed", "permanent")
    [request_media] = engine.build_request(with_image).media
    assert (request_media.content_type, request_media.size) == ("image/jpeg", 1234)
    assert request_media.path.endswith("media/photo.jpg")
