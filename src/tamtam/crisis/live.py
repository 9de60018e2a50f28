"""The live evaluation (`crisis_evaluate` work kind): every minute, every enabled rule.

One `Evaluator` row is claimed with a lease. A run scores every complete minute since the last one
scored (a minute is complete `CRISIS_SETTLE_SECONDS` after it ends, so mentions fetched a little
late still count), for all rules at once: rules with the same series and parameters share one
vectorised bank (the very code `tamtam crisis replay` and the back-test run). The banks stay in the
worker's memory between runs; a worker that starts (or finds another ran since) rebuilds them from
the checkpoints and the log of scored minutes (crisis/persist.py). A rule without a state is first
warmed on its query's stored history (alerts of that warm-up are not raised: they are the past).
Then, in ONE transaction that also checks the lease: the minute log, the checkpoints due (a small
slice of the rules), the alerts (one per rule and minute), their incidents and notifications, and
the new last minute. A crash before that commit scores the same minutes again from the same state:
nothing is lost or doubled.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone, translation

from tamtam.crisis import history, persist
from tamtam.crisis.detectors.blob import copy_rows
from tamtam.crisis.explain import explain
from tamtam.crisis.incidents import enqueue_notifications, fold
from tamtam.crisis.models import Alert, AlertRule, Evaluator, WorkState
from tamtam.crisis.rules import group_key, rule_params
from tamtam.work.claim import Leased, claim
from tamtam.work.db import serialised, write_transaction

log = logging.getLogger(__name__)
NAME = "live"
LEASE_SECONDS = 300
MAX_CATCHUP = timedelta(days=1)  # after a longer outage, older minutes are not scored (the gap is a hole)
WARM_HISTORY = timedelta(days=14)


class LeaseLost(Exception):
    pass


def settle_seconds() -> float:
    return float(getattr(settings, "CRISIS_SETTLE_SECONDS", 120))


def ensure_evaluator() -> Evaluator:
    evaluator, _ = Evaluator.objects.get_or_create(name=NAME)
    return evaluator


def claim_due(now: datetime, limit: int, owner: str) -> list[int]:
    if not Evaluator.objects.filter(name=NAME).exists():
        ensure_evaluator()
    return claim(
        Evaluator.objects.all(),
        states=[WorkState.IDLE],
        now=now,
        limit=min(limit, 1),
        lease_seconds=LEASE_SECONDS,
        owner=owner,
        to_state=WorkState.CLAIMED,
    )


def last_complete_minute(now: datetime) -> datetime:
    return history.floor_minute(now - timedelta(seconds=settle_seconds())) - history.MINUTE


@dataclass(frozen=True)
class RuleRow:
    pk: int
    query_id: int
    series: str
    params: Any


@dataclass
class Fired:
    rule: Any  # a RuleRow while scoring, the AlertRule (query, workspace loaded) once fired
    bucket: datetime
    expected: float
    observed: float
    evidence: float
    score: float


@dataclass
class Run:
    start: datetime
    end: datetime
    groups: dict[str, persist.Group]
    logged: list[tuple[datetime, bytes]]
    fired: list[Fired]


# This worker's banks between its runs (see crisis/persist.py); taken out during a run, put back
# only after its commit, so a failed run never leaves a state the database does not have.
_memory: persist.Memory | None = None


def forget() -> None:
    """Drop the in-memory state (what a restart does): the next run rebuilds it from the database."""
    global _memory
    _memory = None


def _take_memory(evaluator: Evaluator) -> persist.Memory | None:
    global _memory
    memory, _memory = _memory, None
    if memory is None or memory.token != evaluator.token or memory.last_bucket != evaluator.last_bucket:
        return None
    return memory


def score_minutes(start: datetime, end: datetime, evaluator: Evaluator | None = None) -> Run:
    """Score minutes start..end for every enabled rule (no writes)."""
    # 30,000 rules every minute: plain rows and one parameter set per distinct setting, not model
    # instances (loading those, and hashing each rule's parameters, cost seconds a minute). The
    # expert parameters come as their stored JSON text, parsed once per distinct text: decoding
    # 30,000 JSON values a minute was half of the run.
    rows = (
        AlertRule.objects.filter(enabled=True, query__enabled=True)
        .order_by("pk")
        .annotate(expert_text=Cast("expert", TextField()))
        .values_list("pk", "query_id", "series", "sensitivity", "detector", "expert_text")
    )
    settings_keys: dict[tuple[str, str, str, str], tuple[str, Any]] = {}
    groups: dict[str, list[RuleRow]] = defaultdict(list)
    for pk, query_id, series, sensitivity, detector, expert_text in rows.iterator(chunk_size=5000):
        setting = (series, sensitivity, detector, expert_text or "")
        if setting not in settings_keys:
            expert = json.loads(expert_text) if expert_text else None
            params = rule_params(sensitivity, expert, detector)
            settings_keys[setting] = (group_key(series, params), params)
        key, params = settings_keys[setting]
        groups[key].append(RuleRow(pk, query_id, series, params))
    rules = [r for members in groups.values() for r in members]
    memory = _take_memory(evaluator) if evaluator is not None else None
    logs: dict[datetime, persist.Log] = {}
    query_ids = sorted({r.query_id for r in rules})
    col = {q: j for j, q in enumerate(query_ids)}
    total, negative = history.counts(query_ids, start, end)
    stamps = [m.timestamp() for m in history.minutes(start, end)]
    qids = np.asarray(query_ids, dtype=np.int64)
    logged = [
        (start + t * history.MINUTE, persist.encode_counts(qids, total[t], negative[t]))
        for t in range(len(stamps))
    ]
    run = Run(start, end, {}, logged, [])
    for key, members in groups.items():
        group = _assemble(key, members, memory, evaluator, start, logs)
        cols = [col[r.query_id] for r in members]
        series, bank = members[0].series, group.bank
        for t, ts in enumerate(stamps):
            scores = history.step(bank, series, ts, total[t, cols], negative[t, cols])
            for i in np.flatnonzero(scores.alert):
                run.fired.append(
                    Fired(
                        members[i],
                        start + t * history.MINUTE,
                        float(scores.expected[i]),
                        float(scores.observed[i]),
                        float(scores.evidence[i]),
                        float(scores.score[i]),
                    )
                )
        run.groups[key] = group
    if run.fired:
        full = AlertRule.objects.select_related("query", "workspace").in_bulk({f.rule.pk for f in run.fired})
        for fired in run.fired:
            fired.rule = full[fired.rule.pk]
    return run


def _assemble(
    key: str,
    members: list[RuleRow],
    memory: persist.Memory | None,
    evaluator: Evaluator | None,
    start: datetime,
    logs: dict[datetime, persist.Log],
) -> persist.Group:
    """The group's bank as of the minute before `start`: from memory, else rebuilt from the
    checkpoints and the log, else (a new rule) warmed on the query's stored history."""
    series, params = members[0].series, members[0].params
    ids = np.array([r.pk for r in members], dtype=np.int64)
    queries = np.array([r.query_id for r in members], dtype=np.int64)
    cached = memory.groups.get(key) if memory is not None else None
    if cached is not None and np.array_equal(cached.ids, ids):
        return cached  # the usual minute: the same rules as last time
    bank = history.make_bank(series, len(ids), params)
    ckpt = np.full(len(ids), -1, dtype=np.int64)
    known = np.zeros(len(ids), dtype=bool)
    if cached is not None:
        where = {int(r): i for i, r in enumerate(cached.ids)}
        src = np.array([where.get(int(r), -1) for r in ids], dtype=np.int64)
        known = src >= 0
        for name, arr in bank._arrays().items():
            arr[known] = cached.bank._arrays()[name][src[known]]
        ckpt[known] = cached.ckpt[src[known]]
    if evaluator is not None and evaluator.last_bucket is not None and (~known).any():
        rows = np.flatnonzero(~known)
        got = persist.restore(
            key, series, bank, ckpt, rows, ids[rows], queries[rows],
            evaluator.log_from, evaluator.last_bucket, logs,
        )  # fmt: skip
        known[rows[got]] = True
    fresh = np.flatnonzero(~known)
    if len(fresh):
        _warm(bank, series, params, [members[i] for i in fresh], fresh, start)
    return persist.Group(ids, queries, bank, ckpt)


def _warm(
    bank: Any, series: str, params: Any, rules: list[RuleRow], rows: np.ndarray, start: datetime
) -> None:
    """New rules learn their baseline from the query's stored history before `start`."""
    query_ids = sorted({r.query_id for r in rules})
    first = history.first_bucket(query_ids)
    if first is None or first >= start:
        return
    begin = max(first, start - WARM_HISTORY)
    end = start - history.MINUTE
    total, negative = history.counts(query_ids, begin, end)
    col = {q: j for j, q in enumerate(query_ids)}
    cols = [col[r.query_id] for r in rules]
    warm = history.make_bank(series, len(rules), params)
    for t, moment in enumerate(history.minutes(begin, end)):
        history.step(warm, series, moment.timestamp(), total[t, cols], negative[t, cols])
    copy_rows(bank, rows, warm)


def evaluate(evaluator_id: int, owner: str, now: datetime | None = None) -> str:
    """Process the claimed evaluator: score the complete minutes, commit, release. Harmless if not ours."""
    evaluator = Evaluator.objects.filter(pk=evaluator_id, state=WorkState.CLAIMED, lease_owner=owner).first()
    if evaluator is None:
        return "not ours"
    now = now or timezone.now()
    end = last_complete_minute(now)
    outcome = "nothing to score"
    try:
        if evaluator.last_bucket is None or evaluator.last_bucket < end:
            start = end if evaluator.last_bucket is None else evaluator.last_bucket + history.MINUTE
            start = max(start, end - MAX_CATCHUP)
            run = score_minutes(start, end, evaluator)
            alerts = commit(run, evaluator, owner, now)
            outcome = f"scored {len(history.minutes(start, end))} minutes, {alerts} alerts"
    except LeaseLost:
        return "lease lost"
    except Exception as exc:  # said on the row; the next run scores the same minutes again
        log.exception("crisis evaluation failed")
        outcome = f"failed: {type(exc).__name__}"
        with serialised():
            Evaluator.objects.filter(pk=evaluator.pk, lease_owner=owner).update(
                last_error=f"{type(exc).__name__}: {exc}"[:500]
            )
    next_due = history.floor_minute(now) + history.MINUTE + timedelta(seconds=settle_seconds() % 60)
    with serialised():
        Evaluator.objects.filter(pk=evaluator.pk, state=WorkState.CLAIMED, lease_owner=owner).update(
            state=WorkState.IDLE, due_at=next_due, lease_owner="", lease_until=None
        )
    return outcome


def commit(run: Run, evaluator: Evaluator, owner: str, now: datetime) -> int:
    """Everything a run produced, in one transaction guarded by the lease; how many alerts."""
    # The explanations read mentions: computed before the write transaction keeps it short.
    explained = [(f, explain(f.rule.query, f.bucket, f.rule.series)) for f in run.fired]
    writes = persist.prepare(run.groups, run.logged, run.end)
    token = uuid.uuid4().hex
    created = 0
    with write_transaction():
        moved = Evaluator.objects.filter(pk=evaluator.pk, state=WorkState.CLAIMED, lease_owner=owner).update(
            last_bucket=run.end, last_error="", updated_at=now, token=token, log_from=writes.prune_through
        )
        if moved != 1:
            raise LeaseLost
        persist.write(writes, run.start)
        for fired, why in explained:
            alert, made = Alert.objects.get_or_create(
                rule=fired.rule,
                bucket_start=fired.bucket,
                defaults={
                    "workspace_id": fired.rule.workspace_id,
                    "query_id": fired.rule.query_id,
                    "rule_name": fired.rule.name,
                    "series": fired.rule.series,
                    "fired_at": now,
                    "expected": fired.expected,
                    "observed": fired.observed,
                    "evidence": fired.evidence,
                    "score": fired.score,
                    "explanation": why,
                },
            )
            if not made:
                continue
            created += 1
            # Stored texts (incident title, timeline) in the workspace's language, as notifications.
            with translation.override(fired.rule.workspace.language):
                incident, _opened = fold(alert)
                enqueue_notifications(alert, fired.rule, incident, now)
    global _memory
    persist.applied(writes, run.end)
    _memory = persist.Memory(token, run.end, run.groups)
    return created


_leased = Leased(Evaluator, claimed=WorkState.CLAIMED, idle=WorkState.IDLE)
release_claims = _leased.release
sweep_expired = _leased.sweep
