"""Where an objective will end its period: a straight-line trend on its daily series, with a
prediction interval. Pure functions (no Django) so they can be tested on known series.

Model: the daily value y(t) = a + b·t + ε, ε independent with variance σ², fitted by ordinary least
squares on the days observed so far (t = days since the period's start).

- A *sum* metric (impressions, clicks, conversions…) ends at `observed_total + Σ ŷ(t)` over the days
  left. The uncertainty of that sum adds the noise of each future day (k·σ²) to the uncertainty of
  the fitted line summed over those days (σ²·cᵀ(XᵀX)⁻¹c with c = Σ (1, t)).
- A *level* metric (followers, engagement rate) ends at ŷ(end) with the usual prediction interval
  σ²·(1 + x₀ᵀ(XᵀX)⁻¹x₀).

The interval uses Student's t with n - 2 degrees of freedom. It assumes the trend stays straight and
the days are independent; weekly seasonality and a campaign burst both break that, which is why the
interval is shown next to the value and why three observed days are the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import stats

MIN_DAYS = 3
DEFAULT_LEVEL = 0.9


@dataclass(frozen=True)
class Forecast:
    value: float  # expected value at the end of the period
    low: float  # bounds of the prediction interval at `level`
    high: float
    level: float
    days_observed: int
    days_left: int
    slope_per_day: float

    @property
    def level_percent(self) -> int:
        return round(self.level * 100)


def linear_forecast(
    series: Sequence[tuple[date, float]],
    start: date,
    end: date,
    *,
    cumulative: bool,
    observed_total: float | None = None,
    nonnegative: bool = True,
    level: float = DEFAULT_LEVEL,
) -> Forecast | None:
    """The forecast at `end` from the daily `series` (dates within [start, end]); None when fewer
    than MIN_DAYS days are known (a line through two points says nothing about its error)."""
    points = sorted((d, float(v)) for d, v in series if start <= d <= end and math.isfinite(float(v)))
    n = len(points)
    if n < MIN_DAYS:
        return None
    t = np.array([(d - start).days for d, _v in points], dtype=float)
    y = np.array([v for _d, v in points], dtype=float)
    if np.ptp(t) == 0:
        return None
    x = np.column_stack([np.ones(n), t])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residuals = y - x @ beta
    sigma2 = float(residuals @ residuals) / (n - 2) if n > 2 else 0.0
    xtx_inv = np.linalg.inv(x.T @ x)
    quantile = float(stats.t.ppf(0.5 + level / 2, df=n - 2))
    last = points[-1][0]
    days_left = max(0, (end - last).days)
    if cumulative:
        total = float(observed_total) if observed_total is not None else float(y.sum())
        future = np.arange(t[-1] + 1, t[-1] + 1 + days_left, dtype=float)
        if days_left == 0:
            return Forecast(total, total, total, level, n, 0, float(beta[1]))
        c = np.array([float(days_left), float(future.sum())])
        value = total + float(c @ beta)
        variance = sigma2 * (days_left + float(c @ xtx_inv @ c))
        floor = total  # what has happened cannot be undone by a falling trend
    else:
        x0 = np.array([1.0, float((end - start).days)])
        value = float(x0 @ beta)
        variance = sigma2 * (1.0 + float(x0 @ xtx_inv @ x0))
        floor = 0.0
    half = quantile * math.sqrt(max(variance, 0.0))
    low, high = value - half, value + half
    if nonnegative:
        value, low, high = max(value, floor), max(low, floor), max(high, floor)
    return Forecast(value, low, high, level, n, days_left, float(beta[1]))
