"""Durable work kinds of the channels app (registered with tamtam.work.registry on import).

`refresh_tokens`: channels whose access token dies within `tokens.REFRESH_MARGIN` (their
`refresh_due_at` has come) get a new one through their connector's `refresh()`, before a publish needs
it. A refusal (NeedsUser) puts the channel in "reconnect needed" with the network's words; a network
that does not answer is tried again later with backoff.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from tamtam.accounts.services import audit
from tamtam.channels import tokens
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.networks import registry
from tamtam.networks.base import ConnectorError, NeedsUser, Permanent, RetryAfter
from tamtam.work.claim import backoff
from tamtam.work.db import write_transaction
from tamtam.work.registry import WorkKind, register

LEASE_SECONDS = 120.0
MAX_ATTEMPTS = 8  # transient failures in a row before asking a person to reconnect
ENGINE_ACTOR = "tamtam (token refresh)"


def _due(now: datetime) -> Q:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return Q(status=ChannelStatus.ACTIVE, refresh_due_at__isnull=False, refresh_due_at__lte=now) & free


def claim_due_refreshes(now: datetime, limit: int, owner: str) -> list[int]:
    """Take the lease on up to `limit` channels due for a refresh; the ids this owner got."""
    if limit <= 0:
        return []
    until = now + timedelta(seconds=LEASE_SECONDS)
    with write_transaction():
        ids = list(
            Channel.objects.filter(_due(now))
            .order_by("refresh_due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        # Conditional: a channel another worker took in between is not updated, hence not ours.
        Channel.objects.filter(_due(now), pk__in=ids).update(lease_owner=owner, lease_until=until)
        return list(
            Channel.objects.filter(pk__in=ids, lease_owner=owner, lease_until=until).values_list(
                "pk", flat=True
            )
        )


def _finish(channel_id: int, owner: str, **fields: object) -> bool:
    with write_transaction():
        return bool(
            Channel.objects.filter(pk=channel_id, lease_owner=owner).update(
                lease_owner="", lease_until=None, updated_at=timezone.now(), **fields
            )
        )


def refresh_channel(channel_id: int, owner: str) -> str:
    """Refresh one claimed channel's token; a short outcome label."""
    channel = Channel.objects.select_related("workspace").filter(pk=channel_id, lease_owner=owner).first()
    if channel is None:
        return "not ours"
    now = timezone.now()
    try:
        connector = registry.get(channel.network)(tokens.context_for(channel))
        tokens.refresh_now(connector)
    except (NeedsUser, Permanent) as exc:
        _finish(
            channel_id,
            owner,
            status=ChannelStatus.NEEDS_USER,
            status_message=exc.message[:500],
            refresh_due_at=None,
        )
        audit(
            channel.workspace,
            None,
            "channel.refresh_refused",
            channel,
            summary=exc.message[:200],
            actor_label=ENGINE_ACTOR,
        )
        return "needs_user"
    except (RetryAfter, ConnectorError) as exc:
        attempts = channel.refresh_attempts + 1
        if attempts >= MAX_ATTEMPTS:
            _finish(
                channel_id,
                owner,
                status=ChannelStatus.NEEDS_USER,
                status_message=exc.message[:500],
                refresh_due_at=None,
                refresh_attempts=attempts,
            )
            return "needs_user"
        wait = exc.seconds if isinstance(exc, RetryAfter) else 0.0
        wait = max(wait, backoff(attempts, base=30.0, cap=600.0))
        _finish(channel_id, owner, refresh_due_at=now + timedelta(seconds=wait), refresh_attempts=attempts)
        return "retry"
    except KeyError:
        _finish(channel_id, owner, refresh_due_at=None)
        return "unknown network"
    fresh = Channel.objects.get(pk=channel_id)
    if fresh.refresh_due_at is not None and fresh.refresh_due_at <= now:
        # The connector answered without a new expiry: do not spin on it; look again in a while.
        _finish(channel_id, owner, refresh_due_at=now + tokens.REFRESH_MARGIN)
    else:
        _finish(channel_id, owner)
    audit(
        channel.workspace,
        None,
        "channel.token_refreshed",
        channel,
        summary=channel.name,
        actor_label=ENGINE_ACTOR,
    )
    return "refreshed"


def release_refreshes(ids: list[int] | None, owner: str) -> int:
    qs = Channel.objects.filter(lease_owner=owner)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    with write_transaction():
        return qs.update(lease_owner="", lease_until=None)


REFRESH_TOKENS = register(
    WorkKind(
        name="refresh_tokens",
        claim=claim_due_refreshes,
        process=refresh_channel,
        release=release_refreshes,
        priority=5,  # before publishing: a publish due now needs the fresh token
    )
)
