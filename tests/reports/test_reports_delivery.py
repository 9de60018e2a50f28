"""Scheduled reports e-mailed for real: through Django's locmem backend and through a real local SMTP
server (aiosmtpd on 127.0.0.1), once per period, retried when the server is down."""

from __future__ import annotations

import email
import socket
from datetime import UTC, date, datetime, timedelta
from email import policy

import pytest
from django.core import mail
from django.utils import timezone

from tamtam.reports import delivery, services
from tamtam.reports.models import DeliveryState, ReportDelivery, ReportSchedule
from tamtam.reports.render import chromium_path

OWNER = "test-worker"
HAS_CHROMIUM = chromium_path().exists()


@pytest.fixture
def schedule(report, members):
    return services.save_schedule(
        report,
        members["manager"],
        {
            "frequency": "monthly",
            "day_of_month": 1,
            "hour": 8,
            "recipients": "direction@brand.example\nclient-sans-compte@brand.example",
            "language": "fr",
            "attach_pdf": HAS_CHROMIUM,
            "attach_csv": True,
        },
    )


def run_due(now: datetime) -> list[str]:
    """One pass of both work kinds, as the runner does it."""
    outcomes = [delivery.tick(i, OWNER, now) for i in delivery.claim_schedules(now, 10, OWNER)]
    outcomes += [delivery.send(i, OWNER) for i in delivery.claim_deliveries(now, 10, OWNER)]
    return outcomes


def test_next_due_follows_the_workspace_time_zone(schedule, workspace):
    local = schedule.due_at.astimezone(workspace.tz)
    assert (local.day, local.hour, local.minute) == (1, 8, 0)
    weekly = ReportSchedule(frequency="weekly", weekday=4, hour=9)
    after = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)  # a Wednesday; Paris goes to summer time on the 29th
    due = services.next_due(weekly, after, workspace.tz)
    assert due.astimezone(workspace.tz).isoformat() == "2026-03-27T09:00:00+01:00"
    assert services.next_due(weekly, due, workspace.tz).astimezone(workspace.tz).isoformat() == (
        "2026-04-03T09:00:00+02:00"
    )


def test_a_monthly_report_is_mailed_once_with_its_attachments(schedule, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    due = schedule.due_at
    outcomes = run_due(due + timedelta(seconds=1))
    assert outcomes == ["queued", "sent"]
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["direction@brand.example", "client-sans-compte@brand.example"]
    d = ReportDelivery.objects.get()
    local_due = due.astimezone(schedule.report.workspace.tz).date()
    assert (d.period_end + timedelta(days=1)) == local_due.replace(day=1)
    assert d.period_start.day == 1
    assert d.state == DeliveryState.SENT
    assert sent.extra_headers["X-Tamtam-Delivery"] == str(d.delivery_id)
    assert "Monthly report" in sent.subject
    names = [a[0] for a in sent.attachments]
    assert any(n.endswith(".csv") for n in names)
    if HAS_CHROMIUM:
        assert any(n.endswith(".pdf") for n in names)
    html = sent.alternatives[0][0]
    assert "Budget" in html  # French labels come with the catalogue; the section is there
    assert "<svg" not in html  # mail clients drop SVG: the chart is in the PDF

    # The same period again (a second tick, a duplicate wake-up): nothing more is sent.
    ReportSchedule.objects.filter(pk=schedule.pk).update(due_at=due)
    assert run_due(due + timedelta(seconds=2)) == ["already queued"]
    assert len(mail.outbox) == 1
    schedule.refresh_from_db()
    assert schedule.due_at > due
    assert schedule.last_sent_at is not None


def test_send_now_is_a_new_delivery(schedule, settings, members):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivery.queue_now(schedule, members["manager"])
    delivery.queue_now(schedule, members["manager"])
    run_due(timezone.now())
    assert len(mail.outbox) == 2
    assert ReportDelivery.objects.filter(manual=True, state=DeliveryState.SENT).count() == 2


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_mail_server_that_is_down_is_retried_and_the_error_kept(schedule, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    schedule.attach_pdf = False
    schedule.save()
    delivery.queue_now(schedule)
    assert run_due(timezone.now()) == ["retry"]
    d = ReportDelivery.objects.get()
    assert d.state == DeliveryState.PENDING
    assert d.due_at > timezone.now()
    assert "ConnectionRefusedError" in d.error  # in the schedule's language (French here)
    schedule.refresh_from_db()
    assert "ConnectionRefusedError" in schedule.last_error


class Mailbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = _closed_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    yield box
    controller.stop()


def test_a_real_smtp_server_receives_the_report_with_its_pdf(schedule, smtp):
    delivery.queue_now(schedule)
    assert run_due(timezone.now()) == ["sent"]
    assert len(smtp.messages) == 1
    envelope = smtp.messages[0]
    assert set(envelope.rcpt_tos) == {"direction@brand.example", "client-sans-compte@brand.example"}
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    kinds = [part.get_content_type() for part in message.walk()]
    assert "text/html" in kinds
    assert "text/csv" in kinds
    if HAS_CHROMIUM:
        pdf = next(p for p in message.walk() if p.get_content_type() == "application/pdf")
        assert pdf.get_content().startswith(b"%PDF")


def test_a_weekly_period_is_the_seven_days_before(report):
    weekly = ReportSchedule(report=report, frequency="weekly", weekday=0, hour=8)
    assert services.schedule_period(weekly, date(2026, 3, 9)) == (date(2026, 3, 2), date(2026, 3, 8))
    monthly = ReportSchedule(report=report, frequency="monthly", day_of_month=3, hour=8)
    assert services.schedule_period(monthly, date(2026, 3, 3)) == (date(2026, 2, 1), date(2026, 2, 28))
