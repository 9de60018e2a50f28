"""The metrics_poll work kind: claimed per channel, snapshots stored, schedule by age, stale on failure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.analytics import dashboard, polling, services
from tamtam.analytics.models import (
    AccountSnapshot,
    MetricPoll,
    PollState,
    PostDaily,
    PostSnapshot,
    TrackedPost,
)
from tamtam.networks.base import PublishRequest
from tamtam.publishing.engine.ledger import connector_for
from tamtam.publishing.models import PostTarget
from tamtam.work.registry import kinds


def _published_on_the_sandbox(channel, publish, hours_ago: float) -> PostTarget:
    at = timezone.now() - timedelta(hours=hours_ago)
    target = publish(channel, at)
    sent = connector_for(channel).publish(
        PublishRequest(text="Bonjour", idempotency_key=target.idempotency_key)
    )
    PostTarget.objects.filter(pk=target.pk).update(remote_id=sent.remote_id)
    target.refresh_from_db()
    return target


def test_the_kind_is_registered():
    assert "metrics_poll" in {k.name for k in kinds()}


def test_a_poll_stores_snapshots_and_rolls_them_up(workspace, make_channel, publish):
    channel = make_channel(options={"audience_clock_offset_s": 3 * 3600})
    target = _published_on_the_sandbox(channel, publish, hours_ago=1)
    now = timezone.now()
    ids = polling.claim_due(now, 10, "w1")
    assert len(ids) == 1
    assert polling.run_poll(ids[0], "w1", now).startswith("ok: 1 posts, account")
    snap = PostSnapshot.objects.get(target=target)
    assert (snap.impressions or 0) > 0
    assert AccountSnapshot.objects.filter(channel=channel, followers__gt=0).exists()
    assert PostDaily.objects.filter(target=target).exists()
    today = dashboard.Period.last_days(workspace, 1)
    assert services.metric_total(workspace, "impressions", today.start, today.end) == snap.impressions
    poll = MetricPoll.objects.get(channel=channel)
    assert (poll.state, poll.lease_owner, poll.failing_since) == (PollState.IDLE, "", None)
    tracked = TrackedPost.objects.get(target=target)
    assert tracked.next_poll_at == now + timedelta(minutes=15)  # one hour old: read every 15 minutes


def test_the_schedule_follows_the_post_age():
    now = timezone.now()
    wait = [polling.next_poll_after(now - age, now) for age in (timedelta(minutes=5), timedelta(hours=5))]
    assert [w - now for w in wait if w] == [timedelta(minutes=15), timedelta(hours=1)]
    assert polling.next_poll_after(now - timedelta(days=3), now) == now + timedelta(hours=6)
    assert polling.next_poll_after(now - timedelta(days=45), now) == now + timedelta(days=7)
    assert polling.next_poll_after(now - timedelta(days=400), now) is None


def test_a_post_not_due_is_not_asked_for(workspace, make_channel, publish):
    channel = make_channel()
    _published_on_the_sandbox(channel, publish, hours_ago=30)
    now = timezone.now()
    polling.run_poll(polling.claim_due(now, 10, "w")[0], "w", now)
    later = now + timedelta(minutes=20)
    MetricPoll.objects.filter(channel=channel).update(due_at=later)
    assert polling.run_poll(polling.claim_due(later, 10, "w")[0], "w", later) == "ok: 0 posts"


def test_a_failing_network_marks_the_channel_stale(workspace, make_channel, publish):
    channel = make_channel(options={"error_rate": 1.0})
    target = publish(channel, timezone.now() - timedelta(hours=1))
    PostTarget.objects.filter(pk=target.pk).update(remote_id="1")
    now = timezone.now()
    assert polling.run_poll(polling.claim_due(now, 10, "w")[0], "w", now) == "failed"
    poll = MetricPoll.objects.get(channel=channel)
    assert poll.failing_since == now
    assert poll.due_at is not None
    assert poll.due_at > now
    assert "503" in poll.last_error
    rows = dashboard.channel_comparison(workspace, dashboard.Period.last_days(workspace, 7))
    assert rows[0].stale_since == now


def test_a_poll_that_lost_its_lease_stores_nothing(workspace, make_channel, publish):
    channel = make_channel()
    _published_on_the_sandbox(channel, publish, hours_ago=1)
    now = timezone.now()
    poll_id = polling.claim_due(now, 10, "w1")[0]
    assert polling.sweep_expired(now + timedelta(hours=1)) == 1
    assert polling.run_poll(poll_id, "w1", now) == "not ours"
    assert not PostSnapshot.objects.exists()


@pytest.mark.parametrize("network", ["rss"])
def test_a_network_without_metrics_gets_no_poll(workspace, make_channel, network):
    make_channel(network=network)
    assert polling.ensure_polls() == 0
