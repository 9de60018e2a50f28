"""ROI on known data (with its caveats) and best time on a synthetic history with a known best slot."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tamtam.analytics import besttime, roi, rollups
from tamtam.analytics.models import Click, Conversion, ShortLink
from tamtam.strategy.models import BudgetLine, Campaign

PARIS = ZoneInfo("Europe/Paris")


def conversion(workspace, n, value, currency="EUR", campaign=None, day=10):
    return Conversion.objects.create(
        workspace=workspace,
        occurred_at=datetime(2026, 3, day, 12, tzinfo=PARIS),
        value=Decimal(value),
        currency=currency,
        source="api",
        external_id=f"x{n}",
        campaign=campaign,
    )


@pytest.fixture
def spring(workspace):
    campaign = Campaign.objects.create(workspace=workspace, name="Spring", utm_campaign="spring")
    BudgetLine.objects.create(
        workspace=workspace,
        campaign=campaign,
        category="paid",
        label="Boosts",
        planned_amount=500,
        actual_amount=400,
        currency="EUR",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
    )
    BudgetLine.objects.create(
        workspace=workspace,
        campaign=campaign,
        category="content",
        label="Shoot",
        planned_amount=300,
        actual_amount=200,
        currency="EUR",
        starts_on=date(2026, 3, 5),
        ends_on=date(2026, 3, 5),
    )
    link = ShortLink.objects.create(
        workspace=workspace,
        destination="https://s.example",
        original_url="https://s.example",
        campaign=campaign,
        created_at=datetime(2026, 3, 1, tzinfo=PARIS),
    )
    for i in range(120):
        Click.objects.create(
            link=link,
            workspace=workspace,
            at=datetime(2026, 3, 8, 10, tzinfo=PARIS),
            visitor=f"v{i}",
            address=f"a{i}",
        )
    for i in range(12):
        conversion(workspace, i, "100.00", campaign=campaign)
    return campaign


def test_roi_on_known_data(workspace, spring):
    row = roi.compute(workspace, date(2026, 3, 1), date(2026, 3, 31), spring)
    assert row.cost == Decimal("600.00")
    assert row.value == Decimal("1200.00")
    assert row.conversions == 12
    assert row.roi == pytest.approx(1.0)
    assert row.cost_per_click == Decimal("5.00")
    assert row.cost_per_conversion == Decimal("50.00")
    assert row.caveats == []


def test_a_budget_line_beyond_the_period_is_pro_rated_and_said(workspace, spring):
    row = roi.compute(workspace, date(2026, 3, 1), date(2026, 3, 10), spring)
    assert row.cost == Decimal("329.03")  # 400 x 10/31 + 200
    assert any("in proportion" in c for c in row.caveats)


def test_zero_cost_mixed_currencies_and_thin_data_are_said(workspace):
    free = Campaign.objects.create(workspace=workspace, name="Free")
    conversion(workspace, 1, "10", campaign=free)
    conversion(workspace, 2, "15", currency="USD", campaign=free)
    row = roi.compute(workspace, date(2026, 3, 1), date(2026, 3, 31), free)
    assert row.roi is None
    assert row.cost_per_conversion is None
    text = " ".join(row.caveats)
    assert "No money is recorded as spent" in text
    assert "several currencies (EUR, USD)" in text
    assert "Only 2 conversions" in text
    assert "No short link" in text


def test_the_period_row_comes_first_then_each_active_campaign(workspace, spring):
    conversion(workspace, 99, "50")  # unattributed
    rows = roi.by_campaign(workspace, date(2026, 3, 1), date(2026, 3, 31))
    assert [r.label for r in rows] == ["All campaigns", "Spring"]
    assert rows[0].value == Decimal("1250.00")
    assert any("attributed to no campaign" in c for c in rows[1].caveats)


def _history(workspace, make_channel, publish, snap, posts: int, best=(1, 19)):
    channel = make_channel()
    rng = random.Random(5)
    start = datetime(2026, 1, 5, tzinfo=PARIS)  # a Monday
    for i in range(posts):
        day, hour = best if i % 4 == 0 else (rng.randrange(7), rng.choice([8, 10, 12, 15, 21]))
        at = start + timedelta(weeks=i // 7, days=day, hours=hour)
        target = publish(channel, at)
        rate = 0.08 if (day, hour) == best else 0.03
        snap(
            target, at + timedelta(hours=20), impressions=1000, likes=int(1000 * rate * rng.uniform(0.8, 1.2))
        )
    rollups.rebuild_workspace(workspace)


def test_best_time_finds_the_known_best_slot_with_its_uncertainty(workspace, make_channel, publish, snap):
    _history(workspace, make_channel, publish, snap, posts=80)
    found = besttime.best_times(workspace)
    assert found.source == "history"
    top = found.best(3)[0]
    assert (top.weekday, top.hour) == (1, 19)
    assert top.low < top.score < top.high
    assert top.score > 150  # well above the account's average post
    assert (1, 19) in found.good()
    unseen = found.grid()[6][3]  # Sunday 3 h: never posted, close to the prior, wide interval
    assert unseen.posts == 0
    assert unseen.high - unseen.low > top.high - top.low


def test_a_thin_history_falls_back_to_the_network_prior_and_says_so(workspace, make_channel, publish, snap):
    _history(workspace, make_channel, publish, snap, posts=8)
    found = besttime.best_times(workspace)
    assert found.source == "prior"
    assert "Only 8 posts" in found.note
    assert found.best(1)[0].hour in range(7, 22)
