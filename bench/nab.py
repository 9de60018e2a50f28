"""Numenta Anomaly Benchmark scoring, implemented from the method in ../shared/data/README.md.

Pure Python (no numpy needed). A detector's alerts on each file (one bool per row) are scored against
the labelled windows:
- probation: the first min(floor(15 % of the rows), 750) rows are not scored;
- in each window only the earliest alert counts: tp_weight x sigma(y), y = -(end - i + 1) / length
  (-1 at the window's first row, about 0 at its last), a window without alert costs -fn_weight;
- an alert outside every window costs fp_weight x sigma(y), y = (i - end of the preceding window) /
  its length, and -fp_weight when no window precedes it;
- sigma(y) = 2 / (1 + e^{5y}) - 1;
- normalised = 100 x (raw - null) / (perfect - null), null = -fn_weight x #windows,
  perfect = tp_weight x #windows (sums over all files).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Profile:
    name: str
    tp_weight: float
    fn_weight: float
    fp_weight: float


@dataclass
class FileScore:
    raw: float
    windows: int
    detected: int
    false_alerts: int
    # index of the earliest alert in each window (None: missed)
    first_alerts: list[int | None] = field(default_factory=list)


def scaled_sigmoid(y: float) -> float:
    if 5 * y > 700:  # math.exp overflow; the limit is exact enough
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probation_rows(n_rows: int) -> int:
    return min(math.floor(0.15 * n_rows), 750)


def window_indices(
    timestamps: Sequence[datetime], windows: Sequence[tuple[datetime, datetime]]
) -> list[tuple[int, int]]:
    """Row index range [first, last] of each window (rows with start ≤ t ≤ end)."""
    out = []
    for start, end in windows:
        inside = [i for i, t in enumerate(timestamps) if start <= t <= end]
        if not inside:
            raise ValueError(f"window {start} - {end} holds no row")
        out.append((inside[0], inside[-1]))
    return sorted(out)


def score_file(alerts: Sequence[bool], windows: Sequence[tuple[int, int]], profile: Profile) -> FileScore:
    n = len(alerts)
    probation = probation_rows(n)
    raw = 0.0
    false_alerts = 0
    first: list[int | None] = [None] * len(windows)
    for i, alert in enumerate(alerts):
        if not alert or i < probation:
            continue
        w = next((k for k, (a, b) in enumerate(windows) if a <= i <= b), None)
        if w is not None:
            if first[w] is None:
                first[w] = i
            continue
        false_alerts += 1
        preceding = [(a, b) for (a, b) in windows if b < i]
        if preceding:
            a, b = preceding[-1]
            raw += profile.fp_weight * scaled_sigmoid((i - b) / (b - a + 1))
        else:
            raw -= profile.fp_weight
    for (a, b), i in zip(windows, first, strict=True):
        if i is None:
            raw -= profile.fn_weight
        else:
            raw += profile.tp_weight * scaled_sigmoid(-(b - i + 1) / (b - a + 1))
    detected = sum(1 for i in first if i is not None)
    return FileScore(raw, len(windows), detected, false_alerts, first)


def normalised(scores: Sequence[FileScore], profile: Profile) -> float:
    raw = sum(s.raw for s in scores)
    n_windows = sum(s.windows for s in scores)
    null = -profile.fn_weight * n_windows
    perfect = profile.tp_weight * n_windows
    return 100.0 * (raw - null) / (perfect - null)


def alerts_at(scores: Sequence[float], threshold: float) -> list[bool]:
    """A plain score-threshold detector (one threshold per profile, as NAB optimises it)."""
    return [s >= threshold for s in scores]


def load_profiles(path: Path) -> dict[str, Profile]:
    data = json.loads(path.read_text())
    out = {}
    for name, body in data.items():
        m = body["CostMatrix"]
        out[name] = Profile(name, m["tpWeight"], m["fnWeight"], m["fpWeight"])
    return out


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.strip())


def load_windows(path: Path) -> dict[str, list[tuple[datetime, datetime]]]:
    data = json.loads(path.read_text())
    return {k: [(_parse(a), _parse(b)) for a, b in v] for k, v in data.items()}


def load_labels(path: Path) -> dict[str, list[datetime]]:
    data = json.loads(path.read_text())
    return {k: [_parse(t) for t in v] for k, v in data.items()}
