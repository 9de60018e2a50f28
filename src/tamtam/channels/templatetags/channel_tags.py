"""Template helpers of the channels app: the "reconnect needed" warnings on pages that show posts."""

from __future__ import annotations

from django import template

from tamtam.channels.models import Channel
from tamtam.channels.tokens import channel_warnings as _channel_warnings

register = template.Library()


@register.filter
def channel_warnings(channel: Channel | None) -> list[str]:
    """`{% for w in target.channel|channel_warnings %}`: what to fix on the channel before it posts."""
    return _channel_warnings(channel) if channel is not None else []
