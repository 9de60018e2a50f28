"""The `inbox_fetch` work kind: one `InboxFetch` row per channel whose network exposes an inbox.

A worker claims due rows (idle → claimed, with a lease), asks the connector for what came after the
row's cursor, and stores each page *and* the new cursor in one transaction that also checks the lease
is still ours: a crash between two pages refetches nothing already stored (the cursor moved with
it) and skips nothing (the cursor never moves ahead of stored items). Duplicates a network re-sends
anyway (or a webhook already brought) are ignored by `store_items`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from tamtam.channels.models import Channel, ChannelStatus
from tamtam.inbox.ingest import prepare, settings_for, store_items
from tamtam.inbox.models import FetchState, InboxFetch
from tamtam.networks import registry
from tamtam.networks.base import Capability, ConnectorError, NeedsUser, Permanent, RetryAfter
from tamtam.work.claim import Leased, backoff, claim
from tamtam.work.db import serialised, write_transaction

log = logging.getLogger(__name__)
LEASE_SECONDS = 180
PAGE_SIZE = 100
MAX_PAGES = 20  # per run; the next run goes on from the cursor
DEAD_AFTER = 8
MAX_BACKOFF = timedelta(hours=2)


class LeaseLost(Exception):
    """The row is no longer ours (swept, or taken by another worker): stop without storing."""


def can_fetch(channel: Channel) -> bool:
    try:
        cls = registry.get(channel.network)
    except (KeyError, LookupError):
        return False
    return Capability.FETCH_INBOX in cls.capabilities


def ensure_fetches(workspace_id: int | None = None) -> int:
    """A fetch row for every active channel that has an inbox (idempotent); how many were created."""
    channels = Channel.objects.filter(status=ChannelStatus.ACTIVE, inbox_fetch__isnull=True)
    if workspace_id is not None:
        channels = channels.filter(workspace_id=workspace_id)
    created = 0
    for channel in channels:
        if can_fetch(channel):
            interval = settings_for(channel.workspace_id).fetch_interval_seconds
            _, made = InboxFetch.objects.get_or_create(
                channel=channel, defaults={"interval_seconds": interval, "due_at": timezone.now()}
            )
            created += made
    return created


def claim_due(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        InboxFetch.objects.filter(channel__status=ChannelStatus.ACTIVE),
        states=[FetchState.IDLE],
        now=now,
        limit=limit,
        lease_seconds=LEASE_SECONDS,
        owner=owner,
        to_state=FetchState.CLAIMED,
    )


def _ours(fetch_id: int, owner: str) -> InboxFetch | None:
    return (
        InboxFetch.objects.select_related("channel")
        .filter(pk=fetch_id, state=FetchState.CLAIMED, lease_owner=owner)
        .first()
    )


def run_fetch(fetch_id: int, owner: str, now: datetime | None = None) -> str:
    """Fetch one claimed channel's inbox until it has no more (or MAX_PAGES). Harmless if not ours."""
    from tamtam.publishing.engine.ledger import connector_for, mark_channel_needs_user

    fetch = _ours(fetch_id, owner)
    if fetch is None:
        return "not ours"
    now = now or timezone.now()
    channel = fetch.channel
    stored = pages = 0
    cursor = fetch.cursor
    try:
        connector = connector_for(channel)
        for _page in range(MAX_PAGES):
            page = connector.fetch_inbox(cursor, PAGE_SIZE)
            # Language, sentiment and flags before the write lock is taken (pure CPU).
            ready = prepare(channel, page.items, via="poll")
            with write_transaction():
                store_items(channel, page.items, via="poll", prepared=ready)
                moved = InboxFetch.objects.filter(
                    pk=fetch.pk, state=FetchState.CLAIMED, lease_owner=owner
                ).update(
                    cursor=page.cursor,
                    items_seen=fetch.items_seen + stored + len(page.items),
                    updated_at=timezone.now(),
                )
                if moved != 1:
                    raise LeaseLost  # rolls back this page's items with it
            stored += len(page.items)
            pages += 1
            cursor = page.cursor
            if not page.has_more:
                break
    except LeaseLost:
        return "lease lost"
    except NeedsUser as exc:
        mark_channel_needs_user(channel, exc.message)
        return _failed(fetch, owner, now, exc.message, retry_in=None, counts=True)
    except RetryAfter as exc:
        return _failed(fetch, owner, now, exc.message, retry_in=max(exc.seconds, 1.0), counts=False)
    except (Permanent, ConnectorError) as exc:
        return _failed(fetch, owner, now, exc.message, retry_in=None, counts=True)
    except Exception as exc:  # a bug or an unexpected answer: said on the row, other channels go on
        log.exception("inbox fetch %s failed", fetch.pk)
        return _failed(fetch, owner, now, f"{type(exc).__name__}: {exc}", retry_in=None, counts=True)
    with serialised():
        InboxFetch.objects.filter(pk=fetch.pk, state=FetchState.CLAIMED, lease_owner=owner).update(
            state=FetchState.IDLE,
            due_at=now + timedelta(seconds=fetch.interval_seconds),
            lease_owner="",
            lease_until=None,
            attempts=fetch.attempts + 1,
            consecutive_failures=0,
            last_error="",
            last_ok_at=now,
            updated_at=timezone.now(),
        )
    return f"ok: {stored} items in {pages} pages"


def _failed(
    fetch: InboxFetch, owner: str, now: datetime, message: str, *, retry_in: float | None, counts: bool
) -> str:
    failures = fetch.consecutive_failures + (1 if counts else 0)
    dead = counts and failures >= DEAD_AFTER
    if retry_in is not None:
        delay = timedelta(seconds=retry_in)
    else:
        delay = min(MAX_BACKOFF, timedelta(seconds=fetch.interval_seconds + backoff(failures, 30.0, 7200.0)))
    with serialised():
        InboxFetch.objects.filter(pk=fetch.pk, state=FetchState.CLAIMED, lease_owner=owner).update(
            state=FetchState.DEAD if dead else FetchState.IDLE,
            due_at=None if dead else now + delay,
            lease_owner="",
            lease_until=None,
            attempts=fetch.attempts + 1,
            consecutive_failures=failures,
            last_error=message[:500],
            updated_at=timezone.now(),
        )
    return "dead" if dead else "failed"


_leased = Leased(InboxFetch, claimed=FetchState.CLAIMED, idle=FetchState.IDLE)
release_claims = _leased.release
sweep_expired = _leased.sweep


def revive(fetch: InboxFetch) -> None:
    with serialised():
        InboxFetch.objects.filter(pk=fetch.pk, state=FetchState.DEAD).update(
            state=FetchState.IDLE, due_at=timezone.now(), consecutive_failures=0, last_error=""
        )
