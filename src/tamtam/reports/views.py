"""Report pages: the list, the builder, one report (rendered, with its PDF and CSV, schedules,
deliveries and share links), the agency's branding, and the public read-only view of a share link."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tamtam.accounts.forms import add_service_error
from tamtam.accounts.models import Membership
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import require
from tamtam.lib.errors import InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.reports import branding, delivery, services
from tamtam.reports import render as rendering
from tamtam.reports.forms import BrandingForm, ReportForm, ScheduleForm, ShareForm
from tamtam.reports.models import Report, ReportDelivery, ReportSchedule, ReportShare
from tamtam.strategy.forms import PeriodForm

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",  # the share link's secret must not leak to linked sites
    "X-Robots-Tag": "noindex, nofollow",
}


def _report(request: AuthedRequest, ws: int, report_id: int, cap: Cap) -> tuple[Membership, Report]:
    member = require(request.user, ws, cap)
    return member, get_object_or_404(
        Report.objects.select_related("workspace__agency"), workspace=ws, pk=report_id
    )


def _period(request: HttpRequest, report: Report) -> tuple[PeriodForm, date, date]:
    start, end = services.report_period(report)
    if "start" in request.GET or "end" in request.GET:
        form = PeriodForm(request.GET)
        if form.is_valid():
            return form, form.cleaned_data["start"], form.cleaned_data["end"]
        return form, start, end
    return PeriodForm(initial={"start": start, "end": end}), start, end


def _filename(report: Report, start: date, extension: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in report.name)[:60].strip("-") or "report"
    return f"{safe}-{start.isoformat()}.{extension}"


def _pdf_response(report: Report, built: services.Built, start: date) -> HttpResponse:
    try:
        data = rendering.to_pdf(built)
    except rendering.PdfError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(report, start, "pdf")}"'
    return response


def _csv_response(report: Report, built: services.Built, start: date) -> HttpResponse:
    response = HttpResponse(rendering.to_csv(built), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, start, "csv")}"'
    return response


@login_required
def report_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_REPORTS)
    reports = Report.objects.filter(workspace=member.workspace).prefetch_related("schedules")
    return render(
        request,
        "reports/list.html",
        {
            "workspace": member.workspace,
            "reports": reports,
            "can_manage": can(member.role, Cap.MANAGE_REPORTS),
            "can_brand": can(member.role, Cap.MANAGE_WORKSPACE),
        },
    )


def _edit(request: AuthedRequest, ws: int, report: Report | None) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_REPORTS)
    form = ReportForm(request.POST or None, instance=report)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.save_report(member.workspace, request.user, form.cleaned_data, report)
            except InvalidInput as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Report saved."))
                return redirect("reports:detail", ws=ws, report_id=saved.pk)
        status = 400
    return render(
        request,
        "reports/edit.html",
        {"workspace": member.workspace, "form": form, "report": report},
        status=status,
    )


@login_required
def report_new(request: AuthedRequest, ws: int) -> HttpResponse:
    return _edit(request, ws, None)


@login_required
def report_edit(request: AuthedRequest, ws: int, report_id: int) -> HttpResponse:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    return _edit(request, ws, report)


@login_required
@require_POST
def report_delete(request: AuthedRequest, ws: int, report_id: int) -> HttpResponse:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    services.delete_report(report, request.user)
    messages.success(request, _("Report deleted."))
    return redirect("reports:list", ws=ws)


def _detail(
    request: AuthedRequest, member: Membership, report: Report, status: int = 200, **extra: Any
) -> HttpResponse:
    period_form, start, end = _period(request, report)
    built = services.build(report, start, end)
    query = f"?start={start.isoformat()}&end={end.isoformat()}"
    context = {
        "workspace": member.workspace,
        "report": report,
        "r": built,
        "period_form": period_form,
        "query": query,
        "can_manage": can(member.role, Cap.MANAGE_REPORTS),
        "schedules": report.schedules.all(),
        "deliveries": ReportDelivery.objects.filter(schedule__report=report).select_related("schedule")[:20],
        "shares": report.shares.all(),
        "schedule_form": extra.pop("schedule_form", None)
        or ScheduleForm(initial={"language": member.workspace.language}),
        "share_form": extra.pop("share_form", None) or ShareForm(),
        **extra,
    }
    return render(request, "reports/detail.html", context, status=status)


@login_required
def report_detail(request: AuthedRequest, ws: int, report_id: int) -> HttpResponse:
    member, report = _report(request, ws, report_id, Cap.VIEW_REPORTS)
    return _detail(request, member, report)


@login_required
@require_GET
def report_pdf(request: AuthedRequest, ws: int, report_id: int) -> HttpResponse:
    _member, report = _report(request, ws, report_id, Cap.VIEW_REPORTS)
    _form, start, end = _period(request, report)
    return _pdf_response(report, services.build(report, start, end), start)


@login_required
@require_GET
def report_csv(request: AuthedRequest, ws: int, report_id: int) -> HttpResponse:
    _member, report = _report(request, ws, report_id, Cap.VIEW_REPORTS)
    _form, start, end = _period(request, report)
    return _csv_response(report, services.build(report, start, end), start)


# --- schedules ---------------------------------------------------------------------------------------


@login_required
@require_POST
def schedule_new(request: AuthedRequest, ws: int, report_id: int) -> HttpResponse:
    member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.save_schedule(report, request.user, form.cleaned_data)
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Schedule saved."))
            return redirect("reports:detail", ws=ws, report_id=report.pk)
    return _detail(request, member, report, status=400, schedule_form=form)


@login_required
def schedule_edit(request: AuthedRequest, ws: int, report_id: int, schedule_id: int) -> HttpResponse:
    member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    schedule = get_object_or_404(ReportSchedule, report=report, pk=schedule_id)
    form = ScheduleForm(request.POST or None, instance=schedule)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.save_schedule(report, request.user, form.cleaned_data, schedule)
            except InvalidInput as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Schedule saved."))
                return redirect("reports:detail", ws=ws, report_id=report.pk)
        status = 400
    context = {"workspace": member.workspace, "report": report, "form": form, "schedule": schedule}
    return render(request, "reports/schedule.html", context, status=status)


@login_required
@require_POST
def schedule_delete(request: AuthedRequest, ws: int, report_id: int, schedule_id: int) -> HttpResponse:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    services.delete_schedule(get_object_or_404(ReportSchedule, report=report, pk=schedule_id), request.user)
    messages.success(request, _("Schedule deleted."))
    return redirect("reports:detail", ws=ws, report_id=report.pk)


@login_required
@require_POST
def schedule_send(request: AuthedRequest, ws: int, report_id: int, schedule_id: int) -> HttpResponse:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    schedule = get_object_or_404(ReportSchedule, report=report, pk=schedule_id)
    delivery.queue_now(schedule, request.user)
    messages.success(request, _("The report will be sent in a moment."))
    return redirect("reports:detail", ws=ws, report_id=report.pk)


# --- share links -------------------------------------------------------------------------------------


@login_required
@require_POST
def share_new(request: AuthedRequest, ws: int, report_id: int) -> HttpResponse:
    member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    form = ShareForm(request.POST)
    if not form.is_valid():
        return _detail(request, member, report, status=400, share_form=form)
    days = form.cleaned_data.get("expires_in_days")
    expires = timezone.now() + timedelta(days=days) if days else None
    _share, raw = services.create_share(report, request.user, form.cleaned_data.get("label") or "", expires)
    # Shown once, in this response only: the database keeps a hash of it.
    link = request.build_absolute_uri(reverse("reports:shared", args=[raw]))
    return _detail(request, member, report, new_link=link)


@login_required
@require_POST
def share_revoke(request: AuthedRequest, ws: int, report_id: int, share_id: int) -> HttpResponse:
    _member, report = _report(request, ws, report_id, Cap.MANAGE_REPORTS)
    services.revoke_share(get_object_or_404(ReportShare, report=report, pk=share_id), request.user)
    messages.success(request, _("Link revoked: it no longer opens the report."))
    return redirect("reports:detail", ws=ws, report_id=report.pk)


# --- branding ----------------------------------------------------------------------------------------


@login_required
def branding_page(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_WORKSPACE)
    agency = member.workspace.agency
    initial = {"brand_color": agency.brand_color, "accent_color": agency.accent_color}
    form = BrandingForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                branding.save_branding(
                    agency,
                    request.user,
                    member.workspace,
                    brand_color=form.cleaned_data["brand_color"],
                    accent_color=form.cleaned_data["accent_color"],
                    logo=form.cleaned_data.get("logo"),
                    remove_logo=form.cleaned_data.get("remove_logo", False),
                )
            except InvalidInput as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Branding saved."))
                return redirect("reports:branding", ws=ws)
        status = 400
    context = {
        "workspace": member.workspace,
        "agency": agency,
        "form": form,
        "logo": branding.logo_data_uri(agency),
    }
    return render(request, "reports/branding.html", context, status=status)


# --- public, read-only -------------------------------------------------------------------------------


def _shared(token: str) -> ReportShare:
    share = services.share_for(token)
    if share is None:
        raise Http404("no such report link")
    return share


def _private(response: HttpResponse) -> HttpResponse:
    for key, value in PRIVATE_HEADERS.items():
        response[key] = value
    return response


def shared(request: HttpRequest, token: str) -> HttpResponse:
    share = _shared(token)
    built = services.build(share.report)
    links = {
        "pdf": reverse("reports:shared_pdf", args=[token]),
        "csv": reverse("reports:shared_csv", args=[token]),
    }
    return _private(render(request, "reports/shared.html", {"r": built, "links": links}))


def shared_pdf(request: HttpRequest, token: str) -> HttpResponse:
    share = _shared(token)
    built = services.build(share.report)
    return _private(_pdf_response(share.report, built, built.start))


def shared_csv(request: HttpRequest, token: str) -> HttpResponse:
    share = _shared(token)
    built = services.build(share.report)
    return _private(_csv_response(share.report, built, built.start))
