"""Membership look-ups, permission checks and the audit log — used by every view and endpoint."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from tamtam.accounts.models import AuditEvent, Membership, User, Workspace
from tamtam.accounts.permissions import Cap, can


def membership(user: User | Any, workspace_id: int) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("workspace", "workspace__agency")
        .filter(user=user, workspace_id=workspace_id)
        .first()
    )


def require(user: User | Any, workspace_id: int, cap: Cap) -> Membership:
    """The user's membership if it grants `cap`; 404 for strangers (no leak of what exists), 403 otherwise."""
    member = membership(user, workspace_id)
    if member is None:
        raise Http404("no such workspace")
    if not can(member.role, cap):
        raise PermissionDenied(f"your role ({member.role}) cannot {cap.value.replace('_', ' ')}")
    return member


def workspaces_for(user: User | Any, cap: Cap | None = None) -> QuerySet[Workspace]:
    if user is None or not user.is_authenticated:
        return Workspace.objects.none()
    memberships = Membership.objects.filter(user=user)
    if cap is not None:
        from tamtam.accounts.permissions import MATRIX

        roles = [role for role, caps in MATRIX.items() if cap in caps]
        memberships = memberships.filter(role__in=roles)
    return Workspace.objects.filter(id__in=memberships.values("workspace_id")).select_related("agency")


def audit(
    workspace: Workspace | None,
    actor: User | Any | None,
    action: str,
    obj: Model | None = None,
    summary: str = "",
    actor_label: str = "",
    **data: Any,
) -> AuditEvent:
    user = actor if (actor is not None and getattr(actor, "is_authenticated", False)) else None
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        action=action,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        data=data,
    )
