"""The `metrics_poll` work kind: one `MetricPoll` row per channel whose network exposes metrics.

A worker claims due rows (idle → claimed, with a lease), asks the connector for the counters of the
channel's posts that are due (each post's schedule follows its age: often at first, then rarely, then
never) and, every few hours, for the account's counters; the snapshots and the posts' next times are
stored in one transaction that checks the lease is still ours, then the rollups of the days concerned
are rebuilt. A network that fails leaves the row idle with a backoff and `failing_since` set, so the
dashboard marks that channel's figures stale instead of showing old numbers as current.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from tamtam.analytics import rollups
from tamtam.analytics.models import AccountSnapshot, MetricPoll, PollState, PostSnapshot, TrackedPost
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.networks import registry
from tamtam.networks.base import (
    AccountMetrics,
    Capability,
    ConnectorError,
    NeedsUser,
    PostMetrics,
    RetryAfter,
)
from tamtam.work.claim import Leased, backoff, claim
from tamtam.work.db import serialised, write_transaction

log = logging.getLogger(__name__)
LEASE_SECONDS = 300
POLL_EVERY = timedelta(minutes=15)
ACCOUNT_EVERY = timedelta(hours=6)
POSTS_PER_RUN = 200
BATCH = 50  # ids per network call
DEAD_AFTER = 10
MAX_BACKOFF = timedelta(hours=6)

# (age below which, wait until the next reading). Counters move most in the first hours.
SCHEDULE = [
    (timedelta(hours=2), timedelta(minutes=15)),
    (timedelta(days=1), timedelta(hours=1)),
    (timedelta(days=7), timedelta(hours=6)),
    (timedelta(days=30), timedelta(days=1)),
    (timedelta(days=90), timedelta(days=7)),
]


def next_poll_after(published_at: datetime, now: datetime) -> datetime | None:
    """When a post published at `published_at` should next be read; None: it is old enough to stop."""
    age = now - published_at
    for limit, wait in SCHEDULE:
        if age < limit:
            return now + wait
    return None


class LeaseLost(Exception):
    pass


def can_poll(channel: Channel) -> bool:
    try:
        cls = registry.get(channel.network)
    except (KeyError, LookupError):
        return False
    return Capability.FETCH_METRICS in cls.capabilities


def ensure_polls(workspace_id: int | None = None, now: datetime | None = None) -> int:
    """A poll row for every active channel whose network has metrics (idempotent)."""
    channels = Channel.objects.filter(status=ChannelStatus.ACTIVE, metric_poll__isnull=True)
    if workspace_id is not None:
        channels = channels.filter(workspace_id=workspace_id)
    created = 0
    for channel in channels:
        if can_poll(channel):
            _, made = MetricPoll.objects.get_or_create(
                channel=channel, defaults={"due_at": now or timezone.now()}
            )
            created += made
    return created


def track_published(channel: Channel, now: datetime) -> int:
    """A TrackedPost for each published target of the channel that has none yet."""
    from tamtam.publishing.models import PostTarget
    from tamtam.publishing.states import TargetState

    new = (
        PostTarget.objects.filter(
            channel=channel,
            state=TargetState.PUBLISHED,
            published_at__isnull=False,
            metrics_tracking__isnull=True,
        )
        .exclude(remote_id="")
        .values_list("pk", "published_at")
    )
    rows = [
        TrackedPost(target_id=pk, channel=channel, published_at=published, next_poll_at=now)
        for pk, published in new
        if published is not None and next_poll_after(published, now) is not None
    ]
    if rows:
        with serialised():
            TrackedPost.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def claim_due(now: datetime, limit: int, owner: str) -> list[int]:
    ensure_polls(now=now)
    return claim(
        MetricPoll.objects.filter(channel__status=ChannelStatus.ACTIVE),
        states=[PollState.IDLE],
        now=now,
        limit=limit,
        lease_seconds=LEASE_SECONDS,
        owner=owner,
        to_state=PollState.CLAIMED,
    )


def _ours(poll_id: int, owner: str) -> MetricPoll | None:
    return (
        MetricPoll.objects.select_related("channel", "channel__workspace")
        .filter(pk=poll_id, state=PollState.CLAIMED, lease_owner=owner)
        .first()
    )


def run_poll(poll_id: int, owner: str, now: datetime | None = None) -> str:
    """Poll one claimed channel. Harmless if the row is no longer ours."""
    from tamtam.publishing.engine.ledger import connector_for, mark_channel_needs_user

    poll = _ours(poll_id, owner)
    if poll is None:
        return "not ours"
    now = now or timezone.now()
    channel = poll.channel
    track_published(channel, now)
    due = list(
        TrackedPost.objects.filter(channel=channel, next_poll_at__lte=now)
        .select_related("target")
        .order_by("next_poll_at")[:POSTS_PER_RUN]
    )
    account: AccountMetrics | None = None
    readings: dict[str, PostMetrics] = {}
    try:
        connector = connector_for(channel)
        ids = [t.target.remote_id for t in due]
        for i in range(0, len(ids), BATCH):
            for m in connector.fetch_post_metrics(ids[i : i + BATCH]):
                readings[m.remote_id] = m
        if poll.account_polled_at is None or now - poll.account_polled_at >= ACCOUNT_EVERY:
            account = connector.fetch_account_metrics()
    except NeedsUser as exc:
        mark_channel_needs_user(channel, exc.message)
        return _failed(poll, owner, now, exc.message, retry_in=None)
    except RetryAfter as exc:
        return _failed(poll, owner, now, exc.message, retry_in=max(exc.seconds, 1.0))
    except ConnectorError as exc:
        return _failed(poll, owner, now, exc.message, retry_in=None)
    except Exception as exc:  # a bug or an unexpected answer: said on the row, other channels go on
        log.exception("metrics poll %s failed", poll.pk)
        return _failed(poll, owner, now, f"{type(exc).__name__}: {exc}", retry_in=None)
    try:
        polled = _store(poll, owner, now, due, readings, account)
    except LeaseLost:
        return "lease lost"
    rollups.rebuild_after_poll(polled, channel, now)
    return f"ok: {len(polled)} posts{', account' if account else ''}"


def _store(
    poll: MetricPoll,
    owner: str,
    now: datetime,
    due: list[TrackedPost],
    readings: dict[str, PostMetrics],
    account: AccountMetrics | None,
) -> list[int]:
    channel = poll.channel
    snaps, polled = [], []
    for tracked in due:
        m = readings.get(tracked.target.remote_id)
        if m is None:
            continue
        polled.append(tracked.target_id)
        snaps.append(
            PostSnapshot(
                target_id=tracked.target_id,
                channel=channel,
                workspace_id=channel.workspace_id,
                taken_at=now,
                impressions=m.impressions,
                reach=m.reach,
                likes=m.likes,
                comments=m.comments,
                shares=m.shares,
                saves=m.saves,
                clicks=m.clicks,
                video_views=m.video_views,
            )
        )
    with write_transaction():
        fields = {
            "state": PollState.IDLE,
            "due_at": now + POLL_EVERY,
            "lease_owner": "",
            "lease_until": None,
            "attempts": poll.attempts + 1,
            "consecutive_failures": 0,
            "last_error": "",
            "last_ok_at": now,
            "failing_since": None,
            "updated_at": timezone.now(),
        }
        if account is not None:
            fields["account_polled_at"] = now
        moved = MetricPoll.objects.filter(pk=poll.pk, state=PollState.CLAIMED, lease_owner=owner).update(
            **fields
        )
        if moved != 1:
            raise LeaseLost
        PostSnapshot.objects.bulk_create(snaps)
        for tracked in due:
            # A post the network no longer returns (deleted) is not asked for again.
            gone = tracked.target.remote_id not in readings
            TrackedPost.objects.filter(pk=tracked.pk).update(
                next_poll_at=None if gone else next_poll_after(tracked.published_at, now),
                polls=tracked.polls + (0 if gone else 1),
                last_polled_at=now,
            )
        if account is not None:
            AccountSnapshot.objects.create(
                channel=channel,
                workspace_id=channel.workspace_id,
                taken_at=now,
                followers=account.followers,
                following=account.following,
                posts=account.posts,
                impressions=account.impressions,
            )
    return polled


def _failed(poll: MetricPoll, owner: str, now: datetime, message: str, *, retry_in: float | None) -> str:
    failures = poll.consecutive_failures + 1
    dead = retry_in is None and failures >= DEAD_AFTER
    delay = (
        timedelta(seconds=retry_in)
        if retry_in is not None
        else min(
            MAX_BACKOFF, POLL_EVERY + timedelta(seconds=backoff(failures, 60.0, MAX_BACKOFF.total_seconds()))
        )
    )
    with serialised():
        MetricPoll.objects.filter(pk=poll.pk, state=PollState.CLAIMED, lease_owner=owner).update(
            state=PollState.DEAD if dead else PollState.IDLE,
            due_at=None if dead else now + delay,
            lease_owner="",
            lease_until=None,
            attempts=poll.attempts + 1,
            consecutive_failures=failures,
            last_error=message[:500],
            failing_since=poll.failing_since or now,
            updated_at=timezone.now(),
        )
    if poll.failing_since is None:  # the dashboards now mark this channel stale
        from tamtam.analytics import figurecache

        figurecache.changed(poll.channel.workspace_id)
    return "dead" if dead else "failed"


_leased = Leased(MetricPoll, claimed=PollState.CLAIMED, idle=PollState.IDLE)
release_claims = _leased.release
sweep_expired = _leased.sweep


def revive(poll: MetricPoll) -> None:
    with serialised():
        MetricPoll.objects.filter(pk=poll.pk, state=PollState.DEAD).update(
            state=PollState.IDLE, due_at=timezone.now(), consecutive_failures=0
        )
