"""Notifications, for real: e-mail to a local aiosmtpd server, webhooks to a local HTTP receiver;
an endpoint that is down keeps the notification (retried as durable work, visible in the incident)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crisis_helpers import free_port, send_notifications, spike_items, start_evaluator_at, store_history, tick

from tamtam.crisis import notify
from tamtam.crisis.models import Alert, AlertRule, IncidentEvent, Notification
from tamtam.crisis.rules import seal_webhook
from tamtam.listening.pipeline import Pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def fired(query, make_rule, now_minute):
    """Fire the alert of the given rule options through the live loop; the alert."""

    def fire(**rule_options):
        make_rule(**rule_options)
        live_from = now_minute - timedelta(minutes=6)
        store_history(query, now_minute - timedelta(hours=26), live_from)
        start_evaluator_at(live_from - timedelta(minutes=1))
        Pipeline(sentiment_backend="lexicon").process(spike_items(now_minute - timedelta(minutes=2), 40))
        tick(now_minute + timedelta(seconds=5))
        return Alert.objects.get()

    return fire


def test_an_alert_is_mailed_through_smtp(fired, smtp):
    alert = fired(email_to="crisis@example.com, boss@example.com")
    assert send_notifications() == ["sent"]
    (envelope,) = smtp.messages
    assert sorted(envelope.rcpt_tos) == ["boss@example.com", "crisis@example.com"]
    body = envelope.content.decode()
    assert "Crisis alert: Lumen" in body
    assert f"http://tamtam.test/w/{alert.workspace_id}/crisis/incidents/{alert.incident_id}/" in body
    note = Notification.objects.get(channel="email")
    assert note.state == "sent"
    assert note.attempts == 1
    assert IncidentEvent.objects.filter(incident=alert.incident, kind="notified").count() == 1
    # Sent once: another pass finds nothing to send.
    assert send_notifications() == []
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("fmt", ["slack", "teams", "json"])
def test_webhook_payloads_reach_a_real_receiver(fired, receiver, fmt):
    alert = fired(webhook_url=receiver.url, webhook_format=fmt)
    assert send_notifications() == ["sent"]
    (request,) = receiver.requests
    payload = request["json"]
    note = Notification.objects.get(channel="webhook")
    assert request["headers"]["X-Tamtam-Delivery"] == str(note.delivery_id)
    if fmt == "slack":
        assert payload["text"].startswith("Crisis alert: Lumen")
        assert payload["blocks"][0]["type"] == "header"
        assert payload["blocks"][-1]["elements"][0]["url"].endswith(f"/crisis/incidents/{alert.incident_id}/")
    elif fmt == "teams":
        card = payload["attachments"][0]
        assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert card["content"]["type"] == "AdaptiveCard"
        assert any(b["type"] == "FactSet" for b in card["content"]["body"])
    else:
        assert payload["event"] == "crisis.alert"
        assert payload["alert"]["observed"] == 40
        assert payload["delivery_id"] == str(note.delivery_id)


def test_a_webhook_that_is_down_is_retried_and_the_failure_shows_in_the_incident(fired, receiver, workspace):
    alert = fired(webhook_url=receiver.url, webhook_format="json")
    dead_url = f"http://127.0.0.1:{free_port()}/hook"
    Notification.objects.update(webhook_url_enc=seal_webhook(workspace.pk, dead_url))
    assert send_notifications() == ["retry"]
    note = Notification.objects.get(channel="webhook")
    assert note.state == "pending"
    assert note.attempts == 1
    assert "unreachable" in note.last_error
    assert "127.0.0.1" not in note.last_error  # the URL is a secret
    failed = IncidentEvent.objects.get(incident=alert.incident, kind="notify_failed")
    assert "will retry" in failed.text
    # The receiver answers 503: still pending, retried later.
    Notification.objects.update(webhook_url_enc=seal_webhook(workspace.pk, receiver.url))
    receiver.status = 503
    assert send_notifications() == ["retry"]
    receiver.status = 200
    assert send_notifications() == ["sent"]
    assert len(receiver.requests) == 2
    assert Notification.objects.get(channel="webhook").attempts == 3


def test_a_refused_webhook_stops_for_good_and_can_be_retried(fired, receiver):
    fired(webhook_url=receiver.url)
    receiver.status = 404  # a revoked Slack hook
    assert send_notifications() == ["dead"]
    note = Notification.objects.get(channel="webhook")
    assert note.state == "dead"
    notify.retry(note)
    receiver.status = 200
    assert send_notifications() == ["sent"]


def test_an_smtp_server_that_is_down_keeps_the_mail(fired, settings, smtp):
    alert = fired(email_to="crisis@example.com")
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()
    assert send_notifications() == ["retry"]
    assert Notification.objects.get(channel="email").last_error.startswith("mail server")
    failed = IncidentEvent.objects.get(incident=alert.incident, kind="notify_failed")
    assert "will retry" in failed.text
    settings.EMAIL_PORT = real_port
    assert send_notifications() == ["sent"]
    assert len(smtp.messages) == 1


def test_a_worker_that_dies_mid_send_gives_the_notification_back(fired):
    fired(email_to="crisis@example.com")
    now = Notification.objects.get(channel="email").due_at
    assert notify.claim_due(now, 10, "dead-worker")
    assert notify.sweep_expired(now + timedelta(seconds=notify.LEASE_SECONDS + 1)) == 1
    assert Notification.objects.get(channel="email").state == "pending"


def test_quiet_hours_hold_mails_and_webhooks_until_they_end(fired, workspace):
    from datetime import time

    from tamtam.crisis.rules import in_quiet_hours

    alert = fired(email_to="crisis@example.com")
    rule = AlertRule.objects.get()
    rule.quiet_start, rule.quiet_end = time(22, 0), time(7, 0)
    from datetime import UTC, datetime

    late = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)  # 00:30 in Paris, the workspace's zone
    assert in_quiet_hours(rule, workspace, late) == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)  # 07:00 Paris
    assert in_quiet_hours(rule, workspace, datetime(2026, 12, 2, 12, 0, tzinfo=UTC)) is None
    assert alert.notifications.filter(channel="in_app", state="sent").exists()
