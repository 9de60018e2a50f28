from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from tamtam.accounts import services as accounts
from tamtam.accounts.permissions import Cap
from tamtam.work import health


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


@login_required
def status(request: HttpRequest) -> HttpResponse:
    return render(request, "web/status.html", {"health": health.snapshot()})


def healthz(request: HttpRequest) -> JsonResponse:
    snap = health.snapshot()
    return JsonResponse(snap.as_dict(), status=200 if snap.ok else 503)
