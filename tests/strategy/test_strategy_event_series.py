"""Daily series of event metrics (clicks, unique clicks, publications, sales), which objectives and
reports forecast from: one query over the period must give, day by day, exactly what
`metric_total` gives for that single day, in the workspace's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tamtam.analytics import services
from tamtam.analytics.models import Click, Conversion, ShortLink
from tamtam.publishing.models import Post, PostTarget

pytestmark = pytest.mark.django_db

START, END = date(2026, 3, 1), date(2026, 3, 10)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 30, tzinfo=UTC)


@pytest.fixture
def events(workspace, make_channel):
    """Paris workspace; events at 23:30 UTC fall on the next local day (the bucketing must say so)."""
    workspace.time_zone = "Europe/Paris"
    workspace.save()
    one, two = make_channel(name="One"), make_channel(name="Two")
    for day, hour, channel in ((1, 9, one), (2, 23, one), (2, 10, two), (5, 8, two), (9, 12, one)):
        post = Post.objects.create(workspace=workspace, text=f"Post {day} {hour}")
        PostTarget.objects.create(
            post=post, channel=channel, workspace=workspace, state="published", published_at=at(day, hour)
        )
    failed = Post.objects.create(workspace=workspace, text="failed")
    PostTarget.objects.create(post=failed, channel=one, workspace=workspace, state="failed")
    link_a = ShortLink.objects.create(
        workspace=workspace, destination="https://a.example/", original_url="https://a.example/",
        channel=one, created_at=at(3, 8),
    )  # fmt: skip
    link_b = ShortLink.objects.create(
        workspace=workspace, destination="https://b.example/", original_url="https://b.example/",
        channel=two, created_at=at(4, 8),
    )  # fmt: skip
    clicks = [
        (link_a, 3, 9, "v1", "a1", False, False),
        (link_a, 3, 23, "v1", "a1", False, False),  # local day 4
        (link_a, 4, 10, "v2", "a1", False, False),
        (link_a, 4, 11, "v3", "a2", True, False),  # a bot: not counted
        (link_b, 6, 12, "v4", "a3", False, True),  # a flood: not counted
        (link_b, 6, 13, "v5", "a3", False, False),
    ]
    # one address with seven browsers on one day: at most five people
    clicks += [(link_b, 8, 14, f"w{i}", "a9", False, False) for i in range(7)]
    for link, day, hour, visitor, address, bot, flood in clicks:
        Click.objects.create(
            link=link, workspace=workspace, at=at(day, hour), visitor=visitor, address=address,
            bot=bot, flood=flood,
        )  # fmt: skip
    for n, (day, hour, value, currency) in enumerate(
        [(1, 10, "10.00", "EUR"), (1, 23, "5.50", "EUR"), (7, 9, "20.00", "EUR"), (7, 10, "99.00", "USD")]
    ):
        Conversion.objects.create(
            workspace=workspace, occurred_at=at(day, hour), value=Decimal(value), currency=currency,
            source="csv", external_id=f"o{n}",
        )  # fmt: skip
    return workspace, one, two


@pytest.mark.parametrize(
    "metric", ["clicks", "unique_clicks", "posts_published", "conversions", "conversion_value"]
)
@pytest.mark.parametrize("scope", ["all", "channel one"])
def test_each_day_is_that_days_total(events, metric, scope):
    workspace, one, _two = events
    channel_ids = [one.pk] if scope == "channel one" else None
    series = dict(services.daily_series(workspace, metric, START, END, channel_ids=channel_ids))
    day_by_day = {}
    day = START
    while day <= END:
        day_by_day[day] = services.metric_total(workspace, metric, day, day, channel_ids=channel_ids)
        day += timedelta(days=1)
    # Days before the scope's first short link are not measured for clicks (left out, not zero).
    expected = {d: v for d, v in day_by_day.items() if v is not None}
    if not any(expected.values()):
        assert series == {}
    else:
        assert series == expected
    if metric != "unique_clicks" and expected:  # a visitor of two days is one person over the period
        assert sum(series.values()) == services.metric_total(
            workspace, metric, START, END, channel_ids=channel_ids
        )


def test_known_values(events):
    workspace, _one, _two = events
    clicks = dict(services.daily_series(workspace, "clicks", START, END))
    assert min(clicks) == date(2026, 3, 3)  # the first link was made on the 3rd
    assert clicks[date(2026, 3, 3)] == 1
    assert clicks[date(2026, 3, 4)] == 2
    assert clicks[date(2026, 3, 8)] == 7
    unique = dict(services.daily_series(workspace, "unique_clicks", START, END))
    assert unique[date(2026, 3, 8)] == 5  # seven browsers behind one address
    published = dict(services.daily_series(workspace, "posts_published", START, END))
    assert published[date(2026, 3, 3)] == 1  # 23:30 UTC on the 2nd is the 3rd in Paris
    assert published[date(2026, 3, 2)] == 1
    assert published[date(2026, 3, 4)] == 0
    value = dict(services.daily_series(workspace, "conversion_value", START, END))
    assert value[date(2026, 3, 1)] == 10.0
    assert value[date(2026, 3, 2)] == 5.5
    assert value[date(2026, 3, 7)] == 20.0  # the USD sale is never added to euros


def test_nothing_at_all_is_an_empty_series(workspace):
    for metric in ("clicks", "unique_clicks", "posts_published", "conversions", "conversion_value"):
        assert services.daily_series(workspace, metric, START, END) == []
