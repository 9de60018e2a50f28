"""The first comment: a step of its own under a published target, with its own attempt rows."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.networks.base import (
    Capability,
    Connector,
    NeedsUser,
    Permanent,
    PublishRequest,
    RetryAfter,
    send_deadline,
)
from tamtam.publishing.engine.ledger import (
    FIRST_COMMENT_STEP,
    RECONCILE_STEP,
    Outcome,
    S,
    connector_for,
    finish_attempt,
    first_comment_key,
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
from tamtam.work.claim import claim
from tamtam.work.db import write_transaction

# --- the first comment: a step of its own ---------------------------------------------------------


def claim_first_comments(now: datetime, limit: int, owner: str) -> list[int]:
    pending = PostTarget.objects.filter(workspace__crisis_mode=False, first_comment_remote_id="").exclude(
        first_comment=""
    )
    return claim(
        pending,
        states=[S.PUBLISHED],
        now=now,
        limit=limit,
        lease_seconds=lease_seconds(),
        owner=owner,
        to_state=None,
        require_free_lease=True,
    )


def release_leases(ids: list[int] | None, owner: str) -> int:
    """Give back lease-only claims (first comment, reconcile) that never started."""
    qs = PostTarget.objects.filter(lease_owner=owner, state__in=[S.PUBLISHED, S.UNCONFIRMED])
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(lease_owner="", lease_until=None, updated_at=timezone.now())


def _end_first_comment(
    target_id: int, owner: str, error: str = "", remote_id: str = "", due: datetime | None = None
) -> bool:
    fields: dict[str, Any] = {"lease_owner": "", "lease_until": None, "due_at": due}
    if remote_id:
        fields["first_comment_remote_id"] = remote_id
    if error:
        fields["last_error"] = error[:2000]
        fields["last_error_kind"] = "first_comment"
    return move(target_id, [S.PUBLISHED], owner, **fields)


def _in_flight(target_id: int, owner: str, now: datetime) -> bool:
    """Another handler of this same worker is mid-call on this first comment. Threads of one worker
    share its owner name, so the lease cannot tell them apart: a batch claimed earlier and reached
    late, or a second wake-up for the row, would otherwise post the comment twice (seen in the
    10,000-post fault run). A started attempt of a worker that died carries another owner."""
    return PublishAttempt.objects.filter(
        target_id=target_id,
        step=FIRST_COMMENT_STEP,
        outcome=Outcome.STARTED,
        worker=owner[:64],
        started_at__gt=now - timedelta(seconds=lease_seconds()),
    ).exists()


def process_first_comment(target_id: int, owner: str, *, now: datetime | None = None) -> str:
    """Post the first comment under a published target. Its failure never un-publishes the post."""
    from tamtam.publishing import reconcile  # reconcile imports this module

    clock_given = now is not None
    target = load_target(target_id)
    if target is None or target.state != S.PUBLISHED or target.lease_owner != owner:
        return "skipped"
    if not first_comment_pending(target) or not target.remote_id:
        _end_first_comment(target.pk, owner)
        return "skipped"
    now = now or timezone.now()
    if _in_flight(target.pk, owner, now):
        return "busy"
    connector = connector_for(target.channel)
    if not connector.can(Capability.FIRST_COMMENT):
        message = _("%(network)s does not support first comments; post it by hand.")
        _end_first_comment(target.pk, owner, message % {"network": connector.label})
        return "unsupported"
    key = first_comment_key(target)
    open_attempts = PublishAttempt.objects.filter(
        target=target, step=FIRST_COMMENT_STEP, outcome__in=[Outcome.STARTED, Outcome.AMBIGUOUS]
    )
    if open_attempts.exists():
        # An earlier call may have gone through: look before sending again.
        verdict = reconcile.settle_open_step(
            target,
            connector,
            owner,
            key=key,
            text=target.first_comment,
            link="",
            open_attempts=list(open_attempts),
            now=now,
        )
        if verdict.remote_id:
            with write_transaction():
                if _end_first_comment(target.pk, owner, remote_id=verdict.remote_id):
                    # A call cut short (its worker died) is no longer "started": its answer was lost.
                    open_attempts.filter(outcome=Outcome.STARTED).update(
                        outcome=Outcome.AMBIGUOUS, finished_at=now, error=_("The answer was lost.")
                    )
                    found = start_attempt(target.pk, RECONCILE_STEP, key, owner, now)
                    PublishAttempt.objects.filter(pk=found.pk).update(
                        outcome=Outcome.RECONCILED, finished_at=timezone.now()
                    )
            return "reconciled"
        if not verdict.send_again:
            _end_first_comment(target.pk, owner, verdict.error, due=verdict.check_again_at)
            return "waiting"
    failures = PublishAttempt.objects.filter(
        target=target, step=FIRST_COMMENT_STEP, outcome=Outcome.RETRY
    ).count()
    # The attempt starts now, not when this handler began: a listing above, or a slow thread, must
    # not age it, or reconcile's "cannot land any more" window (from started_at) closes too early
    # for a worker paused mid-call, and the comment is sent twice.
    sent_at = now if clock_given else timezone.now()
    send_by = time.monotonic() + lease_seconds()  # when the lease renewed below runs out
    with write_transaction():
        if connection.vendor == "postgresql":  # SQLite's write transaction already serialises this
            list(PostTarget.objects.select_for_update().filter(pk=target.pk).values_list("pk"))
        if _in_flight(target.pk, owner, sent_at):
            return "busy"
        renewed = sent_at + timedelta(seconds=lease_seconds())
        if not move(target.pk, [S.PUBLISHED], owner, lease_until=renewed):
            return "lost"
        attempt = start_attempt(target.pk, FIRST_COMMENT_STEP, key, owner, sent_at)
    started = time.monotonic()
    request = PublishRequest(
        text=target.first_comment, idempotency_key=key, reply_to_remote_id=target.remote_id
    )
    try:
        with send_deadline(send_by):
            result = connector.publish(request)
    except Exception as exc:
        return _first_comment_failed(
            target, attempt, connector, owner=owner, exc=exc, started=started, failures=failures
        )
    with write_transaction():
        _end_first_comment(target.pk, owner, remote_id=result.remote_id)
        PostTarget.objects.filter(pk=target.pk, last_error_kind="first_comment").update(
            last_error="", last_error_kind=""
        )
        finish_attempt(attempt, success_report(result, started), connector.ctx)
        note_rate(target.channel, connector, timezone.now())
    return "first_comment"


def _first_comment_failed(
    target: PostTarget,
    attempt: PublishAttempt,
    connector: Connector,
    *,
    owner: str,
    exc: Exception,
    started: float,
    failures: int,
) -> str:
    done = timezone.now()
    label = _("The post is published, but its first comment was not posted: %(error)s")
    if isinstance(exc, RetryAfter):
        outcome, failures = Outcome.RETRY, failures + 1
        if failures >= max_attempts():
            due, error = None, label % {"error": exc.message}
        else:
            due = done + timedelta(seconds=retry_delay(failures, exc.seconds))
            error = _("The first comment will be retried: %(error)s") % {"error": exc.message}
    elif isinstance(exc, Permanent | NeedsUser):
        outcome = Outcome.PERMANENT if isinstance(exc, Permanent) else Outcome.NEEDS_USER
        due, error = None, label % {"error": exc.message}
    else:
        # Maybe posted: the next pass looks for it before sending again.
        outcome, due = Outcome.AMBIGUOUS, done
        error = _("The first comment may not have been posted; checking.")
    with write_transaction():
        _end_first_comment(target.pk, owner, scrub(error, connector.ctx), due=due)
        finish_attempt(attempt, report_for(exc, outcome, started), connector.ctx)
        if isinstance(exc, NeedsUser):
            mark_channel_needs_user(target.channel, exc.message)
        note_rate(target.channel, connector, done, exc)
    return f"first_comment_{outcome}"
