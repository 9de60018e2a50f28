"""The linear forecast on known series: exact on a straight line, honest about its interval."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from tamtam.strategy.forecast import linear_forecast

START = date(2026, 3, 1)
END = date(2026, 3, 31)


def days(values):
    return [(START + timedelta(days=i), v) for i, v in enumerate(values)]


def test_a_constant_daily_sum_is_extrapolated_exactly():
    series = days([100.0] * 10)  # 1 to 10 March
    f = linear_forecast(series, START, END, cumulative=True, observed_total=1000.0)
    assert f is not None
    assert f.days_left == 21
    assert f.value == pytest.approx(3100.0)
    assert f.low == pytest.approx(3100.0)
    assert f.high == pytest.approx(3100.0)


def test_a_growing_daily_sum_adds_the_trend_of_the_days_left():
    series = days([10.0 * (i + 1) for i in range(10)])  # 10, 20, … 100: slope 10 a day
    f = linear_forecast(series, START, END, cumulative=True, observed_total=550.0)
    assert f is not None
    # days 11..31 get 110..310: sum = 21 * (110 + 310) / 2
    assert f.value == pytest.approx(550.0 + 21 * 210.0)
    assert f.slope_per_day == pytest.approx(10.0)


def test_a_level_metric_ends_on_the_line():
    series = days([1000.0 + 5 * i for i in range(14)])  # followers +5 a day
    f = linear_forecast(series, START, END, cumulative=False)
    assert f is not None
    assert f.value == pytest.approx(1000.0 + 5 * 30)


def test_noise_widens_the_interval_and_it_covers_the_truth_most_of_the_time():
    rng = random.Random(7)
    covered = 0
    runs = 300
    for _ in range(runs):
        values = [50 + 2 * i + rng.gauss(0, 10) for i in range(31)]
        truth = sum(values)
        f = linear_forecast(days(values[:15]), START, END, cumulative=True, observed_total=sum(values[:15]))
        assert f is not None
        assert f.low < f.value < f.high
        covered += f.low <= truth <= f.high
    # a 90 % prediction interval: about 9 in 10 (binomial spread on 300 runs is about ±5 points)
    assert 0.82 <= covered / runs <= 0.97


def test_fewer_than_three_days_give_no_forecast():
    assert linear_forecast(days([5.0, 6.0]), START, END, cumulative=True) is None
    assert linear_forecast([], START, END, cumulative=False) is None


def test_a_falling_trend_never_undoes_what_was_reached():
    series = days([100.0, 80.0, 60.0, 40.0, 20.0])
    f = linear_forecast(series, START, END, cumulative=True, observed_total=300.0)
    assert f is not None
    assert f.value >= 300.0
    assert f.low >= 300.0


def test_a_signed_metric_may_end_lower():
    series = days([-5.0, -6.0, -7.0, -8.0])
    f = linear_forecast(series, START, END, cumulative=True, observed_total=-26.0, nonnegative=False)
    assert f is not None
    assert f.value < -26.0


def test_a_period_over_is_its_total():
    series = [(END - timedelta(days=i), 10.0) for i in range(5)]
    f = linear_forecast(series, START, END, cumulative=True, observed_total=310.0)
    assert f is not None
    assert f.days_left == 0
    assert f.value == 310.0
