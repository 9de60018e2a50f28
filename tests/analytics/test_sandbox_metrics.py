"""The sandbox's counters are realistic enough to measure: they grow with age and never go down, are
reproducible, depend on the hour and day the post went out, and follow the account's followers."""

from __future__ import annotations

import statistics
from datetime import datetime
from zoneinfo import ZoneInfo

from tamtam.networks.base import Capability, ChannelContext, PublishRequest
from tamtam.networks.sandbox import metrics
from tamtam.networks.sandbox.connector import SandboxConnector

PARIS = ZoneInfo("Europe/Paris")


def connector(offset: float = 0.0, **options: object) -> SandboxConnector:
    opts = {"seed": 7, "audience_size": 5000, "audience_clock_offset_s": offset, **options}
    return SandboxConnector(ChannelContext(channel_id=1, handle="@lumen", credentials={}, options=opts))


def test_post_counters_grow_with_age_and_are_reproducible(db):
    sent = connector().publish(PublishRequest(text="Bonjour", idempotency_key="k1", link="https://x.fr"))
    readings = [
        connector(offset=h * 3600).fetch_post_metrics([sent.remote_id])[0] for h in (0.5, 2, 6, 24, 72)
    ]
    impressions = [r.impressions or 0 for r in readings]
    assert impressions == sorted(impressions)
    assert impressions[-1] > impressions[0]
    assert (readings[-1].likes or 0) > (readings[-1].comments or 0)
    assert readings[-1].clicks  # the post has a link
    again = connector(offset=72 * 3600).fetch_post_metrics([sent.remote_id])[0]
    assert again == readings[-1]
    assert connector().can(Capability.FETCH_METRICS)


def test_unknown_posts_are_left_out(db):
    assert connector().fetch_post_metrics(["999", "not-an-id"]) == []


def test_account_followers_are_near_the_audience_size_and_grow(db):
    now = connector().fetch_account_metrics()
    later = connector(offset=90 * 86400).fetch_account_metrics()
    assert 4900 <= (now.followers or 0) <= 5100
    assert (later.followers or 0) > (now.followers or 0)


def test_the_evening_audience_is_larger_than_the_night_one():
    crowd = metrics.Audience(seed=3, base_followers=10_000, created_at=0.0, tz=PARIS)

    def mean_impressions(hour: int) -> float:
        at = datetime(2026, 3, 3, hour, tzinfo=PARIS).timestamp()  # a Tuesday
        return statistics.fmean(
            metrics.post_metrics(
                crowd, f"p{i}", at, at + 7 * 86400, has_link=False, media_count=0
            ).impressions
            or 0
            for i in range(200)
        )

    assert mean_impressions(19) > 3 * mean_impressions(3)
