"""REST API of analytics: metrics, the dashboard, best times, links, conversions, ROI."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import WithJsonSchema

from tamtam.accounts.api import COMMON, member_for
from tamtam.accounts.permissions import Cap
from tamtam.accounts.schemas import PathId
from tamtam.analytics import besttime, conversions, dashboard, links, roi, services
from tamtam.analytics.models import ConversionSource
from tamtam.analytics.rollups import day_bounds
from tamtam.analytics.schemas import (
    BestTimeOut,
    ConversionIn,
    ConversionOut,
    DashboardOut,
    LinkOut,
    MetricOut,
    PeriodIn,
    RoiOut,
)
from tamtam.lib.errors import InvalidInput

router = Router(tags=["analytics"])

# The metric names in the spec (an enum), so that a client or a fuzzer knows the valid ones; the
# check in the endpoint stays, with its message naming them.
MetricName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(services.METRICS)})]
MAX_DAYS = 731


def _period(workspace: Any, filters: PeriodIn) -> dashboard.Period:
    default = dashboard.Period.last_days(workspace, 30)
    period = dashboard.Period(filters.start or default.start, filters.end or default.end)
    if period.end < period.start:
        raise InvalidInput("end", "must be on or after start")
    if period.days > MAX_DAYS:
        raise InvalidInput("end", f"at most {MAX_DAYS} days")
    return period


@router.get(
    "/workspaces/{ws}/analytics/metrics/{metric}",
    response={200: MetricOut, **COMMON},
    summary="One metric: total and daily series",
)
def metric(request: HttpRequest, ws: PathId, metric: MetricName, filters: Query[PeriodIn]) -> dict[str, Any]:
    member = member_for(request, ws, Cap.VIEW_ANALYTICS)
    if metric not in services.METRICS:
        raise InvalidInput("metric", f"unknown metric; expected one of {', '.join(services.METRICS)}")
    period = _period(member.workspace, filters)
    ids = [filters.channel] if filters.channel else None
    ws_, start, end, campaign = member.workspace, period.start, period.end, filters.campaign
    return {
        "metric": metric,
        "start": start,
        "end": end,
        "value": services.metric_total(ws_, metric, start, end, channel_ids=ids, campaign_id=campaign),
        "series": services.daily_series(ws_, metric, start, end, channel_ids=ids, campaign_id=campaign),
    }


@router.get(
    "/workspaces/{ws}/analytics/dashboard", response={200: DashboardOut, **COMMON}, summary="Dashboard"
)
def get_dashboard(request: HttpRequest, ws: PathId, filters: Query[PeriodIn]) -> dict[str, Any]:
    member = member_for(request, ws, Cap.VIEW_ANALYTICS)
    period = _period(member.workspace, filters)
    board = dashboard.workspace_dashboard(
        member.workspace, period, [filters.channel] if filters.channel else None
    )
    return {
        "start": period.start,
        "end": period.end,
        "previous_start": board.previous.start,
        "previous_end": board.previous.end,
        "empty": board.empty,
        "kpis": [asdict(k) for k in board.kpis],
        "engagement": board.engagement.as_dict(),
        "best_posts": [asdict(p) for p in board.best_posts],
        "channels": [asdict(c) for c in board.channels],
        "sentiment": board.sentiment.as_dict(),
        "response_times": asdict(board.response_times),
    }


@router.get(
    "/workspaces/{ws}/analytics/best-time", response={200: BestTimeOut, **COMMON}, summary="Best time to post"
)
def best_time(request: HttpRequest, ws: PathId, filters: Query[PeriodIn]) -> dict[str, Any]:
    member = member_for(request, ws, Cap.VIEW_ANALYTICS)
    found = besttime.best_times(member.workspace, [filters.channel] if filters.channel else None)
    return {
        "source": found.source,
        "posts": found.posts,
        "note": found.note,
        "best": [asdict(s) for s in found.best(5)],
        "slots": [asdict(s) for s in found.slots],
    }


@router.get(
    "/workspaces/{ws}/analytics/links", response={200: list[LinkOut], **COMMON}, summary="Short links"
)
def list_links(request: HttpRequest, ws: PathId, filters: Query[PeriodIn]) -> list[dict[str, Any]]:
    member = member_for(request, ws, Cap.VIEW_ANALYTICS)
    period = _period(member.workspace, filters)
    tz = member.workspace.tz
    start, end = day_bounds(period.start, tz)[0], day_bounds(period.end, tz)[0] + timedelta(days=1)
    return [asdict(s) for s in links.link_stats(ws, start, end)]


def _conversion_out(row: Any, created: bool) -> dict[str, Any]:
    return {
        "id": row.pk,
        "external_id": row.external_id,
        "occurred_at": row.occurred_at,
        "value": row.value,
        "currency": row.currency,
        "source": row.source,
        "target_id": row.target_id,
        "channel_id": row.channel_id,
        "campaign_id": row.campaign_id,
        "attributed_by": row.attributed_by,
        "created": created,
    }


@router.post(
    "/workspaces/{ws}/analytics/conversions",
    response={201: ConversionOut, 200: ConversionOut, **COMMON},
    summary="Record a conversion (stored once per id)",
)
def create_conversion(request: HttpRequest, ws: PathId, payload: ConversionIn) -> tuple[int, dict[str, Any]]:
    member = member_for(request, ws, Cap.MANAGE_ANALYTICS)
    data = conversions.from_payload(member.workspace, payload.dict() | {"value": str(payload.value)})
    if payload.occurred_at is not None:
        data.occurred_at = payload.occurred_at
    row, created = conversions.record(member.workspace, data, ConversionSource.API)
    return (201 if created else 200), _conversion_out(row, created)


@router.get(
    "/workspaces/{ws}/analytics/roi", response={200: list[RoiOut], **COMMON}, summary="ROI by campaign"
)
def get_roi(request: HttpRequest, ws: PathId, filters: Query[PeriodIn]) -> list[dict[str, Any]]:
    member = member_for(request, ws, Cap.VIEW_ANALYTICS)
    period = _period(member.workspace, filters)
    return [asdict(r) for r in roi.by_campaign(member.workspace, period.start, period.end)]
