"""API: alert rules, alerts, incidents (timeline, notes, status, owner, post-mortem), holding
statements, crisis mode on/off, back-test of a query's stored history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field as NinjaField
from ninja import Query as QueryParams
from ninja import Router, Schema

from tamtam.accounts.api import COMMON, member_for
from tamtam.accounts.models import Workspace
from tamtam.accounts.permissions import Cap
from tamtam.accounts.schemas import Id, PathId
from tamtam.crisis import export, history, incidents, mode, services
from tamtam.crisis.models import (
    Alert,
    AlertRule,
    DetectorKind,
    HoldingStatement,
    Incident,
    Sensitivity,
    SeriesKind,
)
from tamtam.crisis.rules import clean_expert, rule_params
from tamtam.crisis.schemas import (
    AlertOut,
    BacktestOut,
    IncidentOut,
    IncidentPatch,
    ModeOff,
    ModeOn,
    ModeOut,
    NoteIn,
    PostMortemOut,
    RuleIn,
    RuleOut,
    StatementIn,
    StatementOut,
    alert_out,
    incident_out,
    mode_out,
    rule_out,
    statement_out,
)
from tamtam.lib.errors import InvalidInput
from tamtam.listening.models import Query

router = Router(tags=["crisis"])
W = "/workspaces/{ws}/crisis"


def _rule_input(payload: RuleIn) -> services.RuleInput:
    return services.RuleInput(**payload.dict())


@router.get(W + "/rules", response={200: list[RuleOut], **COMMON}, summary="Alert rules")
def list_rules(request: HttpRequest, ws: PathId) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.VIEW_CRISIS)
    return [rule_out(r) for r in AlertRule.objects.filter(workspace_id=ws)]


@router.post(W + "/rules", response={201: RuleOut, **COMMON}, summary="Create an alert rule")
def create_rule(request: HttpRequest, ws: PathId, payload: RuleIn) -> tuple[int, dict[str, Any]]:
    member = member_for(request, ws, Cap.MANAGE_CRISIS)
    return 201, rule_out(services.save_rule(member.workspace, request.user, _rule_input(payload)))


@router.get(W + "/rules/{rule_id}", response={200: RuleOut, **COMMON}, summary="One alert rule")
def get_rule(request: HttpRequest, ws: PathId, rule_id: PathId) -> dict[str, Any]:
    member_for(request, ws, Cap.VIEW_CRISIS)
    return rule_out(get_object_or_404(AlertRule, pk=rule_id, workspace_id=ws))


@router.put(W + "/rules/{rule_id}", response={200: RuleOut, **COMMON}, summary="Replace an alert rule")
def update_rule(request: HttpRequest, ws: PathId, rule_id: PathId, payload: RuleIn) -> dict[str, Any]:
    member = member_for(request, ws, Cap.MANAGE_CRISIS)
    rule = get_object_or_404(AlertRule, pk=rule_id, workspace_id=ws)
    return rule_out(services.save_rule(member.workspace, request.user, _rule_input(payload), rule))


@router.delete(W + "/rules/{rule_id}", response={204: None, **COMMON}, summary="Delete an alert rule")
def delete_rule(request: HttpRequest, ws: PathId, rule_id: PathId) -> tuple[int, None]:
    member_for(request, ws, Cap.MANAGE_CRISIS)
    services.delete_rule(get_object_or_404(AlertRule, pk=rule_id, workspace_id=ws), request.user)
    return 204, None


class Page(Schema):
    limit: int = NinjaField(50, ge=1, le=200)
    offset: int = NinjaField(0, ge=0, le=1_000_000)


@router.get(W + "/alerts", response={200: list[AlertOut], **COMMON}, summary="Alerts, newest first")
def list_alerts(request: HttpRequest, ws: PathId, page: QueryParams[Page]) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.VIEW_CRISIS)
    qs = Alert.objects.filter(workspace_id=ws)[page.offset : page.offset + page.limit]
    return [alert_out(a) for a in qs]


@router.get(
    W + "/alerts/{alert_id}", response={200: AlertOut, **COMMON}, summary="One alert and why it fired"
)
def get_alert(request: HttpRequest, ws: PathId, alert_id: PathId) -> dict[str, Any]:
    member_for(request, ws, Cap.VIEW_CRISIS)
    return alert_out(get_object_or_404(Alert, pk=alert_id, workspace_id=ws))


@router.get(W + "/incidents", response={200: list[IncidentOut], **COMMON}, summary="Incidents")
def list_incidents(request: HttpRequest, ws: PathId, page: QueryParams[Page]) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.VIEW_CRISIS)
    return [
        incident_out(i)
        for i in Incident.objects.filter(workspace_id=ws)[page.offset : page.offset + page.limit]
    ]


@router.get(W + "/incidents/{incident_id}", response={200: IncidentOut, **COMMON}, summary="One incident")
def get_incident(request: HttpRequest, ws: PathId, incident_id: PathId) -> dict[str, Any]:
    member_for(request, ws, Cap.VIEW_CRISIS)
    return incident_out(get_object_or_404(Incident, pk=incident_id, workspace_id=ws), timeline=True)


@router.patch(W + "/incidents/{incident_id}", response={200: IncidentOut, **COMMON}, summary="Status, owner")
def update_incident(
    request: HttpRequest, ws: PathId, incident_id: PathId, payload: IncidentPatch
) -> dict[str, Any]:
    member_for(request, ws, Cap.RESPOND_CRISIS)
    incident = get_object_or_404(Incident, pk=incident_id, workspace_id=ws)
    if payload.status is not None:
        incidents.set_status(incident, request.user, payload.status)
    if payload.owner_id is not None or payload.clear_owner:
        incidents.set_owner(incident, request.user, None if payload.clear_owner else payload.owner_id)
    return incident_out(incident, timeline=True)


@router.post(
    W + "/incidents/{incident_id}/notes", response={201: IncidentOut, **COMMON}, summary="Add a note"
)
def add_note(
    request: HttpRequest, ws: PathId, incident_id: PathId, payload: NoteIn
) -> tuple[int, dict[str, Any]]:
    member_for(request, ws, Cap.RESPOND_CRISIS)
    incident = get_object_or_404(Incident, pk=incident_id, workspace_id=ws)
    incidents.add_note(incident, request.user, payload.text)
    return 201, incident_out(incident, timeline=True)


@router.get(
    W + "/incidents/{incident_id}/post-mortem", response={200: PostMortemOut, **COMMON}, summary="Post-mortem"
)
def post_mortem(request: HttpRequest, ws: PathId, incident_id: PathId) -> dict[str, str]:
    member_for(request, ws, Cap.VIEW_CRISIS)
    incident = get_object_or_404(Incident, pk=incident_id, workspace_id=ws)
    return {"markdown": export.markdown(incident), "timeline_csv": export.timeline_csv(incident)}


@router.get(W + "/statements", response={200: list[StatementOut], **COMMON}, summary="Holding statements")
def list_statements(request: HttpRequest, ws: PathId) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.VIEW_CRISIS)
    return [statement_out(s) for s in HoldingStatement.objects.filter(workspace_id=ws)]


@router.post(W + "/statements", response={201: StatementOut, **COMMON}, summary="Create a holding statement")
def create_statement(request: HttpRequest, ws: PathId, payload: StatementIn) -> tuple[int, dict[str, Any]]:
    member = member_for(request, ws, Cap.MANAGE_CRISIS)
    saved = services.save_statement(
        member.workspace, request.user, payload.title, payload.language, payload.text
    )
    return 201, statement_out(saved)


@router.put(W + "/statements/{statement_id}", response={200: StatementOut, **COMMON}, summary="Replace one")
def update_statement(
    request: HttpRequest, ws: PathId, statement_id: PathId, payload: StatementIn
) -> dict[str, Any]:
    member = member_for(request, ws, Cap.MANAGE_CRISIS)
    statement = get_object_or_404(HoldingStatement, pk=statement_id, workspace_id=ws)
    saved = services.save_statement(
        member.workspace, request.user, payload.title, payload.language, payload.text, statement
    )
    return statement_out(saved)


@router.delete(W + "/statements/{statement_id}", response={204: None, **COMMON}, summary="Delete one")
def delete_statement(request: HttpRequest, ws: PathId, statement_id: PathId) -> tuple[int, None]:
    member_for(request, ws, Cap.MANAGE_CRISIS)
    get_object_or_404(HoldingStatement, pk=statement_id, workspace_id=ws).delete()
    return 204, None


def _mode(ws: int) -> dict[str, Any]:
    workspace = Workspace.objects.get(pk=ws)
    period = mode.current_period(ws) if workspace.crisis_mode else None
    past = [t.pk for t in mode.past_due(workspace)] if workspace.crisis_mode else []
    return mode_out(workspace.crisis_mode, period, past)


@router.get(W + "/mode", response={200: ModeOut, **COMMON}, summary="Crisis mode and what it paused")
def get_mode(request: HttpRequest, ws: PathId) -> dict[str, Any]:
    member_for(request, ws, Cap.VIEW_CRISIS)
    return _mode(ws)


@router.post(W + "/mode/on", response={200: ModeOut, **COMMON}, summary="Turn crisis mode on")
def mode_on(request: HttpRequest, ws: PathId, payload: ModeOn) -> dict[str, Any]:
    member = member_for(request, ws, Cap.MANAGE_CRISIS)
    incident = None
    if payload.incident_id is not None:
        incident = Incident.objects.filter(pk=payload.incident_id, workspace_id=ws).first()
        if incident is None:
            raise InvalidInput("incident_id", _("no such incident in this workspace"))
    mode.turn_on(member.workspace, request.user, incident)
    return _mode(ws)


@router.post(W + "/mode/off", response={200: ModeOut, **COMMON}, summary="Resume publishing")
def mode_off(request: HttpRequest, ws: PathId, payload: ModeOff) -> dict[str, Any]:
    member = member_for(request, ws, Cap.MANAGE_CRISIS)
    decisions: dict[int, str] = {}
    for key, value in payload.decisions.items():
        if not key.isdigit():
            raise InvalidInput(f"decisions.{key}", _("a paused post's target id is expected"))
        decisions[int(key)] = value
    mode.turn_off(member.workspace, request.user, decisions)
    return _mode(ws)


class BacktestIn(Schema):
    query_id: Id
    series: SeriesKind = SeriesKind.ALL
    detector: DetectorKind = DetectorKind.NB_CUSUM
    sensitivity: Sensitivity = Sensitivity.NORMAL
    days: int = NinjaField(7, ge=1, le=30)


@router.get(W + "/backtest", response={200: BacktestOut, **COMMON}, summary="Back-test a query's history")
def backtest(request: HttpRequest, ws: PathId, params: QueryParams[BacktestIn]) -> dict[str, Any]:
    member_for(request, ws, Cap.VIEW_CRISIS)
    if not Query.objects.filter(pk=params.query_id, workspace_id=ws).exists():
        raise InvalidInput("query_id", _("no such listening query in this workspace"))
    detector = rule_params(params.sensitivity, clean_expert({}, params.sensitivity), params.detector)
    end = history.floor_minute(timezone.now()) - history.MINUTE
    start = end - timedelta(days=params.days) + history.MINUTE
    return history.backtest(params.query_id, params.series, detector, start, end).__dict__
