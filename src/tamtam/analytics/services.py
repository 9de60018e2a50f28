"""The figures other apps ask analytics for (strategy's objectives, reports): totals and daily series.

Metric names (the same as `tamtam.strategy.models.Metric`):

    impressions, reach, engagements   sums of the posts' daily gains (PostDaily)
    engagement_rate                   Σ engagements / Σ rate basis x 100, in percent (see engagement.py)
    clicks, unique_clicks             our short links' clicks, bots and floods excluded; unique = distinct
                                      visitors (address + browser), at most a few per address
    followers                         the level: Σ over channels of the last count seen on or before `end`
    follower_growth                   followers(end) - followers(before start), per channel, summed
    posts_published                   published targets (one post on three channels counts three)
    conversions, conversion_value     conversions that occurred in the period; the value is in the
                                      workspace's main conversion currency (`conversion_currency`):
                                      values in other currencies are left out, never converted

Periods are inclusive local calendar days of the workspace (`start` and `end` are `date`s).
`channel_ids` restricts to those channels; `campaign_id` to the posts (and links, conversions) of
one campaign; followers are a property of channels, so a campaign scope does not change them.

No data is not zero: every function returns None (or an empty series) when nothing is known for the
scope and period (no rows at all), so a dashboard or an objective can say "no data" instead of 0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum, Value

from tamtam.accounts.models import Workspace
from tamtam.analytics import engagement
from tamtam.analytics.localday import LocalDate
from tamtam.analytics.models import ChannelDaily, Click, Conversion, PostDaily, ShortLink
from tamtam.analytics.rollups import day_bounds, local_day

METRICS = (
    "impressions",
    "reach",
    "engagements",
    "engagement_rate",
    "clicks",
    "unique_clicks",
    "followers",
    "follower_growth",
    "posts_published",
    "conversions",
    "conversion_value",
)
SUMMED = ("impressions", "reach", "engagements")
# A visitor (address + browser) counted once per link; one address counts as at most this many people
# (an office or a phone network shares addresses; a flood from one machine is not a crowd).
MAX_PEOPLE_PER_ADDRESS = 5


class UnknownMetric(ValueError):
    pass


def _check(metric: str) -> None:
    if metric not in METRICS:
        raise UnknownMetric(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")


def _ws_id(workspace: Workspace | int) -> int:
    return workspace if isinstance(workspace, int) else workspace.pk


def _workspace(workspace: Workspace | int) -> Workspace:
    return workspace if isinstance(workspace, Workspace) else Workspace.objects.get(pk=workspace)


def _post_days(
    ws: int, start: date, end: date, channel_ids: list[int] | None, campaign_id: int | None
) -> QuerySet[PostDaily]:
    qs = PostDaily.objects.filter(workspace_id=ws, day__gte=start, day__lte=end)
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=channel_ids)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    return qs


def _summed_days(
    ws: int, start: date, end: date, channel_ids: list[int] | None, campaign_id: int | None
) -> QuerySet[Any]:
    """The rows to sum post gains from: channel days (a few per day; only those where a post was
    measured, so that no row still means no data) unless a campaign is asked for, whose posts only
    the post days know. The sums are the same: rollups.rebuild_channel_days adds the post days up."""
    if campaign_id is not None:
        return _post_days(ws, start, end, channel_ids, campaign_id)
    qs = ChannelDaily.objects.filter(workspace_id=ws, day__gte=start, day__lte=end, post_rows__gt=0)
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=channel_ids)
    return qs


def _links(ws: int, channel_ids: list[int] | None, campaign_id: int | None) -> QuerySet[ShortLink]:
    qs = ShortLink.objects.filter(workspace_id=ws)
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=channel_ids)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    return qs


# Counted clicks (not a bot, not a flood), written `bot = false` rather than Django's `NOT bot` for a
# False literal: SQLite only searches the click_counted index (workspace, bot, flood, at) on an
# equality; with `NOT bot` it walks click_ws_time and reads every click row of the period (4x slower
# on 10 M snapshots / 1 M clicks). PostgreSQL plans both alike.
COUNTED = Q(bot=Value(False), flood=Value(False))


def counted_clicks(
    ws: int, start_at: Any, end_at: Any, links: QuerySet[ShortLink] | None = None
) -> QuerySet[Click]:
    qs = Click.objects.filter(COUNTED, workspace_id=ws, at__gte=start_at, at__lt=end_at)
    if links is not None:
        qs = qs.filter(link__in=links)
    return qs


def unique_visitors(clicks: QuerySet[Click]) -> int:
    """Distinct visitors, with at most MAX_PEOPLE_PER_ADDRESS per address (per link)."""
    per_address: Counter[tuple[int, str]] = Counter()
    for link_id, address, _visitor in clicks.values_list("link_id", "address", "visitor").distinct():
        per_address[(link_id, address)] += 1
    return sum(min(n, MAX_PEOPLE_PER_ADDRESS) for n in per_address.values())


def conversion_currency(workspace: Workspace | int) -> str | None:
    """The currency most of the workspace's conversions are in (None: no conversion yet)."""
    row = (
        Conversion.objects.filter(workspace_id=_ws_id(workspace))
        .values("currency")
        .annotate(n=Count("pk"))
        .order_by("-n", "currency")
        .first()
    )
    return row["currency"] if row else None


def _conversions(
    ws: int, start_at: Any, end_at: Any, channel_ids: list[int] | None, campaign_id: int | None
) -> QuerySet[Conversion]:
    qs = Conversion.objects.filter(workspace_id=ws, occurred_at__gte=start_at, occurred_at__lt=end_at)
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=channel_ids)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    return qs


def _followers_level(ws: int, on: date, channel_ids: list[int] | None) -> tuple[int | None, dict[int, int]]:
    """Σ of each channel's last follower count on or before `on`; (None, {}) when none is known."""
    qs = ChannelDaily.objects.filter(workspace_id=ws, day__lte=on, followers__isnull=False)
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=channel_ids)
    levels: dict[int, int] = {}
    for channel_id, followers in qs.order_by("channel_id", "-day").values_list("channel_id", "followers"):
        if followers is not None:
            levels.setdefault(channel_id, int(followers))
    return (sum(levels.values()) if levels else None), levels


def _posts_published(
    ws: Workspace, start_at: Any, end_at: Any, channel_ids: list[int] | None, campaign_id: int | None
) -> int:
    from tamtam.publishing.models import PostTarget
    from tamtam.publishing.states import TargetState

    qs = PostTarget.objects.filter(
        workspace=ws, state=TargetState.PUBLISHED, published_at__gte=start_at, published_at__lt=end_at
    )
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=channel_ids)
    if campaign_id is not None:
        qs = qs.filter(post__campaign_id=campaign_id)
    return qs.count()


def metric_total(
    workspace: Workspace | int,
    metric: str,
    start: date,
    end: date,
    *,
    channel_ids: list[int] | None = None,
    campaign_id: int | None = None,
) -> float | None:
    """The metric over the inclusive local days [start, end]; None when there is no data."""
    _check(metric)
    ws = _workspace(workspace)
    tz = ws.tz
    start_at, end_at = day_bounds(start, tz)[0], day_bounds(end, tz)[1]
    if metric in SUMMED or metric == "engagement_rate":
        agg = _summed_days(ws.pk, start, end, channel_ids, campaign_id).aggregate(
            n=Count("pk"),
            e=Sum("engagements"),
            b=Sum("rate_basis"),
            **{m: Sum(m) for m in SUMMED if m != "engagements"},
        )
        if not agg["n"]:
            return None
        if metric == "engagement_rate":
            return engagement.rate(float(agg["e"] or 0), float(agg["b"] or 0))
        return float(agg["e"] if metric == "engagements" else agg[metric] or 0)
    if metric in ("clicks", "unique_clicks"):
        links = _links(ws.pk, channel_ids, campaign_id).filter(created_at__lt=end_at)
        if not links.exists():
            return None
        clicks = counted_clicks(ws.pk, start_at, end_at, links)
        return float(clicks.count() if metric == "clicks" else unique_visitors(clicks))
    if metric == "followers":
        level, _ = _followers_level(ws.pk, end, channel_ids)
        return float(level) if level is not None else None
    if metric == "follower_growth":
        _, at_end = _followers_level(ws.pk, end, channel_ids)
        if not at_end:
            return None
        _, before = _followers_level(ws.pk, start - timedelta(days=1), channel_ids)
        growth = 0
        for channel_id, level in at_end.items():
            base = before.get(channel_id)
            if base is None:  # no count before the period: its first count in the period is the base
                first = (
                    ChannelDaily.objects.filter(
                        channel_id=channel_id, day__gte=start, day__lte=end, followers__isnull=False
                    )
                    .order_by("day")
                    .values_list("followers", flat=True)
                    .first()
                )
                base = int(first) if first is not None else level
            growth += level - base
        return float(growth)
    if metric == "posts_published":
        from tamtam.publishing.models import PostTarget

        if not PostTarget.objects.filter(workspace=ws, published_at__isnull=False).exists():
            return None
        return float(_posts_published(ws, start_at, end_at, channel_ids, campaign_id))
    # conversions, conversion_value
    if not Conversion.objects.filter(workspace=ws).exists():
        return None
    qs = _conversions(ws.pk, start_at, end_at, channel_ids, campaign_id)
    if metric == "conversions":
        return float(qs.count())
    currency = conversion_currency(ws)
    value = qs.filter(currency=currency).aggregate(v=Sum("value"))["v"] or Decimal(0)
    return float(value)


def daily_series(
    workspace: Workspace | int,
    metric: str,
    start: date,
    end: date,
    *,
    channel_ids: list[int] | None = None,
    campaign_id: int | None = None,
) -> list[tuple[date, float]]:
    """(day, value) for the days of [start, end] that have data, in order; [] when none has.

    Summed metrics give each day's amount; `engagement_rate` each day's rate (days without a basis
    left out); `followers` each day's level (days without a reading left out); `follower_growth` each
    day's change. Days between two days with data that have no row are 0 for summed metrics (the posts
    were polled and gained nothing), left out for levels and rates.
    """
    _check(metric)
    ws = _workspace(workspace)
    values: dict[date, float] = {}
    summed = True
    if metric in SUMMED or metric == "engagement_rate":
        rows = (
            _summed_days(ws.pk, start, end, channel_ids, campaign_id)
            .values("day")
            .annotate(e=Sum("engagements"), b=Sum("rate_basis"), i=Sum("impressions"), r=Sum("reach"))
            .order_by("day")
        )
        for row in rows:
            if metric == "engagement_rate":
                summed = False
                rate = engagement.rate(float(row["e"] or 0), float(row["b"] or 0))
                if rate is not None:
                    values[row["day"]] = rate
            else:
                key = {"impressions": "i", "reach": "r", "engagements": "e"}[metric]
                values[row["day"]] = float(row[key] or 0)  # type: ignore[literal-required]
    elif metric in ("followers", "follower_growth"):
        summed = metric == "follower_growth"
        qs = ChannelDaily.objects.filter(workspace=ws, day__gte=start, day__lte=end)
        if channel_ids is not None:
            qs = qs.filter(channel_id__in=channel_ids)
        field = "followers" if metric == "followers" else "follower_growth"
        per_day: dict[date, float] = defaultdict(float)
        for day, value in qs.filter(**{f"{field}__isnull": False}).values_list("day", field):
            per_day[day] += float(value)
        values = dict(per_day)
    elif metric in ("clicks", "unique_clicks", "conversions", "conversion_value", "posts_published"):
        return _trim(_event_days(ws, metric, start, end, channel_ids, campaign_id))
    if not values:
        return []
    if summed:
        first, last = min(values), max(values)
        day = first
        while day <= last:
            values.setdefault(day, 0.0)
            day += timedelta(days=1)
    return sorted(values.items())


def _event_days(
    ws: Workspace,
    metric: str,
    start: date,
    end: date,
    channel_ids: list[int] | None,
    campaign_id: int | None,
) -> dict[date, float]:
    """Each local day's value of an event metric (clicks, sales, publications), the same as
    `metric_total` day by day, from one query over the period instead of one or two per day.
    Days before anything could be measured (before the first short link of the scope) are left out."""
    tz = ws.tz
    start_at, end_at = day_bounds(start, tz)[0], day_bounds(end, tz)[1]
    first = start
    per_day: dict[date, float] = defaultdict(float)
    if metric in ("clicks", "unique_clicks"):
        links = _links(ws.pk, channel_ids, campaign_id).filter(created_at__lt=end_at)
        made = links.order_by("created_at").values_list("created_at", flat=True).first()
        if made is None:
            return {}
        first = max(start, local_day(made, tz))
        # The database files each click under its local day (LocalDate: TruncDate in the workspace's
        # zone, native on SQLite) and counts: a row per day comes back, not a row per click.
        clicked = counted_clicks(ws.pk, start_at, end_at, links).annotate(
            d=LocalDate("at", tz, start_at, end_at)
        )
        if metric == "clicks":
            for day, n in clicked.values("d").annotate(n=Count("pk")).values_list("d", "n"):
                per_day[day] += n
        else:
            per_address: dict[date, Counter[tuple[int, str]]] = defaultdict(Counter)
            rows = clicked.values_list("d", "link_id", "address", "visitor").distinct()
            for day, link_id, address, _visitor in rows:
                per_address[day][(link_id, address)] += 1
            for day, counts in per_address.items():
                per_day[day] = float(sum(min(n, MAX_PEOPLE_PER_ADDRESS) for n in counts.values()))
    elif metric == "posts_published":
        from tamtam.publishing.models import PostTarget
        from tamtam.publishing.states import TargetState

        if not PostTarget.objects.filter(workspace=ws, published_at__isnull=False).exists():
            return {}
        targets = PostTarget.objects.filter(
            workspace=ws, state=TargetState.PUBLISHED, published_at__gte=start_at, published_at__lt=end_at
        )
        if channel_ids is not None:
            targets = targets.filter(channel_id__in=channel_ids)
        if campaign_id is not None:
            targets = targets.filter(post__campaign_id=campaign_id)
        days = (
            targets.annotate(d=LocalDate("published_at", tz, start_at, end_at))
            .values("d")
            .annotate(n=Count("pk"))
        )
        for day, n in days.values_list("d", "n"):
            per_day[day] += n
    else:  # conversions, conversion_value
        if not Conversion.objects.filter(workspace=ws).exists():
            return {}
        sales = _conversions(ws.pk, start_at, end_at, channel_ids, campaign_id).annotate(
            d=LocalDate("occurred_at", tz, start_at, end_at)
        )
        if metric == "conversions":
            for day, n in sales.values("d").annotate(n=Count("pk")).values_list("d", "n"):
                per_day[day] += n
        else:
            sums = sales.filter(currency=conversion_currency(ws)).values("d").annotate(v=Sum("value"))
            for day, value in sums.values_list("d", "v"):
                per_day[day] += float(value or 0)
    values = {}
    day = first
    while day <= end:
        values[day] = per_day.get(day, 0.0)
        day += timedelta(days=1)
    return values


def _trim(values: dict[date, float]) -> list[tuple[date, float]]:
    """A series whose every day is zero is no evidence of anything: [] (the caller says "no data")."""
    if not any(values.values()):
        return []
    return sorted(values.items())


def has_data(
    workspace: Workspace | int, start: date, end: date, channel_ids: list[int] | None = None
) -> bool:
    """Whether anything at all is known about the period: posts' gains, follower counts, clicks, sales."""
    ws = _workspace(workspace)
    start_at, end_at = day_bounds(start, ws.tz)[0], day_bounds(end, ws.tz)[1]
    channel_q = Q(channel_id__in=channel_ids) if channel_ids is not None else Q()
    return (
        ChannelDaily.objects.filter(channel_q, workspace=ws, day__gte=start, day__lte=end).exists()
        or PostDaily.objects.filter(channel_q, workspace=ws, day__gte=start, day__lte=end).exists()
        or Click.objects.filter(workspace=ws, at__gte=start_at, at__lt=end_at).exists()
        or Conversion.objects.filter(workspace=ws, occurred_at__gte=start_at, occurred_at__lt=end_at).exists()
    )
