from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamtam.accounts import members
from tamtam.accounts.forms import (
    AuditFilterForm,
    MemberAddForm,
    MemberRoleForm,
    ProfileForm,
    WorkspaceSettingsForm,
    add_service_error,
)
from tamtam.accounts.models import ApiToken, AuditEvent, Membership, Role, Workspace
from tamtam.accounts.permissions import Cap
from tamtam.accounts.services import require
from tamtam.lib import timeutil
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.lib.http import AuthedRequest


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def profile(request: AuthedRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Profile saved."))
        response = redirect("accounts:profile")
        if form.cleaned_data["language"]:
            response.set_cookie("django_language", form.cleaned_data["language"], samesite="Lax")
        return response
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True).select_related("workspace")
    return render(request, "accounts/profile.html", {"form": form, "tokens": tokens})


@login_required
@require_POST
def create_token(request: AuthedRequest) -> HttpResponse:
    name = (request.POST.get("name") or "").strip() or _("API token")
    _token, raw = ApiToken.issue(request.user, name[:80])
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True)
    form = ProfileForm(instance=request.user)
    # Shown once, never stored in clear: only its hash is kept.
    return render(request, "accounts/profile.html", {"form": form, "tokens": tokens, "new_token": raw})


@login_required
@require_POST
def revoke_token(request: AuthedRequest, token_id: int) -> HttpResponse:
    from django.utils import timezone

    from tamtam.accounts import tokens

    ApiToken.objects.filter(user=request.user, id=token_id).update(revoked_at=timezone.now())
    tokens.changed()  # refused at once here, and by every other process once committed
    messages.success(request, _("Token revoked."))
    return redirect("accounts:profile")


# --- Workspace administration: settings, members, audit log ------------------------------------------

AUDIT_PAGE_SIZE = 50


def _ical_url(workspace: Workspace) -> str:
    """The feed's address when the calendar pages provide one (they own the feed's URL)."""
    for kwargs in ({"token": workspace.ical_token}, {"ws": workspace.pk, "token": workspace.ical_token}):
        try:
            return settings.BASE_URL + reverse("publishing:ical", kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""


def _settings_page(
    request: AuthedRequest,
    member: Membership,
    form: WorkspaceSettingsForm | None = None,
    add_form: MemberAddForm | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = member.workspace
    rank = {role: index for index, role in enumerate(Role.values)}  # owners first, clients last
    rows = sorted(
        Membership.objects.filter(workspace=workspace).select_related("user"),
        key=lambda m: (rank.get(m.role, len(rank)), m.user.username.lower()),
    )
    return render(
        request,
        "accounts/workspace_settings.html",
        {
            "workspace": workspace,
            "form": form or WorkspaceSettingsForm(instance=workspace),
            "add_form": add_form or MemberAddForm(),
            "members": rows,
            "roles": Role.choices,
            "zones": timeutil.all_zone_names(),
            "ical_url": _ical_url(workspace),
        },
        status=status,
    )


@login_required
def workspace_settings(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_WORKSPACE)
    if request.method != "POST":
        return _settings_page(request, member)
    form = WorkspaceSettingsForm(request.POST, instance=Workspace.objects.get(pk=ws))
    if form.is_valid():
        try:
            members.update_settings(
                member.workspace, request.user, **{k: form.cleaned_data[k] for k in members.SETTINGS_FIELDS}
            )
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("workspace:settings", ws=ws)
    return _settings_page(request, member, form=form, status=400)


@login_required
@require_POST
def rotate_ical(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_WORKSPACE)
    members.rotate_ical_token(member.workspace, request.user)
    messages.success(request, _("New calendar feed address created; the old one no longer works."))
    return redirect("workspace:settings", ws=ws)


@login_required
@require_POST
def member_add(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_WORKSPACE)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            added = members.add_member(
                member.workspace, request.user, form.cleaned_data["user"], form.cleaned_data["role"]
            )
        except (InvalidInput, Conflict) as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("%(user)s joined as %(role)s.")
                % {"user": added.user.get_username(), "role": added.get_role_display()},
            )
            return redirect("workspace:settings", ws=ws)
    return _settings_page(request, member, add_form=form, status=400)


@login_required
@require_POST
def member_role(request: AuthedRequest, ws: int, membership_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_WORKSPACE)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("workspace:settings", ws=ws)
    try:
        changed = members.change_role(
            member.workspace, request.user, membership_id, form.cleaned_data["role"]
        )
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(user)s is now %(role)s.")
            % {"user": changed.user.get_username(), "role": changed.get_role_display()},
        )
    return redirect("workspace:settings", ws=ws)


@login_required
@require_POST
def member_remove(request: AuthedRequest, ws: int, membership_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_WORKSPACE)
    try:
        members.remove_member(member.workspace, request.user, membership_id)
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Member removed."))
    if membership_id == member.pk:
        return redirect("web:home")
    return redirect("workspace:settings", ws=ws)


@login_required
def audit_log(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_AUDIT)
    events = AuditEvent.objects.filter(workspace_id=ws).select_related("actor")
    actions = sorted(
        set(AuditEvent.objects.filter(workspace_id=ws).values_list("action", flat=True).distinct())
    )
    form = AuditFilterForm(request.GET or None, actions=actions)
    action = form.cleaned_data["action"] if form.is_valid() else ""
    if action:
        events = events.filter(action=action)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({"action": action}) if action else ""
    return render(
        request,
        "accounts/audit_log.html",
        {
            "workspace": member.workspace,
            "page": page,
            "form": form,
            "action": action,
            "query": query,
        },
    )
