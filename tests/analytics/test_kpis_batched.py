"""The dashboard's grouped queries (analytics/kpis.py, the collapsed channel comparison, the one-query
engagement series) give exactly what services.metric_total / daily_series give, metric by metric,
for workspaces in different time zones, with and without a channel filter, for periods with and
without data — and in a handful of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tamtam.analytics import dashboard, kpis, rollups, services
from tamtam.analytics.models import Click, Conversion, ShortLink


@pytest.fixture
def agency_data(workspace, make_workspace, make_channel, publish, snap, followers):
    other = make_workspace(name="Tokyo", slug="tokyo", time_zone="Asia/Tokyo")
    now = timezone.now()
    made = {}
    for ws in (workspace, other):
        channels = [make_channel(ws=ws, name=f"{ws.slug} A"), make_channel(ws=ws, name=f"{ws.slug} B")]
        for k, channel in enumerate(channels):
            followers(channel, now - timedelta(days=50), 1000 + k)
            followers(channel, now - timedelta(days=20), 1100 + k)
            followers(channel, now - timedelta(hours=3), 1180 + 7 * k)
            for age in (45, 25, 12, 2):
                target = publish(channel, now - timedelta(days=age, hours=k))
                snap(target, now - timedelta(days=age, hours=k - 2), impressions=300, likes=9, comments=1)
                snap(target, now - timedelta(days=age - 1), impressions=900 + age, likes=30 + k, shares=4)
                link = ShortLink.objects.create(
                    workspace=ws,
                    destination="https://e.example/",
                    original_url="https://e.example/",
                    target=target,
                    post=target.post,
                    channel=channel,
                    created_at=target.published_at,
                )
                for n in range(age % 7 + 2):
                    Click.objects.create(
                        link=link,
                        workspace=ws,
                        at=target.published_at + timedelta(hours=n * 9),
                        visitor=f"v{n}",
                        address=f"a{n}",
                        bot=n == 3,
                        flood=n == 4,
                    )
                Conversion.objects.create(
                    workspace=ws,
                    occurred_at=target.published_at + timedelta(hours=2),
                    value=Decimal("12.50"),
                    source="api",
                    external_id=f"{target.pk}",
                    channel=channel,
                    link=link,
                )
        rollups.rebuild_workspace(ws)
        made[ws.pk] = channels
    return [workspace, other], made


PERIODS = [(40, 30), (10, 3), (90, 80), (400, 365)]  # (days back to the start, to the end)


@pytest.mark.parametrize("back", PERIODS)
@pytest.mark.parametrize("one_channel", [False, True])
def test_grouped_kpis_equal_metric_total(agency_data, back, one_channel):
    spaces, channels = agency_data
    for ws in spaces:
        today = dashboard.Period.last_days(ws, 1).end
        period = dashboard.Period(today - timedelta(days=back[0]), today - timedelta(days=back[1]))
        ids = [channels[ws.pk][1].pk] if one_channel else None
        got = {k.metric: (k.value, k.previous) for k in dashboard.kpis(ws, period, ids)}
        before = period.previous()
        for metric in kpis.KPI_METRICS:
            expected = (
                services.metric_total(ws, metric, period.start, period.end, channel_ids=ids),
                services.metric_total(ws, metric, before.start, before.end, channel_ids=ids),
            )
            assert got[metric] == pytest.approx(expected), (ws.name, back, metric)


def test_the_agency_overview_equals_each_workspace_dashboard(agency_data):
    spaces, _channels = agency_data
    rows = {row.workspace_id: row for row in dashboard.agency_overview(spaces, 30)}
    for ws in spaces:
        assert rows[ws.pk].kpis == dashboard.kpis(ws, dashboard.Period.last_days(ws, 30))
        assert not rows[ws.pk].empty


def test_channel_rows_equal_metric_total_per_channel(agency_data):
    spaces, _channels = agency_data
    for ws in spaces:
        period = dashboard.Period.last_days(ws, 30)
        for row in dashboard.channel_comparison(ws, period):
            for field, metric in (
                ("followers", "followers"),
                ("follower_growth", "follower_growth"),
                ("link_clicks", "clicks"),
            ):
                expected = services.metric_total(
                    ws, metric, period.start, period.end, channel_ids=[row.channel_id]
                )
                assert getattr(row, field) == expected, (row.name, field)


def test_the_engagement_series_equals_daily_series(agency_data):
    spaces, _channels = agency_data
    for ws in spaces:
        period = dashboard.Period.last_days(ws, 30)
        series = dashboard.engagement_over_time(ws, period)
        for metric, values in (("impressions", series.impressions), ("engagements", series.engagements)):
            expected = dict(services.daily_series(ws, metric, period.start, period.end))
            assert values == [expected.get(d) for d in period.each_day()], metric
        before = period.previous()
        prev = dict(services.daily_series(ws, "engagements", before.start, before.end))
        assert series.previous_engagements == [prev.get(d) for d in before.each_day()]
        rates = dict(services.daily_series(ws, "engagement_rate", period.start, period.end))
        assert series.engagement_rate == [
            round(rates[d], 3) if d in rates else None for d in period.each_day()
        ]


def test_the_dashboard_costs_a_bounded_number_of_queries(agency_data, make_channel):
    spaces, _channels = agency_data
    ws = spaces[0]
    period = dashboard.Period.last_days(ws, 30)
    with CaptureQueriesContext(connection) as few:
        dashboard.channel_comparison(ws, period)
    for n in range(6):  # more channels: not more queries
        make_channel(ws=ws, name=f"extra {n}")
    with CaptureQueriesContext(connection) as more:
        dashboard.channel_comparison(ws, period)
    assert len(more.captured_queries) == len(few.captured_queries) <= 6
    with CaptureQueriesContext(connection) as overview:
        dashboard.agency_overview(spaces, 30)
    # Two time zones: one group each (6 queries: channel days, clicks now and before, conversions,
    # two follower reads), plus the first short links of all and the stale channels.
    assert len(overview.captured_queries) <= 2 * 6 + 2
