"""Reports: a definition (which sections, which period), schedules that e-mail it (durable work rows),
the deliveries sent (one per schedule and period: a retry never mails the same period twice), and
read-only share links (only a hash of the secret is stored)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamtam.accounts.models import Workspace


class PeriodKind(models.TextChoices):
    LAST_7_DAYS = "last_7_days", _("Last 7 days")
    LAST_30_DAYS = "last_30_days", _("Last 30 days")
    PREVIOUS_WEEK = "previous_week", _("Previous week (Monday to Sunday)")
    PREVIOUS_MONTH = "previous_month", _("Previous month")
    MONTH_TO_DATE = "month_to_date", _("This month so far")
    CUSTOM = "custom", _("Custom dates")


class Report(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="reports")
    name = models.CharField(_("name"), max_length=160)
    # Section keys in the order they are shown (see reports/sections.py).
    sections = models.JSONField(_("sections"), default=list)
    period = models.CharField(_("period"), max_length=20, choices=PeriodKind.choices, default="last_30_days")
    start = models.DateField(_("from"), null=True, blank=True)  # custom period only
    end = models.DateField(_("to"), null=True, blank=True)
    compare_previous = models.BooleanField(_("compare with the previous period"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly (the previous week)")
    MONTHLY = "monthly", _("Monthly (the previous month)")


class ScheduleState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CLAIMED = "claimed", _("Sending")
    PAUSED = "paused", _("Paused")


class ReportSchedule(models.Model):
    """E-mails the report on a schedule; the row is the durable work item (`report_send`)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="schedules")
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), default=0)  # 0 = Monday (weekly)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), default=1)  # 1..28 (monthly)
    hour = models.PositiveSmallIntegerField(_("hour"), default=8)  # in the workspace's time zone
    # Addresses, one per line or separated by commas: team members or clients without an account.
    recipients = models.TextField(_("recipients"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    attach_pdf = models.BooleanField(_("attach the PDF"), default=True)
    attach_csv = models.BooleanField(_("attach the CSV"), default=False)
    state = models.CharField(max_length=10, choices=ScheduleState.choices, default=ScheduleState.WAITING)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return f"{self.report} ({self.get_frequency_display()})"

    def recipient_list(self) -> list[str]:
        text = self.recipients.replace("\n", ",").replace(";", ",")
        return [a.strip() for a in text.split(",") if a.strip()]


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    CLAIMED = "claimed", _("Sending")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Failed")


class ReportDelivery(models.Model):
    """One e-mailing of a report for one period: the durable work item `report_send`.

    A scheduled delivery is unique per schedule and period, so a schedule ticking twice (two
    workers, a crash between the tick and its commit) never mails the same period twice; a delivery
    asked for by hand ("send now") is always a new one."""

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="deliveries")
    period_start = models.DateField()
    period_end = models.DateField()
    manual = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    recipients = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # Sent as a header so a receiver (or a person) can tell a repeat after a crash from a new report.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "period_start", "period_end"],
                condition=models.Q(manual=False),
                name="report_delivery_once_per_period",
            )
        ]

    def recipient_list(self) -> list[str]:
        return [a for a in self.recipients.split("\n") if a]


class ReportShare(models.Model):
    """A read-only link to a report for people without an account. Only the hash of its secret is
    kept; the link is shown once, when it is made, and stops working when revoked or expired."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="shares")
    label = models.CharField(_("label"), max_length=120, blank=True)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
