"""The data of each dashboard section, as plain dataclasses that pages, the API and reports render.

Every section carries `empty`: True when nothing is known about the period, so that the page (or a
report) says "no data for this period" instead of drawing zeros as if they were facts. Figures of a
channel whose network has stopped answering carry the time since when (`stale_since`).

    period = Period.last_days(workspace, 30)
    kpis(workspace, period)                 headline figures with the previous period's
    engagement_over_time(workspace, period) daily impressions, engagements, rate
    best_posts(workspace, period)           the posts with the most engagements (drill-down rows)
    channel_comparison(workspace, period)   one row per channel
    listening_sentiment(workspace, period)  mentions per day by sentiment (listening)
    inbox_response_times(workspace, period) first response and resolution times (inbox.metrics)
    agency_overview(workspaces, period)     one row per workspace of an agency
    workspace_dashboard(workspace, period)  all of the above, and the objectives' progress
Objective progress is computed by the strategy app (tamtam.strategy.services.objectives_progress).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from tamtam.accounts.models import Workspace
from tamtam.analytics import engagement, services
from tamtam.analytics import kpis as kpi_queries
from tamtam.analytics.models import ChannelDaily, MetricPoll, PostDaily
from tamtam.analytics.rollups import day_bounds, local_day
from tamtam.channels.models import Channel


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @classmethod
    def last_days(cls, workspace: Workspace, days: int, today: date | None = None) -> Period:
        today = today or local_day(timezone.now(), workspace.tz)
        return cls(today - timedelta(days=days - 1), today)


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return 100.0 * (now - before) / abs(before)


@dataclass
class Kpi:
    metric: str
    value: float | None
    previous: float | None
    change_pct: float | None  # None: nothing to compare with


KPI_METRICS = kpi_queries.KPI_METRICS


def kpis(workspace: Workspace, period: Period, channel_ids: list[int] | None = None) -> list[Kpi]:
    """The headline metrics with the previous period's (a few grouped queries, see kpis.py)."""
    found = kpi_queries.figures([workspace], {workspace.pk: (period.start, period.end)}, channel_ids)
    return _kpi_list(found[workspace.pk])


def _kpi_list(pairs: dict[str, tuple[float | None, float | None]]) -> list[Kpi]:
    return [Kpi(metric, *pairs[metric], _change(*pairs[metric])) for metric in KPI_METRICS]


@dataclass
class Series:
    days: list[date]
    impressions: list[float | None]
    engagements: list[float | None]
    engagement_rate: list[float | None]
    previous_engagements: list[float | None]  # the previous period, aligned day by day
    empty: bool

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["days"] = [d.isoformat() for d in self.days]
        return out


def engagement_over_time(
    workspace: Workspace, period: Period, channel_ids: list[int] | None = None
) -> Series:
    """Daily impressions, engagements and rate, and the previous period's engagements: one query,
    over the channel days (services._summed_days: the same sums as the post days, a few rows per day
    instead of one per post measured)."""
    before = period.previous()
    qs = services._summed_days(workspace.pk, before.start, period.end, channel_ids, None)
    rows = {
        r["day"]: r
        for r in qs.values("day").annotate(i=Sum("impressions"), e=Sum("engagements"), b=Sum("rate_basis"))
    }
    days = period.each_day()
    now = [d for d in days if d in rows]
    prev = [d for d in rows if d < period.start]

    def filled(wanted: list[date], present: list[date], key: str) -> list[float | None]:
        # As services.daily_series: between the first and last day with data, a day without a row is 0
        # (the posts were polled and gained nothing); outside that span, nothing is known.
        if not present:
            return [None] * len(wanted)
        first, last = min(present), max(present)
        return [
            float(rows[d][key] or 0) if d in rows else (0.0 if first <= d <= last else None)  # type: ignore[literal-required]
            for d in wanted
        ]

    rates = {d: engagement.rate(float(rows[d]["e"] or 0), float(rows[d]["b"] or 0)) for d in now}
    return Series(
        days=days,
        impressions=filled(days, now, "i"),
        engagements=filled(days, now, "e"),
        engagement_rate=[round(r, 3) if (r := rates.get(d)) is not None else None for d in days],
        previous_engagements=filled(before.each_day(), prev, "e"),
        empty=not now,
    )


@dataclass
class PostRow:
    target_id: int
    post_id: int
    channel_id: int
    channel: str
    network: str
    text: str
    published_at: datetime | None
    url: str
    impressions: int
    engagements: int
    clicks: int
    engagement_rate: float | None


def best_posts(
    workspace: Workspace,
    period: Period,
    *,
    limit: int = 10,
    channel_ids: list[int] | None = None,
    campaign_id: int | None = None,
    order: str = "engagements",
) -> list[PostRow]:
    """Posts ranked by what they gained in the period (engagements, impressions or rate)."""
    from tamtam.publishing.models import PostTarget

    qs = PostDaily.objects.filter(workspace=workspace, day__gte=period.start, day__lte=period.end)
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=channel_ids)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    grouped = qs.values("target_id").annotate(
        i=Sum("impressions"), e=Sum("engagements"), c=Sum("clicks"), b=Sum("rate_basis")
    )
    key = {"impressions": "i", "engagements": "e"}.get(order)
    if key:
        # Ranked and cut by the database: `limit` rows come back instead of every post of the period
        # (about a thousand in 90 days). The columns are NOT NULL, so no sum is NULL.
        sums = list(grouped.order_by(f"-{key}", "target_id")[:limit])
    else:
        sums = sorted(
            grouped, key=lambda r: (-(engagement.rate(r["e"] or 0, r["b"] or 0) or 0), r["target_id"])
        )
        sums = sums[:limit]
    targets = PostTarget.objects.select_related("post", "channel").in_bulk([r["target_id"] for r in sums])
    rows = []
    for r in sums:
        t = targets.get(r["target_id"])
        if t is None:
            continue
        rows.append(
            PostRow(
                target_id=t.pk,
                post_id=t.post_id,
                channel_id=t.channel_id,
                channel=t.channel.name,
                network=t.channel.network,
                text=(t.text or t.post.text)[:280],
                published_at=t.published_at,
                url=t.remote_url,
                impressions=int(r["i"] or 0),
                engagements=int(r["e"] or 0),
                clicks=int(r["c"] or 0),
                engagement_rate=engagement.rate(r["e"] or 0, r["b"] or 0),
            )
        )
    return rows


@dataclass
class ChannelRow:
    channel_id: int
    name: str
    network: str
    impressions: int
    engagements: int
    engagement_rate: float | None
    rate_basis: str  # impressions, reach or followers (how this network's rate is defined)
    posts_published: int
    followers: float | None
    follower_growth: float | None
    link_clicks: float | None
    stale_since: datetime | None
    last_error: str = ""


def stale_channels(workspace: Workspace) -> dict[int, MetricPoll]:
    """Channels whose metrics API is failing: their figures stop at the last good poll."""
    polls = MetricPoll.objects.filter(channel__workspace=workspace, failing_since__isnull=False)
    return {p.channel_id: p for p in polls}


def channel_comparison(workspace: Workspace, period: Period) -> list[ChannelRow]:
    """One row per channel: its days' sums, followers and growth, link clicks — five queries in all,
    whatever the number of channels."""
    stale = stale_channels(workspace)
    sums = {
        r["channel_id"]: r
        for r in ChannelDaily.objects.filter(workspace=workspace, day__gte=period.start, day__lte=period.end)
        .values("channel_id")
        .annotate(
            i=Sum("impressions"),
            e=Sum("engagements"),
            b=Sum("rate_basis"),
            p=Sum("posts_published"),
            n=Count("pk"),
        )
    }
    channels = Channel.objects.filter(workspace=workspace).order_by("name")
    followers = kpi_queries.follower_figures(channels, period.start, period.end)
    clicks = kpi_queries.channel_clicks(workspace, period.start, period.end)
    rows = []
    for ch in channels:
        s: dict[str, Any] = dict(sums.get(ch.pk, {}))
        poll = stale.get(ch.pk)
        _ws, level, growth = followers.get(ch.pk, (workspace.pk, None, None))
        rows.append(
            ChannelRow(
                channel_id=ch.pk,
                name=ch.name,
                network=ch.network,
                impressions=int(s.get("i") or 0),
                engagements=int(s.get("e") or 0),
                engagement_rate=engagement.rate(s.get("e") or 0, s.get("b") or 0),
                rate_basis=engagement.basis_of(ch.network),
                posts_published=int(s.get("p") or 0),
                followers=float(level) if level is not None else None,
                follower_growth=float(growth) if growth is not None else None,
                link_clicks=clicks.get(ch.pk),
                stale_since=poll.failing_since if poll else None,
                last_error=poll.last_error if poll else "",
            )
        )
    return rows


@dataclass
class Sentiment:
    days: list[date]
    positive: list[int]
    neutral: list[int]
    negative: list[int]
    totals: dict[str, int] = field(default_factory=dict)
    net: float | None = None  # (positive - negative) / all, in percent
    empty: bool = True

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["days"] = [d.isoformat() for d in self.days]
        return out


def listening_sentiment(workspace: Workspace, period: Period) -> Sentiment:
    """Mentions matched by the workspace's listening queries, per local day and sentiment (each once)."""
    from tamtam.listening.models import MentionMatch

    tz = workspace.tz
    start_at, end_at = day_bounds(period.start, tz)[0], day_bounds(period.end, tz)[1]
    seen: dict[int, tuple[date, str]] = {}
    rows = MentionMatch.objects.filter(
        workspace=workspace, published_at__gte=start_at, published_at__lt=end_at
    )
    for mention_id, at, sentiment in rows.values_list("mention_id", "published_at", "sentiment"):
        seen.setdefault(mention_id, (local_day(at, tz), sentiment))
    counts: dict[date, dict[str, int]] = defaultdict(lambda: {"positive": 0, "neutral": 0, "negative": 0})
    for day, sentiment in seen.values():
        counts[day][sentiment if sentiment in ("positive", "negative") else "neutral"] += 1
    days = period.each_day()
    totals = {k: sum(c[k] for c in counts.values()) for k in ("positive", "neutral", "negative")}
    total = sum(totals.values())
    return Sentiment(
        days=days,
        positive=[counts[d]["positive"] if d in counts else 0 for d in days],
        neutral=[counts[d]["neutral"] if d in counts else 0 for d in days],
        negative=[counts[d]["negative"] if d in counts else 0 for d in days],
        totals=totals,
        net=100.0 * (totals["positive"] - totals["negative"]) / total if total else None,
        empty=total == 0,
    )


@dataclass
class ResponseTimes:
    conversations: int
    answered: int
    first_response_median_s: float | None
    resolution_median_s: float | None
    first_response_within_sla: float | None
    sla_first_response_s: int
    by_channel: list[dict[str, Any]]
    empty: bool


def inbox_response_times(workspace: Workspace, period: Period) -> ResponseTimes:
    from tamtam.inbox.metrics import response_metrics

    tz = workspace.tz
    m = response_metrics(workspace.pk, day_bounds(period.start, tz)[0], day_bounds(period.end, tz)[1])
    names = dict(Channel.objects.filter(workspace=workspace).values_list("pk", "name"))
    return ResponseTimes(
        conversations=m.workspace.conversations,
        answered=m.workspace.answered,
        first_response_median_s=m.workspace.first_response_median_s,
        resolution_median_s=m.workspace.resolution_median_s,
        first_response_within_sla=m.workspace.first_response_within_sla,
        sla_first_response_s=m.sla_first_response_s,
        by_channel=[
            {"channel_id": cid, "channel": names.get(cid, ""), **f.as_dict()}
            for cid, f in sorted(m.by_channel.items())
        ],
        empty=m.workspace.conversations == 0,
    )


@dataclass
class WorkspaceRow:
    workspace_id: int
    name: str
    kpis: list[Kpi]
    stale_channels: int
    empty: bool


def agency_overview(workspaces: list[Workspace], days: int = 30) -> list[WorkspaceRow]:
    """One row per workspace (the agency's clients), each over its own last `days` local days.

    Grouped queries for all the workspaces that share a period and a time zone (kpis.py), so the
    page costs a few queries per time zone, not a dozen per client."""
    periods = {ws.pk: Period.last_days(ws, days) for ws in workspaces}
    found = kpi_queries.figures(workspaces, {pk: (p.start, p.end) for pk, p in periods.items()})
    stale = Counter(
        MetricPoll.objects.filter(channel__workspace__in=workspaces, failing_since__isnull=False).values_list(
            "channel__workspace_id", flat=True
        )
    )
    rows = []
    for ws in workspaces:
        figures = _kpi_list(found[ws.pk])
        rows.append(
            WorkspaceRow(
                workspace_id=ws.pk,
                name=ws.name,
                kpis=figures,
                stale_channels=stale.get(ws.pk, 0),
                empty=all(k.value is None for k in figures),
            )
        )
    return rows


@dataclass
class Dashboard:
    period: Period
    previous: Period
    kpis: list[Kpi]
    engagement: Series
    best_posts: list[PostRow]
    channels: list[ChannelRow]
    sentiment: Sentiment
    response_times: ResponseTimes
    empty: bool
    # The strategy's objectives with their live progress (tamtam.strategy.services.Progress); they
    # follow their own periods, not the dashboard's.
    objectives: list[Any] = field(default_factory=list)


def workspace_dashboard(
    workspace: Workspace,
    period: Period,
    channel_ids: list[int] | None = None,
    objectives: list[Any] | None = None,
) -> Dashboard:
    """`objectives`: their progress when already known (figurecache keeps it for the strategy page)."""
    figures = kpis(workspace, period, channel_ids)
    return Dashboard(
        period=period,
        previous=period.previous(),
        kpis=figures,
        engagement=engagement_over_time(workspace, period, channel_ids),
        best_posts=best_posts(workspace, period, channel_ids=channel_ids),
        channels=channel_comparison(workspace, period),
        sentiment=listening_sentiment(workspace, period),
        response_times=inbox_response_times(workspace, period),
        empty=not services.has_data(workspace, period.start, period.end, channel_ids),
        objectives=objectives_progress(workspace) if objectives is None else objectives,
    )


def objectives_progress(workspace: Workspace) -> list[Any]:
    from tamtam.strategy.services import objectives_progress as progress

    return progress(workspace)
