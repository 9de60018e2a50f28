"""Claiming durable work rows with a lease, and retry backoff (DESIGN §2.1).

Every kind of durable work is a row with a `state`, a `due_at`, a lease (`lease_owner`,
`lease_until`) and an attempt count. A worker takes rows with one conditional UPDATE that only touches
rows still claimable and due, then reads back what it got: two workers can never hold the same row,
and a duplicate wake-up finds nothing to do. On PostgreSQL the candidates are picked with
`SELECT … FOR UPDATE SKIP LOCKED` so concurrent claimers skip each other instead of queueing.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models
from django.db.models import Q, QuerySet

from tamtam.work.db import serialised, write_transaction

# Scale-out mode: a message names the rows it woke a worker for; a claim made while `only(ids)` is
# active takes none but those (still only if claimable and due: a duplicate message claims nothing).
_only: ContextVar[frozenset[int] | None] = ContextVar("tamtam_claim_only", default=None)


@contextmanager
def only(ids: Iterable[int]) -> Iterator[None]:
    token = _only.set(frozenset(int(i) for i in ids))
    try:
        yield
    finally:
        _only.reset(token)


def _queryset(source: type[models.Model] | QuerySet[Any]) -> QuerySet[Any]:
    if isinstance(source, QuerySet):
        return source
    return source._default_manager.all()


def claim(
    source: type[models.Model] | QuerySet[Any],
    *,
    states: Iterable[str],
    now: datetime,
    limit: int,
    lease_seconds: float,
    owner: str,
    to_state: str | None = "claimed",
    require_free_lease: bool = False,
    due_field: str = "due_at",
) -> list[int]:
    """Claim up to `limit` due rows of `source` in one of `states`; return the ids this owner got.

    `source` may be a filtered queryset (e.g. "not in a paused workspace"); the filter is re-checked in
    the UPDATE. With `to_state=None` the state is kept and only the lease is taken — for work on rows
    whose state must not change while they are handled (reconciling an unconfirmed post); then
    `require_free_lease` must be true so that a held lease excludes the row.
    """
    if limit <= 0:
        return []
    states = list(states)
    qs = _queryset(source)
    model = qs.model
    due = Q(state__in=states, **{f"{due_field}__isnull": False, f"{due_field}__lte": now})
    if require_free_lease:
        due &= Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    restrict = _only.get()
    if restrict is not None:
        due &= Q(pk__in=restrict)
    candidates = qs.filter(due).order_by(due_field, "pk")
    lease_until = now + timedelta(seconds=lease_seconds)
    changes: dict[str, Any] = {"lease_owner": owner, "lease_until": lease_until}
    if to_state is not None:
        changes["state"] = to_state
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        changes["updated_at"] = now

    with write_transaction():
        if connection.vendor == "postgresql":
            # Lock only the work rows (not the joined channel/workspace rows), skip rows another
            # claimer holds; the UPDATE below then cannot miss.
            locked = candidates.select_for_update(skip_locked=True, of=("self",))
            ids = list(locked.values_list("pk", flat=True)[:limit])
            if not ids:
                return []
            if model._default_manager.filter(due, pk__in=ids).update(**changes) == len(ids):
                return ids
            # The UPDATE re-checks `due`; a row it did not take is not ours, whatever the SELECT saw
            # (threads of one worker share an owner, so a wrong id here would be handled twice).
            return _ours(model, ids, owner, lease_until, due_field)
        # SQLite: the transaction is IMMEDIATE (settings), so it already holds the write lock. Pick
        # candidates, update only those still claimable and due, then read back which are ours now.
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        if model._default_manager.filter(due, pk__in=ids).update(**changes) == len(ids):
            return ids  # under the write lock: every candidate became ours
        return _ours(model, ids, owner, lease_until, due_field)


def _ours(
    model: type[models.Model], ids: list[int], owner: str, lease_until: datetime, due_field: str
) -> list[int]:
    """Which of the candidates this claim took (restricted to them: the same owner may hold other
    rows at this instant)."""
    return list(
        model._default_manager.filter(pk__in=ids, lease_owner=owner, lease_until=lease_until)
        .order_by(due_field, "pk")
        .values_list("pk", flat=True)
    )


def backoff(attempt: int, base: float = 2.0, cap: float = 600.0, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1-based): "full jitter", uniform in
    [0, min(cap, base·2^attempt)], so that many failures at once do not retry in lockstep."""
    ceiling = min(cap, base * (2 ** max(0, min(attempt, 30))))
    return (rng or random).uniform(0, ceiling)


class Leased:
    """Giving back and sweeping the leased rows of one work model whose claim moves `claimed` → back
    to `idle` (fetches, polls, evaluators, notifications: nothing was sent under the lease, so the row
    is simply due again). Kinds whose lease covers a network call (publishing, replies) sweep their
    own way: an expired `sending` row may have reached the network."""

    def __init__(self, model: type[models.Model], *, claimed: str = "claimed", idle: str = "idle") -> None:
        self.model, self.claimed, self.idle = model, claimed, idle

    def release(self, ids: list[int] | None, owner: str) -> int:
        """A worker stopping gives back what it claimed and did not start."""
        qs = self.model._default_manager.filter(state=self.claimed, lease_owner=owner)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        with serialised():
            return qs.update(state=self.idle, lease_owner="", lease_until=None)

    def sweep(self, now: datetime) -> int:
        """A worker died mid-job: its rows are due again (nothing was committed past their cursor)."""
        with serialised():
            return self.model._default_manager.filter(state=self.claimed, lease_until__lt=now).update(
                state=self.idle, lease_owner="", lease_until=None, due_at=now
            )
