"""Shared pieces of tamtam's own commands: finding a workspace or a user, acting as someone, rich output.

(A leading underscore keeps Django from taking this module for a command.)
"""

from __future__ import annotations

import sys
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console

from tamtam.accounts import services as accounts
from tamtam.accounts.models import Membership, User, Workspace
from tamtam.accounts.permissions import Cap


def find_workspace(value: str) -> Workspace:
    """A workspace by id, by slug, or by `agency/slug` when a slug exists in several agencies."""
    value = (value or "").strip()
    workspaces = Workspace.objects.select_related("agency")
    if value.isdigit():
        found = workspaces.filter(pk=int(value)).first()
        if found is None:
            raise CommandError(_("No workspace with id %(id)s.") % {"id": value})
        return found
    agency, _sep, slug = value.rpartition("/")
    matches = workspaces.filter(slug=slug)
    if agency:
        matches = matches.filter(agency__slug=agency)
    candidates = list(matches[:10])
    if not candidates:
        raise CommandError(
            _('No workspace "%(value)s". Known: %(known)s')
            % {"value": value, "known": ", ".join(workspaces.values_list("slug", flat=True)[:20]) or "—"}
        )
    if len(candidates) > 1:
        names = ", ".join(f"{w.agency.slug}/{w.slug}" for w in candidates)
        raise CommandError(
            _('Several workspaces are called "%(value)s": use one of %(names)s')
            % {"value": value, "names": names}
        )
    return candidates[0]


def find_user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(_('No active user "%(name)s".') % {"name": username})
    return user


def acting_as(username: str | None, workspace: Workspace, cap: Cap) -> Membership | None:
    """The membership of `--as USERNAME` if the role allows `cap`; None without --as (the operator)."""
    if not username:
        return None
    user = find_user(username)
    member = accounts.membership(user, workspace.pk)
    if member is None:
        raise CommandError(
            _("%(user)s is not a member of %(workspace)s.") % {"user": username, "workspace": workspace.name}
        )
    try:
        return accounts.require(user, workspace.pk, cap)
    except PermissionDenied as exc:  # its message names the role
        raise CommandError(str(exc)) from None


def console(command: BaseCommand, *, stderr: bool = False) -> Console:
    """A rich console on the command's own stream (so call_command(stdout=…) captures it)."""
    wrapper = command.stderr if stderr else command.stdout
    # Django's OutputWrapper would add a newline to each of rich's writes: write to the stream inside it.
    out: IO[str] = getattr(wrapper, "_out", sys.stdout)
    terminal = hasattr(out, "isatty") and out.isatty()
    return Console(file=out, highlight=False, width=None if terminal else 120, soft_wrap=not terminal)


def plain(console_: Console, text: Any, style: str | None = None) -> None:
    """Print text that may contain brackets (user data) without rich reading it as markup."""
    console_.print(str(text), markup=False, style=style)
