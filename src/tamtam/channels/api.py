"""API: the workspace's channels (connected accounts), never with their credentials."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from tamtam.accounts.api import COMMON, member_for
from tamtam.accounts.permissions import Cap
from tamtam.accounts.schemas import PathId
from tamtam.channels import connecting
from tamtam.channels.models import Channel
from tamtam.channels.schemas import ChannelOut, ConnectIn, NetworkOut
from tamtam.lib.errors import InvalidInput
from tamtam.publishing import planning

router = Router(tags=["channels"])


def channel_out(channel: Channel) -> dict[str, Any]:
    # Built field by field (not from the model) so a new secret column can never leak by default.
    flavor = str(channel.options.get("flavor") or "") if channel.network == "sandbox" else channel.network
    return {
        "id": channel.id,
        "network": channel.network,
        "flavor": flavor,
        "name": channel.name,
        "handle": channel.handle,
        "status": channel.status,
        "status_message": channel.status_message,
        "daily_cap": planning.daily_cap(channel),
        "color": channel.color,
    }


@router.get("/workspaces/{ws}/channels", response={200: list[ChannelOut], **COMMON}, summary="Channels")
def list_channels(request: HttpRequest, ws: PathId) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.VIEW_CALENDAR)
    return [channel_out(c) for c in Channel.objects.filter(workspace_id=ws).order_by("name", "id")]


@router.get(
    "/workspaces/{ws}/networks", response={200: list[NetworkOut], **COMMON}, summary="Networks to connect"
)
def list_networks(request: HttpRequest, ws: PathId) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.MANAGE_CHANNELS)
    return [
        {
            "network": o.network,
            "label": o.label,
            "method": o.method,
            "configured": o.configured,
            "missing": o.missing,
            "fields": [
                {
                    "name": f.name,
                    "label": str(f.label),
                    "kind": f.kind,
                    "required": f.required,
                    "secret": f.secret,
                    "help_text": str(f.help_text),
                }
                for f in o.fields
            ],
        }
        for o in connecting.network_options()
    ]


@router.post(
    "/workspaces/{ws}/channels/connect/{network}",
    response={201: ChannelOut, **COMMON},
    summary="Connect an account with its network's connect form (token, app password)",
)
def connect_channel(
    request: HttpRequest, ws: PathId, network: str, payload: ConnectIn
) -> tuple[int, dict[str, Any]]:
    member = member_for(request, ws, Cap.MANAGE_CHANNELS)
    try:
        option = connecting.network_option(network)
    except KeyError:
        option = None
    if option is None or option.method != "form":
        raise InvalidInput("network", f"{network}: connect it from the channels page (its sign-in page)")
    channel = connecting.connect_with_form(member.workspace, request.user, network, payload.values)
    return 201, channel_out(channel)
