from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from tamtam.accounts import services as accounts
from tamtam.accounts.permissions import Cap
from tamtam.lib import timeutil
from tamtam.publishing.models import PostTarget
from tamtam.publishing.states import TargetState
from tamtam.work import health
from tamtam.work.models import WorkerHeartbeat

WORKERS_SHOWN = 20


@login_required
def home(request: HttpRequest) -> HttpResponse:
    workspaces = list(accounts.workspaces_for(request.user))
    if len(workspaces) == 1:
        return redirect("web:workspace", ws=workspaces[0].id)
    return render(request, "web/home.html", {"workspaces": workspaces})


@login_required
def workspace(request: HttpRequest, ws: int) -> HttpResponse:
    member = accounts.membership(request.user, ws)
    if member is not None and member.role == "client":
        return redirect("publishing:review_list", ws=ws)
    member = accounts.require(request.user, ws, Cap.VIEW_CALENDAR)
    return render(request, "web/workspace.html", {"workspace": member.workspace})


ATTENTION_STATES = [TargetState.FAILED, TargetState.NEEDS_USER, TargetState.UNCONFIRMED]


def _attention(user: Any) -> list[dict[str, Any]]:
    """Per workspace the user may see: targets waiting on a person, with a link to them in the calendar."""
    workspaces = {w.pk: w for w in accounts.workspaces_for(user, Cap.VIEW_CALENDAR)}
    rows = (
        PostTarget.objects.filter(workspace_id__in=workspaces, state__in=ATTENTION_STATES)
        .values("workspace_id", "state")
        .annotate(n=Count("id"), oldest=Min("scheduled_at"))
    )
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        ws = workspaces[row["workspace_id"]]
        entry = found.setdefault(ws.pk, {"workspace": ws, "states": {}, "total": 0})
        # The list view of the month of the oldest one, so that last month's failures are not missed.
        oldest = row["oldest"] or timezone.now()
        day = timeutil.to_local(oldest, ws.tz).date().replace(day=1)
        query = urlencode({"state": row["state"], "view": "listMonth", "date": day.isoformat()})
        url = reverse("publishing:calendar", kwargs={"ws": ws.pk}) + "?" + query
        entry["states"][row["state"]] = {"state": row["state"], "count": row["n"], "url": url}
        entry["total"] += row["n"]
    for entry in found.values():
        entry["cells"] = [entry["states"].get(state) for state in ATTENTION_STATES]
    return [found[pk] for pk in sorted(found, key=lambda pk: workspaces[pk].name)]


@login_required
def status(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    stale = now - timedelta(seconds=health.HEARTBEAT_STALE_SECONDS)
    workers = [
        {"beat": beat, "alive": beat.last_seen >= stale}
        for beat in WorkerHeartbeat.objects.order_by("-last_seen")[:WORKERS_SHOWN]
    ]
    context = {
        "health": health.snapshot(),
        "workers": workers,
        "attention": _attention(request.user),
        "states": [(s.value, s.label) for s in ATTENTION_STATES],
        "now": now,
    }
    # htmx polls every few seconds and swaps only the body of the page.
    template = "web/_status_body.html" if request.headers.get("HX-Request") else "web/status.html"
    return render(request, template, context)
