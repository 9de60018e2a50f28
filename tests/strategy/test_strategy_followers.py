"""Followers objectives on known data: a level to reach, or a growth over the period (in followers or
in percent of the level the day before the start), with progress and forecast read accordingly."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tamtam.analytics.models import ChannelDaily
from tamtam.lib.errors import InvalidInput
from tamtam.strategy import services
from tamtam.strategy.models import Objective

pytestmark = pytest.mark.django_db

START = date(2026, 3, 1)
END = START + timedelta(days=29)
TODAY = START + timedelta(days=9)


@pytest.fixture
def followers(workspace, make_channel):
    """10,000 followers the day before the start, then +100 a day over the ten days measured so far."""
    channel = make_channel(name="Shop")
    rows = [
        ChannelDaily(workspace=workspace, channel=channel, day=START - timedelta(days=1), followers=10_000)
    ]
    rows += [
        ChannelDaily(
            workspace=workspace, channel=channel, day=START + timedelta(days=d), followers=10_100 + 100 * d
        )
        for d in range(10)
    ]
    ChannelDaily.objects.bulk_create(rows)
    return channel


def objective(workspace, mode: str, target: int, metric: str = "followers") -> Objective:
    return services.save(
        workspace,
        None,
        Objective,
        {"name": f"{mode} {target}", "kind": "awareness", "metric": metric, "target": Decimal(target),
         "target_mode": mode, "starts_on": START, "ends_on": END},
    )  # fmt: skip


def test_a_level_to_reach(workspace, followers):
    p = services.objective_progress(objective(workspace, "level", 12_000), on=TODAY)
    assert p.current == 11_000
    assert p.baseline is None
    assert p.forecast.value == pytest.approx(13_000)  # 10,000 + 100 a day, on day 30
    assert p.status == services.Status.ON_TRACK


def test_a_growth_in_followers(workspace, followers):
    p = services.objective_progress(objective(workspace, "growth", 2_000), on=TODAY)
    assert p.baseline == 10_000
    assert p.current == 1_000  # 11,000 now - 10,000 the day before the start
    assert p.percent == 50
    assert p.forecast.value == pytest.approx(3_000)
    assert p.forecast.slope_per_day == pytest.approx(100)
    assert p.status == services.Status.ON_TRACK
    # The same data against a growth that the trend does not reach (a perfect line: no interval).
    short = services.objective_progress(objective(workspace, "growth", 5_000), on=TODAY)
    assert short.forecast.high == pytest.approx(3_000)
    assert short.status == services.Status.OFF_TRACK


def test_a_growth_in_percent(workspace, followers):
    p = services.objective_progress(objective(workspace, "growth_percent", 15), on=TODAY)
    assert p.current == pytest.approx(10.0)  # +1,000 on 10,000
    assert p.forecast.value == pytest.approx(30.0)
    assert p.forecast.slope_per_day == pytest.approx(1.0)  # one point a day
    assert p.unit == " %"
    assert p.status == services.Status.ON_TRACK
    late = services.objective_progress(objective(workspace, "growth_percent", 40), on=TODAY)
    assert late.status == services.Status.OFF_TRACK


def test_a_growth_that_ended(workspace, followers):
    p = services.objective_progress(objective(workspace, "growth", 800), on=END + timedelta(days=3))
    assert p.current == 1_000  # the last reading; no forecast once the period is over
    assert p.forecast is None
    assert p.status == services.Status.ACHIEVED


def test_without_a_count_before_the_start_the_first_reading_is_the_base(workspace, followers):
    ChannelDaily.objects.filter(day__lt=START).delete()
    p = services.objective_progress(objective(workspace, "growth", 2_000), on=TODAY)
    assert p.baseline == 10_100
    assert p.current == 900


def test_no_reading_is_no_data(workspace, make_channel):
    make_channel(name="Empty")
    p = services.objective_progress(objective(workspace, "growth", 2_000), on=TODAY)
    assert p.current is None
    assert p.status == services.Status.NO_DATA


def test_a_growth_target_is_for_followers_only(workspace):
    with pytest.raises(InvalidInput) as caught:
        objective(workspace, "growth", 2_000, metric="impressions")
    assert caught.value.field == "target_mode"


def test_the_api_says_how_the_target_reads(workspace, members, followers, token_api):
    objective(workspace, "growth_percent", 15)
    api = token_api(members["manager"])
    status, body = api.call("get", f"/workspaces/{workspace.pk}/strategy")
    assert status == 200
    row = body["objectives"][0]
    assert row["target_mode"] == "growth_percent"
    assert row["progress"]["baseline"] == 10_000
    status, body = api.call(
        "post",
        f"/workspaces/{workspace.pk}/strategy/objectives",
        {"name": "Reach", "kind": "awareness", "metric": "impressions", "target": "10",
         "target_mode": "growth", "starts_on": "2026-03-01", "ends_on": "2026-03-30"},
    )  # fmt: skip
    assert status == 422
    assert "target_mode" in str(body)


def test_the_report_says_a_growth_is_a_growth(workspace, followers):
    from tamtam.reports import sections

    objective(workspace, "growth", 2_000)
    ctx = sections.Context(workspace, START, TODAY, False, ("#000000", "#111111"))
    row = sections.objectives(ctx).tables[0].rows[0]
    assert row[1] == "Followers (grow by this many)"
    assert row[4] == 1_000  # reached: the growth, not the level
