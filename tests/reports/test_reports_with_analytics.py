"""Strategy progress and report sections on known analytics rollups (no stand-in: the real
tamtam.analytics services read the rows written here)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tamtam.analytics.models import ChannelDaily, PostDaily
from tamtam.publishing import services as publishing
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState
from tamtam.reports import render, services
from tamtam.strategy import services as strategy
from tamtam.strategy.models import Objective

DAYS = 10


@pytest.fixture
def measured(workspace, members, make_channel):
    channel = make_channel()
    post = publishing.create_post(
        workspace, members["manager"], PostInput(text="Bonjour", channel_ids=[channel.pk])
    )
    target = post.targets.get()
    target.state, target.published_at = TargetState.PUBLISHED, timezone.now() - timedelta(days=DAYS)
    target.save()
    today = strategy.today(workspace)
    for i in range(DAYS):
        day = today - timedelta(days=DAYS - 1 - i)
        common = {"workspace": workspace, "channel": channel, "day": day}
        PostDaily.objects.create(target=target, impressions=1000, engagements=50, rate_basis=1000, **common)
        ChannelDaily.objects.create(impressions=1000, engagements=50, rate_basis=1000, post_rows=1, **common)
    return today, channel


def test_objective_progress_and_forecast_from_real_rollups(workspace, members, measured):
    today, _channel = measured
    objective = Objective.objects.create(
        workspace=workspace,
        name="Impressions",
        kind="awareness",
        metric="impressions",
        target=Decimal("25000"),
        starts_on=today - timedelta(days=DAYS - 1),
        ends_on=today + timedelta(days=20),
    )
    progress = strategy.objective_progress(objective, on=today)
    assert progress.current == pytest.approx(10_000)
    assert progress.forecast is not None
    assert progress.forecast.value == pytest.approx(30_000)
    assert progress.status == "on_track"


def test_report_sections_show_the_measurements(report, measured):
    today, _channel = measured
    built = services.build(report, today - timedelta(days=DAYS - 1), today)
    by_key = {s.key: s for s in built.sections}
    assert not built.empty
    assert not by_key["engagement"].empty
    assert "<svg" in by_key["engagement"].chart
    assert not by_key["best_posts"].empty
    assert by_key["best_posts"].tables[0].rows[0][3] == 10_000  # impressions of the post
    kpis = {row[0]: row[1] for row in by_key["kpis"].tables[0].rows}
    assert kpis["Impressions"] == pytest.approx(10_000)
    assert kpis["Engagement rate"] == pytest.approx(5.0)
    csv_text = render.to_csv(built)
    assert "10000" in csv_text
    html = render.html(built)
    assert "10,000" in html or "10 000" in html
