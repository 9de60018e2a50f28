"""Durable work kinds of reports (registered with tamtam.work.registry on import).

- `report_schedule`: a due schedule gets its delivery for the period it covers (reports/delivery.py).
- `report_send`: a delivery is built, rendered (HTML, PDF, CSV) and e-mailed once.
"""

from __future__ import annotations

from tamtam.reports import delivery
from tamtam.work.registry import WorkKind, register

REPORT_SCHEDULE = register(
    WorkKind(
        name="report_schedule",
        claim=delivery.claim_schedules,
        process=delivery.tick,
        release=delivery.release_schedules,
        sweep=delivery.sweep_schedules,
        priority=200,  # bookkeeping: after everything a person waits for
    )
)

REPORT_SEND = register(
    WorkKind(
        name="report_send",
        claim=delivery.claim_deliveries,
        process=delivery.send,
        release=delivery.release_deliveries,
        sweep=delivery.sweep_deliveries,
        priority=210,
    )
)
