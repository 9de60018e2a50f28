"""Template context shared by every page: the user's workspaces and the current one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tamtam.accounts.permissions import MATRIX, Cap


def workspace(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = list(user.memberships.select_related("workspace").order_by("workspace__name"))
    match = getattr(request, "resolver_match", None)
    current_id = match.kwargs.get("ws") if match is not None else None
    current = next((m for m in memberships if m.workspace_id == current_id), None)
    caps = {c.value for c in MATRIX.get(current.role, frozenset())} if current else set()
    return {
        "memberships": memberships,
        "current_membership": current,
        "current_workspace": current.workspace if current else None,
        "caps": caps,
        "Cap": Cap,
    }
