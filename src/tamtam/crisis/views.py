"""Crisis pages under /w/<ws>/crisis/: overview with crisis mode, alerts, incidents, rules, holding
statements, back-test. Thin: permission, form, service, template."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamtam.accounts.forms import add_service_error
from tamtam.accounts.models import Membership
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import require
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.crisis import export, history, incidents, mode, notify, services
from tamtam.crisis.forms import (
    BacktestForm,
    NoteForm,
    PublishStatementForm,
    RuleForm,
    StatementForm,
    StatusForm,
)
from tamtam.crisis.models import (
    Alert,
    AlertRule,
    HoldingStatement,
    Incident,
    IncidentStatus,
    Notification,
    NotificationState,
)
from tamtam.crisis.rules import clean_expert, rule_params
from tamtam.lib import timeutil
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.listening.models import Query
from tamtam.publishing.models import Post

MAX_POINTS = 1500  # points drawn on the back-test chart (minutes are grouped beyond that)


def _ctx(member: Membership, **extra: Any) -> dict[str, Any]:
    ws = member.workspace
    return {
        "workspace": ws,
        "can_respond": can(member.role, Cap.RESPOND_CRISIS),
        "can_manage": can(member.role, Cap.MANAGE_CRISIS),
        "period": mode.current_period(ws.pk) if ws.crisis_mode else None,
        **extra,
    }


def _queries(ws: int) -> list[tuple[int, str]]:
    return list(Query.objects.filter(workspace_id=ws).order_by("name").values_list("pk", "name"))


@login_required
def overview(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CRISIS)
    context = _ctx(
        member,
        incidents=Incident.objects.filter(workspace_id=ws, status__in=incidents.OPEN).select_related("owner")[
            :20
        ],
        alerts=Alert.objects.filter(workspace_id=ws).select_related("incident")[:10],
        unread=incidents.unread_alerts(ws),
        rules=AlertRule.objects.filter(workspace_id=ws).count(),
        statements=HoldingStatement.objects.filter(workspace_id=ws),
        pending=mode.pending_statements(member.workspace),
        past_due=mode.past_due(member.workspace) if member.workspace.crisis_mode else [],
        can_approve=can(member.role, Cap.APPROVE),
    )
    return render(request, "crisis/overview.html", context)


# --- crisis mode ------------------------------------------------------------------------------------


@login_required
@require_POST
def mode_on(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_CRISIS)
    incident = None
    if request.POST.get("incident"):
        incident = Incident.objects.filter(workspace_id=ws, pk=request.POST["incident"]).first()
    try:
        period = mode.turn_on(member.workspace, request.user, incident)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.warning(
            request,
            _("Crisis mode is on: %(n)s scheduled posts paused, replies go through a manager.")
            % {"n": len(period.paused)},
        )
    return redirect("crisis:overview", ws=ws)


@login_required
def mode_off(request: AuthedRequest, ws: int) -> HttpResponse:
    """GET: the resume page, asking about every paused post whose time has passed. POST: resume."""
    member = require(request.user, ws, Cap.MANAGE_CRISIS)
    if not member.workspace.crisis_mode:
        messages.info(request, _("Crisis mode is not on."))
        return redirect("crisis:overview", ws=ws)
    past = mode.past_due(member.workspace)
    errors: dict[int, str] = {}
    if request.method == "POST":
        decisions: dict[int, str] = {}
        for target in past:
            choice = request.POST.get(f"decision-{target.pk}", "")
            if choice == "later":
                choice = request.POST.get(f"when-{target.pk}", "").strip()
                if len(choice) == 16:  # <input type=datetime-local>: in the workspace's zone
                    choice = _local_iso(choice, member.workspace.time_zone)
            if choice:
                decisions[target.pk] = choice
        try:
            period = mode.turn_off(member.workspace, request.user, decisions)
        except InvalidInput as exc:
            key = exc.field.removeprefix("decisions.")
            errors[int(key) if key.isdigit() else 0] = exc.message
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("crisis:overview", ws=ws)
        else:
            messages.success(
                request, _("Crisis mode is off: %(n)s posts handled.") % {"n": len(period.outcome)}
            )
            return redirect("crisis:overview", ws=ws)
    rows = [{"target": t, "error": errors.get(t.pk, "")} for t in past]
    return render(
        request,
        "crisis/resume.html",
        _ctx(member, rows=rows, error=errors.get(0, "")),
        status=400 if errors else 200,
    )


def _local_iso(text: str, zone_name: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the service names the field and the reason
    return moment.replace(tzinfo=timeutil.zone(zone_name)).isoformat()


# --- alerts and incidents ----------------------------------------------------------------------------


@login_required
def alert_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CRISIS)
    alerts = Alert.objects.filter(workspace_id=ws).select_related("incident", "query")[:200]
    return render(request, "crisis/alerts.html", _ctx(member, alerts=alerts))


@login_required
def alert_detail(request: AuthedRequest, ws: int, alert_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CRISIS)
    alert = get_object_or_404(Alert, pk=alert_id, workspace_id=ws)
    return render(request, "crisis/alert.html", _ctx(member, alert=alert, why=alert.explanation or {}))


@login_required
@require_POST
def alert_ack(request: AuthedRequest, ws: int, alert_id: int) -> HttpResponse:
    require(request.user, ws, Cap.RESPOND_CRISIS)
    alert = get_object_or_404(Alert, pk=alert_id, workspace_id=ws)
    incidents.acknowledge(alert, request.user)
    return redirect("crisis:alert", ws=ws, alert_id=alert.pk)


@login_required
def incident_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CRISIS)
    status = request.GET.get("status", "")
    qs = Incident.objects.filter(workspace_id=ws).select_related("owner", "query")
    if status in IncidentStatus.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "crisis/incidents.html",
        _ctx(member, incidents=qs[:200], status=status, statuses=IncidentStatus.choices),
    )


def _incident_page(
    request: AuthedRequest, member: Membership, incident: Incident, **forms: Any
) -> HttpResponse:
    context = _ctx(
        member,
        incident=incident,
        alerts=incident.alerts.order_by("bucket_start"),
        events=incident.events.select_related("actor"),
        notifications=Notification.objects.filter(incident=incident).select_related("alert"),
        members=Membership.objects.filter(workspace_id=member.workspace_id).select_related("user"),
        note_form=forms.get("note_form") or NoteForm(),
        status_form=StatusForm(initial={"status": incident.status}),
        statuses=IncidentStatus.choices,
    )
    return render(request, "crisis/incident.html", context, status=400 if forms else 200)


@login_required
def incident_detail(request: AuthedRequest, ws: int, incident_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CRISIS)
    return _incident_page(request, member, get_object_or_404(Incident, pk=incident_id, workspace_id=ws))


@login_required
@require_POST
def incident_note(request: AuthedRequest, ws: int, incident_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.RESPOND_CRISIS)
    incident = get_object_or_404(Incident, pk=incident_id, workspace_id=ws)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            incidents.add_note(incident, request.user, form.cleaned_data["text"])
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            return redirect("crisis:incident", ws=ws, incident_id=incident.pk)
    return _incident_page(request, member, incident, note_form=form)


@login_required
@require_POST
def incident_status(request: AuthedRequest, ws: int, incident_id: int) -> HttpResponse:
    require(request.user, ws, Cap.RESPOND_CRISIS)
    incident = get_object_or_404(Incident, pk=incident_id, workspace_id=ws)
    try:
        incidents.set_status(incident, request.user, request.POST.get("status", ""))
    except InvalidInput as exc:
        messages.error(request, exc.message)
    return redirect("crisis:incident", ws=ws, incident_id=incident.pk)


@login_required
@require_POST
def incident_owner(request: AuthedRequest, ws: int, incident_id: int) -> HttpResponse:
    require(request.user, ws, Cap.RESPOND_CRISIS)
    incident = get_object_or_404(Incident, pk=incident_id, workspace_id=ws)
    raw = request.POST.get("owner", "")
    if raw == "me":
        raw = str(request.user.pk)
    try:
        incidents.set_owner(incident, request.user, int(raw) if raw.isdigit() else None)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    return redirect("crisis:incident", ws=ws, incident_id=incident.pk)


@login_required
def incident_markdown(request: AuthedRequest, ws: int, incident_id: int) -> HttpResponse:
    require(request.user, ws, Cap.VIEW_CRISIS)
    incident = get_object_or_404(Incident, pk=incident_id, workspace_id=ws)
    response = HttpResponse(export.markdown(incident), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="incident-{incident.pk}.md"'
    return response


@login_required
def incident_csv(request: AuthedRequest, ws: int, incident_id: int) -> HttpResponse:
    require(request.user, ws, Cap.VIEW_CRISIS)
    incident = get_object_or_404(Incident, pk=incident_id, workspace_id=ws)
    response = HttpResponse(export.timeline_csv(incident), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="incident-{incident.pk}-timeline.csv"'
    return response


@login_required
@require_POST
def notification_retry(request: AuthedRequest, ws: int, notification_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_CRISIS)
    note = get_object_or_404(Notification, pk=notification_id, workspace_id=ws)
    if note.state == NotificationState.DEAD:
        notify.retry(note)
        messages.success(request, _("The notification will be sent again."))
    if note.incident_id:
        return redirect("crisis:incident", ws=ws, incident_id=note.incident_id)
    return redirect("crisis:alerts", ws=ws)


# --- rules -------------------------------------------------------------------------------------------


@login_required
def rule_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CRISIS)
    rules = AlertRule.objects.filter(workspace_id=ws).select_related("query")
    return render(request, "crisis/rules.html", _ctx(member, rules=rules))


def _rule_form(request: AuthedRequest, ws: int, rule: AlertRule | None) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_CRISIS)
    initial: dict[str, Any] = {}
    if rule is not None:
        initial = {
            "name": rule.name, "query": rule.query_id, "series": rule.series, "detector": rule.detector,
            "sensitivity": rule.sensitivity, "expert": json.dumps(rule.expert) if rule.expert else "",
            "enabled": rule.enabled, "quiet_start": rule.quiet_start, "quiet_end": rule.quiet_end,
            "notify_in_app": rule.notify_in_app, "email_to": rule.email_to,
            "webhook_format": rule.webhook_format,
        }  # fmt: skip
    form = RuleForm(request.POST or None, initial=initial or None, queries=_queries(ws))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        webhook: str | None = data["webhook_url"].strip() or None
        if data["remove_webhook"]:
            webhook = ""
        try:
            saved = services.save_rule(
                member.workspace,
                request.user,
                services.RuleInput(
                    name=data["name"],
                    query_id=data["query"],
                    series=data["series"],
                    detector=data["detector"],
                    sensitivity=data["sensitivity"],
                    expert=data["expert"],
                    enabled=data["enabled"],
                    quiet_start=data["quiet_start"],
                    quiet_end=data["quiet_end"],
                    notify_in_app=data["notify_in_app"],
                    email_to=data["email_to"],
                    webhook_url=webhook,
                    webhook_format=data["webhook_format"],
                ),
                rule,
            )
        except InvalidInput as exc:
            add_service_error(form, exc, {"query_id": "query"})
        else:
            messages.success(request, _("Rule %(name)s saved.") % {"name": saved.name})
            return redirect("crisis:rules", ws=ws)
    return render(
        request,
        "crisis/rule_form.html",
        _ctx(member, form=form, rule=rule, has_queries=bool(_queries(ws))),
        status=400 if form.is_bound else 200,
    )


@login_required
def rule_new(request: AuthedRequest, ws: int) -> HttpResponse:
    return _rule_form(request, ws, None)


@login_required
def rule_edit(request: AuthedRequest, ws: int, rule_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_CRISIS)
    return _rule_form(request, ws, get_object_or_404(AlertRule, pk=rule_id, workspace_id=ws))


@login_required
@require_POST
def rule_delete(request: AuthedRequest, ws: int, rule_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_CRISIS)
    rule = get_object_or_404(AlertRule, pk=rule_id, workspace_id=ws)
    services.delete_rule(rule, request.user)
    messages.success(request, _("Rule %(name)s deleted.") % {"name": rule.name})
    return redirect("crisis:rules", ws=ws)


# --- holding statements ------------------------------------------------------------------------------


@login_required
def statement_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CRISIS)
    statements = HoldingStatement.objects.filter(workspace_id=ws)
    return render(request, "crisis/statements.html", _ctx(member, statements=statements))


def _statement_form(request: AuthedRequest, ws: int, statement: HoldingStatement | None) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_CRISIS)
    initial = (
        {"title": statement.title, "language": statement.language, "text": statement.text}
        if statement
        else None
    )
    form = StatementForm(request.POST or None, initial=initial or {"language": member.workspace.language})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_statement(
                member.workspace, request.user, data["title"], data["language"], data["text"], statement
            )
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Holding statement saved."))
            return redirect("crisis:statements", ws=ws)
    return render(
        request,
        "crisis/statement_form.html",
        _ctx(member, form=form, statement=statement),
        status=400 if form.is_bound else 200,
    )


@login_required
def statement_new(request: AuthedRequest, ws: int) -> HttpResponse:
    return _statement_form(request, ws, None)


@login_required
def statement_edit(request: AuthedRequest, ws: int, statement_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_CRISIS)
    return _statement_form(request, ws, get_object_or_404(HoldingStatement, pk=statement_id, workspace_id=ws))


@login_required
@require_POST
def statement_delete(request: AuthedRequest, ws: int, statement_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_CRISIS)
    get_object_or_404(HoldingStatement, pk=statement_id, workspace_id=ws).delete()
    messages.success(request, _("Holding statement deleted."))
    return redirect("crisis:statements", ws=ws)


@login_required
def statement_publish(request: AuthedRequest, ws: int, statement_id: int) -> HttpResponse:
    """The fast track: a statement as a post on chosen channels, submitted at once."""
    member = require(request.user, ws, Cap.RESPOND_CRISIS)
    require(request.user, ws, Cap.COMPOSE)
    statement = get_object_or_404(HoldingStatement, pk=statement_id, workspace_id=ws)
    channels = list(
        Channel.objects.filter(workspace_id=ws, status=ChannelStatus.ACTIVE)
        .order_by("name")
        .values_list("pk", "name")
    )
    open_incidents = list(
        Incident.objects.filter(workspace_id=ws, status__in=incidents.OPEN).values_list("pk", "title")
    )
    form = PublishStatementForm(
        request.POST or None, initial={"text": statement.text}, channels=channels, incidents=open_incidents
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incident = (
            Incident.objects.filter(workspace_id=ws, pk=data["incident"]).first()
            if data["incident"]
            else None
        )
        try:
            post = mode.publish_statement(
                member.workspace, request.user, statement, data["channels"], incident, data["text"]
            )
            if can(member.role, Cap.APPROVE):
                mode.fast_track_approve(post, request.user, member.role)
        except (InvalidInput, Conflict) as exc:
            add_service_error(form, exc, {"channel_ids": "channels"})
        else:
            messages.success(request, _("Holding statement sent on the fast track."))
            return redirect("crisis:overview", ws=ws)
    return render(
        request,
        "crisis/statement_publish.html",
        _ctx(member, form=form, statement=statement),
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def statement_approve(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.APPROVE)
    post = get_object_or_404(Post, pk=post_id, workspace_id=ws)
    try:
        mode.fast_track_approve(post, request.user, member.role)
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Holding statement approved: it goes out now."))
    return redirect("crisis:overview", ws=ws)


# --- back-test --------------------------------------------------------------------------------------


@login_required
def backtest(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CRISIS)
    queries = _queries(ws)
    form = BacktestForm(request.GET or None, queries=queries)
    chart = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            try:
                expert = clean_expert(data["expert"], data["sensitivity"])
                params = rule_params(data["sensitivity"], expert, data["detector"])
            except InvalidInput as exc:
                add_service_error(form, exc)
                status = 400
            else:
                end = history.floor_minute(timezone.now()) - history.MINUTE
                start = end - timedelta(days=data["days"]) + history.MINUTE
                result = history.backtest(data["query"], data["series"], params, start, end)
                chart = _chart(result)
        else:
            status = 400
    return render(request, "crisis/backtest.html", _ctx(member, form=form, chart=chart), status=status)


def _chart(result: history.Backtest) -> dict[str, Any]:
    """The back-test for Chart.js: minutes grouped (max observed, mean expected) beyond MAX_POINTS."""
    n = len(result.times)
    group = max(1, -(-n // MAX_POINTS))
    labels, values, expected = [], [], []
    for i in range(0, n, group):
        labels.append(result.times[i][:16].replace("T", " "))
        values.append(max(result.values[i : i + group]))
        chunk = result.expected[i : i + group]
        expected.append(round(sum(chunk) / len(chunk), 3))
    alerts = [
        {"x": result.times[i][:16].replace("T", " "), "index": i // group, "value": result.values[i]}
        for i in result.alerts
    ]
    return {"labels": labels, "values": values, "expected": expected, "alerts": alerts, "group": group}
