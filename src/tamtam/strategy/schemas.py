"""API schemas of strategy: objectives (with progress and forecast), personas, pillars, campaigns,
budget lines, and the strategy overview (pillar mix, budget consumed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator

from tamtam.accounts.schemas import Id, Text
from tamtam.strategy.models import (
    BudgetCategory,
    BudgetLine,
    Campaign,
    Metric,
    Objective,
    ObjectiveKind,
    Persona,
    Pillar,
    TargetMode,
)
from tamtam.strategy.services import BudgetSummary, PillarMix, Progress

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _sane_day(value: date) -> date:
    # Far dates are typos, and a day after 9999-12-31 cannot even be computed.
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(_("a date between 2000-01-01 and 2100-12-31 is expected"))
    return value


Day = Annotated[date, AfterValidator(_sane_day)]

# API names of the related objects → the model's field names (and back, for error messages).
API_TO_MODEL = {
    "owner_id": "owner",
    "channel_ids": "channels",
    "campaign_id": "campaign",
    "pillar_ids": "pillars",
    "persona_ids": "personas",
}
MODEL_TO_API = {v: k for k, v in API_TO_MODEL.items()}


def to_model(data: dict[str, Any]) -> dict[str, Any]:
    return {API_TO_MODEL.get(k, k): v for k, v in data.items()}


class ObjectiveIn(Schema):
    name: Text = Field(..., min_length=1, max_length=160)
    kind: ObjectiveKind
    metric: Metric
    target: Decimal = Field(..., gt=0, max_digits=16, decimal_places=4)
    target_mode: TargetMode = Field(
        TargetMode.LEVEL,
        description="followers only: level (reach the target), growth (+target followers over the "
        "period), growth_percent (+target % of the level the day before the start)",
    )
    starts_on: Day
    ends_on: Day
    owner_id: Id | None = None
    channel_ids: list[Id] = Field(default_factory=list, max_length=200)
    campaign_id: Id | None = None
    notes: Text = Field("", max_length=5000)


class ObjectivePatch(Schema):
    name: Text | None = Field(None, min_length=1, max_length=160)
    kind: ObjectiveKind | None = None
    metric: Metric | None = None
    target: Decimal | None = Field(None, gt=0, max_digits=16, decimal_places=4)
    target_mode: TargetMode | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    owner_id: Id | None = None
    channel_ids: list[Id] | None = Field(None, max_length=200)
    campaign_id: Id | None = None
    notes: Text | None = Field(None, max_length=5000)


class ForecastOut(Schema):
    value: float
    low: float
    high: float
    level: float = Field(..., description="Coverage of the interval [low, high], e.g. 0.9.")
    days_observed: int
    days_left: int
    slope_per_day: float


class ProgressOut(Schema):
    current: float | None = Field(..., description="None: no data yet (never a zero by default).")
    target: float
    percent: int | None
    status: str = Field(..., description="no_data, not_started, unknown, on_track, at_risk, off_track, ...")
    measured_until: date
    stale: bool = Field(..., description="The measurements failed: the figures may be out of date.")
    baseline: float | None = Field(
        None, description="Growth targets: the followers the day before the start (what growth adds to)."
    )
    forecast: ForecastOut | None


class ObjectiveOut(Schema):
    id: int
    name: str
    kind: str
    metric: str
    target: Decimal
    target_mode: str
    starts_on: date
    ends_on: date
    owner_id: int | None
    channel_ids: list[int]
    campaign_id: int | None
    notes: str
    progress: ProgressOut | None = None


def progress_out(p: Progress) -> dict[str, Any]:
    f = p.forecast
    return {
        "current": p.current,
        "target": p.target,
        "percent": p.percent,
        "status": p.status,
        "measured_until": p.measured_until,
        "stale": p.stale,
        "baseline": p.baseline,
        "forecast": None
        if f is None
        else {
            "value": f.value,
            "low": f.low,
            "high": f.high,
            "level": f.level,
            "days_observed": f.days_observed,
            "days_left": f.days_left,
            "slope_per_day": f.slope_per_day,
        },
    }


def objective_out(o: Objective, progress: Progress | None = None) -> dict[str, Any]:
    return {
        "id": o.pk,
        "name": o.name,
        "kind": o.kind,
        "metric": o.metric,
        "target": o.target,
        "target_mode": o.target_mode,
        "starts_on": o.starts_on,
        "ends_on": o.ends_on,
        "owner_id": o.owner_id,
        "channel_ids": [c.pk for c in o.channels.all()],
        "campaign_id": o.campaign_id,
        "notes": o.notes,
        "progress": progress_out(progress) if progress else None,
    }


class PersonaIn(Schema):
    name: Text = Field(..., min_length=1, max_length=120)
    description: Text = Field("", max_length=5000, description="Who they are.")
    interests: Text = Field("", max_length=5000, description="What they care about.")
    channel_ids: list[Id] = Field(default_factory=list, max_length=200, description="Where they are.")


class PersonaPatch(Schema):
    name: Text | None = Field(None, min_length=1, max_length=120)
    description: Text | None = Field(None, max_length=5000)
    interests: Text | None = Field(None, max_length=5000)
    channel_ids: list[Id] | None = Field(None, max_length=200)


class PersonaOut(Schema):
    id: int
    name: str
    description: str
    interests: str
    channel_ids: list[int]


def persona_out(p: Persona) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "description": p.description,
        "interests": p.interests,
        "channel_ids": [c.pk for c in p.channels.all()],
    }


class PillarIn(Schema):
    name: Text = Field(..., min_length=1, max_length=120)
    description: Text = Field("", max_length=5000)
    target_share: int = Field(0, ge=0, le=100, description="Share of posts it should take, in %.")
    color: str = Field("#868e96", pattern=r"^#[0-9a-fA-F]{6}$")


class PillarPatch(Schema):
    name: Text | None = Field(None, min_length=1, max_length=120)
    description: Text | None = Field(None, max_length=5000)
    target_share: int | None = Field(None, ge=0, le=100)
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")


class PillarOut(Schema):
    id: int
    name: str
    description: str
    target_share: int
    color: str


def pillar_out(p: Pillar) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "description": p.description,
        "target_share": p.target_share,
        "color": p.color,
    }


class CampaignIn(Schema):
    name: Text = Field(..., min_length=1, max_length=120)
    starts_on: Day | None = None
    ends_on: Day | None = None
    utm_campaign: str = Field("", max_length=80, pattern=r"^[-a-zA-Z0-9_]*$")
    color: str = Field("#f08c00", pattern=r"^#[0-9a-fA-F]{6}$")
    pillar_ids: list[Id] = Field(default_factory=list, max_length=200)
    persona_ids: list[Id] = Field(default_factory=list, max_length=200)


class CampaignPatch(Schema):
    name: Text | None = Field(None, min_length=1, max_length=120)
    starts_on: Day | None = None
    ends_on: Day | None = None
    utm_campaign: str | None = Field(None, max_length=80, pattern=r"^[-a-zA-Z0-9_]*$")
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    pillar_ids: list[Id] | None = Field(None, max_length=200)
    persona_ids: list[Id] | None = Field(None, max_length=200)


class CampaignOut(Schema):
    id: int
    name: str
    starts_on: date | None
    ends_on: date | None
    utm_campaign: str
    color: str
    pillar_ids: list[int]
    persona_ids: list[int]


def campaign_out(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "utm_campaign": c.utm_campaign,
        "color": c.color,
        "pillar_ids": [p.pk for p in c.pillars.all()],
        "persona_ids": [p.pk for p in c.personas.all()],
    }


class BudgetLineIn(Schema):
    label: Text = Field(..., min_length=1, max_length=160)
    category: BudgetCategory
    campaign_id: Id | None = None
    planned_amount: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=2)
    actual_amount: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=2)
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")
    starts_on: Day
    ends_on: Day


class BudgetLinePatch(Schema):
    label: Text | None = Field(None, min_length=1, max_length=160)
    category: BudgetCategory | None = None
    campaign_id: Id | None = None
    planned_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    actual_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    starts_on: Day | None = None
    ends_on: Day | None = None


class BudgetLineOut(Schema):
    id: int
    label: str
    category: str
    campaign_id: int | None
    planned_amount: Decimal
    actual_amount: Decimal
    currency: str
    starts_on: date
    ends_on: date


def budget_line_out(b: BudgetLine) -> dict[str, Any]:
    return {
        "id": b.pk,
        "label": b.label,
        "category": b.category,
        "campaign_id": b.campaign_id,
        "planned_amount": b.planned_amount,
        "actual_amount": b.actual_amount,
        "currency": b.currency,
        "starts_on": b.starts_on,
        "ends_on": b.ends_on,
    }


class PeriodIn(Schema):
    start: Day | None = Field(None, description="First day (default: 30 days ago).")
    end: Day | None = Field(None, description="Last day, included (default: today).")


class PillarShareOut(Schema):
    pillar_id: int | None
    name: str
    target_share: int | None
    posts: int
    share: float | None = Field(..., description="% of the posts published; None when none was.")


class BudgetRowOut(Schema):
    category: str
    currency: str
    planned: Decimal
    actual: Decimal
    consumed_percent: int | None


class OverviewOut(Schema):
    start: date
    end: date
    objectives: list[ObjectiveOut]
    posts_published: int
    pillar_mix: list[PillarShareOut]
    budget: list[BudgetRowOut]
    budget_totals: list[BudgetRowOut]


def mix_out(mix: PillarMix) -> list[dict[str, Any]]:
    return [
        {
            "pillar_id": r.pillar_id,
            "name": r.name,
            "target_share": r.target_share,
            "posts": r.posts,
            "share": r.share,
        }
        for r in mix.rows
    ]


def budget_out(summary: BudgetSummary) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    def row(r: Any) -> dict[str, Any]:
        return {
            "category": r.category,
            "currency": r.currency,
            "planned": r.planned,
            "actual": r.actual,
            "consumed_percent": r.consumed_percent,
        }

    return [row(r) for r in summary.rows], [row(t) | {"category": "total"} for t in summary.totals]
