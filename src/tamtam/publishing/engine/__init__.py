"""The publishing engine (DESIGN §4): one post on one channel, exactly once.

    scheduled|retry_wait ─claim→ claimed ─(attempt row committed)→ sending ─call→ published
                                                                        ├→ retry_wait (RetryAfter)
                                                                        ├→ failed (Permanent, out of tries)
                                                                        ├→ needs_user (NeedsUser)
                                                                        └→ unconfirmed (Ambiguous, crash)

Every transition is a conditional UPDATE that must change exactly one row (state and lease owner
match), so a duplicate wake-up, a late worker or a sweeper race can never move a target twice. The
`PublishAttempt` row is committed *before* the network call: a worker killed mid-call leaves a trace
that the sweeper and reconcile (publishing/reconcile.py) turn into `unconfirmed` → the truth.

- `claims`: which targets may be taken, the claim, giving claims back, the sweeper;
- `publish`: the post step (prepare, call, record);
- `first_comment`: the first comment, a step of its own under a published target;
- `manual`: what a person does with an unconfirmed post (`resolve_unconfirmed`);
- `ledger`: shared pieces (conditional moves, the request, attempt rows, rate shaping).
"""

from tamtam.publishing.engine.claims import claim_due, claimable, release_claims, sweep_expired
from tamtam.publishing.engine.first_comment import claim_first_comments, process_first_comment, release_leases
from tamtam.publishing.engine.ledger import (
    FIRST_COMMENT_STEP,
    MANUAL_STEP,
    POST_STEP,
    RECONCILE_STEP,
    audit_target,
    build_request,
    connector_for,
    first_comment_key,
    first_comment_pending,
    lease_seconds,
    load_target,
    mark_channel_needs_user,
    max_attempts,
    move,
    note_rate,
    retry_delay,
    scrub,
    start_attempt,
    text_and_link,
    with_utm,
)
from tamtam.publishing.engine.manual import resolve_unconfirmed
from tamtam.publishing.engine.publish import (
    Done,
    Job,
    execute,
    prepare,
    prepare_batch,
    process_target,
    record,
)

__all__ = [
    "FIRST_COMMENT_STEP",
    "MANUAL_STEP",
    "POST_STEP",
    "RECONCILE_STEP",
    "Done",
    "Job",
    "audit_target",
    "build_request",
    "claim_due",
    "claim_first_comments",
    "claimable",
    "connector_for",
    "execute",
    "first_comment_key",
    "first_comment_pending",
    "lease_seconds",
    "load_target",
    "mark_channel_needs_user",
    "max_attempts",
    "move",
    "note_rate",
    "prepare",
    "prepare_batch",
    "process_first_comment",
    "process_target",
    "record",
    "release_claims",
    "release_leases",
    "resolve_unconfirmed",
    "retry_delay",
    "scrub",
    "start_attempt",
    "sweep_expired",
    "text_and_link",
    "with_utm",
]
