"""When evidence becomes an alert: warm-up, novelty, episodes and cool-down (shared by detectors).

- warm-up: no alert before `warmup_h` of history (no baseline yet);
- threshold: evidence ≥ the sensitivity's threshold (nats, from a nominal false-alarm rate/day);
- novelty: fewer than `novelty_count` past buckets (decayed histogram, half-life
  `novelty_half_life_d`) were at least as surprising: the series' own empirical false-alarm rate,
  which absorbs whatever heavy tail the count model misses;
- episode: an alert starts one; it lasts while evidence ≥ reset_fraction x threshold, then no new
  alert for `cooldown_h`. One episode, one alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .params import DetectorParams

MAX_EVIDENCE = 700.0  # ln of the smallest positive double: beyond it the tail is just "zero"
# Evidence histogram edges (nats, geometric): resolution of the novelty test.
EDGES = np.geomspace(2.0, MAX_EVIDENCE, 41)
FIELDS = ("first_ts", "in_episode", "cooldown_until", "hist")


class Gate:
    def __init__(self, n: int, step_s: float, params: DetectorParams) -> None:
        self.n = n
        self.params = params
        self.threshold = params.threshold(step_s)
        self.hist_decay = 0.5 ** (step_s / (params.novelty_half_life_d * 86400.0))
        self.first_ts = np.full(n, np.nan)
        self.in_episode = np.zeros(n, dtype=bool)
        self.cooldown_until = np.full(n, -np.inf)
        self.hist = np.zeros((n, len(EDGES)))

    def step(
        self, ts: np.ndarray, have: np.ndarray, evidence: np.ndarray, big_enough: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(fire, warming) for this bucket; updates the episode state and the evidence history."""
        p = self.params
        rows = np.arange(self.n)
        self.first_ts = np.where(np.isnan(self.first_ts) & have, ts, self.first_ts)
        warming = ~(ts - np.nan_to_num(self.first_ts, nan=np.inf) >= p.warmup_h * 3600.0)
        armed = ~self.in_episode & (ts >= self.cooldown_until) & ~warming & have
        # Bin of the evidence (0 below the first edge); past buckets in bins ≥ it are "as surprising".
        ebin = np.searchsorted(EDGES, evidence, side="right")
        cum = np.cumsum(self.hist[:, ::-1], axis=1)[:, ::-1]  # cum[:, b] = buckets in bins ≥ b
        as_surprising = np.where(ebin > 0, cum[rows, np.maximum(ebin, 1) - 1], np.inf)
        novel = as_surprising < p.novelty_count
        fire = armed & novel & (evidence >= self.threshold) & big_enough
        ended = self.in_episode & have & (evidence < p.reset_fraction * self.threshold)
        self.in_episode = (self.in_episode & ~ended) | fire
        self.cooldown_until = np.where(ended, ts + p.cooldown_h * 3600.0, self.cooldown_until)
        self.hist *= np.where(have, self.hist_decay, 1.0)[:, None]
        hit = have & (ebin > 0)
        self.hist[rows[hit], ebin[hit] - 1] += 1.0
        return fire, warming

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in FIELDS}


# A stored None stands for these non-finite values (JSON has no NaN nor infinity).
_NONE_MEANS = {"first_ts": np.nan, "cooldown_until": -np.inf}


def dump_states(head: dict[str, Any], arrays: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Every series' state as JSON-ready dicts (columns converted once: fast for 10,000 series)."""
    cols: dict[str, list[Any]] = {}
    for name, arr in arrays.items():
        values = arr.tolist()
        if arr.ndim == 1 and arr.dtype != bool and not np.isfinite(arr).all():
            values = [v if np.isfinite(v) else None for v in values]
        cols[name] = values
    n = len(next(iter(arrays.values())))
    return [{**head, **{name: col[i] for name, col in cols.items()}} for i in range(n)]


def load_states(
    states: Sequence[dict[str, Any] | None], head: dict[str, Any], arrays: dict[str, np.ndarray]
) -> None:
    """Fill `arrays` in place from stored states; a missing state, or one of another version,
    kind or step, leaves its series fresh."""
    rows = [i for i, st in enumerate(states) if st and all(st.get(k) == v for k, v in head.items())]
    if not rows:
        return
    for name, arr in arrays.items():
        column = [states[i][name] for i in rows]  # type: ignore[index]
        if name in _NONE_MEANS:
            column = [_NONE_MEANS[name] if v is None else v for v in column]
        arr[rows] = np.asarray(column, dtype=arr.dtype)
