"""Per-minute series of listening queries, read from `MentionCounter`, and the detector run over
them: shared by the live evaluator (warming a new rule from history), the back-test page and the API.

A minute without a counter row had no mention: it is a zero, not a hole (the pipeline writes a row
only when a mention arrives).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from tamtam.crisis.detectors import CountBank, DetectorParams, ShareBank
from tamtam.crisis.models import SeriesKind
from tamtam.listening.models import MentionCounter

STEP = 60.0
MINUTE = timedelta(minutes=1)
MAX_IN_LIST = 500


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def minutes(start: datetime, end: datetime) -> list[datetime]:
    """Bucket starts from `start` to `end` included."""
    count = int((end - start) / MINUTE) + 1
    return [start + i * MINUTE for i in range(max(count, 0))]


def counts(query_ids: Sequence[int], start: datetime, end: datetime) -> tuple[np.ndarray, np.ndarray]:
    """(mentions, negative) arrays of shape (minutes, queries) for buckets start..end included."""
    n_t = int((end - start) / MINUTE) + 1
    col = {qid: j for j, qid in enumerate(query_ids)}
    total = np.zeros((max(n_t, 0), len(query_ids)))
    negative = np.zeros_like(total)
    if n_t <= 0 or not query_ids:
        return total, negative
    found = MentionCounter.objects.filter(bucket_start__gte=start, bucket_start__lte=end)
    if len(col) <= MAX_IN_LIST:
        found = found.filter(query_id__in=list(col))
    # Else (the live minute of every query) no IN list of thousands of ids, whose building costs
    # more than reading the few other queries' rows of that range and dropping them here.
    rows = found.values_list("query_id", "bucket_start", "mentions", "negative")
    for qid, bucket, m, k in rows.iterator(chunk_size=5000):
        j = col.get(qid)
        if j is None:
            continue
        t = int((bucket - start) / MINUTE)
        total[t, j] += m
        negative[t, j] += k
    return total, negative


def first_bucket(query_ids: Sequence[int]) -> datetime | None:
    row = MentionCounter.objects.filter(query_id__in=list(query_ids)).order_by("bucket_start").first()
    return row.bucket_start if row else None


def make_bank(series: str, n: int, params: DetectorParams) -> CountBank | ShareBank:
    return ShareBank(n, STEP, params) if series == SeriesKind.SHARE else CountBank(n, STEP, params)


def factory(series: str) -> Any:
    return ShareBank if series == SeriesKind.SHARE else CountBank


def step(bank: CountBank | ShareBank, series: str, ts: float, total: np.ndarray, negative: np.ndarray) -> Any:
    """One minute of every series of `bank` (columns already in the bank's row order)."""
    stamp = np.full(bank.n, ts)
    if series == SeriesKind.SHARE:
        assert isinstance(bank, ShareBank)
        return bank.update(stamp, negative, total)
    assert isinstance(bank, CountBank)
    return bank.update(stamp, negative if series == SeriesKind.NEGATIVE else total)


@dataclass
class Backtest:
    times: list[str]
    values: list[float]
    expected: list[float]
    scores: list[float]
    alerts: list[int]  # indices into times


def backtest(query_id: int, series: str, params: DetectorParams, start: datetime, end: datetime) -> Backtest:
    """The live detector over a query's stored history, minute by minute (what a rule would have done).

    It starts at the query's first stored minute, as the live warm-up does: before it the query did
    not exist yet (unknown, not zero)."""
    first = first_bucket([query_id])
    if first is None or first > end:
        return Backtest([], [], [], [], [])
    start = max(start, first)
    total, negative = counts([query_id], start, end)
    bank = make_bank(series, 1, params)
    out = Backtest([], [], [], [], [])
    for t, moment in enumerate(minutes(start, end)):
        scores = step(bank, series, moment.timestamp(), total[t], negative[t])
        out.times.append(moment.isoformat())
        value = float(scores.observed[0])
        out.values.append(0.0 if np.isnan(value) else value)
        out.expected.append(float(scores.expected[0]))
        out.scores.append(float(scores.score[0]))
        if bool(scores.alert[0]):
            out.alerts.append(t)
    return out
