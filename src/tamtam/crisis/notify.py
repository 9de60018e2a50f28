"""Sending alert notifications: e-mail through Django's e-mail backend (SMTP), webhooks with Slack,
Microsoft Teams or plain JSON payloads through httpx.

Each notification is a durable row (the `crisis_notify` work kind): claimed with a lease, sent, then
marked sent; a failure is kept on the row (and on the incident's page) and retried with backoff, up
to MAX_ATTEMPTS, so an SMTP server or a receiver that is down does not lose the alert. A worker dying
between the send and the mark sends again after its lease: receivers can drop the repeat by the
`X-Tamtam-Delivery` header (also `delivery_id` in JSON payloads).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from tamtam.crisis import safehttp
from tamtam.crisis.incidents import alert_summary, event
from tamtam.crisis.models import (
    Alert,
    EventKind,
    Notification,
    NotificationState,
    NotifyChannel,
    WebhookFormat,
)
from tamtam.crisis.rules import open_webhook
from tamtam.work.claim import Leased, backoff, claim
from tamtam.work.db import serialised

log = logging.getLogger(__name__)
LEASE_SECONDS = 60
MAX_ATTEMPTS = 8
S = NotificationState


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def absolute(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def incident_url(notification: Notification) -> str:
    from django.urls import reverse

    if notification.incident_id is None:
        return absolute(reverse("crisis:alerts", args=[notification.workspace_id]))
    return absolute(reverse("crisis:incident", args=[notification.workspace_id, notification.incident_id]))


def message(alert: Alert) -> dict[str, Any]:
    """The words of a notification (in the workspace's language), shared by every channel."""
    why = alert.explanation or {}
    terms = ", ".join(t["term"] for t in why.get("terms", [])[:5])
    authors = ", ".join(f"@{a['handle']} ({a['mentions']})" for a in why.get("authors", [])[:5])
    mix = why.get("sentiment", {})
    query = alert.query.name if alert.query else alert.rule_name
    return {
        "title": _("Crisis alert: %(query)s") % {"query": query},
        "summary": alert_summary(alert),
        "facts": [
            (_("Rule"), alert.rule_name),
            (_("Minute"), alert.bucket_start.strftime("%Y-%m-%d %H:%M UTC")),
            (_("New terms"), terms or "—"),
            (_("Authors"), authors or "—"),
            (
                _("Sentiment"),
                _("%(neg)s negative, %(neu)s neutral, %(pos)s positive")
                % {
                    "neg": mix.get("negative", 0),
                    "neu": mix.get("neutral", 0),
                    "pos": mix.get("positive", 0),
                },
            ),
        ],
        "samples": [s["text"] for s in why.get("samples", [])[:3]],
    }


def webhook_payload(notification: Notification, alert: Alert) -> dict[str, Any]:
    words = message(alert)
    url = incident_url(notification)
    open_label = _("Open the incident")
    if notification.webhook_format == WebhookFormat.SLACK:
        facts = "\n".join(f"*{k}:* {v}" for k, v in words["facts"])
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": words["title"][:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{words['summary']}\n{facts}"}},
        ]
        if words["samples"]:
            quoted = "\n".join(f"> {s[:200]}" for s in words["samples"])
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quoted}})
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": open_label}, "url": url}
                ],
            }
        )
        return {"text": f"{words['title']} — {words['summary']}", "blocks": blocks}
    if notification.webhook_format == WebhookFormat.TEAMS:
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "size": "Large", "weight": "Bolder", "text": words["title"], "wrap": True},
            {"type": "TextBlock", "text": words["summary"], "wrap": True},
            {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in words["facts"]]},
        ]
        body += [
            {"type": "TextBlock", "text": s[:200], "wrap": True, "isSubtle": True} for s in words["samples"]
        ]
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": body,
            "actions": [{"type": "Action.OpenUrl", "title": open_label, "url": url}],
        }
        return {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        }
    return {
        "delivery_id": str(notification.delivery_id),
        "event": "crisis.alert",
        "title": words["title"],
        "summary": words["summary"],
        "url": url,
        "alert": {
            "id": alert.pk,
            "rule": alert.rule_name,
            "query": alert.query.name if alert.query else None,
            "series": alert.series,
            "bucket_start": alert.bucket_start.isoformat(),
            "expected": alert.expected,
            "observed": alert.observed,
            "score": alert.score,
            "explanation": alert.explanation,
        },
        "incident_id": notification.incident_id,
    }


def send_webhook(notification: Notification, alert: Alert) -> None:
    url = open_webhook(notification.workspace_id, notification.webhook_url_enc)
    payload = webhook_payload(notification, alert)
    headers = {"X-Tamtam-Delivery": str(notification.delivery_id), "User-Agent": "tamtam-crisis/1"}
    try:
        response = safehttp.post_json(url, payload, headers)
    except safehttp.Refused as exc:
        # Not a network failure: retrying would be refused again (see crisis/safehttp.py).
        raise SendError(str(exc), permanent=True) from None
    except httpx.HTTPError as exc:
        # The URL is a secret (Slack's and Teams' carry the credential): never in the message.
        raise SendError(_("webhook unreachable: %(kind)s") % {"kind": type(exc).__name__}) from None
    if response.is_success:
        return
    if response.is_redirect:
        raise SendError(
            _("webhook redirected (HTTP %(code)s): give the final URL") % {"code": response.status_code},
            permanent=True,
        )
    permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 425, 429)
    raise SendError(_("webhook answered HTTP %(code)s") % {"code": response.status_code}, permanent=permanent)


def send_email(notification: Notification, alert: Alert) -> None:
    words = message(alert)
    url = incident_url(notification)
    lines = [words["summary"], "", *(f"{k}: {v}" for k, v in words["facts"]), ""]
    lines += [f"> {s}" for s in words["samples"]] + ["", url]
    facts = "".join(
        f"<tr><th align='left'>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in words["facts"]
    )
    samples = "".join(f"<blockquote>{escape(s)}</blockquote>" for s in words["samples"])
    open_label = _("Open the incident")
    html = (
        f"<h2>{escape(words['title'])}</h2><p>{escape(words['summary'])}</p><table>{facts}</table>{samples}"
        f"<p><a href='{escape(url)}'>{escape(open_label)}</a></p>"
    )
    mail = EmailMultiAlternatives(
        subject=f"[tamtam] {words['title']}",
        body="\n".join(lines),
        to=[a.strip() for a in notification.recipients.split(",") if a.strip()],
        headers={"X-Tamtam-Delivery": str(notification.delivery_id)},
    )
    mail.attach_alternative(html, "text/html")
    try:
        mail.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(
            _("every recipient was refused: %(who)s") % {"who": ", ".join(exc.recipients)}, permanent=True
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(
            _("mail server: %(kind)s: %(reason)s") % {"kind": type(exc).__name__, "reason": str(exc)[:200]}
        ) from None


# --- the work kind ----------------------------------------------------------------------------------


def claim_due(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        Notification.objects.filter(channel__in=[NotifyChannel.EMAIL, NotifyChannel.WEBHOOK]),
        states=[S.PENDING],
        now=now,
        limit=limit,
        lease_seconds=LEASE_SECONDS,
        owner=owner,
        to_state=S.CLAIMED,
    )


def process(notification_id: int, owner: str, now: datetime | None = None) -> str:
    notification = (
        Notification.objects.select_related("alert", "alert__query", "alert__workspace", "incident")
        .filter(pk=notification_id, state=S.CLAIMED, lease_owner=owner)
        .first()
    )
    if notification is None:
        return "not ours"
    alert = notification.alert
    now = now or timezone.now()
    with translation.override(alert.workspace.language):
        try:
            if notification.channel == NotifyChannel.EMAIL:
                send_email(notification, alert)
            else:
                send_webhook(notification, alert)
        except SendError as exc:
            return _failed(notification, owner, now, str(exc), permanent=exc.permanent)
        except Exception as exc:  # a bug must not stop the other notifications
            log.exception("crisis notification %s failed", notification.pk)
            return _failed(notification, owner, now, type(exc).__name__, permanent=False)
        with serialised():
            done = Notification.objects.filter(pk=notification.pk, state=S.CLAIMED, lease_owner=owner).update(
                state=S.SENT,
                sent_at=now,
                attempts=notification.attempts + 1,
                lease_owner="",
                lease_until=None,
                last_error="",
            )
        if done and notification.incident is not None:
            event(
                notification.incident,
                EventKind.NOTIFIED,
                _("%(channel)s sent") % {"channel": NotifyChannel(notification.channel).label},
                notification=notification.pk,
            )
    return "sent"


def _failed(notification: Notification, owner: str, now: datetime, error: str, *, permanent: bool) -> str:
    attempts = notification.attempts + 1
    dead = permanent or attempts >= MAX_ATTEMPTS
    with serialised():
        changed = Notification.objects.filter(pk=notification.pk, state=S.CLAIMED, lease_owner=owner).update(
            state=S.DEAD if dead else S.PENDING,
            due_at=None if dead else now + timedelta(seconds=max(5.0, backoff(attempts, 5.0, 1800.0))),
            attempts=attempts,
            last_error=error[:500],
            lease_owner="",
            lease_until=None,
        )
    if changed and notification.incident is not None and (dead or attempts == 1):
        text = _("%(channel)s failed (attempt %(n)s): %(error)s") % {
            "channel": NotifyChannel(notification.channel).label,
            "n": attempts,
            "error": error,
        }
        if not dead:
            text += " — " + _("will retry")
        event(notification.incident, EventKind.NOTIFY_FAILED, text, notification=notification.pk)
    return "dead" if dead else "retry"


_leased = Leased(Notification, claimed=S.CLAIMED, idle=S.PENDING)
release_claims = _leased.release
sweep_expired = _leased.sweep


def retry(notification: Notification) -> None:
    """A person asks for another try of a notification that failed for good."""
    with serialised():
        Notification.objects.filter(pk=notification.pk, state=S.DEAD).update(
            state=S.PENDING, due_at=timezone.now(), attempts=0, last_error=""
        )
