"""Incidents: alerts folded into them, their timeline, owner, status and notes.

Folding: an alert joins the open incident (watching or crisis) of the same query whose last alert is
at most FOLD_WINDOW older; otherwise it opens a new incident. So a bad buzz that trips the volume
rule, then the negative rule, then the negative-share rule, and fires again after a lull, is one
incident with four alerts, and each rule notifies once per incident.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import Membership
from tamtam.accounts.services import audit
from tamtam.crisis import rules as rules_mod
from tamtam.crisis.models import (
    Alert,
    AlertRule,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentStatus,
    Notification,
    NotificationState,
    NotifyChannel,
    SeriesKind,
)
from tamtam.lib.errors import InvalidInput
from tamtam.work.db import write_transaction

FOLD_WINDOW = timedelta(hours=6)
OPEN = (IncidentStatus.WATCHING, IncidentStatus.CRISIS)
MAX_NOTE = 10_000


def event(
    incident: Incident,
    kind: str,
    text: str = "",
    actor: Any = None,
    *,
    at: datetime | None = None,
    **data: Any,
) -> IncidentEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return IncidentEvent.objects.create(
        incident=incident, kind=kind, text=text, actor=user, data=data, at=at or timezone.now()
    )


def alert_summary(alert: Alert) -> str:
    series = SeriesKind(alert.series).label
    if alert.series == SeriesKind.SHARE:
        return _("%(series)s: %(observed).0f %% (expected %(expected).0f %%)") % {
            "series": series,
            "observed": alert.observed * 100,
            "expected": alert.expected * 100,
        }
    return _("%(series)s: %(observed).0f in a minute (expected %(expected).1f)") % {
        "series": series,
        "observed": alert.observed,
        "expected": alert.expected,
    }


def fold(alert: Alert) -> tuple[Incident, bool]:
    """Attach `alert` to its incident (inside the caller's transaction); (incident, opened)."""
    incident = (
        Incident.objects.filter(
            workspace_id=alert.workspace_id,
            query=alert.query,
            status__in=OPEN,
            last_alert_at__gte=alert.bucket_start - FOLD_WINDOW,
        )
        .order_by("-last_alert_at")
        .first()
    )
    opened = incident is None
    if incident is None:
        name = alert.query.name if alert.query else alert.rule_name
        incident = Incident.objects.create(
            workspace_id=alert.workspace_id,
            query_id=alert.query_id,
            title=_("Unusual activity on “%(query)s”") % {"query": name},
            opened_at=alert.fired_at,
            last_alert_at=alert.bucket_start,
        )
        event(
            incident,
            EventKind.OPENED,
            _("Opened by the alert of rule “%(rule)s”") % {"rule": alert.rule_name},
            at=alert.fired_at,
        )
    else:
        Incident.objects.filter(pk=incident.pk).update(
            last_alert_at=max(incident.last_alert_at or alert.bucket_start, alert.bucket_start)
        )
    alert.incident = incident
    alert.save(update_fields=["incident"])
    # Stamped with the evaluator's time (a catch-up after an outage scores past minutes).
    event(
        incident,
        EventKind.ALERT,
        f"{alert.rule_name} — {alert_summary(alert)}",
        at=alert.fired_at,
        alert=alert.pk,
    )
    return incident, opened


def enqueue_notifications(
    alert: Alert, rule: AlertRule, incident: Incident, now: datetime
) -> list[Notification]:
    """This rule's channels, once per incident (a folded repeat is on the timeline, not re-sent)."""
    if Notification.objects.filter(incident=incident, alert__rule=rule).exclude(alert=alert).exists():
        return []
    due = rules_mod.in_quiet_hours(rule, rule.workspace, now) or now
    made = []
    common = {"alert": alert, "incident": incident, "workspace_id": alert.workspace_id}
    if rule.notify_in_app:
        made.append(
            Notification(
                **common, channel=NotifyChannel.IN_APP, state=NotificationState.SENT, sent_at=now, due_at=None
            )
        )
    if rule.emails:
        made.append(
            Notification(**common, channel=NotifyChannel.EMAIL, recipients=", ".join(rule.emails), due_at=due)
        )
    if rule.webhook_url_enc:
        made.append(
            Notification(
                **common,
                channel=NotifyChannel.WEBHOOK,
                webhook_url_enc=rule.webhook_url_enc,
                webhook_format=rule.webhook_format,
                due_at=due,
            )
        )
    Notification.objects.bulk_create(made)
    return made


# --- what people do ---------------------------------------------------------------------------------


def set_status(incident: Incident, actor: Any, status: str) -> Incident:
    if status not in IncidentStatus.values:
        raise InvalidInput("status", _("unknown status %(value)s") % {"value": status})
    with write_transaction():
        old = incident.status
        if old == status:
            return incident
        incident.status = status
        incident.resolved_at = timezone.now() if status == IncidentStatus.RESOLVED else None
        incident.save(update_fields=["status", "resolved_at"])
        event(
            incident,
            EventKind.STATUS,
            _("%(old)s → %(new)s") % {"old": IncidentStatus(old).label, "new": IncidentStatus(status).label},
            actor,
            old=old,
            new=status,
        )
        audit(incident.workspace, actor, "incident.status", incident, summary=f"{old} → {status}")
    return incident


def set_owner(incident: Incident, actor: Any, user_id: int | None) -> Incident:
    owner = None
    if user_id is not None:
        if not Membership.objects.filter(workspace_id=incident.workspace_id, user_id=user_id).exists():
            raise InvalidInput("owner", _("not a member of this workspace"))
        owner = get_user_model().objects.get(pk=user_id)
    with write_transaction():
        incident.owner = owner
        incident.save(update_fields=["owner"])
        name = owner.get_username() if owner else _("nobody")
        event(incident, EventKind.OWNER, _("Owner: %(name)s") % {"name": name}, actor, owner=user_id)
        audit(incident.workspace, actor, "incident.owner", incident, summary=name)
    return incident


def add_note(incident: Incident, actor: Any, text: str) -> IncidentEvent:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("text", _("this field is required"))
    if len(text) > MAX_NOTE:
        raise InvalidInput("text", _("too long: at most %(max)s characters") % {"max": MAX_NOTE})
    with write_transaction():
        return event(incident, EventKind.NOTE, text, actor)


def acknowledge(alert: Alert, actor: Any) -> Alert:
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor if getattr(actor, "is_authenticated", False) else None
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        Notification.objects.filter(alert=alert, channel=NotifyChannel.IN_APP, read_at__isnull=True).update(
            read_at=alert.acknowledged_at
        )
    return alert


def unread_alerts(workspace_id: int) -> int:
    return Notification.objects.filter(
        workspace_id=workspace_id, channel=NotifyChannel.IN_APP, read_at__isnull=True
    ).count()
