"""Channel pages: the list (anyone who sees the calendar), connect / edit / disconnect (channel managers)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamtam.accounts.forms import add_service_error
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import require
from tamtam.channels import services
from tamtam.channels.forms import ChannelIdentityForm, SandboxForm
from tamtam.channels.models import Channel
from tamtam.lib.errors import InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.publishing import planning


@login_required
def channel_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CALENDAR)
    channels = list(Channel.objects.filter(workspace_id=ws).order_by("status", "name", "id"))
    rows = [
        {
            "channel": c,
            "network_label": services.network_label(c),
            "is_sandbox": c.network == services.SANDBOX,
            "daily_cap": planning.daily_cap(c),
        }
        for c in channels
    ]
    return render(
        request,
        "channels/list.html",
        {
            "workspace": member.workspace,
            "rows": rows,
            "can_manage": can(member.role, Cap.MANAGE_CHANNELS),
        },
    )


@login_required
def connect(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_CHANNELS)
    form = SandboxForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = services.connect_sandbox(
                member.workspace,
                request.user,
                name=data["name"],
                handle=data["handle"],
                flavor=data["flavor"],
                dials=form.dials(),
                daily_cap=data["daily_cap"],
            )
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("%(name)s is connected.") % {"name": channel.name})
            return redirect("channels:list", ws=ws)
    status = 400 if form.is_bound else 200  # a bound form here did not save: it carries errors
    return render(
        request, "channels/connect.html", {"workspace": member.workspace, "form": form}, status=status
    )


@login_required
def edit(request: AuthedRequest, ws: int, channel_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel, workspace_id=ws, pk=channel_id)
    is_sandbox = channel.network == services.SANDBOX
    form: ChannelIdentityForm
    if is_sandbox:
        form = SandboxForm.for_channel(channel, request.POST or None)
    else:
        form = ChannelIdentityForm(
            request.POST or None,
            initial={"name": channel.name, "handle": channel.handle, "daily_cap": channel.daily_cap},
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_channel(
                channel,
                request.user,
                name=data["name"],
                handle=data["handle"],
                daily_cap=data["daily_cap"],
                flavor=data.get("flavor") if is_sandbox else None,
                dials=form.dials() if isinstance(form, SandboxForm) else None,
            )
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": data["name"]})
            return redirect("channels:list", ws=ws)
    return render(
        request,
        "channels/edit.html",
        {
            "workspace": member.workspace,
            "channel": channel,
            "form": form,
            "is_sandbox": is_sandbox,
            "network_label": services.network_label(channel),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def disconnect(request: AuthedRequest, ws: int, channel_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel, workspace_id=ws, pk=channel_id)
    services.disconnect(channel, request.user)
    messages.success(
        request, _("%(name)s is disconnected; its credentials are deleted.") % {"name": channel.name}
    )
    return redirect("channels:list", ws=ws)


@login_required
@require_POST
def reconnect(request: AuthedRequest, ws: int, channel_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel, workspace_id=ws, pk=channel_id)
    try:
        services.reconnect_sandbox(channel, request.user)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is connected again.") % {"name": channel.name})
    return redirect("channels:list", ws=ws)
