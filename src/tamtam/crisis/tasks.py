"""Durable work kinds of the crisis app (registered with tamtam.work.registry on import).

- `crisis_evaluate`: the per-minute evaluation of every alert rule (crisis/live.py).
- `crisis_notify`: e-mail and webhook notifications, sent once, retried when the other end is down
  (crisis/notify.py).
"""

from __future__ import annotations

from tamtam.crisis import live, notify
from tamtam.work.registry import WorkKind, register

CRISIS_EVALUATE = register(
    WorkKind(
        name="crisis_evaluate",
        claim=live.claim_due,
        process=live.evaluate,
        release=live.release_claims,
        sweep=live.sweep_expired,
        priority=15,  # minutes count in a bad buzz: right after publishing
    )
)

CRISIS_NOTIFY = register(
    WorkKind(
        name="crisis_notify",
        claim=notify.claim_due,
        process=notify.process,
        release=notify.release_claims,
        sweep=notify.sweep_expired,
        priority=16,
    )
)
