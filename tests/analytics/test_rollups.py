"""Rollups and totals on known data: daily gains from cumulative snapshots, rates, followers, scopes."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tamtam.analytics import rollups, services
from tamtam.analytics.models import ChannelDaily, PostDaily
from tamtam.strategy.models import Campaign, Pillar

PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def known(workspace, make_channel, publish, snap, followers):
    """Two sandbox posts (impressions basis) and one Bluesky post (followers basis)."""
    sandbox = make_channel()
    sky = make_channel(network="bluesky", name="Sky")
    spring = Campaign.objects.create(workspace=workspace, name="Spring", utm_campaign="spring")
    tips = Pillar.objects.create(workspace=workspace, name="Tips")
    a = publish(sandbox, at(2, 9), campaign=spring, pillar=tips)
    b = publish(sandbox, at(3, 18))
    c = publish(sky, at(2, 12))
    # a: 1000 impressions / 50 engagements on day 2, then +500 / +10 on day 3 (two readings that day).
    snap(a, at(2, 10), impressions=400, likes=10, comments=2)
    snap(a, at(2, 23, 30), impressions=1000, likes=40, comments=8, shares=2)
    snap(a, at(3, 8), impressions=1200, likes=42, comments=8, shares=2)
    snap(a, at(3, 22), impressions=1500, likes=48, comments=10, shares=2)
    # b: an unlike lowers likes between two readings: the day does not go negative.
    snap(b, at(3, 19), impressions=300, likes=30)
    snap(b, at(4, 9), impressions=350, likes=28)
    # c: Bluesky gives no impressions; its rate is per follower (200 when it was published).
    followers(sky, at(1, 12), 200)
    followers(sky, at(3, 12), 210)
    followers(sky, at(4, 12), 230)
    snap(c, at(2, 13), likes=10, comments=4, shares=6)
    rollups.rebuild_workspace(workspace)
    return {"sandbox": sandbox, "sky": sky, "a": a, "b": b, "c": c, "spring": spring, "tips": tips}


def test_each_post_day_is_the_gain_since_the_previous_day(known):
    days = {r.day: r for r in PostDaily.objects.filter(target=known["a"])}
    assert days[date(2026, 3, 2)].impressions == 1000
    assert days[date(2026, 3, 2)].engagements == 50
    assert days[date(2026, 3, 3)].impressions == 500
    assert days[date(2026, 3, 3)].engagements == 10
    assert days[date(2026, 3, 2)].campaign_id == known["spring"].pk
    assert days[date(2026, 3, 2)].pillar_id == known["tips"].pk


def test_a_counter_that_goes_down_never_makes_a_negative_day(known):
    days = {r.day: r for r in PostDaily.objects.filter(target=known["b"])}
    assert days[date(2026, 3, 4)].engagements == 0
    assert days[date(2026, 3, 4)].impressions == 50


def test_totals_over_a_period(workspace, known):
    total = services.metric_total
    assert total(workspace, "impressions", date(2026, 3, 1), date(2026, 3, 31)) == 1000 + 500 + 350
    assert total(workspace, "engagements", date(2026, 3, 2), date(2026, 3, 2)) == 50 + 20
    # 2 March: sandbox 50 / 1000 impressions, Bluesky 20 / 200 followers → 70 / 1200.
    rate = total(workspace, "engagement_rate", date(2026, 3, 2), date(2026, 3, 2))
    assert rate == pytest.approx(100 * 70 / 1200)
    assert total(workspace, "posts_published", date(2026, 3, 1), date(2026, 3, 31)) == 3
    assert total(workspace, "posts_published", date(2026, 3, 3), date(2026, 3, 3)) == 1


def test_scopes_by_channel_and_campaign(workspace, known):
    total = services.metric_total
    march = (date(2026, 3, 1), date(2026, 3, 31))
    assert total(workspace, "engagements", *march, channel_ids=[known["sky"].pk]) == 20
    assert total(workspace, "impressions", *march, campaign_id=known["spring"].pk) == 1500


def test_followers_level_and_growth(workspace, known):
    total = services.metric_total
    assert total(workspace, "followers", date(2026, 3, 1), date(2026, 3, 3)) == 210
    assert total(workspace, "follower_growth", date(2026, 3, 2), date(2026, 3, 4)) == 30
    growth = {r.day: r.follower_growth for r in ChannelDaily.objects.filter(channel=known["sky"])}
    assert growth[date(2026, 3, 4)] == 20
    assert growth[date(2026, 3, 1)] is None  # nothing earlier to compare with


def test_no_data_is_none_not_zero(workspace, known):
    total = services.metric_total
    assert total(workspace, "impressions", date(2025, 1, 1), date(2025, 1, 31)) is None
    assert total(workspace, "clicks", date(2026, 3, 1), date(2026, 3, 31)) is None  # no short link yet
    assert total(workspace, "conversions", date(2026, 3, 1), date(2026, 3, 31)) is None
    assert services.daily_series(workspace, "engagements", date(2025, 1, 1), date(2025, 1, 31)) == []


def test_daily_series_fills_the_days_between_days_with_data(workspace, known):
    series = dict(services.daily_series(workspace, "impressions", date(2026, 3, 1), date(2026, 3, 10)))
    assert series == {date(2026, 3, 2): 1000.0, date(2026, 3, 3): 800.0, date(2026, 3, 4): 50.0}
    levels = services.daily_series(workspace, "followers", date(2026, 3, 1), date(2026, 3, 10))
    assert levels == [(date(2026, 3, 1), 200.0), (date(2026, 3, 3), 210.0), (date(2026, 3, 4), 230.0)]


def test_rebuilding_twice_changes_nothing(workspace, known):
    before = sorted(PostDaily.objects.values_list("target_id", "day", "impressions", "engagements"))
    rollups.rebuild_workspace(workspace)
    assert sorted(PostDaily.objects.values_list("target_id", "day", "impressions", "engagements")) == before


def test_an_unknown_metric_is_refused(workspace):
    with pytest.raises(services.UnknownMetric):
        services.metric_total(workspace, "likes_per_moon", date(2026, 3, 1), date(2026, 3, 2))
