"""Inbox test helpers: publish on the sandbox, move its audience's clock, run the inbox work kinds one
cycle at a time."""

from __future__ import annotations

from django.utils import timezone

from tamtam.channels.models import Channel
from tamtam.inbox import collect, replies
from tamtam.inbox.models import InboxFetch
from tamtam.networks.base import PublishRequest
from tamtam.publishing.engine.ledger import connector_for

OWNER = "test-worker"


def publish(channel: Channel, text: str = "Notre nouveau vélo est là ! 🚲") -> str:
    """A post on the sandbox network (what the audience comments under)."""
    result = connector_for(channel).publish(
        PublishRequest(text=text, idempotency_key=f"post-{text}-{channel.pk}")
    )
    return result.remote_id


def move_clock(channel: Channel, seconds: float) -> None:
    """Move the sandbox audience's clock forward (comments arrive over hours)."""
    channel.refresh_from_db()
    options = dict(channel.options)
    options["audience_clock_offset_s"] = float(options.get("audience_clock_offset_s", 0)) + seconds
    channel.options = options
    channel.save(update_fields=["options"])


def fetch_once(channel: Channel) -> str:
    collect.ensure_fetches(channel.workspace_id)
    fetch = InboxFetch.objects.get(channel=channel)
    InboxFetch.objects.filter(pk=fetch.pk).update(due_at=timezone.now())
    ids = collect.claim_due(timezone.now(), 10, OWNER)
    assert fetch.pk in ids
    return collect.run_fetch(fetch.pk, OWNER)


def run_replies() -> list[str]:
    out = []
    for rid in replies.claim_due(timezone.now(), 50, OWNER):
        out.append(replies.process_reply(rid, OWNER))
    return out


def run_reconcile() -> list[str]:
    return [replies.reconcile(rid, OWNER) for rid in replies.claim_unconfirmed(timezone.now(), 50, OWNER)]
