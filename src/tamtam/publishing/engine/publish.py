"""The post step: claim due targets, send each once, record the outcome; sweep expired leases."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.channels.models import ChannelStatus
from tamtam.networks.base import (
    Ambiguous,
    Capability,
    Connector,
    ConnectorError,
    NeedsUser,
    Permanent,
    PublishResult,
    RetryAfter,
)
from tamtam.publishing.engine.first_comment import process_first_comment
from tamtam.publishing.engine.ledger import (
    MIN_RATE_LIMIT_WAIT,
    POST_STEP,
    Outcome,
    S,
    audit_target,
    build_request,
    connector_for,
    finish_attempt,
    first_comment_pending,
    lease_seconds,
    load_target,
    mark_channel_needs_user,
    max_attempts,
    move,
    note_rate,
    report_for,
    retry_delay,
    scrub,
    start_attempt,
    success_report,
)
from tamtam.publishing.models import PostTarget, PublishAttempt
from tamtam.publishing.states import CLAIMABLE
from tamtam.work.claim import claim

log = logging.getLogger("tamtam.publishing")

# --- claim, release, sweep ------------------------------------------------------------------------


def claimable(now: datetime) -> QuerySet[PostTarget]:
    """Targets the engine may take: never in a workspace in crisis mode, never on a channel whose
    rate limit is spent until its reset."""
    return PostTarget.objects.filter(workspace__crisis_mode=False).filter(
        Q(channel__not_before__isnull=True) | Q(channel__not_before__lte=now)
    )


def claim_due(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        claimable(now), states=CLAIMABLE, now=now, limit=limit, lease_seconds=lease_seconds(), owner=owner
    )


def _unclaimed_fields(attempts: int, now: datetime) -> dict[str, Any]:
    # A target that has already failed a try goes back to retry_wait so the UI keeps saying so.
    return {
        "state": S.RETRY_WAIT if attempts else S.SCHEDULED,
        "lease_owner": "",
        "lease_until": None,
        "updated_at": now,
    }


def release_claims(ids: list[int] | None, owner: str) -> int:
    """Give back claims that never reached `sending` (worker shutdown): nothing was sent."""
    now = timezone.now()
    qs = PostTarget.objects.filter(state=S.CLAIMED, lease_owner=owner)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.filter(attempts=0).update(**_unclaimed_fields(0, now)) + qs.filter(attempts__gt=0).update(
        **_unclaimed_fields(1, now)
    )


def sweep_expired(now: datetime) -> int:
    """Expired leases back to a safe state: `claimed` → scheduled (nothing was sent yet); `sending` →
    unconfirmed (something may have been sent; reconcile will find out)."""
    expired = PostTarget.objects.filter(lease_until__lt=now)
    swept = expired.filter(state=S.CLAIMED, attempts=0).update(**_unclaimed_fields(0, now))
    swept += expired.filter(state=S.CLAIMED, attempts__gt=0).update(**_unclaimed_fields(1, now))
    with transaction.atomic():
        ids = list(expired.filter(state=S.SENDING).values_list("pk", flat=True)[:500])
        if ids:
            message = _("The worker stopped while sending; checking whether the post went out.")
            swept += PostTarget.objects.filter(pk__in=ids, state=S.SENDING, lease_until__lt=now).update(
                state=S.UNCONFIRMED,
                due_at=now,
                lease_owner="",
                lease_until=None,
                last_error=message,
                last_error_kind="ambiguous",
                updated_at=now,
            )
            PublishAttempt.objects.filter(target_id__in=ids, step=POST_STEP, outcome=Outcome.STARTED).update(
                outcome=Outcome.AMBIGUOUS, finished_at=now, error=message
            )
    return swept


# --- the publish step -----------------------------------------------------------------------------


def process_target(target_id: int, owner: str, *, now: datetime | None = None) -> str:
    """Publish one claimed target. Harmless when the target is not (or no longer) claimed by `owner`."""
    target = load_target(target_id)
    if target is None or target.state != S.CLAIMED or target.lease_owner != owner:
        return "skipped"
    now = now or timezone.now()
    channel = target.channel
    if target.workspace.crisis_mode:
        # Crisis mode came on after the claim: hold the post, resumable from where it was.
        move(
            target.pk,
            [S.CLAIMED],
            owner,
            state=S.PAUSED,
            lease_owner="",
            lease_until=None,
            paused_from=S.RETRY_WAIT if target.attempts else S.SCHEDULED,
        )
        return "paused"
    if channel.not_before and channel.not_before > now:
        move(target.pk, [S.CLAIMED], owner, **_unclaimed_fields(target.attempts, now))
        return "deferred"
    if channel.status != ChannelStatus.ACTIVE:
        message = _("Reconnect %(channel)s; nothing was sent.") % {"channel": channel.name}
        if move(
            target.pk,
            [S.CLAIMED],
            owner,
            state=S.NEEDS_USER,
            lease_owner="",
            lease_until=None,
            due_at=None,
            last_error=message,
            last_error_kind="needs_user",
        ):
            audit_target(target, "target.needs_user", f"{channel.name}: {message}")
        return "needs_user"
    try:
        connector = connector_for(channel)
        if not connector.can(Capability.PUBLISH):
            raise Permanent(_("%(network)s cannot publish posts.") % {"network": connector.label})
        request = build_request(target)
    except Exception as exc:  # nothing was sent: a clear, final failure
        message = (
            exc.message
            if isinstance(exc, ConnectorError)
            else _("The post could not be prepared: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
        )
        if move(
            target.pk,
            [S.CLAIMED],
            owner,
            state=S.FAILED,
            lease_owner="",
            lease_until=None,
            due_at=None,
            last_error=message[:2000],
            last_error_kind="permanent",
        ):
            audit_target(target, "target.failed", f"{channel.name}: {message}"[:300])
        return "failed"

    with transaction.atomic():
        if not move(
            target.pk,
            [S.CLAIMED],
            owner,
            state=S.SENDING,
            lease_until=now + timedelta(seconds=lease_seconds()),
        ):
            return "lost"
        attempt = start_attempt(target.pk, POST_STEP, request.idempotency_key, owner, now)
    # Committed: from here on, a crash leaves `sending` + a started attempt → unconfirmed → reconcile.
    started = time.monotonic()
    try:
        result = connector.publish(request)
    except BaseException as exc:
        outcome = _after_failure(target, attempt, connector, owner=owner, exc=exc, started=started)
        if not isinstance(exc, Exception):
            raise
        return outcome
    return _after_success(target, attempt, connector, owner=owner, result=result, started=started)


def _after_success(
    target: PostTarget,
    attempt: PublishAttempt,
    connector: Connector,
    *,
    owner: str,
    result: PublishResult,
    started: float,
) -> str:
    done = timezone.now()
    pending = first_comment_pending(target)
    fields: dict[str, Any] = {
        "state": S.PUBLISHED,
        "remote_id": result.remote_id,
        "remote_url": result.url,
        "published_at": done,
        "last_error": "",
        "last_error_kind": "",
        # The first comment is a step of its own; keep the lease to run it right away.
        "due_at": done if pending else None,
        "lease_owner": owner if pending else "",
        "lease_until": done + timedelta(seconds=lease_seconds()) if pending else None,
    }
    with transaction.atomic():
        # A sweeper may have judged us dead meanwhile (→ unconfirmed): we know better, it is published.
        moved = move(target.pk, [S.SENDING], owner, **fields)
        moved = moved or move(target.pk, [S.UNCONFIRMED], None, **fields)
        finish_attempt(attempt, success_report(result, started), connector.ctx)
        if moved:
            audit_target(
                target,
                "target.published",
                f"{target.channel.name}: {result.url or result.remote_id}",
                remote_url=result.url,
                attempt=attempt.number,
            )
        note_rate(target.channel, connector, done)
    if moved and pending:
        process_first_comment(target.pk, owner)
    return "published"


def _after_failure(
    target: PostTarget,
    attempt: PublishAttempt,
    connector: Connector,
    *,
    owner: str,
    exc: BaseException,
    started: float,
) -> str:
    done = timezone.now()
    channel = target.channel
    cleared: dict[str, Any] = {"lease_owner": "", "lease_until": None}
    if isinstance(exc, RetryAfter):
        # A 429 is rate shaping, not a failure of this post: it does not use up one of its tries.
        tries = target.attempts + (0 if exc.status_code == 429 else 1)
        if tries >= max_attempts():
            message = _("Gave up after %(count)s attempts: %(error)s") % {
                "count": tries,
                "error": exc.message,
            }
            state, kind, outcome, due = S.FAILED, "permanent", Outcome.RETRY, None
        else:
            message, state, kind, outcome = exc.message, S.RETRY_WAIT, "retry", Outcome.RETRY
            floor = max(exc.seconds, MIN_RATE_LIMIT_WAIT) if exc.status_code == 429 else exc.seconds
            due = done + timedelta(seconds=retry_delay(max(tries, 1), floor))
        fields = {
            "state": state,
            "attempts": tries,
            "due_at": due,
            "last_error": message,
            "last_error_kind": kind,
            **cleared,
        }
    elif isinstance(exc, Permanent):
        state, outcome, message = S.FAILED, Outcome.PERMANENT, exc.message
        fields = {
            "state": state,
            "due_at": None,
            "last_error": message,
            "last_error_kind": "permanent",
            **cleared,
        }
    elif isinstance(exc, NeedsUser):
        state, outcome, message = S.NEEDS_USER, Outcome.NEEDS_USER, exc.message
        fields = {
            "state": state,
            "due_at": None,
            "last_error": message,
            "last_error_kind": "needs_user",
            **cleared,
        }
    else:
        # Ambiguous, or anything unexpected once the request may have left: never re-send blindly.
        state, outcome = S.UNCONFIRMED, Outcome.AMBIGUOUS
        if isinstance(exc, Ambiguous):
            message = exc.message
        else:
            message = _(
                "Unexpected error during the call (%(type)s); checking whether the post went out."
            ) % {"type": type(exc).__name__}
            log.error(
                "target %s: unexpected %s from the %s connector",
                target.pk,
                type(exc).__name__,
                channel.network,
            )
        fields = {
            "state": state,
            "due_at": done,
            "last_error": message,
            "last_error_kind": "ambiguous",
            **cleared,
        }
    fields["last_error"] = scrub(str(fields["last_error"]), connector.ctx)[:2000]
    with transaction.atomic():
        moved = move(target.pk, [S.SENDING], owner, **fields)
        finish_attempt(attempt, report_for(exc, outcome, started), connector.ctx)
        if moved and state in (S.FAILED, S.NEEDS_USER):
            audit_target(
                target,
                f"target.{state}",
                f"{channel.name}: {fields['last_error']}"[:300],
                attempt=attempt.number,
            )
        if isinstance(exc, NeedsUser):
            mark_channel_needs_user(channel, fields["last_error"])
        note_rate(channel, connector, done, exc)
    return str(state) if moved else "lost"
