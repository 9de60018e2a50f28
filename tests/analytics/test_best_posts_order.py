"""best_posts ranks by the period's sums (ties by target id) and keeps `limit` rows, whichever order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tamtam.analytics import dashboard
from tamtam.analytics.models import PostDaily


@pytest.mark.django_db
def test_best_posts_rank_ties_limit_and_period(workspace, make_channel, publish) -> None:
    channel = make_channel()
    targets = [publish(channel, datetime(2026, 5, 1, 9, tzinfo=UTC)) for _ in range(5)]
    # (target index, day, impressions, engagements, rate basis)
    days = [
        (0, 1, 100, 10, 100),
        (0, 2, 100, 10, 100),  # 0: 200 impressions, 20 engagements, rate 10 %
        (1, 1, 500, 20, 1000),  # 1: 500, 20 (a tie with 0 on engagements: the lower id first), 2 %
        (2, 1, 50, 25, 50),  # 2: 50, 25, 50 %
        (3, 3, 900, 5, 900),  # 3: 900, 5
        (4, 9, 10_000, 999, 10_000),  # 4: outside the period
    ]
    for index, day, impressions, engagements, basis in days:
        PostDaily.objects.create(
            target=targets[index],
            workspace=workspace,
            channel=channel,
            day=date(2026, 5, day),
            impressions=impressions,
            engagements=engagements,
            rate_basis=basis,
        )
    period = dashboard.Period(date(2026, 5, 1), date(2026, 5, 5))
    ids = [t.pk for t in targets]

    def ranked(order: str, limit: int = 10) -> list[int]:
        return [r.target_id for r in dashboard.best_posts(workspace, period, order=order, limit=limit)]

    tie = sorted([ids[0], ids[1]])
    assert ranked("engagements") == [ids[2], *tie, ids[3]]
    assert ranked("impressions") == [ids[3], ids[1], ids[0], ids[2]]
    assert ranked("impressions", limit=2) == [ids[3], ids[1]]
    assert ranked("rate") == [ids[2], ids[0], ids[1], ids[3]]
    row = dashboard.best_posts(workspace, period, limit=1)[0]
    assert (row.impressions, row.engagements) == (50, 25)
