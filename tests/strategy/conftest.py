"""Strategy fixtures: a measurement provider on known daily values (the analytics contract)."""

from __future__ import annotations

from datetime import date

import pytest


class KnownSeries:
    """`metric_total` / `daily_series` over a dict {metric: {day: value}}, as tamtam.analytics answers:
    None when nothing was measured in the window; sums for counts, the last value for levels."""

    LEVELS = {"followers", "engagement_rate"}

    def __init__(self, data: dict[str, dict[date, float]]) -> None:
        self.data = data
        self.calls: list[tuple[str, date, date, dict]] = []

    def daily_series(self, workspace, metric, start, end, *, channel_ids=None, campaign_id=None):
        self.calls.append((metric, start, end, {"channel_ids": channel_ids, "campaign_id": campaign_id}))
        return sorted((d, v) for d, v in self.data.get(metric, {}).items() if start <= d <= end)

    def metric_total(self, workspace, metric, start, end, *, channel_ids=None, campaign_id=None):
        series = self.daily_series(
            workspace, metric, start, end, channel_ids=channel_ids, campaign_id=campaign_id
        )
        if not series:
            return None
        return series[-1][1] if metric in self.LEVELS else sum(v for _d, v in series)


@pytest.fixture
def known_series():
    return KnownSeries


@pytest.fixture
def api(token_api):
    return token_api
