"""Who may do what in the inbox, by role (the capabilities live with all others in
accounts.permissions; this module names the inbox's three and raises the right error):

- see the inbox and its metrics (`inbox_view`): owner, manager, community manager, analyst;
- work it (`inbox_act`: assign, status, notes, tags, reply, like, hide, mark spam, bulk): owner,
  manager, community;
- approve replies, set the rules (SLA, approval, influencer threshold), saved replies, staff and
  blocked accounts, contests (`inbox_manage`): owner and manager.

The client role sees nothing of the inbox (it is the brand's private conversations)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from tamtam.accounts import permissions
from tamtam.accounts.models import Membership, Role
from tamtam.accounts.permissions import Cap
from tamtam.accounts.services import membership


class InboxCap:
    """The inbox's capabilities under short names (`InboxCap.ACT` reads better at the call sites)."""

    VIEW = Cap.INBOX_VIEW
    ACT = Cap.INBOX_ACT
    MANAGE = Cap.INBOX_MANAGE


INBOX_CAPS = frozenset({Cap.INBOX_VIEW, Cap.INBOX_ACT, Cap.INBOX_MANAGE})


def can(role: str | None, cap: Cap) -> bool:
    return permissions.can(role, cap)


def is_manager(role: str) -> bool:
    return can(role, InboxCap.MANAGE)


def require(user: Any, workspace_id: int, cap: Cap) -> Membership:
    """404 for strangers (nothing leaks), 403 for a role without the capability."""
    member = membership(user, workspace_id)
    if member is None:
        raise Http404("no such workspace")
    if not can(member.role, cap):
        raise PermissionDenied(
            _("your role (%(role)s) cannot do this") % {"role": Role(member.role).label.lower()}
        )
    return member


def caps_of(role: str | None) -> set[str]:
    return {c.value for c in INBOX_CAPS if can(role, c)}
