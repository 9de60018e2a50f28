"""Online detector of a ratio: the share of negative mentions in a bucket.

Model: negatives k out of n mentions ~ Binomial(n, pi), pi the recent share (decayed sums with a
Beta(1, 3) prior, so a query with no history starts at 25 % and a tiny denominator moves it little).
Mentions inside one bucket are correlated (a thread, retweets), so n and k are divided by the design
effect 1 + (n - 1) rho before the tail P(K ≥ k) is read. Evidence = -ln P(K ≥ k), then the same
gate as the count detector (threshold, novelty, episodes). A bucket with no mention is a hole for
the share (0/0 says nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import betainc

from .counts import STATE_VERSION, Score, Scores, _rate
from .gate import MAX_EVIDENCE, Gate, dump_states, load_states
from .params import PRESETS, DetectorParams

PRIOR_NEG, PRIOR_POS = 1.0, 3.0


def binomial_log_tail(k: np.ndarray, n: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """ln P(K ≥ k), K ~ Binomial(n, pi), for real k, n (regularised incomplete beta)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = betainc(np.maximum(k, 1e-12), np.maximum(n - k + 1.0, 1e-12), pi)
        out = np.log(tail)
    out = np.where(k <= 0, 0.0, out)
    return np.maximum(np.nan_to_num(out, nan=0.0, neginf=-MAX_EVIDENCE), -MAX_EVIDENCE)


class ShareBank:
    _ARRAYS = ("n_seen", "s_neg", "s_tot")

    def __init__(self, n: int, step_s: float, params: DetectorParams) -> None:
        self.n = n
        self.step_s = float(step_s)
        self.params = params
        self.gate = Gate(n, self.step_s, params)
        self.score_scale = PRESETS["normal"].threshold(self.step_s)
        self.decay = 1.0 - _rate(params.share_half_life_h * 3600.0 / self.step_s)
        self.n_seen = np.zeros(n)
        self.s_neg = np.zeros(n)
        self.s_tot = np.zeros(n)

    def update(
        self,
        ts: Sequence[float] | np.ndarray,
        negative: Sequence[float] | np.ndarray,
        total: Sequence[float] | np.ndarray,
    ) -> Scores:
        """Score bucket ts[i]: negative[i] of total[i] mentions (NaN or total 0: a hole)."""
        ts = np.asarray(ts, dtype=float)
        k = np.asarray(negative, dtype=float)
        n = np.asarray(total, dtype=float)
        p = self.params
        have = ~np.isnan(k) & ~np.isnan(n) & (n > 0)
        kv = np.where(have, np.minimum(k, n), 0.0)
        nv = np.where(have, n, 0.0)
        pi = (self.s_neg + PRIOR_NEG) / (self.s_tot + PRIOR_NEG + PRIOR_POS)
        deff = 1.0 + np.maximum(nv - 1.0, 0.0) * p.share_rho
        log_tail = np.where(have, binomial_log_tail(kv / deff, nv / deff, pi), 0.0)
        evidence = np.where(have & (kv > pi * nv), -log_tail, 0.0)
        fire, warming = self.gate.step(ts, have, evidence, kv - pi * nv >= p.min_excess)

        # Learn from clipped negatives so a burst does not become the new normal at once.
        cap = pi * nv + p.clip_sd * np.sqrt(nv * pi * (1.0 - pi) * deff)
        kc = np.minimum(kv, cap)
        decay = np.where(have, self.decay, 1.0)
        self.s_neg = self.s_neg * decay + kc
        self.s_tot = self.s_tot * decay + nv
        self.n_seen = self.n_seen + have
        with np.errstate(divide="ignore", invalid="ignore"):
            observed = np.where(have, kv / np.where(nv > 0, nv, 1.0), np.nan)
        return Scores(
            score=evidence / (evidence + self.score_scale),
            alert=fire,
            expected=pi,
            observed=observed,
            evidence=evidence,
            p_value=np.exp(log_tail),
            cusum=np.zeros(self.n),
            in_episode=self.gate.in_episode.copy(),
            warming=warming,
        )

    def _head(self) -> dict[str, Any]:
        return {"v": STATE_VERSION, "kind": "share", "step_s": self.step_s}

    def _arrays(self) -> dict[str, np.ndarray]:
        return {**{name: getattr(self, name) for name in self._ARRAYS}, **self.gate.arrays()}

    def states(self) -> list[dict[str, Any]]:
        return dump_states(self._head(), self._arrays())

    def state(self, i: int) -> dict[str, Any]:
        return dump_states(self._head(), {k: v[i : i + 1] for k, v in self._arrays().items()})[0]

    @classmethod
    def from_states(
        cls, states: Sequence[dict[str, Any] | None], step_s: float, params: DetectorParams
    ) -> ShareBank:
        bank = cls(len(states), step_s, params)
        load_states(states, bank._head(), bank._arrays())
        return bank


class ShareDetector:
    """One negative-share series: `update(timestamp, negative, total) -> Score`."""

    def __init__(
        self,
        step_s: float,
        params: DetectorParams | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.params = params or DetectorParams()
        self.bank = ShareBank.from_states([state], step_s, self.params)

    def update(self, timestamp: float, negative: float | None, total: float | None) -> Score:
        k = math.nan if negative is None else float(negative)
        n = math.nan if total is None else float(total)
        return self.bank.update(np.array([float(timestamp)]), np.array([k]), np.array([n])).at(0)

    def state(self) -> dict[str, Any]:
        return self.bank.state(0)
