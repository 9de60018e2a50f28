"""Shared pieces of the engine's steps: conditional moves, the request, the attempt ledger, rate
shaping. Nothing here calls a network."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from tamtam.accounts.services import audit
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.lib.utm import add_utm
from tamtam.networks import registry
from tamtam.networks.base import (
    ChannelContext,
    Connector,
    ConnectorError,
    MediaItem,
    PublishRequest,
    PublishResult,
    RetryAfter,
)
from tamtam.publishing.models import AttemptOutcome, PostTarget, PublishAttempt, TargetMedia
from tamtam.publishing.states import TargetState
from tamtam.work.claim import backoff
from tamtam.work.db import serialised

S = TargetState
Outcome = AttemptOutcome
ENGINE_ACTOR = "publishing engine"
POST_STEP = "post"
FIRST_COMMENT_STEP = "first_comment"
RECONCILE_STEP = "reconcile"
MANUAL_STEP = "manual"
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 600.0
MIN_RATE_LIMIT_WAIT = 1.0


def lease_seconds() -> float:
    return float(settings.WORK_LEASE_SECONDS)


def max_attempts() -> int:
    return int(settings.WORK_MAX_ATTEMPTS)


def retry_delay(attempt: int, hinted: float = 0.0) -> float:
    """Wait before the next try: the network's hint, never less than a jittered exponential backoff."""
    return max(hinted, backoff(attempt, BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS))


def move(target_id: int, from_states: list[str], owner: str | None, **fields: Any) -> bool:
    """The one way the engine changes a target: conditional on its state (and lease), exactly one row."""
    qs = PostTarget.objects.filter(pk=target_id, state__in=from_states)
    if owner is not None:
        qs = qs.filter(lease_owner=owner)
    fields.setdefault("updated_at", timezone.now())
    with serialised():
        return qs.update(**fields) == 1


# --- building the request -------------------------------------------------------------------------


def connector_for(channel: Channel) -> Connector:
    from tamtam.channels.tokens import persist_credentials

    cls = registry.get(channel.network)
    ctx = ChannelContext(
        channel_id=channel.pk,
        handle=channel.handle,
        credentials=channel.get_credentials(),
        options=dict(channel.options or {}),
        external_id=channel.external_id,
        # A token refreshed mid-publish (401 → refresh) is stored re-encrypted at once.
        persist_credentials=lambda credentials: persist_credentials(channel.pk, credentials),
    )
    return cls(ctx)


def with_utm(link: str, target: PostTarget) -> str:
    """The link with the post's UTM tags (a utm_* already there wins); the source defaults to the network."""
    if not link:
        return ""
    post = target.post
    return add_utm(
        link,
        post.utm_source or target.channel.network,
        post.utm_medium or "social",
        post.utm_campaign,
        post.utm_content,
    )


def text_and_link(target: PostTarget) -> tuple[str, str]:
    from tamtam.analytics.links import track_links  # short links, where the workspace tracks them

    text, link = (target.text or target.post.text), with_utm(target.link or target.post.link, target)
    return track_links(target, text, link)


def build_request(target: PostTarget) -> PublishRequest:
    text, link = text_and_link(target)
    media = [
        MediaItem(
            path=tm.media.file.path,
            content_type=tm.media.content_type,
            size=tm.media.size,
            alt_text=tm.media.alt_text,
        )
        for tm in TargetMedia.objects.filter(target=target).select_related("media").order_by("position")
    ]
    return PublishRequest(text=text, idempotency_key=target.idempotency_key, link=link, media=media)


def first_comment_key(target: PostTarget) -> str:
    return f"{target.idempotency_key}:{FIRST_COMMENT_STEP}"


def first_comment_pending(target: PostTarget) -> bool:
    return bool(target.first_comment.strip()) and not target.first_comment_remote_id


# --- the attempt ledger ---------------------------------------------------------------------------


def scrub(text: str, ctx: ChannelContext | None) -> str:
    """Remove any credential value that a network or library echoed back: attempts are shown in the UI."""
    if ctx is not None:
        for value in ctx.credentials.values():
            if isinstance(value, str) and len(value) >= 4:
                text = text.replace(value, "•••")
    return text


def start_attempt(target_id: int, step: str, key: str, owner: str, now: datetime) -> PublishAttempt:
    number = (PublishAttempt.objects.filter(target_id=target_id).aggregate(n=Max("number"))["n"] or 0) + 1
    return PublishAttempt.objects.create(
        target_id=target_id,
        number=number,
        step=step,
        idempotency_key=key[:80],
        worker=owner[:64],
        started_at=now,
        outcome=Outcome.STARTED,
    )


@dataclass
class CallReport:
    """What one network call produced, for the attempt row."""

    outcome: str
    started: float  # time.monotonic() at the call
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""


def finish_attempt(attempt: PublishAttempt, report: CallReport, ctx: ChannelContext | None) -> None:
    PublishAttempt.objects.filter(pk=attempt.pk).update(
        outcome=report.outcome,
        finished_at=timezone.now(),
        status_code=report.status_code,
        duration_ms=max(0, int((time.monotonic() - report.started) * 1000)),
        response_excerpt=scrub(report.excerpt, ctx)[:500],
        error=scrub(report.error, ctx)[:2000],
    )


def success_report(result: PublishResult, started: float) -> CallReport:
    return CallReport(Outcome.SUCCESS, started, result.status_code, result.response_excerpt)


def report_for(exc: BaseException, outcome: str, started: float) -> CallReport:
    if isinstance(exc, ConnectorError):
        return CallReport(outcome, started, exc.status_code, exc.response_excerpt, exc.message)
    return CallReport(outcome, started, None, "", f"{type(exc).__name__}: {exc}")


# Rate headers are kept for the UI at most this often per channel and process while the budget is
# comfortable; near its end (and on a 429) every answer is written, since that is what shapes the
# next claims.
RATE_STATE_EVERY = 2.0
_rate_written: dict[int, float] = {}


def note_rate(
    channel: Channel, connector: Connector, now: datetime, exc: BaseException | None = None
) -> None:
    """Rate shaping: keep the channel's rate headers; when nothing remains (or a 429 came back), no
    claim is made on this channel before the reset."""
    updates: dict[str, Any] = {}
    info = connector.last_rate
    not_before: datetime | None = None
    spent = info is not None and info.remaining is not None and info.remaining <= 0
    if spent and info is not None and info.reset_at and info.reset_at > now:
        not_before = info.reset_at
    if isinstance(exc, RetryAfter) and exc.status_code == 429:
        hinted = now + timedelta(seconds=max(exc.seconds, MIN_RATE_LIMIT_WAIT))
        not_before = max(not_before, hinted) if not_before else hinted
    tick = time.monotonic()
    stale = tick - _rate_written.get(channel.pk, -RATE_STATE_EVERY) >= RATE_STATE_EVERY
    low = (
        info is not None and info.remaining is not None and info.remaining <= max(5, (info.limit or 0) // 10)
    )
    if info is not None and (not_before or stale or low):
        _rate_written[channel.pk] = tick
        updates["rate_state"] = {
            "limit": info.limit,
            "remaining": info.remaining,
            "reset_at": info.reset_at.isoformat() if info.reset_at else None,
            "seen_at": now.isoformat(),
        }
    if not_before is not None:
        updates["not_before"] = not_before
    if updates:
        updates["updated_at"] = now
        with serialised():
            Channel.objects.filter(pk=channel.pk).update(**updates)


def mark_channel_needs_user(channel: Channel, message: str) -> None:
    Channel.objects.filter(pk=channel.pk).update(
        status=ChannelStatus.NEEDS_USER, status_message=message[:500], updated_at=timezone.now()
    )


def audit_target(target: PostTarget, action: str, summary: str, **data: Any) -> None:
    audit(target.workspace, None, action, target, summary=summary, actor_label=ENGINE_ACTOR, **data)


def load_target(target_id: int) -> PostTarget | None:
    return PostTarget.objects.select_related("channel", "workspace", "post").filter(pk=target_id).first()
