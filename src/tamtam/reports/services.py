"""Report operations: saving definitions and schedules (validated, audited), share links (secret
shown once, hash stored, revocable), the period a report covers, and building its sections.

Rendering to HTML, CSV and PDF is in reports/render.py; e-mailing on a schedule in reports/delivery.py.
"""

from __future__ import annotations

import secrets
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import Agency, User, Workspace
from tamtam.accounts.services import audit
from tamtam.lib import timeutil
from tamtam.lib.crypto import token_hash
from tamtam.lib.errors import InvalidInput
from tamtam.reports import sections as registry
from tamtam.reports.models import Frequency, PeriodKind, Report, ReportSchedule, ReportShare, ScheduleState
from tamtam.strategy.models import FIRST_DAY, LAST_DAY

MAX_RECIPIENTS = 50
MAX_PERIOD_DAYS = 366


def today(workspace: Workspace) -> date:
    return timeutil.to_local(timezone.now(), workspace.tz).date()


# --- periods -----------------------------------------------------------------------------------------


def period_of(kind: str, on: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The inclusive days [start, end] that `kind` means on day `on` (workspace-local)."""
    if kind == PeriodKind.LAST_7_DAYS:
        return on - timedelta(days=6), on
    if kind == PeriodKind.LAST_30_DAYS:
        return on - timedelta(days=29), on
    if kind == PeriodKind.PREVIOUS_WEEK:
        monday = on - timedelta(days=on.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if kind == PeriodKind.PREVIOUS_MONTH:
        last = on.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if kind == PeriodKind.MONTH_TO_DATE:
        return on.replace(day=1), on
    if start is None or end is None:
        raise InvalidInput("start", _("a custom period needs its first and last day"))
    return start, end


def report_period(report: Report, on: date | None = None) -> tuple[date, date]:
    return period_of(report.period, on or today(report.workspace), report.start, report.end)


def schedule_period(schedule: ReportSchedule, due_local: date) -> tuple[date, date]:
    """A weekly send covers the 7 days before its day; a monthly one the previous calendar month."""
    if schedule.frequency == Frequency.WEEKLY:
        return due_local - timedelta(days=7), due_local - timedelta(days=1)
    return period_of(PeriodKind.PREVIOUS_MONTH, due_local)


def next_due(schedule: ReportSchedule, after: datetime, tz: Any) -> datetime:
    """The first sending time strictly after `after`, at `hour` local time (DST-safe)."""
    local = timeutil.to_local(after, tz)
    day = local.date()
    for _step in range(400):
        if schedule.frequency == Frequency.WEEKLY:
            fits = day.weekday() == schedule.weekday
        else:
            fits = day.day == min(schedule.day_of_month, monthrange(day.year, day.month)[1])
        if fits:
            at = timeutil.local_to_utc(day, time(schedule.hour, 0), tz)
            if at > after:
                return at
        day += timedelta(days=1)
    raise AssertionError("no sending day within 400 days")  # unreachable: every month has the day


# --- definitions -------------------------------------------------------------------------------------


def _check_sections(keys: list[str]) -> list[str]:
    if not keys:
        raise InvalidInput("sections", _("choose at least one section"))
    unknown = [k for k in keys if k not in registry.SECTIONS]
    if unknown:
        raise InvalidInput("sections", _("unknown section: %(key)s") % {"key": unknown[0]})
    return list(dict.fromkeys(keys))  # once each, in the order given


def save_report(
    workspace: Workspace, actor: User | None, data: dict[str, Any], report: Report | None = None
) -> Report:
    report = report or Report(workspace=workspace, created_by=actor)
    for name in ("name", "period", "start", "end", "compare_previous"):
        if name in data:
            setattr(report, name, data[name])
    if "sections" in data:
        report.sections = _check_sections(list(data["sections"] or []))
    elif not report.sections:
        raise InvalidInput("sections", _("choose at least one section"))
    for name in ("start", "end"):
        value = getattr(report, name)
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise InvalidInput(name, _("a date between 2000-01-01 and 2100-12-31 is expected"))
    if report.period == PeriodKind.CUSTOM:
        if report.start is None:
            raise InvalidInput("start", _("a custom period needs its first day"))
        if report.end is None:
            raise InvalidInput("end", _("a custom period needs its last day"))
        if report.end < report.start:
            raise InvalidInput("end", _("must be on or after the first day"))
        if (report.end - report.start).days >= MAX_PERIOD_DAYS:
            raise InvalidInput("end", _("a report covers at most %(n)s days") % {"n": MAX_PERIOD_DAYS})
    else:
        report.start = report.end = None
    try:
        report.full_clean(exclude=["workspace", "created_by", "sections"])
    except ValidationError as exc:
        name, errors = next(iter(exc.error_dict.items()))
        raise InvalidInput(name, str(errors[0].messages[0])) from None
    creating = report.pk is None
    with transaction.atomic():
        report.save()
        audit(workspace, actor, f"report.{'created' if creating else 'updated'}", report, summary=report.name)
    return report


def delete_report(report: Report, actor: User | None) -> None:
    with transaction.atomic():
        audit(report.workspace, actor, "report.deleted", report, summary=report.name)
        report.delete()


# --- schedules ---------------------------------------------------------------------------------------


def clean_recipients(text: str) -> str:
    addresses = [a.strip() for a in text.replace("\n", ",").replace(";", ",").split(",") if a.strip()]
    if not addresses:
        raise InvalidInput("recipients", _("at least one e-mail address is needed"))
    if len(addresses) > MAX_RECIPIENTS:
        raise InvalidInput("recipients", _("at most %(n)s addresses") % {"n": MAX_RECIPIENTS})
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput("recipients", _("not an e-mail address: %(a)s") % {"a": address}) from None
    return "\n".join(dict.fromkeys(addresses))


def save_schedule(
    report: Report, actor: User | None, data: dict[str, Any], schedule: ReportSchedule | None = None
) -> ReportSchedule:
    schedule = schedule or ReportSchedule(report=report, created_by=actor, language=report.workspace.language)
    for name in ("frequency", "weekday", "day_of_month", "hour", "language", "attach_pdf", "attach_csv"):
        if name in data:
            setattr(schedule, name, data[name])
    if "recipients" in data:
        schedule.recipients = clean_recipients(str(data["recipients"] or ""))
    if schedule.frequency not in Frequency.values:
        raise InvalidInput("frequency", _("weekly or monthly"))
    bounds = {"weekday": (0, 6), "day_of_month": (1, 28), "hour": (0, 23)}
    for name, (low, high) in bounds.items():
        value = getattr(schedule, name)
        if not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(name, _("must be between %(low)s and %(high)s") % {"low": low, "high": high})
    try:
        schedule.full_clean(exclude=["report", "created_by", "recipients"])
    except ValidationError as exc:
        name, errors = next(iter(exc.error_dict.items()))
        raise InvalidInput(name, str(errors[0].messages[0])) from None
    active = data.get("active", schedule.state != ScheduleState.PAUSED)
    if schedule.state != ScheduleState.CLAIMED:
        schedule.state = ScheduleState.WAITING if active else ScheduleState.PAUSED
        schedule.due_at = next_due(schedule, timezone.now(), report.workspace.tz) if active else None
        schedule.attempts = 0
    creating = schedule.pk is None
    with transaction.atomic():
        schedule.save()
        audit(
            report.workspace,
            actor,
            f"report.schedule.{'created' if creating else 'updated'}",
            schedule,
            summary=f"{report.name}: {schedule.get_frequency_display()}",
        )
    return schedule


def delete_schedule(schedule: ReportSchedule, actor: User | None) -> None:
    with transaction.atomic():
        audit(
            schedule.report.workspace,
            actor,
            "report.schedule.deleted",
            schedule,
            summary=schedule.report.name,
        )
        schedule.delete()


# --- share links -------------------------------------------------------------------------------------


def create_share(
    report: Report, actor: User | None, label: str = "", expires_at: datetime | None = None
) -> tuple[ReportShare, str]:
    """A new read-only link; the raw token is returned once and only its hash is stored."""
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("expires_at", _("must be in the future"))
    raw = "rp_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        share = ReportShare.objects.create(
            report=report,
            label=label[:120],
            prefix=raw[:10],
            token_hash=token_hash(raw),
            created_by=actor,
            expires_at=expires_at,
        )
        audit(
            report.workspace, actor, "report.share.created", share, summary=f"{report.name} {share.prefix}…"
        )
    return share, raw


def revoke_share(share: ReportShare, actor: User | None) -> None:
    with transaction.atomic():
        ReportShare.objects.filter(pk=share.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit(share.report.workspace, actor, "report.share.revoked", share, summary=f"{share.prefix}…")


def share_for(raw: str) -> ReportShare | None:
    """The usable share of this token, else None (unknown, revoked and expired look the same)."""
    if not raw or len(raw) > 200:
        return None
    share = ReportShare.objects.select_related("report", "report__workspace__agency").filter(
        token_hash=token_hash(raw)
    )
    found = share.first()
    if found is None or not found.is_usable():
        return None
    ReportShare.objects.filter(pk=found.pk).update(last_viewed_at=timezone.now(), views=found.views + 1)
    return found


# --- building ----------------------------------------------------------------------------------------


@dataclass
class Branding:
    name: str
    primary: str
    accent: str
    logo_data_uri: str = ""


@dataclass
class Built:
    """A report's content for one period: what every rendering (HTML, PDF, CSV, e-mail) shows."""

    title: str
    workspace: Workspace
    start: date
    end: date
    sections: list[registry.Section]
    branding: Branding
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def empty(self) -> bool:
        return all(s.empty or s.unavailable for s in self.sections)


def branding_of(agency: Agency) -> Branding:
    from tamtam.reports.branding import logo_data_uri

    return Branding(agency.name, agency.brand_color, agency.accent_color, logo_data_uri(agency))


def build(
    report: Report, start: date | None = None, end: date | None = None, *, on: date | None = None
) -> Built:
    if start is None or end is None:
        start, end = report_period(report, on)
    workspace = report.workspace
    branding = branding_of(workspace.agency)
    ctx = registry.Context(
        workspace, start, end, report.compare_previous, (branding.primary, branding.accent)
    )
    keys = [k for k in report.sections if k in registry.SECTIONS]
    return Built(report.name, workspace, start, end, [registry.build(k, ctx) for k in keys], branding)
