"""API: report definitions (CRUD), their content for a period (JSON, CSV, PDF), schedules and
read-only share links. Reading needs `view_reports`, the rest `manage_reports`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query as QueryParams
from ninja import Router

from tamtam.accounts.api import COMMON, member_for
from tamtam.accounts.models import Membership
from tamtam.accounts.permissions import Cap
from tamtam.accounts.schemas import PathId
from tamtam.lib.errors import InvalidInput
from tamtam.reports import render, sections, services
from tamtam.reports import schemas as s
from tamtam.reports.models import Report, ReportSchedule, ReportShare
from tamtam.strategy.schemas import PeriodIn

router = Router(tags=["reports"])


def _report(request: HttpRequest, ws: int, report_id: int, cap: Cap) -> tuple[Membership, Report]:
    member = member_for(request, ws, cap)
    return member, get_object_or_404(
        Report.objects.select_related("workspace__agency"), workspace_id=ws, pk=report_id
    )


def _period(report: Report, period: PeriodIn) -> tuple[date, date]:
    start, end = services.report_period(report)
    start, end = period.start or start, period.end or end
    if end < start:
        raise InvalidInput("end", _("must be on or after start"))
    if (end - start).days >= services.MAX_PERIOD_DAYS:
        raise InvalidInput("end", _("a report covers at most %(n)s days") % {"n": services.MAX_PERIOD_DAYS})
    return start, end


@router.get(
    "/workspaces/{ws}/reports/sections",
    response={200: list[s.SectionKindOut], **COMMON},
    summary="Report sections",
)
def list_sections(request: HttpRequest, ws: PathId) -> list[dict[str, str]]:
    member_for(request, ws, Cap.VIEW_REPORTS)
    return [{"key": k, "label": label} for k, label in sections.choices()]


@router.get("/workspaces/{ws}/reports", response={200: list[s.ReportOut], **COMMON}, summary="Reports")
def list_reports(request: HttpRequest, ws: PathId) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.VIEW_REPORTS)
    return [s.report_out(r) for r in Report.objects.filter(workspace_id=ws)]


@router.post("/workspaces/{ws}/reports", response={201: s.ReportOut, **COMMON}, summary="Create a report")
def create_report(request: HttpRequest, ws: PathId, payload: s.ReportIn) -> tuple[int, dict[str, Any]]:
    member = member_for(request, ws, Cap.MANAGE_REPORTS)
    return 201, s.report_out(services.save_report(member.workspace, request.user, payload.dict()))  # type: ignore[arg-type]


@router.get(
    "/workspaces/{ws}/reports/{report_id}", response={200: s.ReportOut, **COMMON}, summary="One report"
)
def get_report(request: HttpRequest, ws: PathId, report_id: PathId) -> dict[str, Any]:
    return s.report_out(_report(request, ws, report_id, Cap.VIEW_REPORTS)[1])


@router.patch(
    "/workspaces/{ws}/reports/{report_id}", response={200: s.ReportOut, **COMMON}, summary="Change a report"
)
def patch_report(
    request: HttpRequest, ws: PathId, report_id: PathId, payload: s.ReportPatch
) -> dict[str, Any]:
    member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    data = payload.dict(exclude_unset=True)
    return s.report_out(services.save_report(member.workspace, request.user, data, report))  # type: ignore[arg-type]


@router.delete(
    "/workspaces/{ws}/reports/{report_id}", response={204: None, **COMMON}, summary="Delete a report"
)
def delete_report(request: HttpRequest, ws: PathId, report_id: PathId) -> tuple[int, None]:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    services.delete_report(report, request.user)  # type: ignore[arg-type]
    return 204, None


@router.get(
    "/workspaces/{ws}/reports/{report_id}/content",
    response={200: s.ContentOut, **COMMON},
    summary="A report's content",
)
def report_content(
    request: HttpRequest, ws: PathId, report_id: PathId, period: QueryParams[PeriodIn]
) -> dict[str, Any]:
    _member, report = _report(request, ws, report_id, Cap.VIEW_REPORTS)
    start, end = _period(report, period)
    return s.content_out(services.build(report, start, end))


@router.get(
    "/workspaces/{ws}/reports/{report_id}/csv", response={200: None, **COMMON}, summary="A report as CSV"
)
def report_csv(
    request: HttpRequest, ws: PathId, report_id: PathId, period: QueryParams[PeriodIn]
) -> HttpResponse:
    _member, report = _report(request, ws, report_id, Cap.VIEW_REPORTS)
    start, end = _period(report, period)
    return HttpResponse(
        render.to_csv(services.build(report, start, end)), content_type="text/csv; charset=utf-8"
    )


@router.get(
    "/workspaces/{ws}/reports/{report_id}/pdf", response={200: None, **COMMON}, summary="A report as PDF"
)
def report_pdf(
    request: HttpRequest, ws: PathId, report_id: PathId, period: QueryParams[PeriodIn]
) -> HttpResponse:
    _member, report = _report(request, ws, report_id, Cap.VIEW_REPORTS)
    start, end = _period(report, period)
    try:
        data = render.to_pdf(services.build(report, start, end))
    except render.PdfError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return HttpResponse(data, content_type="application/pdf")


@router.get(
    "/workspaces/{ws}/reports/{report_id}/schedules",
    response={200: list[s.ScheduleOut], **COMMON},
    summary="Schedules",
)
def list_schedules(request: HttpRequest, ws: PathId, report_id: PathId) -> list[dict[str, Any]]:
    _member, report = _report(request, ws, report_id, Cap.VIEW_REPORTS)
    return [s.schedule_out(x) for x in report.schedules.all()]


@router.post(
    "/workspaces/{ws}/reports/{report_id}/schedules",
    response={201: s.ScheduleOut, **COMMON},
    summary="E-mail a report on a schedule",
)
def create_schedule(
    request: HttpRequest, ws: PathId, report_id: PathId, payload: s.ScheduleIn
) -> tuple[int, dict[str, Any]]:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    data = payload.dict()
    data["recipients"] = "\n".join(data["recipients"])
    return 201, s.schedule_out(services.save_schedule(report, request.user, data))  # type: ignore[arg-type]


@router.delete(
    "/workspaces/{ws}/reports/{report_id}/schedules/{schedule_id}",
    response={204: None, **COMMON},
    summary="Delete a schedule",
)
def delete_schedule(
    request: HttpRequest, ws: PathId, report_id: PathId, schedule_id: PathId
) -> tuple[int, None]:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    services.delete_schedule(get_object_or_404(ReportSchedule, report=report, pk=schedule_id), request.user)  # type: ignore[arg-type]
    return 204, None


@router.get(
    "/workspaces/{ws}/reports/{report_id}/shares",
    response={200: list[s.ShareOut], **COMMON},
    summary="Share links",
)
def list_shares(request: HttpRequest, ws: PathId, report_id: PathId) -> list[dict[str, Any]]:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    return [s.share_out(x) for x in report.shares.all()]


@router.post(
    "/workspaces/{ws}/reports/{report_id}/shares",
    response={201: s.ShareOut, **COMMON},
    summary="Make a read-only link",
)
def create_share(
    request: HttpRequest, ws: PathId, report_id: PathId, payload: s.ShareIn
) -> tuple[int, dict[str, Any]]:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    share, raw = services.create_share(report, request.user, payload.label, payload.expires_at)  # type: ignore[arg-type]
    return 201, s.share_out(share, settings.BASE_URL + reverse("reports:shared", args=[raw]))


@router.post(
    "/workspaces/{ws}/reports/{report_id}/shares/{share_id}/revoke",
    response={200: s.ShareOut, **COMMON},
    summary="Revoke a link",
)
def revoke_share(request: HttpRequest, ws: PathId, report_id: PathId, share_id: PathId) -> dict[str, Any]:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    share = get_object_or_404(ReportShare, report=report, pk=share_id)
    services.revoke_share(share, request.user)  # type: ignore[arg-type]
    share.refresh_from_db()
    return s.share_out(share)
