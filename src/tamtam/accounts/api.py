"""API: the caller's workspaces. Also the access check every workspace endpoint starts with."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from tamtam.accounts import services as accounts
from tamtam.accounts.models import ApiToken, Membership, Role, Workspace
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.schemas import ErrorOut, PathId, WorkspaceOut

router = Router(tags=["workspaces"])

# Responses every workspace endpoint may give besides its own; listed so the OpenAPI schema says so.
COMMON = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def token_scope(request: HttpRequest) -> int | None:
    """The workspace the request's token is limited to, or None for a token valid in all of them."""
    token = getattr(request, "api_token", None)
    return token.workspace_id if token is not None else None


def member_for(request: HttpRequest, ws: int, *caps: Cap) -> Membership:
    """The caller's membership in `ws` if it grants any of `caps` (or, without caps, any role).

    404 for strangers and for a workspace outside the token's scope (nothing leaks about what exists);
    403 when the role lacks the capability."""
    scope = token_scope(request)
    if scope is not None and scope != ws:
        raise Http404
    member = accounts.membership(request.user, ws)
    if member is None:
        raise Http404
    if caps and not any(can(member.role, cap) for cap in caps):
        check(member, caps[0])
    return member


def check(member: Membership, cap: Cap) -> None:
    """A second capability an action needs on top of the one `member_for` checked (403 otherwise)."""
    if not can(member.role, cap):
        raise PermissionDenied(
            _("your role (%(role)s) cannot do this") % {"role": Role(member.role).label.lower()}
        )


def workspace_out(workspace: Workspace, role: str) -> dict[str, Any]:
    return {
        "id": workspace.id,
        "name": workspace.name,
        "slug": workspace.slug,
        "agency": workspace.agency,
        "time_zone": workspace.time_zone,
        "language": workspace.language,
        "approval_policy": workspace.approval_policy,
        "crisis_mode": workspace.crisis_mode,
        "color": workspace.color,
        "role": role,
    }


@router.get("/workspaces", response={200: list[WorkspaceOut], 401: ErrorOut}, summary="Your workspaces")
def list_workspaces(request: HttpRequest) -> list[dict[str, Any]]:
    token: ApiToken = request.auth  # type: ignore[attr-defined]  # set by TokenAuth
    memberships = Membership.objects.filter(user_id=token.user_id).select_related("workspace__agency")
    scope = token_scope(request)
    if scope is not None:
        memberships = memberships.filter(workspace_id=scope)
    ordered = sorted(memberships, key=lambda m: (m.workspace.name.lower(), m.workspace_id))
    return [workspace_out(m.workspace, m.role) for m in ordered]


@router.get("/workspaces/{ws}", response={200: WorkspaceOut, **COMMON}, summary="One workspace")
def get_workspace(request: HttpRequest, ws: PathId) -> dict[str, Any]:
    member = member_for(request, ws)
    return workspace_out(member.workspace, member.role)
