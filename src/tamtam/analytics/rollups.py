"""Rollups: snapshots (cumulative counters at instants) → per-post and per-channel days.

A post's gain on a day of the workspace's calendar is its last reading of that day minus its last
reading of an earlier day (counters that go down, e.g. an unlike, do not make a day negative: the
high-water mark carries over). The first reading is credited to the day it was taken, so a post
polled first at 09:10 for a 09:00 publication credits those ten minutes to its publication day.

Rebuilding is idempotent: the rows of the posts (or channel days) concerned are replaced as a whole,
so a poll that is repeated or a snapshot that arrives late changes nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Sum

from tamtam.analytics import engagement
from tamtam.analytics.models import AccountSnapshot, ChannelDaily, PostDaily, PostSnapshot
from tamtam.channels.models import Channel
from tamtam.work.db import write_transaction

COUNTERS = ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks", "video_views")


@dataclass
class _Reading:
    impressions: int | None = 0
    reach: int | None = 0
    likes: int | None = 0
    comments: int | None = 0
    shares: int | None = 0
    saves: int | None = 0
    clicks: int | None = 0
    video_views: int | None = 0


def local_day(moment: datetime, tz: Any) -> date:
    return moment.astimezone(tz).date()


def day_bounds(day: date, tz: Any) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in aware datetimes (DST days are 23 or 25 hours)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def followers_at(channel_id: int, moment: datetime) -> int | None:
    """The follower count last seen at or before `moment` (else the first one seen after)."""
    before = (
        AccountSnapshot.objects.filter(channel_id=channel_id, taken_at__lte=moment, followers__isnull=False)
        .order_by("-taken_at")
        .values_list("followers", flat=True)
        .first()
    )
    if before is not None:
        return int(before)
    after = (
        AccountSnapshot.objects.filter(channel_id=channel_id, followers__isnull=False)
        .order_by("taken_at")
        .values_list("followers", flat=True)
        .first()
    )
    return int(after) if after is not None else None


def post_days(target: Any, snapshots: Iterable[PostSnapshot], tz: Any) -> list[PostDaily]:
    """The PostDaily rows of one target (not saved) from its snapshots in time order."""
    network = target.channel.network
    basis_kind = engagement.basis_of(network)
    last_of_day: dict[date, PostSnapshot] = {}
    for snap in sorted(snapshots, key=lambda s: s.taken_at):
        last_of_day[local_day(snap.taken_at, tz)] = snap
    rows = []
    high = _Reading()
    followers = None
    if basis_kind == engagement.FOLLOWERS and target.published_at:
        followers = followers_at(target.channel_id, target.published_at)
    first = True
    for day in sorted(last_of_day):
        snap = last_of_day[day]
        now = _Reading(**{name: max(getattr(high, name) or 0, getattr(snap, name) or 0) for name in COUNTERS})
        gain = {name: (getattr(now, name) or 0) - (getattr(high, name) or 0) for name in COUNTERS}
        engaged = engagement.engagements(network, now) - engagement.engagements(network, high)
        if basis_kind == engagement.FOLLOWERS:
            # Per follower: the post's audience is counted once, on its first day.
            basis = (followers or 0) if first else 0
        else:
            basis_now = engagement.basis_value(network, now, None) or 0
            basis_before = engagement.basis_value(network, high, None) or 0
            basis = max(0, basis_now - basis_before)
        rows.append(
            PostDaily(
                target_id=target.pk,
                workspace_id=target.workspace_id,
                channel_id=target.channel_id,
                campaign_id=target.post.campaign_id,
                pillar_id=target.post.pillar_id,
                day=day,
                impressions=gain["impressions"],
                reach=gain["reach"],
                engagements=max(0, engaged),
                clicks=gain["clicks"],
                rate_basis=basis,
            )
        )
        high, first = now, False
    return rows


def rebuild_posts(target_ids: Iterable[int]) -> set[tuple[int, date]]:
    """Replace the PostDaily rows of these targets; the (channel, day) pairs whose totals changed."""
    from tamtam.publishing.models import PostTarget

    ids = list(target_ids)
    if not ids:
        return set()
    targets = PostTarget.objects.select_related("channel", "workspace", "post").filter(pk__in=ids)
    snaps: dict[int, list[PostSnapshot]] = defaultdict(list)
    for snap in PostSnapshot.objects.filter(target_id__in=ids).order_by("taken_at"):
        snaps[snap.target_id].append(snap)
    new_rows: list[PostDaily] = []
    touched: set[tuple[int, date]] = set()
    for target in targets:
        rows = post_days(target, snaps.get(target.pk, []), target.workspace.tz)
        new_rows += rows
        touched |= {(target.channel_id, r.day) for r in rows}
    old = set(PostDaily.objects.filter(target_id__in=ids).values_list("channel_id", "day"))
    with write_transaction():
        PostDaily.objects.filter(target_id__in=ids).delete()
        PostDaily.objects.bulk_create(new_rows, batch_size=500)
    _figures_changed(*{t.workspace_id for t in targets})
    return touched | old


def rebuild_channel_days(channel: Channel, days: Iterable[date]) -> int:
    """Replace the ChannelDaily rows of these days of one channel; how many rows were written."""
    from tamtam.publishing.models import PostTarget
    from tamtam.publishing.states import TargetState

    wanted = sorted(set(days))
    if not wanted:
        return 0
    tz = channel.workspace.tz
    sums = {
        row["day"]: row
        for row in PostDaily.objects.filter(channel=channel, day__in=wanted)
        .values("day")
        .annotate(
            impressions=Sum("impressions"),
            reach=Sum("reach"),
            engagements=Sum("engagements"),
            clicks=Sum("clicks"),
            rate_basis=Sum("rate_basis"),
            post_rows=Count("pk"),
        )
    }
    rows = []
    for day in wanted:
        start, end = day_bounds(day, tz)
        published = PostTarget.objects.filter(
            channel=channel, state=TargetState.PUBLISHED, published_at__gte=start, published_at__lt=end
        ).count()
        followers = (
            AccountSnapshot.objects.filter(
                channel=channel, taken_at__gte=start, taken_at__lt=end, followers__isnull=False
            )
            .order_by("-taken_at")
            .values_list("followers", flat=True)
            .first()
        )
        earlier = (
            AccountSnapshot.objects.filter(channel=channel, taken_at__lt=start, followers__isnull=False)
            .order_by("-taken_at")
            .values_list("followers", flat=True)
            .first()
        )
        s: dict[str, Any] = dict(sums.get(day, {}))
        if not s and not published and followers is None:
            continue  # nothing known about this day: no row, rather than a row of zeros
        rows.append(
            ChannelDaily(
                workspace_id=channel.workspace_id,
                channel=channel,
                day=day,
                impressions=s.get("impressions") or 0,
                reach=s.get("reach") or 0,
                engagements=s.get("engagements") or 0,
                clicks=s.get("clicks") or 0,
                rate_basis=s.get("rate_basis") or 0,
                post_rows=s.get("post_rows") or 0,
                posts_published=published,
                followers=followers,
                follower_growth=(followers - earlier)
                if followers is not None and earlier is not None
                else None,
            )
        )
    with write_transaction():
        ChannelDaily.objects.filter(channel=channel, day__in=wanted).delete()
        ChannelDaily.objects.bulk_create(rows)
    _figures_changed(channel.workspace_id)
    return len(rows)


def _figures_changed(*workspace_ids: int) -> None:
    # The dashboards' kept figures of these workspaces are out of date (figurecache imports the
    # dashboard, which imports this module: imported here).
    from tamtam.analytics import figurecache

    figurecache.changed(*workspace_ids)


def rebuild_after_poll(target_ids: Iterable[int], channel: Channel, moment: datetime) -> None:
    """After a poll: the polled posts' days, their channel days, and today's (followers changed)."""
    touched = rebuild_posts(target_ids)
    days = {d for c, d in touched if c == channel.pk}
    today = local_day(moment, channel.workspace.tz)
    days |= {today, today + timedelta(days=1)}  # tomorrow's growth compares with today's count
    rebuild_channel_days(channel, days)


def rebuild_workspace(workspace: Any) -> int:
    """Everything of a workspace from its snapshots (after an import, a demo build, a fix)."""
    from tamtam.publishing.models import PostTarget

    ids = list(
        PostTarget.objects.filter(workspace=workspace, snapshots__isnull=False).values_list("pk", flat=True)
    )
    touched = rebuild_posts(set(ids))
    written = 0
    tz = workspace.tz
    for channel in Channel.objects.filter(workspace=workspace).select_related("workspace"):
        days = {d for c, d in touched if c == channel.pk}
        days |= {
            local_day(at, tz)
            for at in AccountSnapshot.objects.filter(channel=channel).values_list("taken_at", flat=True)
        }
        days |= {
            local_day(at, tz)
            for at in PostTarget.objects.filter(channel=channel, published_at__isnull=False).values_list(
                "published_at", flat=True
            )
            if at is not None
        }
        written += rebuild_channel_days(channel, days)
    return written
