"""The workspace's data page: download everything (GDPR export) and delete the workspace (owners)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tamtam.accounts.models import Membership, Workspace
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import require
from tamtam.dataops import export, services
from tamtam.lib.errors import InvalidInput
from tamtam.lib.http import AuthedRequest


def export_response(workspace: Workspace) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.stream(workspace), content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="tamtam-{workspace.slug}-{stamp}.json"'
    response["Cache-Control"] = "no-store"  # personal data: never kept by a proxy or the browser cache
    return response


@login_required
def data_page(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.EXPORT_DATA)
    return _page(request, member, error="")


def _page(request: AuthedRequest, member: Membership, error: str, status: int = 200) -> HttpResponse:
    return render(
        request,
        "dataops/workspace_data.html",
        {
            "workspace": member.workspace,
            "can_delete": can(member.role, Cap.DELETE_WORKSPACE),
            "error": error,
        },
        status=status,
    )


@login_required
@require_GET
def export_json(request: AuthedRequest, ws: int) -> StreamingHttpResponse:
    member = require(request.user, ws, Cap.EXPORT_DATA)
    return export_response(member.workspace)


@login_required
@require_POST
def delete(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.DELETE_WORKSPACE)
    try:
        result = services.delete_workspace(member.workspace, request.user, request.POST.get("confirm", ""))
    except InvalidInput as exc:
        return _page(request, member, error=exc.message, status=400)
    messages.success(request, _("%(name)s was deleted with everything in it.") % {"name": result.name})
    return redirect("web:home")
