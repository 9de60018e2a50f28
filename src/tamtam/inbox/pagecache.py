"""What the inbox page reads on every request besides its list, computed once per request or kept a
few seconds per process (tamtam.lib.memo): the list is polled every 10 s by every open inbox.

- the unread count: once per request (the page's heading and the navigation's badge both show it),
  never kept across requests — it changes with every item and every conversation opened;
- the workspace's channels (id, name) for the filter links, and its SLA targets: kept `TTL_S`
  seconds, dropped at once in every process when any of them saves or deletes a channel or the inbox
  settings (signals below, tamtam.lib.memo's shared markers); a change made outside tamtam shows
  within `TTL_S`.

The response-time figures are kept the same way (metrics.workspace_figures: 60 s, dropped in every
process when a conversation is answered or closed)."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from tamtam.channels.models import Channel
from tamtam.inbox import services
from tamtam.inbox.ingest import settings_for
from tamtam.inbox.models import InboxSettings
from tamtam.lib.memo import TTLMemo

TTL_S = 30.0


class ChannelChoice(NamedTuple):
    id: int
    name: str


class SlaTargets(NamedTuple):
    first_response_minutes: int
    resolution_minutes: int


_channels: TTLMemo[tuple[ChannelChoice, ...]] = TTLMemo("inbox.channels", TTL_S)
_sla: TTLMemo[SlaTargets] = TTLMemo("inbox.sla", TTL_S)


def unread_count(request: HttpRequest | None, workspace_id: int) -> int:
    """The workspace's unread count, asked of the database once per request."""
    if request is None:
        return services.unread_count(workspace_id)
    seen: dict[int, int] = request.__dict__.setdefault("_inbox_unread", {})
    if workspace_id not in seen:
        seen[workspace_id] = services.unread_count(workspace_id)
    return seen[workspace_id]


def channels(workspace_id: int) -> tuple[ChannelChoice, ...]:
    def read() -> tuple[ChannelChoice, ...]:
        rows = Channel.objects.filter(workspace_id=workspace_id).order_by("name").values_list("id", "name")
        return tuple(ChannelChoice(*row) for row in rows)

    return _channels.get(workspace_id, read)


def sla_targets(workspace_id: int) -> SlaTargets:
    def read() -> SlaTargets:
        rules = settings_for(workspace_id)
        return SlaTargets(rules.sla_first_response_minutes, rules.sla_resolution_minutes)

    return _sla.get(workspace_id, read)


def _channel_changed(sender: Any, instance: Channel, **kwargs: Any) -> None:
    _channels.forget(instance.workspace_id)


def _settings_changed(sender: Any, instance: InboxSettings, **kwargs: Any) -> None:
    _sla.forget(instance.workspace_id)


post_save.connect(_channel_changed, sender=Channel, dispatch_uid="tamtam.inbox.pagecache.channel_saved")
post_delete.connect(_channel_changed, sender=Channel, dispatch_uid="tamtam.inbox.pagecache.channel_deleted")
post_save.connect(
    _settings_changed, sender=InboxSettings, dispatch_uid="tamtam.inbox.pagecache.settings_saved"
)
post_delete.connect(
    _settings_changed, sender=InboxSettings, dispatch_uid="tamtam.inbox.pagecache.settings_deleted"
)
