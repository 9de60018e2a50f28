"""Claims of the post step: which targets the engine may take, taking them, giving back those never
sent (a worker stopping), and the sweep that returns expired leases to a safe state. The post step
itself (prepare, call, record) is `engine.publish`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.publishing.engine.ledger import POST_STEP, Outcome, S, lease_seconds
from tamtam.publishing.models import PostTarget, PublishAttempt
from tamtam.publishing.states import CLAIMABLE
from tamtam.work.claim import claim
from tamtam.work.db import write_transaction


def claimable(now: datetime) -> QuerySet[PostTarget]:
    """Targets the engine may take: never in a workspace in crisis mode (except a holding statement
    released on the crisis fast track), never on a channel whose rate limit is spent until its reset."""
    return PostTarget.objects.filter(
        Q(workspace__crisis_mode=False) | Q(post__crisis_release__isnull=False)
    ).filter(Q(channel__not_before__isnull=True) | Q(channel__not_before__lte=now))


def claim_due(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        claimable(now), states=CLAIMABLE, now=now, limit=limit, lease_seconds=lease_seconds(), owner=owner
    )


def unclaimed_fields(attempts: int, now: datetime) -> dict[str, Any]:
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
    with write_transaction():
        fresh = qs.filter(attempts=0).update(**unclaimed_fields(0, now))
        return fresh + qs.filter(attempts__gt=0).update(**unclaimed_fields(1, now))


def sweep_expired(now: datetime) -> int:
    """Expired leases back to a safe state: `claimed` → scheduled (nothing was sent yet); `sending` →
    unconfirmed (something may have been sent; reconcile will find out)."""
    expired = PostTarget.objects.filter(lease_until__lt=now)
    with write_transaction():
        swept = expired.filter(state=S.CLAIMED, attempts=0).update(**unclaimed_fields(0, now))
        swept += expired.filter(state=S.CLAIMED, attempts__gt=0).update(**unclaimed_fields(1, now))
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
            # Only the calls of targets this sweep moved (a late success may have won the race).
            PublishAttempt.objects.filter(
                target_id__in=ids, target__state=S.UNCONFIRMED, step=POST_STEP, outcome=Outcome.STARTED
            ).update(outcome=Outcome.AMBIGUOUS, finished_at=now, error=message)
    return swept
