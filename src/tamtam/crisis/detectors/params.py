"""Detector parameters and the sensitivity presets.

Pure Python (no Django): the detectors are benchmarked and replayed on their own.

Every duration is given in hours or days and converted to per-bucket rates from the series' step, so
one setting means the same thing on 1-minute live buckets and on 5-minute benchmark files. The alert
threshold is derived from a nominal false-alarm rate per day: a bucket whose evidence (negative log
tail probability, or CUSUM log-likelihood ratio, both in nats) exceeds ln(buckets per day / rate)
would, if the count model were exact, fire `rate` times a day on a series without anomalies.
Real mention counts have heavier tails than any fitted model, so `margin` (one global number per
sensitivity, calibrated on NAB, see docs/crisis.md) raises the threshold to what the nominal rate
actually needs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

SENSITIVITIES = ("low", "normal", "high")


@dataclass(frozen=True)
class DetectorParams:
    # Nominal false alarms per series per day (model-based); the threshold follows from it.
    false_alarms_per_day: float = 0.01
    # Extra evidence (nats) on top of the nominal threshold: covers the model's tail misfit.
    margin: float = 0.0
    # Robust EWMA level (deseasonalised mean count per bucket).
    level_half_life_h: float = 12.0
    # Hour-of-day profile and day-of-week factor (multiplicative seasonality).
    daily_half_life_d: float = 4.0
    weekly_half_life_d: float = 21.0
    # Overdispersion (negative binomial: var = mu + phi mu^2), moments averaged over this horizon.
    dispersion_half_life_h: float = 72.0
    # Observations are clipped at mu + clip_sd * sd before they update the baseline (a spike
    # must not teach the baseline that spikes are normal).
    clip_sd: float = 3.0
    # CUSUM alternative: the mean multiplied by this ratio (multi-bucket cumulative evidence).
    cusum_ratio: float = 2.5
    # An episode lasts while evidence stays above reset_fraction x threshold; after it ends no new
    # alert for cooldown_h (one alert per episode).
    reset_fraction: float = 0.5
    cooldown_h: float = 6.0
    # No alert before this much history (the baseline is not learnt yet).
    warmup_h: float = 24.0
    # An alert needs at least this many mentions above the expectation (tiny counts are noise to
    # a human even when improbable).
    min_excess: float = 3.0
    # Floor of the expected count per bucket, so a long run of zeros does not make one mention a
    # "one in a billion" event.
    min_rate_per_h: float = 1.0
    # Novelty: an alert also needs the bucket to be more surprising than (almost) everything this
    # series showed recently. Past evidence is kept as a decayed histogram (half-life
    # novelty_half_life_d); the alert needs fewer than novelty_count past buckets at least as
    # surprising. This is the empirical false-alarm rate of the series itself: a brand whose
    # mentions jump every afternoon stops alerting on afternoon jumps, whatever the model says.
    novelty_half_life_d: float = 7.0
    novelty_count: float = 1.0
    # Negative share (binomial): the baseline share is a decayed ratio of sums over this horizon,
    # with a Beta(1, 3) prior (a share of 25 % until evidence says otherwise) ...
    share_half_life_h: float = 72.0
    # ... and mentions of one bucket are not independent (retweets, threads): the design effect
    # 1 + (n - 1) rho shrinks n, so 40 negatives out of 50 is strong evidence, not "impossible".
    share_rho: float = 0.02

    def threshold(self, step_s: float) -> float:
        """Alert threshold in nats for a series with this bucket step."""
        buckets_per_day = 86400.0 / step_s
        return math.log(max(buckets_per_day / self.false_alarms_per_day, 1.0)) + self.margin

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorParams:
        """Expert mode: explicit parameters, unknown names rejected by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown detector parameter(s): {', '.join(unknown)}")
        values: dict[str, float] = {}
        for key, value in data.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"detector parameter {key!r}: not a number: {value!r}") from None
            if not math.isfinite(number) or (number < 0 and key != "margin"):
                raise ValueError(f"detector parameter {key!r}: must be a finite number ≥ 0")
            values[key] = number
        params = replace(cls(), **values)
        if params.false_alarms_per_day <= 0:
            raise ValueError("detector parameter 'false_alarms_per_day': must be > 0")
        return params


# One global setting per sensitivity (never per file or per query). Calibrated on NAB realTweets:
# see docs/crisis.md and `python bench/crisis_nab.py`.
PRESETS: dict[str, DetectorParams] = {
    "low": DetectorParams(false_alarms_per_day=0.001, novelty_half_life_d=14.0),
    "normal": DetectorParams(false_alarms_per_day=0.01, novelty_half_life_d=7.0),
    "high": DetectorParams(false_alarms_per_day=0.1, novelty_half_life_d=3.0, novelty_count=2.0),
}


def params_for(sensitivity: str = "normal", expert: dict[str, Any] | None = None) -> DetectorParams:
    """Parameters of a sensitivity, or of an expert override (applied over that sensitivity)."""
    if sensitivity not in PRESETS:
        raise ValueError(f"unknown sensitivity {sensitivity!r}: expected one of {', '.join(SENSITIVITIES)}")
    base = PRESETS[sensitivity]
    if expert:
        merged = {**base.to_dict(), **expert}
        return DetectorParams.from_dict(merged)
    return base
