"""Analytics pages under /w/<ws>/analytics/ and the agency overview. Thin: figures come from dashboard,
besttime, links, roi; changes go through conversions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tamtam.accounts.models import Workspace
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import require, workspaces_for
from tamtam.analytics import besttime, conversions, dashboard, figurecache, links, roi
from tamtam.analytics.models import Conversion, TrackingSettings, WebhookRejection
from tamtam.analytics.rollups import day_bounds
from tamtam.channels.models import Channel
from tamtam.lib.errors import InvalidInput
from tamtam.lib.http import AuthedRequest

PERIODS = (7, 30, 90)
MAX_DAYS = 731
MAX_UPLOAD = 5 * 1024 * 1024


def period_from(request: AuthedRequest, workspace: Workspace) -> tuple[dashboard.Period, str]:
    """?start=&end= (ISO dates) or ?days=7|30|90; a bad range falls back to 30 days, with a message."""
    start, end = request.GET.get("start", ""), request.GET.get("end", "")
    if start or end:
        try:
            period = dashboard.Period(date.fromisoformat(start), date.fromisoformat(end))
            if period.end < period.start or period.days > MAX_DAYS:
                raise ValueError
            return period, ""
        except ValueError:
            return dashboard.Period.last_days(workspace, 30), _(
                "The date range is not valid (YYYY-MM-DD, start before end, at most two years): "
                "the last 30 days are shown."
            )
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    return dashboard.Period.last_days(workspace, days if days in PERIODS else 30), ""


def _channel_ids(request: AuthedRequest, workspace: Workspace) -> list[int] | None:
    raw = request.GET.get("channel", "")
    if raw.isdigit() and Channel.objects.filter(pk=int(raw), workspace=workspace).exists():
        return [int(raw)]
    return None


def _context(request: AuthedRequest, member: Any, tab: str) -> dict[str, Any]:
    workspace = member.workspace
    period, warning = period_from(request, workspace)
    if warning:
        messages.warning(request, warning)
    return {
        "workspace": workspace,
        "period": period,
        "periods": PERIODS,
        "tab": tab,
        "query": request.GET.urlencode(),
        "can_manage": can(member.role, Cap.MANAGE_ANALYTICS),
    }


@login_required
@require_GET
def overview(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_ANALYTICS)
    context = _context(request, member, "dashboard")
    workspace, period = member.workspace, context["period"]
    channel_ids = _channel_ids(request, workspace)
    # The figures may come from figurecache (kept up to TTL_S seconds); the permission check above
    # runs on every request.
    board, computed_at = figurecache.dashboard(workspace, period, channel_ids)
    context.update(
        board=board,
        computed_at=computed_at,
        kept_s=figurecache.TTL_S,
        channels=Channel.objects.filter(workspace=workspace).order_by("name"),
        channel_id=channel_ids[0] if channel_ids else None,
        chart=(
            {
                "engagement": board.engagement.as_dict(),
                "sentiment": board.sentiment.as_dict(),
                "channels": [
                    {"name": c.name, "engagements": c.engagements, "impressions": c.impressions}
                    for c in board.channels
                ],
            }
        ),
    )
    return render(request, "analytics/dashboard.html", context)


@login_required
@require_GET
def posts(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_ANALYTICS)
    context = _context(request, member, "posts")
    workspace, period = member.workspace, context["period"]
    order = request.GET.get("order", "engagements")
    if order not in ("engagements", "impressions", "rate"):
        order = "engagements"
    campaign = request.GET.get("campaign", "")
    rows = dashboard.best_posts(
        workspace,
        period,
        limit=200,
        channel_ids=_channel_ids(request, workspace),
        campaign_id=int(campaign) if campaign.isdigit() else None,
        order=order,
    )
    start_at, end_at = day_bounds(period.start, workspace.tz)[0], day_bounds(period.end, workspace.tz)[1]
    clicks: dict[int, int] = {}
    for stats in links.link_stats(workspace.pk, start_at, end_at):
        if stats.target_id:
            clicks[stats.target_id] = clicks.get(stats.target_id, 0) + stats.total
    context.update(rows=rows, order=order, link_clicks=clicks)
    return render(request, "analytics/posts.html", context)


@login_required
@require_GET
def best_time(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_ANALYTICS)
    context = _context(request, member, "best_time")
    workspace = member.workspace
    channel_ids = _channel_ids(request, workspace)
    found = besttime.best_times(workspace, channel_ids)
    context.update(
        found=found,
        best=found.best(5),
        channels=Channel.objects.filter(workspace=workspace).order_by("name"),
        channel_id=channel_ids[0] if channel_ids else None,
        hours=range(24),
    )
    return render(request, "analytics/best_time.html", context)


@login_required
@require_GET
def links_page(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_ANALYTICS)
    context = _context(request, member, "links")
    workspace, period = member.workspace, context["period"]
    start_at, end_at = day_bounds(period.start, workspace.tz)[0], day_bounds(period.end, workspace.tz)[1]
    context.update(
        rows=links.link_stats(workspace.pk, start_at, end_at)[:200],
        tracking=links.tracking_on(workspace.pk),
        base=links.short_url(""),
    )
    return render(request, "analytics/links.html", context)


@login_required
@require_POST
def tracking(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_ANALYTICS)
    row = conversions.settings_for(member.workspace)
    on = request.POST.get("on") == "1"
    TrackingSettings.objects.filter(pk=row.pk).update(shorten_links=on)
    messages.success(
        request, _("Links will be shortened and tracked.") if on else _("Links are left as written.")
    )
    return redirect("analytics:links", ws=ws)


def _conversions_context(request: AuthedRequest, member: Any) -> dict[str, Any]:
    context = _context(request, member, "conversions")
    workspace, period = member.workspace, context["period"]
    start_at, end_at = day_bounds(period.start, workspace.tz)[0], day_bounds(period.end, workspace.tz)[1]
    row = TrackingSettings.objects.filter(workspace=workspace).first()
    context.update(
        rows=Conversion.objects.filter(workspace=workspace, occurred_at__gte=start_at, occurred_at__lt=end_at)
        .select_related("campaign", "channel")
        .order_by("-occurred_at")[:200],
        settings_row=row,
        webhook_url=request.build_absolute_uri(f"/analytics/conversions/{workspace.pk}/webhook"),
        pixel_url=request.build_absolute_uri(f"/l/p/{row.pixel_token}.gif") if row else "",
        rejections=WebhookRejection.objects.filter(workspace=workspace)[:20],
    )
    return context


@login_required
@require_GET
def conversions_page(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_ANALYTICS)
    return render(request, "analytics/conversions.html", _conversions_context(request, member))


@login_required
@require_POST
def conversions_import(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_ANALYTICS)
    upload = request.FILES.get("file")
    context = _conversions_context(request, member)
    if upload is None or upload.size is None or upload.size > MAX_UPLOAD:
        context["import_error"] = _("Choose a CSV file of at most 5 MB.")
        return render(request, "analytics/conversions.html", context, status=422)
    context["report"] = conversions.import_csv(member.workspace, upload.read())
    return render(request, "analytics/conversions.html", context)


@login_required
@require_POST
def conversions_secret(request: AuthedRequest, ws: int) -> HttpResponse:
    """A new webhook secret, shown once on this answer (it is stored encrypted, never shown again)."""
    member = require(request.user, ws, Cap.MANAGE_ANALYTICS)
    secret = conversions.rotate_secret(member.workspace)
    context = _conversions_context(request, member)
    context["new_secret"] = secret
    response = render(request, "analytics/conversions.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def roi_page(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_ANALYTICS)
    context = _context(request, member, "roi")
    period = context["period"]
    context["rows"] = roi.by_campaign(member.workspace, period.start, period.end)
    return render(request, "analytics/roi.html", context)


@login_required
@require_GET
def agency(request: AuthedRequest) -> HttpResponse:
    """Every workspace the person may analyse, side by side (an agency's clients)."""
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    workspaces = list(
        workspaces_for(request.user, Cap.VIEW_ANALYTICS).select_related("agency").order_by("name")
    )
    rows, computed_at = figurecache.agency(workspaces, days)
    return render(
        request,
        "analytics/agency.html",
        {
            "rows": rows,
            "days": days,
            "periods": PERIODS,
            "since": timedelta(days=days),
            "computed_at": computed_at,
            "kept_s": figurecache.TTL_S,
        },
    )


@login_required
@require_GET
def good_slots(request: AuthedRequest, ws: int) -> HttpResponse:
    """The calendar's background highlights: the best-time slots within FullCalendar's range."""
    from django.http import JsonResponse

    from tamtam.publishing.views.calendar import query_range

    member = require(request.user, ws, Cap.VIEW_CALENDAR)
    workspace = member.workspace
    try:
        start, end = query_range(request.GET, workspace.tz)
    except InvalidInput as exc:
        return JsonResponse(
            {"detail": str(exc), "errors": [{"field": exc.field, "message": exc.message}]}, status=400
        )
    found = besttime.best_times(workspace, _channel_ids(request, workspace))
    return JsonResponse(besttime.good_slot_events(found, start, end, workspace.tz), safe=False)
