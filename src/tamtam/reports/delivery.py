"""E-mailing reports: two durable work kinds.

- `report_schedule`: a due schedule is claimed, gets its delivery row for the period it covers
  (unique per schedule and period: a second tick finds it and adds nothing) and its next due time,
  in one transaction.
- `report_send`: a pending delivery is claimed, the report built for its period, rendered (HTML body,
  PDF and CSV attached) and sent through Django's e-mail backend (SMTP); then marked sent. A failure
  is kept on the row and retried with backoff up to MAX_ATTEMPTS. A worker dying between the send
  and the mark sends again after its lease: the `X-Tamtam-Delivery` header tells the repeat.

Recipients are plain addresses: clients without an account get the report itself, not a link to log in.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tamtam.lib import timeutil
from tamtam.reports import render, services
from tamtam.reports.models import DeliveryState, ReportDelivery, ReportSchedule, ScheduleState
from tamtam.work.claim import backoff, claim
from tamtam.work.db import serialised, write_transaction

log = logging.getLogger(__name__)
LEASE_SECONDS = 300  # building and printing a month's report takes seconds; leave room
MAX_ATTEMPTS = 6
D = DeliveryState


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


# --- report_schedule ---------------------------------------------------------------------------------


def claim_schedules(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        ReportSchedule.objects.all(),
        states=[ScheduleState.WAITING],
        now=now,
        limit=limit,
        lease_seconds=60,
        owner=owner,
        to_state=ScheduleState.CLAIMED,
    )


def tick(schedule_id: int, owner: str, now: datetime | None = None) -> str:
    now = now or timezone.now()
    schedule = (
        ReportSchedule.objects.select_related("report__workspace")
        .filter(pk=schedule_id, state=ScheduleState.CLAIMED, lease_owner=owner)
        .first()
    )
    if schedule is None:
        return "not ours"
    tz = schedule.report.workspace.tz
    due = schedule.due_at or now
    start, end = services.schedule_period(schedule, timeutil.to_local(due, tz).date())
    created = False
    with write_transaction():
        try:
            with transaction.atomic():
                ReportDelivery.objects.create(
                    schedule=schedule,
                    period_start=start,
                    period_end=end,
                    recipients=schedule.recipients,
                    due_at=now,
                )
                created = True
        except IntegrityError:
            pass  # this period's delivery exists already: the schedule only moves on
        ReportSchedule.objects.filter(pk=schedule.pk, lease_owner=owner).update(
            state=ScheduleState.WAITING,
            due_at=services.next_due(schedule, max(now, due), tz),
            lease_owner="",
            lease_until=None,
        )
    return "queued" if created else "already queued"


def release_schedules(ids: list[int] | None, owner: str) -> int:
    qs = ReportSchedule.objects.filter(state=ScheduleState.CLAIMED, lease_owner=owner)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    with serialised():
        return qs.update(state=ScheduleState.WAITING, lease_owner="", lease_until=None)


def sweep_schedules(now: datetime) -> int:
    with serialised():
        return ReportSchedule.objects.filter(state=ScheduleState.CLAIMED, lease_until__lt=now).update(
            state=ScheduleState.WAITING, lease_owner="", lease_until=None
        )


# --- report_send -------------------------------------------------------------------------------------


def queue_now(schedule: ReportSchedule, actor: Any = None) -> ReportDelivery:
    """ "Send now": the current period of the schedule's frequency, as a new delivery."""
    tz = schedule.report.workspace.tz
    start, end = services.schedule_period(schedule, timeutil.to_local(timezone.now(), tz).date())
    with serialised():
        return ReportDelivery.objects.create(
            schedule=schedule,
            period_start=start,
            period_end=end,
            manual=True,
            recipients=schedule.recipients,
            due_at=timezone.now(),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )


def claim_deliveries(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        ReportDelivery.objects.all(),
        states=[D.PENDING],
        now=now,
        limit=limit,
        lease_seconds=LEASE_SECONDS,
        owner=owner,
        to_state=D.CLAIMED,
    )


def subject(built: services.Built) -> str:
    return _("%(report)s · %(workspace)s · %(start)s to %(end)s") % {
        "report": built.title,
        "workspace": built.workspace.name,
        "start": date_format(built.start, "SHORT_DATE_FORMAT"),
        "end": date_format(built.end, "SHORT_DATE_FORMAT"),
    }


def message(
    delivery: ReportDelivery, built: services.Built, schedule: ReportSchedule
) -> EmailMultiAlternatives:
    text = [subject(built), ""]
    if built.empty:
        text.append(_("Nothing was measured in this period: this report has no figures to show."))
    for section in built.sections:
        text.append(
            f"{section.title}: {section.message}" if section.empty or section.unavailable else section.title
        )
    mail = EmailMultiAlternatives(
        subject=subject(built),
        body="\n".join(text),
        to=delivery.recipient_list(),
        headers={"X-Tamtam-Delivery": str(delivery.delivery_id)},
    )
    mail.attach_alternative(render.html(built, for_email=True), "text/html")
    slug = f"{built.title}-{built.start.isoformat()}".replace(" ", "-").replace("/", "-")[:80]
    if schedule.attach_pdf:
        try:
            mail.attach(f"{slug}.pdf", render.to_pdf(built), "application/pdf")
        except render.PdfError as exc:
            raise SendError(str(exc)) from None
    if schedule.attach_csv:
        mail.attach(f"{slug}.csv", render.to_csv(built), "text/csv")
    return mail


def send(delivery_id: int, owner: str, now: datetime | None = None) -> str:
    delivery = (
        ReportDelivery.objects.select_related("schedule__report__workspace__agency")
        .filter(pk=delivery_id, state=D.CLAIMED, lease_owner=owner)
        .first()
    )
    if delivery is None:
        return "not ours"
    schedule = delivery.schedule
    with translation.override(schedule.language):
        try:
            built = services.build(schedule.report, delivery.period_start, delivery.period_end)
            mail = message(delivery, built, schedule)
            mail.send(fail_silently=False)
        except SendError as exc:
            return _failed(delivery, owner, str(exc), permanent=exc.permanent)
        except smtplib.SMTPRecipientsRefused as exc:
            who = ", ".join(exc.recipients)
            return _failed(
                delivery, owner, _("every recipient was refused: %(who)s") % {"who": who}, permanent=True
            )
        except (smtplib.SMTPException, OSError) as exc:
            reason = _("mail server: %(kind)s: %(reason)s") % {
                "kind": type(exc).__name__,
                "reason": str(exc)[:200],
            }
            return _failed(delivery, owner, reason, permanent=False)
        except Exception as exc:  # a bug must not stop the other deliveries
            log.exception("report delivery %s failed", delivery.pk)
            return _failed(delivery, owner, type(exc).__name__, permanent=False)
    at = now or timezone.now()
    with serialised():
        ReportDelivery.objects.filter(pk=delivery.pk, state=D.CLAIMED, lease_owner=owner).update(
            state=D.SENT,
            sent_at=at,
            attempts=delivery.attempts + 1,
            lease_owner="",
            lease_until=None,
            error="",
        )
        ReportSchedule.objects.filter(pk=schedule.pk).update(last_sent_at=at, last_error="")
    return "sent"


def _failed(delivery: ReportDelivery, owner: str, error: str, *, permanent: bool) -> str:
    attempts = delivery.attempts + 1
    dead = permanent or attempts >= MAX_ATTEMPTS
    now = timezone.now()
    with serialised():
        ReportDelivery.objects.filter(pk=delivery.pk, state=D.CLAIMED, lease_owner=owner).update(
            state=D.DEAD if dead else D.PENDING,
            due_at=None if dead else now + timedelta(seconds=max(30.0, backoff(attempts, 30.0, 3600.0))),
            attempts=attempts,
            error=error[:500],
            lease_owner="",
            lease_until=None,
        )
        ReportSchedule.objects.filter(pk=delivery.schedule_id).update(last_error=error[:500])
    log.warning("report delivery %s failed (attempt %s): %s", delivery.pk, attempts, error)
    return "dead" if dead else "retry"


def release_deliveries(ids: list[int] | None, owner: str) -> int:
    qs = ReportDelivery.objects.filter(state=D.CLAIMED, lease_owner=owner)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    with serialised():
        return qs.update(state=D.PENDING, lease_owner="", lease_until=None)


def sweep_deliveries(now: datetime) -> int:
    with serialised():
        return ReportDelivery.objects.filter(state=D.CLAIMED, lease_until__lt=now).update(
            state=D.PENDING, lease_owner="", lease_until=None, due_at=now
        )


def retry(delivery: ReportDelivery) -> None:
    with serialised():
        ReportDelivery.objects.filter(pk=delivery.pk, state=D.DEAD).update(
            state=D.PENDING, due_at=timezone.now(), attempts=0, error=""
        )
