"""API schemas of analytics (django-ninja)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import WithJsonSchema

from tamtam.accounts.schemas import MAX_ID


class PeriodIn(Schema):
    start: dt.date | None = Field(None, description="First local day (ISO date); default: 30 days ago")
    end: dt.date | None = Field(None, description="Last local day, inclusive; default: today")
    # Bounded like every id: a larger number overflows the database's integer (a 500, not a 422).
    channel: int | None = Field(None, ge=1, le=MAX_ID, description="Only this channel")
    campaign: int | None = Field(None, ge=1, le=MAX_ID, description="Only this campaign")


# One point of a series, `["2026-12-01", 42.0]`. Its schema is written out without `prefixItems`: the
# tuple's own 2020-12 form is valid OpenAPI 3.1, but validators that down-convert it (schemathesis)
# reject the result, and the answers must be checkable against the spec.
DayValue = Annotated[
    tuple[dt.date, float],
    WithJsonSchema(
        {
            "type": "array",
            "description": "[local day (ISO date), value]",
            "items": {"anyOf": [{"type": "string", "format": "date"}, {"type": "number"}]},
            "minItems": 2,
            "maxItems": 2,
        }
    ),
]


class MetricOut(Schema):
    metric: str
    start: dt.date
    end: dt.date
    value: float | None = Field(description="null: no data for the scope and period (not zero)")
    series: list[DayValue]


class KpiOut(Schema):
    metric: str
    value: float | None
    previous: float | None
    change_pct: float | None


class PostRowOut(Schema):
    target_id: int
    post_id: int
    channel_id: int
    channel: str
    network: str
    text: str
    published_at: dt.datetime | None
    url: str
    impressions: int
    engagements: int
    clicks: int
    engagement_rate: float | None


class ChannelRowOut(Schema):
    channel_id: int
    name: str
    network: str
    impressions: int
    engagements: int
    engagement_rate: float | None
    rate_basis: str
    posts_published: int
    followers: float | None
    follower_growth: float | None
    link_clicks: float | None
    stale_since: dt.datetime | None
    last_error: str


class DashboardOut(Schema):
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    empty: bool
    kpis: list[KpiOut]
    engagement: dict[str, object]
    best_posts: list[PostRowOut]
    channels: list[ChannelRowOut]
    sentiment: dict[str, object]
    response_times: dict[str, object]


class SlotOut(Schema):
    weekday: int
    hour: int
    score: float
    low: float
    high: float
    posts: int


class BestTimeOut(Schema):
    source: str = Field(
        description="history (learned from the account) or prior (network-level, thin history)"
    )
    posts: int
    note: str
    best: list[SlotOut]
    slots: list[SlotOut]


class LinkOut(Schema):
    link_id: int
    code: str
    destination: str
    target_id: int | None
    post_id: int | None
    channel_id: int | None
    total: int
    unique: int
    bots: int
    floods: int


class ConversionIn(Schema):
    id: str = Field(min_length=1, max_length=200, description="Your own id: sent twice, stored once")
    value: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, e.g. EUR")
    occurred_at: dt.datetime | None = None
    label: str = Field("", max_length=200)
    utm_source: str = Field("", max_length=80)
    utm_campaign: str = Field("", max_length=80)
    utm_content: str = Field("", max_length=80)
    link: str = Field("", max_length=16, description="A short link code")


class ConversionOut(Schema):
    id: int
    external_id: str
    occurred_at: dt.datetime
    value: Decimal
    currency: str
    source: str
    target_id: int | None
    channel_id: int | None
    campaign_id: int | None
    attributed_by: str
    created: bool


class RoiOut(Schema):
    label: str
    campaign_id: int | None
    start: dt.date
    end: dt.date
    costs: dict[str, Decimal]
    values: dict[str, Decimal]
    conversions: int
    clicks: int | None
    currency: str | None
    cost: Decimal | None
    value: Decimal | None
    roi: float | None = Field(description="(value - cost) / cost; 1.5 means +150 %")
    cost_per_click: Decimal | None
    cost_per_conversion: Decimal | None
    caveats: list[str]
