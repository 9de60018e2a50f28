"""Publishing's durable work, as the runner sees it (DESIGN §2.1, §4).

- `publish`: scheduled/retry_wait targets that are due → claimed → one network call each;
- `first_comment`: published targets whose first comment is still to post (a step of its own);
- `reconcile`: unconfirmed targets → published, scheduled again, or left for a person.

The sweeper returns expired leases to a safe state. A duplicate wake-up is harmless: every handler
re-reads its row and acts only when the state and the lease are still its own.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.db import IntegrityError

from tamtam.publishing import engine, feeds, planning, reconcile
from tamtam.work.registry import WorkKind, register

log = logging.getLogger(__name__)
RECURRENCE_EVERY_SECONDS = 300
_last_expansion = float("-inf")


def sweep_and_plan(now: datetime) -> int:
    """The sweeper, plus the occurrences of recurring posts every few minutes (idempotent)."""
    global _last_expansion
    swept = engine.sweep_expired(now)
    if time.monotonic() - _last_expansion >= RECURRENCE_EVERY_SECONDS:
        _last_expansion = time.monotonic()
        try:
            planning.expand_recurrences(now)
        except IntegrityError:
            # Another worker created the same occurrence first: its unique key says so.
            log.info("recurrence expansion raced with another worker; the next round completes it")
    return swept


PUBLISH = register(
    WorkKind(
        name="publish",
        claim=engine.claim_due,
        process=engine.process_target,
        release=engine.release_claims,
        sweep=sweep_and_plan,
        priority=10,
        prepare=engine.prepare,
        execute=engine.execute,
        record=engine.record,
    )
)
FIRST_COMMENT = register(
    WorkKind(
        name="first_comment",
        claim=engine.claim_first_comments,
        process=engine.process_first_comment,
        release=engine.release_leases,
        priority=20,
    )
)
RECONCILE = register(
    WorkKind(
        name="reconcile",
        claim=reconcile.claim_unconfirmed,
        process=reconcile.reconcile_target,
        release=engine.release_leases,
        priority=30,
    )
)
FEED_WATCH = register(
    WorkKind(
        name="feed_watch",
        claim=feeds.claim_due,
        process=feeds.process_watch,
        release=feeds.release,
        priority=60,  # after publishing and reconcile: new drafts can wait a minute, due posts cannot
    )
)
