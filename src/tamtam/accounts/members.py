"""Workspace administration: settings, the iCal secret, members and their roles — each change audited.

The one hard rule: a workspace always keeps at least one owner, or nobody could manage it any more.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tamtam.accounts.models import Membership, Role, User, Workspace
from tamtam.accounts.services import audit
from tamtam.lib import timeutil
from tamtam.lib.errors import Conflict, InvalidInput

SETTINGS_FIELDS = ("name", "time_zone", "language", "approval_policy")


@transaction.atomic
def update_settings(workspace: Workspace, actor: Any, **values: Any) -> Workspace:
    workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], _("not a workspace setting"))
    if "time_zone" in values:
        try:
            timeutil.zone(values["time_zone"])
        except timeutil.UnknownTimeZoneError as exc:
            raise InvalidInput("time_zone", str(exc)) from None
    changed = {k: [getattr(workspace, k), v] for k, v in values.items() if getattr(workspace, k) != v}
    for key, value in values.items():
        setattr(workspace, key, value)
    workspace.full_clean(exclude=["agency", "slug", "ical_token", "color"])
    workspace.save()
    if changed:
        audit(
            workspace,
            actor,
            "workspace.updated",
            workspace,
            summary=", ".join(f"{k}: {old} → {new}" for k, (old, new) in changed.items()),
            changes=changed,
        )
    return workspace


@transaction.atomic
def rotate_ical_token(workspace: Workspace, actor: Any) -> Workspace:
    """A new secret for the iCal feed: subscriptions made with the old address stop working."""
    Workspace.objects.filter(pk=workspace.pk).update(ical_token=secrets.token_urlsafe(32))
    workspace.refresh_from_db()
    audit(workspace, actor, "workspace.ical_rotated", workspace)
    return workspace


def _find_user(identifier: str) -> User:
    identifier = identifier.strip()
    if not identifier:
        raise InvalidInput("user", _("enter a username or an e-mail address"))
    matches = list(
        User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier), is_active=True)[:2]
    )
    if len(matches) != 1:
        # Same message whether nobody or several people match: the form must not probe the user base.
        raise InvalidInput("user", _("no single active user has this username or e-mail address"))
    return matches[0]


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise InvalidInput("role", _("unknown role"))
    return role


@transaction.atomic
def add_member(workspace: Workspace, actor: Any, identifier: str, role: str) -> Membership:
    user = _find_user(identifier)
    role = _check_role(role)
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise InvalidInput("user", _("%(user)s is already a member") % {"user": user.get_username()})
    member = Membership.objects.create(workspace=workspace, user=user, role=role)
    audit(
        workspace,
        actor,
        "member.added",
        member,
        summary=f"{user.get_username()} ({role})",
        user_id=user.pk,
        role=role,
    )
    return member


def _lock_owners(workspace: Workspace) -> list[int]:
    return list(
        Membership.objects.select_for_update()
        .filter(workspace=workspace, role=Role.OWNER)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def change_role(workspace: Workspace, actor: Any, membership_id: int, role: str) -> Membership:
    role = _check_role(role)
    owners = _lock_owners(workspace)
    member = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(workspace=workspace, pk=membership_id)
        .first()
    )
    if member is None:
        raise InvalidInput("membership", _("no such member"))
    if member.role == Role.OWNER and role != Role.OWNER and owners == [member.pk]:
        raise Conflict(
            _("%(user)s is the last owner; make someone else owner first")
            % {"user": member.user.get_username()}
        )
    old = member.role
    if old != role:
        member.role = role
        member.save(update_fields=["role"])
        audit(
            workspace,
            actor,
            "member.role_changed",
            member,
            summary=f"{member.user.get_username()}: {old} → {role}",
            old=old,
            new=role,
        )
    return member


@transaction.atomic
def remove_member(workspace: Workspace, actor: Any, membership_id: int) -> None:
    owners = _lock_owners(workspace)
    member = Membership.objects.select_related("user").filter(workspace=workspace, pk=membership_id).first()
    if member is None:
        raise InvalidInput("membership", _("no such member"))
    if member.role == Role.OWNER and owners == [member.pk]:
        raise Conflict(
            _("%(user)s is the last owner and cannot be removed") % {"user": member.user.get_username()}
        )
    audit(
        workspace,
        actor,
        "member.removed",
        member,
        summary=member.user.get_username(),
        user_id=member.user_id,
        role=member.role,
    )
    member.delete()
