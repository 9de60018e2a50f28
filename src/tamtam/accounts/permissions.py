"""The role → capability matrix. Every view and API endpoint asks `can(role, capability)`.

Roles follow the trade: the owner runs the workspace; the manager (social media manager) decides and
approves; the community manager writes, schedules within the rules and answers; the analyst reads;
the client reviews and approves what is sent to them and sees nothing else.
"""

from __future__ import annotations

from enum import StrEnum

from tamtam.accounts.models import Role


class Cap(StrEnum):
    VIEW_CALENDAR = "view_calendar"  # calendar, posts, channels list, status
    COMPOSE = "compose"  # create and edit drafts, submit for review, comment
    SCHEDULE = "schedule"  # schedule, queue, publish now (approval rules still apply)
    APPROVE = "approve"  # the manager's approval step
    CLIENT_REVIEW = "client_review"  # the client's approval step, and only the posts sent for it
    DELETE_POST = "delete_post"
    RETRY = "retry"  # retry a failed target, resolve an unconfirmed one
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_WORKSPACE = "manage_workspace"  # settings, members, approval policy, queues
    VIEW_AUDIT = "view_audit"
    IMPORT = "import"  # CSV import


_ALL = frozenset(Cap)

MATRIX: dict[str, frozenset[Cap]] = {
    Role.OWNER: _ALL,
    Role.MANAGER: _ALL - {Cap.MANAGE_WORKSPACE, Cap.CLIENT_REVIEW},
    Role.COMMUNITY: frozenset(
        {Cap.VIEW_CALENDAR, Cap.COMPOSE, Cap.SCHEDULE, Cap.RETRY, Cap.IMPORT}
    ),
    Role.ANALYST: frozenset({Cap.VIEW_CALENDAR, Cap.VIEW_AUDIT}),
    Role.CLIENT: frozenset({Cap.CLIENT_REVIEW}),
}


def can(role: str | None, cap: Cap) -> bool:
    return role is not None and cap in MATRIX.get(role, frozenset())
