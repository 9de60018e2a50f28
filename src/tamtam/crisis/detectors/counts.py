"""Online count detector: negative binomial tail and NB-CUSUM against a robust seasonal baseline.

Model of one series (one bucket every `step` seconds):
    expected mu_t = level_t x day_profile[hour of day] x week_factor[day of week]   (floored)
    count x_t ~ NegativeBinomial(mean mu_t, variance mu_t + phi_t mu_t²)
Evidence that bucket t is anomalous (in nats, only from the past and bucket t itself):
    single bucket:  -ln P(X ≥ x_t)                         (sudden spike)
    cumulative:     CUSUM S_t = max(0, S_{t-1} + ln NB(x_t; ratio·mu_t) / NB(x_t; mu_t))
                    (a slower rise of several buckets, each unremarkable alone)
Then the baseline learns from x_t clipped at mu + clip_sd·sd, so a spike barely moves it while a
gradual growth (a campaign that works) is followed. An alert fires when the evidence crosses the
threshold and starts an episode; the episode ends when the evidence falls under a fraction of the
threshold, and no new alert fires for `cooldown_h` after that: one alert per episode.

`CountBank` scores many series at once (numpy arrays, one row per series); `CountDetector` is one
series and is a bank of one, so the live system, the replay command and the benchmark run exactly
the same code. State is plain floats: `state(i)` / `CountBank.from_states` go through JSON.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import betainc

from .gate import MAX_EVIDENCE as _MAX_EVIDENCE
from .gate import Gate, dump_states, load_states
from .params import DetectorParams

STATE_VERSION = 1
_PHI_MIN, _PHI_MAX = 1e-4, 20.0
_PHI_PRIOR = 0.05  # before enough history, a mild overdispersion is the safer assumption


@dataclass(frozen=True)
class Score:
    """One bucket's verdict. `score` is evidence / (evidence + threshold of `normal`): 0.5 at the
    normal threshold, so scores of different sensitivities and steps read the same."""

    score: float
    alert: bool
    expected: float
    observed: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scores:
    """Scores of one update of a bank (arrays, one entry per series)."""

    score: np.ndarray
    alert: np.ndarray
    expected: np.ndarray
    observed: np.ndarray
    evidence: np.ndarray
    p_value: np.ndarray
    cusum: np.ndarray
    in_episode: np.ndarray
    warming: np.ndarray

    def at(self, i: int) -> Score:
        observed = float(self.observed[i])
        return Score(
            score=float(self.score[i]),
            alert=bool(self.alert[i]),
            expected=float(self.expected[i]),
            observed=observed,
            details={
                "evidence": float(self.evidence[i]),
                "p_value": float(self.p_value[i]),
                "cusum": float(self.cusum[i]),
                "in_episode": bool(self.in_episode[i]),
                "warming": bool(self.warming[i]),
                "hole": math.isnan(observed),
            },
        )


def _rate(half_life_updates: float) -> float:
    """EWMA weight per update for a half-life counted in updates."""
    return 1.0 - 0.5 ** (1.0 / max(half_life_updates, 1.0))


def nb_log_tail(x: np.ndarray, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """ln P(X ≥ x) for X ~ NB(mean mu, var mu + phi mu²); x may be non-integer (regularised beta)."""
    r = 1.0 / phi
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = betainc(np.maximum(x, 1e-12), r, mu / (r + mu))
        out = np.log(tail)
    out = np.where(x <= 0, 0.0, out)
    return np.maximum(np.nan_to_num(out, nan=0.0, neginf=-_MAX_EVIDENCE), -_MAX_EVIDENCE)


class CountBank:
    """Vectorised detector state for `n` series sharing a bucket step and parameters."""

    _ARRAYS = (
        "n_seen", "level", "day", "day_n", "week", "week_n", "var", "mean_mu", "mean_mu2", "cusum",
    )  # fmt: skip

    def __init__(self, n: int, step_s: float, params: DetectorParams) -> None:
        if step_s <= 0:
            raise ValueError("step must be a positive number of seconds")
        self.n = n
        self.step_s = float(step_s)
        self.params = params
        self.gate = Gate(n, self.step_s, params)
        self.threshold = self.gate.threshold
        from .params import PRESETS

        self.score_scale = PRESETS["normal"].threshold(self.step_s)
        self._derive()
        self.n_seen = np.zeros(n)
        self.level = np.zeros(n)
        self.day = np.ones((n, 24))
        self.day_n = np.zeros((n, 24))
        self.week = np.ones((n, 7))
        self.week_n = np.zeros((n, 7))
        self.var = np.zeros(n)
        self.mean_mu = np.zeros(n)
        self.mean_mu2 = np.zeros(n)
        self.cusum = np.zeros(n)

    def _derive(self) -> None:
        p, step = self.params, self.step_s
        per_hour = 3600.0 / step
        self.a_level = _rate(p.level_half_life_h * per_hour)
        # A slot of the day profile is updated per_hour times a day (once if buckets are longer).
        self.a_day = _rate(p.daily_half_life_d * max(per_hour, 1.0))
        self.a_week = _rate(p.weekly_half_life_d / 7.0 * max(86400.0 / step, 1.0))
        self.a_disp = _rate(p.dispersion_half_life_h * per_hour)
        self.min_mu = p.min_rate_per_h * step / 3600.0
        self.log_ratio = math.log(p.cusum_ratio)

    # -- scoring -----------------------------------------------------------------------------

    def expected(self, ts: np.ndarray) -> np.ndarray:
        hod, dow = _slots(ts)
        rows = np.arange(self.n)
        season = self.day[rows, hod] * self.week[rows, dow]
        return np.maximum(self.level * season, self.min_mu)

    def update(self, ts: Sequence[float] | np.ndarray, x: Sequence[float] | np.ndarray) -> Scores:
        """Score bucket `ts[i]` of series i with count `x[i]` (NaN: a hole, nothing learnt)."""
        ts = np.asarray(ts, dtype=float)
        x = np.asarray(x, dtype=float)
        p = self.params
        rows = np.arange(self.n)
        hod, dow = _slots(ts)
        have = ~np.isnan(x)
        xv = np.where(have, x, 0.0)

        season = self.day[rows, hod] * self.week[rows, dow]
        mu = np.maximum(self.level * season, self.min_mu)
        disp_ready = self.n_seen * self.a_disp > 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            phi_est = (self.var - self.mean_mu) / self.mean_mu2
        phi = np.where(disp_ready, np.nan_to_num(phi_est, nan=_PHI_PRIOR), _PHI_PRIOR)
        phi = np.clip(phi, _PHI_MIN, _PHI_MAX)
        r = 1.0 / phi

        log_tail = nb_log_tail(xv, mu, phi)
        single = -log_tail
        llr = xv * self.log_ratio + (xv + r) * (np.log(r + mu) - np.log(r + p.cusum_ratio * mu))
        cusum = np.where(have, np.maximum(0.0, self.cusum + llr), self.cusum)
        evidence = np.where(have, np.maximum(single, cusum), 0.0)

        fire, warming = self.gate.step(ts, have, evidence, xv - mu >= p.min_excess)
        # Standard CUSUM restart after an alarm: the episode is known, evidence starts afresh.
        self.cusum = np.where(fire, 0.0, cusum)

        self._learn(have, xv, mu, phi, hod, dow, season)
        score = evidence / (evidence + self.score_scale)
        return Scores(
            score=score,
            alert=fire,
            expected=mu,
            observed=np.where(have, x, np.nan),
            evidence=evidence,
            p_value=np.exp(log_tail),
            cusum=cusum,
            in_episode=self.gate.in_episode.copy(),
            warming=warming,
        )

    def _learn(
        self,
        have: np.ndarray,
        x: np.ndarray,
        mu: np.ndarray,
        phi: np.ndarray,
        hod: np.ndarray,
        dow: np.ndarray,
        season: np.ndarray,
    ) -> None:
        p = self.params
        rows = np.arange(self.n)
        # Until a day of history, learn from everything (no baseline to clip against yet).
        learnt = self.n_seen * (self.step_s / 86400.0) >= 1.0
        cap = mu + p.clip_sd * np.sqrt(mu + phi * mu * mu)
        xc = np.where(learnt, np.minimum(x, cap), x)

        # Early on an average, later an EWMA: estimates are usable after a few buckets.
        a_level = np.where(have, np.maximum(self.a_level, 1.0 / (self.n_seen + 1.0)), 0.0)
        self.level = self.level + a_level * (xc / season - self.level)

        base_day = self.level * self.week[rows, dow]
        dn = self.day_n[rows, hod]
        a_day = np.where(have & (base_day > 0), np.maximum(self.a_day, 1.0 / (dn + 2.0)), 0.0)
        target = np.where(base_day > 0, xc / np.where(base_day > 0, base_day, 1.0), 1.0)
        self.day[rows, hod] += a_day * (np.minimum(target, 24.0) - self.day[rows, hod])
        self.day_n[rows, hod] = dn + have
        self.day = self.day / np.maximum(self.day.mean(axis=1, keepdims=True), 1e-9)
        self.day = np.maximum(self.day, 1e-3)

        base_week = self.level * self.day[rows, hod]
        wn = self.week_n[rows, dow]
        a_week = np.where(have & (base_week > 0), np.maximum(self.a_week, 1.0 / (wn + 2.0)), 0.0)
        target = np.where(base_week > 0, xc / np.where(base_week > 0, base_week, 1.0), 1.0)
        self.week[rows, dow] += a_week * (np.minimum(target, 7.0) - self.week[rows, dow])
        self.week_n[rows, dow] = wn + have
        self.week = self.week / np.maximum(self.week.mean(axis=1, keepdims=True), 1e-9)
        self.week = np.maximum(self.week, 1e-3)

        a_disp = np.where(have, np.maximum(self.a_disp, 1.0 / (self.n_seen + 1.0)), 0.0)
        self.var += a_disp * ((xc - mu) ** 2 - self.var)
        self.mean_mu += a_disp * (mu - self.mean_mu)
        self.mean_mu2 += a_disp * (mu * mu - self.mean_mu2)
        self.n_seen = self.n_seen + have

    # -- state -------------------------------------------------------------------------------

    def _head(self) -> dict[str, Any]:
        return {"v": STATE_VERSION, "kind": "counts", "step_s": self.step_s}

    def _arrays(self) -> dict[str, np.ndarray]:
        return {**{name: getattr(self, name) for name in self._ARRAYS}, **self.gate.arrays()}

    def states(self) -> list[dict[str, Any]]:
        """Every series' state as JSON-ready plain values."""
        return dump_states(self._head(), self._arrays())

    def state(self, i: int) -> dict[str, Any]:
        return dump_states(self._head(), {k: v[i : i + 1] for k, v in self._arrays().items()})[0]

    @classmethod
    def from_states(
        cls, states: Sequence[dict[str, Any] | None], step_s: float, params: DetectorParams
    ) -> CountBank:
        """A bank from stored states; None (or a state of another step/version) starts afresh."""
        bank = cls(len(states), step_s, params)
        load_states(states, bank._head(), bank._arrays())
        return bank


def _slots(ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hour of day (0-23) and day of week (Monday 0) of UTC epoch seconds."""
    hours = np.floor(ts / 3600.0)
    hod = np.mod(hours, 24).astype(np.int64)
    dow = np.mod(np.floor(hours / 24.0) + 3, 7).astype(np.int64)  # 1970-01-01 was a Thursday
    return hod, dow


class CountDetector:
    """One series: `update(timestamp, value) -> Score`, the same code as a bank of many."""

    def __init__(
        self,
        step_s: float,
        params: DetectorParams | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.params = params or DetectorParams()
        self.bank = CountBank.from_states([state], step_s, self.params)

    def update(self, timestamp: float, value: float | None) -> Score:
        v = math.nan if value is None else float(value)
        return self.bank.update(np.array([float(timestamp)]), np.array([v])).at(0)

    def state(self) -> dict[str, Any]:
        return self.bank.state(0)
