"""Durable work kinds of analytics (registered with tamtam.work.registry on import).

- `metrics_poll`: one row per channel whose network has metrics → claimed → the due posts' counters
  and, every few hours, the account's → snapshots and rollups (analytics/polling.py).
"""

from __future__ import annotations

from tamtam.analytics import polling
from tamtam.work.registry import WorkKind, register

METRICS_POLL = register(
    WorkKind(
        name="metrics_poll",
        claim=polling.claim_due,
        process=polling.run_poll,
        release=polling.release_claims,
        sweep=polling.sweep_expired,
        priority=80,  # bookkeeping: after publishing, replies and the inbox
    )
)
