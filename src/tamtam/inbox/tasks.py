"""Durable work kinds of the inbox app (registered with tamtam.work.registry on import).

- `inbox_fetch`: one row per channel with an inbox → claimed → pages fetched after the cursor, each
  page stored with its cursor in one transaction (inbox/collect.py).
- `inbox_reply`: replies from tamtam, exactly once (inbox/replies.py).
- `inbox_reply_reconcile`: unconfirmed replies looked for on the network.
"""

from __future__ import annotations

from datetime import datetime

from tamtam.inbox import collect, replies
from tamtam.work.registry import WorkKind, register


def _claim_fetches(now: datetime, limit: int, owner: str) -> list[int]:
    # A channel connected since the last pass gets its fetch row here (one cheap query when none).
    collect.ensure_fetches()
    return collect.claim_due(now, limit, owner)


INBOX_REPLY = register(
    WorkKind(
        name="inbox_reply",
        claim=replies.claim_due,
        process=replies.process_reply,
        release=replies.release_claims,
        sweep=replies.sweep_expired,
        priority=20,  # a person is waiting for this answer: right after publishing
    )
)

INBOX_REPLY_RECONCILE = register(
    WorkKind(
        name="inbox_reply_reconcile", claim=replies.claim_unconfirmed, process=replies.reconcile, priority=30
    )
)

INBOX_FETCH = register(
    WorkKind(
        name="inbox_fetch",
        claim=_claim_fetches,
        process=collect.run_fetch,
        release=collect.release_claims,
        sweep=collect.sweep_expired,
        priority=50,
    )
)
