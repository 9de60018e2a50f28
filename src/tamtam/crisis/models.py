"""Crisis data (DESIGN §7): alert rules, alerts and why they fired, incidents with their timeline,
holding statements, crisis-mode periods, and the durable work behind them (the per-minute evaluator,
the detector state, notifications sent once).

An alert is one detector episode of one rule. Alerts on the same query close in time (several rules,
several series of one bad buzz) fold into one open incident: people work the incident, not the alerts.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamtam.accounts.models import Workspace
from tamtam.listening.models import Query


class SeriesKind(models.TextChoices):
    ALL = "all", _("All mentions")
    NEGATIVE = "negative", _("Negative mentions")
    SHARE = "share", _("Share of negative mentions")


class DetectorKind(models.TextChoices):
    # Both read the same seasonal negative-binomial baseline; the share series uses the binomial one.
    NB_CUSUM = "nb_cusum", _("Spikes and fast rises (negative binomial + CUSUM)")
    NB_TAIL = "nb_tail", _("Sudden spikes only (negative binomial tail)")


class Sensitivity(models.TextChoices):
    LOW = "low", _("Low (fewer alerts)")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High (earlier, more alerts)")


class WebhookFormat(models.TextChoices):
    SLACK = "slack", _("Slack (incoming webhook)")
    TEAMS = "teams", _("Microsoft Teams (incoming webhook)")
    JSON = "json", _("Plain JSON")


class AlertRule(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="alert_rules")
    query = models.ForeignKey(Query, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(_("name"), max_length=120)
    enabled = models.BooleanField(_("enabled"), default=True)
    detector = models.CharField(
        _("detector"), max_length=20, choices=DetectorKind.choices, default=DetectorKind.NB_CUSUM
    )
    series = models.CharField(_("series"), max_length=10, choices=SeriesKind.choices, default=SeriesKind.ALL)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=10, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    # Expert mode: detector parameters over the sensitivity's (see detectors/params.py).
    expert = models.JSONField(_("expert parameters"), default=dict, blank=True)
    # Local time (the workspace's zone); during quiet hours e-mails and webhooks wait for the end.
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    notify_in_app = models.BooleanField(_("in-app notification"), default=True)
    email_to = models.TextField(_("e-mail recipients"), blank=True)  # comma-separated addresses
    # Webhook URLs are secrets (Slack's and Teams' carry the credential): stored encrypted, shown masked.
    webhook_url_enc = models.TextField(blank=True)
    webhook_hint = models.CharField(max_length=200, blank=True)  # scheme://host/…, for display
    webhook_format = models.CharField(
        _("webhook format"), max_length=10, choices=WebhookFormat.choices, default=WebhookFormat.SLACK
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workspace", "name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="crisis_rule_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def emails(self) -> list[str]:
        return [a.strip() for a in self.email_to.split(",") if a.strip()]


class IncidentStatus(models.TextChoices):
    WATCHING = "watching", _("Watching")
    CRISIS = "crisis", _("Crisis")
    RESOLVED = "resolved", _("Resolved")


class Incident(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="incidents")
    query = models.ForeignKey(Query, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.WATCHING
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    last_alert_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "status"])]

    def __str__(self) -> str:
        return self.title


class Alert(models.Model):
    rule = models.ForeignKey(AlertRule, null=True, on_delete=models.SET_NULL, related_name="alerts")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="crisis_alerts")
    query = models.ForeignKey(Query, null=True, on_delete=models.SET_NULL, related_name="+")
    incident = models.ForeignKey(Incident, null=True, on_delete=models.SET_NULL, related_name="alerts")
    rule_name = models.CharField(max_length=120)  # kept when the rule is deleted
    series = models.CharField(max_length=10, choices=SeriesKind.choices)
    bucket_start = models.DateTimeField()  # the minute that fired
    fired_at = models.DateTimeField(default=timezone.now)
    expected = models.FloatField()
    observed = models.FloatField()
    evidence = models.FloatField()  # nats (see detectors/params.py)
    score = models.FloatField()
    # Why: {"terms": [...], "authors": [...], "samples": [...], "sentiment": {...}, "window": [...]}.
    explanation = models.JSONField(default=dict)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-bucket_start", "-pk"]
        # The evaluator may run a minute twice after a crash: one alert per rule and minute.
        constraints = [models.UniqueConstraint(fields=["rule", "bucket_start"], name="crisis_alert_once")]
        indexes = [models.Index(fields=["workspace", "bucket_start"])]

    def __str__(self) -> str:
        return f"{self.rule_name} {self.bucket_start:%Y-%m-%d %H:%M}"


class EventKind(models.TextChoices):
    OPENED = "opened", _("Incident opened")
    ALERT = "alert", _("Alert")
    STATUS = "status", _("Status changed")
    OWNER = "owner", _("Owner changed")
    NOTE = "note", _("Note")
    NOTIFIED = "notified", _("Notification sent")
    NOTIFY_FAILED = "notify_failed", _("Notification failed")
    CRISIS_ON = "crisis_on", _("Crisis mode on")
    CRISIS_OFF = "crisis_off", _("Crisis mode off")
    STATEMENT = "statement", _("Holding statement")


class IncidentEvent(models.Model):
    """One line of an incident's timeline: what happened and what was done."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class HoldingStatement(models.Model):
    """A reply prepared in advance ("We are aware and looking into it…"), per language."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="holding_statements")
    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    text = models.TextField(_("text"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workspace", "language", "title"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "language", "title"], name="crisis_statement_title")
        ]

    def __str__(self) -> str:
        return self.title


class CrisisPeriod(models.Model):
    """One time crisis mode was on in a workspace; `paused` lists what it paused, for the resume."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="crisis_periods")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # [{"target": id, "post": id, "channel": name, "from": state, "scheduled_at": iso, "text": …}]
    paused = models.JSONField(default=list)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the resume did with each paused target: {"target id": "resumed" | "rescheduled" | "dropped"}.
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"], condition=models.Q(ended_at__isnull=True), name="crisis_one_open_period"
            )
        ]


class WorkState(models.TextChoices):
    IDLE = "idle", _("Idle")
    CLAIMED = "claimed", _("Running")


class Evaluator(models.Model):
    """Durable work: the per-minute evaluation of every enabled rule (one row, claimed with a lease)."""

    name = models.CharField(max_length=40, unique=True)
    state = models.CharField(max_length=10, choices=WorkState.choices, default=WorkState.IDLE)
    due_at = models.DateTimeField(null=True, default=timezone.now)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_bucket = models.DateTimeField(null=True, blank=True)  # the last minute scored
    # A new random token at every commit: a worker's in-memory state is valid while it matches.
    token = models.CharField(max_length=32, blank=True)
    # `ScoredMinute` holds every scored minute after this one (older ones were pruned).
    log_from = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class SeriesCheckpoint(models.Model):
    """The detector state of one rule's series after minute `bucket` (one compact float64 row, under
    1 KB). Written when the rule is new, then once every `CRISIS_CHECKPOINT_MINUTES`, staggered by
    rule id: each minute rewrites a small slice of the rules, never the whole state (crisis/persist.py)."""

    rule = models.OneToOneField(AlertRule, primary_key=True, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=80)  # group key (series + parameters) and state layout version
    bucket = models.DateTimeField()
    state = models.BinaryField()


class ScoredMinute(models.Model):
    """What the detector was given for one scored minute: (query id, mentions, negative) of the
    queries with a mention, as int64 triples (the others had none). Replayed over a checkpoint to
    rebuild the state exactly, even if late mentions changed the counters since; kept only while a
    checkpoint is older than it."""

    bucket = models.DateTimeField(primary_key=True)
    counts = models.BinaryField()


class NotifyChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")
    IN_APP = "in_app", _("In-app")


class NotificationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Sending")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Failed for good")


class Notification(models.Model):
    """Durable work: one alert to one channel, sent once; failures retried with backoff."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    incident = models.ForeignKey(Incident, null=True, on_delete=models.SET_NULL, related_name="notifications")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=NotifyChannel.choices)
    recipients = models.TextField(blank=True)  # e-mail addresses
    webhook_url_enc = models.TextField(blank=True)
    webhook_format = models.CharField(max_length=10, choices=WebhookFormat.choices, blank=True)
    # Sent as the X-Tamtam-Delivery header and in the payload: a receiver can drop a repeat.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True)
    state = models.CharField(
        max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING, db_index=True
    )
    due_at = models.DateTimeField(null=True, default=timezone.now)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)  # in-app: seen in the crisis pages
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="crisis_notify_due")]


class StatementRelease(models.Model):
    """A holding statement published on the fast track: the engine publishes this post even while
    the workspace is in crisis mode (every other post stays paused)."""

    post = models.OneToOneField("publishing.Post", on_delete=models.CASCADE, related_name="crisis_release")
    statement = models.ForeignKey(HoldingStatement, null=True, on_delete=models.SET_NULL, related_name="+")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
