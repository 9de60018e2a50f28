"""Channel pages: the list (anyone who sees the calendar), connect / edit / disconnect (channel managers)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamtam.accounts.forms import add_service_error
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import membership, require
from tamtam.channels import connecting, services, tokens
from tamtam.channels.forms import ChannelIdentityForm, NetworkConnectForm, NetworkSettingsForm, SandboxForm
from tamtam.channels.models import Channel
from tamtam.lib.errors import InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.networks import registry
from tamtam.networks.base import ConnectField
from tamtam.publishing import planning


@login_required
def channel_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CALENDAR)
    channels = list(Channel.objects.filter(workspace_id=ws).order_by("status", "name", "id"))
    connected = {(c.network, c.external_id) for c in channels if c.status != "disconnected"}
    rows = [
        {
            "channel": c,
            "network_label": services.network_label(c),
            "is_sandbox": c.network == services.SANDBOX,
            "daily_cap": planning.daily_cap(c),
            "warnings": tokens.channel_warnings(c),
            "other_accounts": connecting.other_accounts(c, {e for n, e in connected if n == c.network}),
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


def _setting_fields(network: str) -> tuple[ConnectField, ...]:
    try:
        return registry.get(network).setting_fields
    except KeyError:
        return ()


@login_required
def edit(request: AuthedRequest, ws: int, channel_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel, workspace_id=ws, pk=channel_id)
    is_sandbox = channel.network == services.SANDBOX
    form: ChannelIdentityForm
    if is_sandbox:
        form = SandboxForm.for_channel(channel, request.POST or None)
    else:
        form = NetworkSettingsForm(
            _setting_fields(channel.network),
            dict(channel.options or {}),
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
                settings=form.settings() if isinstance(form, NetworkSettingsForm) else None,
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
    member = require(request.user, ws, Cap.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel, workspace_id=ws, pk=channel_id)
    if channel.network != services.SANDBOX:
        # A real account reconnects through its network: the same account updates this channel.
        option = connecting.network_option(channel.network)
        if option is not None and option.method in ("oauth", "instance") and option.configured:
            try:
                url = connecting.start_oauth(
                    request.session,
                    request.user,
                    member.workspace,
                    channel.network,
                    instance=str(channel.options.get("instance") or ""),
                )
            except InvalidInput as exc:
                messages.error(request, exc.message)
                return redirect("channels:list", ws=ws)
            return redirect(url)
        return redirect(f"{reverse('channels:add', args=[ws])}?network={channel.network}")
    try:
        services.reconnect_sandbox(channel, request.user)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is connected again.") % {"name": channel.name})
    return redirect("channels:list", ws=ws)


@login_required
def add(request: AuthedRequest, ws: int) -> HttpResponse:
    """Connect a real account: the networks (GET), one network's page (?network=), and its connect
    (POST: start the network's sign-in, or check the connect form)."""
    member = require(request.user, ws, Cap.MANAGE_CHANNELS)
    network = (request.POST.get("network") or request.GET.get("network") or "").strip().lower()
    context: dict[str, Any] = {"workspace": member.workspace}
    sibling_of = request.POST.get("sibling_of", "") if request.method == "POST" else ""
    if sibling_of:
        return _add_other_account(request, ws, sibling_of)
    if not network:
        if request.method == "POST":
            return HttpResponseBadRequest(_("network: choose the network to connect"))
        context["options"] = connecting.network_options()
        return render(request, "channels/add.html", context)
    try:
        option = connecting.network_option(network)
    except KeyError:
        option = None
    if option is None:
        raise Http404("no such network")
    context["option"] = option
    form: NetworkConnectForm | None = None
    if option.method in ("instance", "form"):
        form = NetworkConnectForm(option.fields, request.POST or None, initial=request.GET.dict())
    if request.method == "POST":
        try:
            if option.method == "form":
                assert form is not None
                if form.is_valid():
                    channel = connecting.connect_with_form(
                        member.workspace, request.user, network, form.cleaned_data
                    )
                    messages.success(request, _("%(name)s is connected.") % {"name": channel.name})
                    return redirect("channels:list", ws=ws)
            elif form is None or form.is_valid():
                instance = form.cleaned_data.get("instance", "") if form is not None else ""
                return redirect(
                    connecting.start_oauth(
                        request.session, request.user, member.workspace, network, instance=instance
                    )
                )
        except InvalidInput as exc:
            if form is not None:
                add_service_error(form, exc)
            else:
                messages.error(request, exc.message)
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "channels/add_network.html", context, status=status)


def _add_other_account(request: AuthedRequest, ws: int, sibling_of: str) -> HttpResponse:
    """Another Page / organisation / account reached by an existing channel's sign-in."""
    if not sibling_of.isdigit():
        return HttpResponseBadRequest(_("sibling_of: not a channel"))
    channel = get_object_or_404(Channel, workspace_id=ws, pk=int(sibling_of))
    try:
        other = connecting.connect_other_account(channel, request.user, request.POST.get("account", ""))
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is connected.") % {"name": other.name})
    return redirect("channels:list", ws=ws)


@login_required
def oauth_callback(request: AuthedRequest, network: str) -> HttpResponse:
    """The network sends the person back here (TAMTAM_OAUTH_REDIRECT_BASE/oauth/callback/<network>/)."""
    try:
        channel = connecting.finish_oauth(request.session, request.user, network, request.GET.dict())
    except connecting.ConnectError as exc:
        if exc.workspace_id is not None and membership(request.user, exc.workspace_id) is not None:
            messages.error(request, exc.message)
            return redirect("channels:list", ws=exc.workspace_id)
        return render(request, "channels/oauth_error.html", {"message": exc.message}, status=400)
    except KeyError as exc:
        raise Http404("no such network") from exc
    messages.success(request, _("%(name)s is connected.") % {"name": channel.name})
    return redirect("channels:list", ws=channel.workspace_id)
