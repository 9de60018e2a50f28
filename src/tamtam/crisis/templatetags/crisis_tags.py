"""`{% crisis_unread ws as n %}`: unread in-app crisis alerts of a workspace (for the navigation)."""

from __future__ import annotations

from django import template

from tamtam.crisis.incidents import unread_alerts

register = template.Library()


@register.simple_tag
def crisis_unread(workspace_id: int) -> int:
    return unread_alerts(workspace_id)
