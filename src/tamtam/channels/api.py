"""API: the workspace's channels (connected accounts), never with their credentials."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from tamtam.accounts.api import COMMON, member_for
from tamtam.accounts.permissions import Cap
from tamtam.accounts.schemas import PathId
from tamtam.channels.models import Channel
from tamtam.channels.schemas import ChannelOut
from tamtam.publishing import planning

router = Router(tags=["channels"])


def channel_out(channel: Channel) -> dict[str, Any]:
    # Built field by field (not from the model) so a new secret column can never leak by default.
    flavor = str(channel.options.get("flavor") or "") if channel.network == "sandbox" else channel.network
    return {
        "id": channel.id, "network": channel.network, "flavor": flavor, "name": channel.name,
        "handle": channel.handle, "status": channel.status, "status_message": channel.status_message,
        "daily_cap": planning.daily_cap(channel), "color": channel.color,
    }


@router.get("/workspaces/{ws}/channels", response={200: list[ChannelOut], **COMMON}, summary="Channels")
def list_channels(request: HttpRequest, ws: PathId) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.VIEW_CALENDAR)
    return [channel_out(c) for c in Channel.objects.filter(workspace_id=ws).order_by("name", "id")]
