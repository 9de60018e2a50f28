"""API schemas of the crisis app."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from ninja import Field, Schema

from tamtam.accounts.schemas import Id, Text
from tamtam.crisis.models import (
    Alert,
    AlertRule,
    CrisisPeriod,
    DetectorKind,
    HoldingStatement,
    Incident,
    IncidentStatus,
    Sensitivity,
    SeriesKind,
    WebhookFormat,
)


class RuleIn(Schema):
    name: Text = Field(..., max_length=120)
    query_id: Id
    series: SeriesKind = SeriesKind.ALL
    detector: DetectorKind = DetectorKind.NB_CUSUM
    sensitivity: Sensitivity = Sensitivity.NORMAL
    expert: dict[str, Any] = Field(
        default_factory=dict, description="Detector parameters over the sensitivity."
    )
    enabled: bool = True
    quiet_start: time | None = None
    quiet_end: time | None = None
    notify_in_app: bool = True
    email_to: str = Field("", max_length=2000, description="Comma-separated addresses.")
    webhook_url: str | None = Field(
        None,
        max_length=2000,
        description="Write-only. Omit (null) to keep the stored one, empty to remove it.",
    )
    webhook_format: WebhookFormat = WebhookFormat.SLACK


class RuleOut(Schema):
    id: int
    name: str
    query_id: int
    series: str
    detector: str
    sensitivity: str
    expert: dict[str, Any]
    enabled: bool
    quiet_start: time | None
    quiet_end: time | None
    notify_in_app: bool
    email_to: str
    webhook: str = Field(description="scheme://host/… of the stored webhook (the URL itself is never shown)")
    webhook_format: str


def rule_out(rule: AlertRule) -> dict[str, Any]:
    return {
        "id": rule.pk, "name": rule.name, "query_id": rule.query_id, "series": rule.series,
        "detector": rule.detector, "sensitivity": rule.sensitivity, "expert": rule.expert,
        "enabled": rule.enabled, "quiet_start": rule.quiet_start, "quiet_end": rule.quiet_end,
        "notify_in_app": rule.notify_in_app, "email_to": rule.email_to, "webhook": rule.webhook_hint,
        "webhook_format": rule.webhook_format,
    }  # fmt: skip


class AlertOut(Schema):
    id: int
    rule_id: int | None
    rule: str
    query_id: int | None
    incident_id: int | None
    series: str
    bucket_start: datetime
    fired_at: datetime
    expected: float
    observed: float
    evidence: float
    score: float
    explanation: dict[str, Any]
    acknowledged_at: datetime | None


def alert_out(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk, "rule_id": alert.rule_id, "rule": alert.rule_name, "query_id": alert.query_id,
        "incident_id": alert.incident_id, "series": alert.series, "bucket_start": alert.bucket_start,
        "fired_at": alert.fired_at, "expected": alert.expected, "observed": alert.observed,
        "evidence": alert.evidence, "score": alert.score, "explanation": alert.explanation,
        "acknowledged_at": alert.acknowledged_at,
    }  # fmt: skip


class EventOut(Schema):
    at: datetime
    kind: str
    actor: str | None
    text: str


class IncidentOut(Schema):
    id: int
    title: str
    status: str
    owner_id: int | None
    query_id: int | None
    opened_at: datetime
    last_alert_at: datetime | None
    resolved_at: datetime | None
    alert_ids: list[int]
    timeline: list[EventOut] | None = None


def incident_out(incident: Incident, timeline: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": incident.pk, "title": incident.title, "status": incident.status, "owner_id": incident.owner_id,
        "query_id": incident.query_id, "opened_at": incident.opened_at,
        "last_alert_at": incident.last_alert_at, "resolved_at": incident.resolved_at,
        "alert_ids": list(incident.alerts.order_by("bucket_start").values_list("pk", flat=True)),
    }  # fmt: skip
    if timeline:
        out["timeline"] = [
            {"at": e.at, "kind": e.kind, "actor": e.actor.get_username() if e.actor else None, "text": e.text}
            for e in incident.events.select_related("actor")
        ]
    return out


class IncidentPatch(Schema):
    status: IncidentStatus | None = None
    owner_id: Id | None = None
    clear_owner: bool = False


class NoteIn(Schema):
    text: Text = Field(..., max_length=10_000)


class PostMortemOut(Schema):
    markdown: str
    timeline_csv: str


class StatementIn(Schema):
    title: Text = Field(..., max_length=120)
    language: str = Field(..., max_length=8)
    text: Text = Field(..., max_length=10_000)


class StatementOut(Schema):
    id: int
    title: str
    language: str
    text: str


def statement_out(s: HoldingStatement) -> dict[str, Any]:
    return {"id": s.pk, "title": s.title, "language": s.language, "text": s.text}


class ModeOut(Schema):
    crisis_mode: bool
    started_at: datetime | None
    incident_id: int | None
    paused: list[dict[str, Any]]
    past_due: list[int] = Field(description="Paused targets whose time has passed: each needs a decision")


def mode_out(crisis_mode: bool, period: CrisisPeriod | None, past_due: list[int]) -> dict[str, Any]:
    return {
        "crisis_mode": crisis_mode,
        "started_at": period.started_at if period else None,
        "incident_id": period.incident_id if period else None,
        "paused": period.paused if period else [],
        "past_due": past_due,
    }


class ModeOn(Schema):
    incident_id: Id | None = None


class ModeOff(Schema):
    decisions: dict[str, str] = Field(
        default_factory=dict,
        description='{target id: "now" | "drop" | ISO time with offset} for every past-due paused post',
    )


class BacktestOut(Schema):
    times: list[str]
    values: list[float]
    expected: list[float]
    scores: list[float]
    alerts: list[int]
