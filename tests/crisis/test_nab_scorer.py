"""The NAB scorer of bench/nab.py on small cases computed by hand."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "nab.py"
_spec = importlib.util.spec_from_file_location("nab_bench", _PATH)
assert _spec
assert _spec.loader
nab = importlib.util.module_from_spec(_spec)
sys.modules["nab_bench"] = nab
_spec.loader.exec_module(nab)

STANDARD = nab.Profile("standard", tp_weight=1.0, fn_weight=1.0, fp_weight=0.11)


def sigma(y: float) -> float:
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def alerts_at(n: int, *rows: int) -> list[bool]:
    return [i in rows for i in range(n)]


def test_scaled_sigmoid_is_about_one_at_the_left_edge_zero_at_the_right() -> None:
    assert nab.scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert nab.scaled_sigmoid(0.0) == 0.0
    assert nab.scaled_sigmoid(1.0) == pytest.approx(-0.98661, abs=1e-5)
    assert nab.scaled_sigmoid(1000.0) == -1.0


def test_probation_is_fifteen_percent_capped_at_750_rows() -> None:
    assert nab.probation_rows(100) == 15
    assert nab.probation_rows(4999) == 749
    assert nab.probation_rows(15_000) == 750


def test_only_the_earliest_alert_in_a_window_counts() -> None:
    # 100 rows, probation 15; window rows 40..49 (length 10); alerts at 42 and 45.
    score = nab.score_file(alerts_at(100, 42, 45), [(40, 49)], STANDARD)
    assert score.raw == pytest.approx(sigma(-(49 - 42 + 1) / 10))  # y = -0.8
    assert score.first_alerts == [42]
    assert score.false_alerts == 0


def test_a_missed_window_costs_fn_weight_and_alerts_in_probation_are_ignored() -> None:
    score = nab.score_file(alerts_at(100, 3), [(40, 49)], STANDARD)
    assert score.raw == -1.0
    assert score.false_alerts == 0


def test_false_alerts_cost_by_distance_after_the_preceding_window() -> None:
    # Alert at 20: no window before it → -fp_weight. Alert at 52: y = (52-49)/10 = 0.3.
    score = nab.score_file(alerts_at(100, 20, 40, 52), [(40, 49)], STANDARD)
    expected = -0.11 + sigma(-1.0) + 0.11 * sigma(0.3)
    assert score.raw == pytest.approx(expected)
    assert score.false_alerts == 2


def test_normalisation_uses_the_null_and_perfect_detectors_over_all_files() -> None:
    perfect = nab.score_file(alerts_at(100, 40), [(40, 49)], STANDARD)
    null = nab.score_file(alerts_at(100), [(40, 49), (70, 79)], STANDARD)
    # Raw: sigma(-1) + (-2) over 3 windows; null -3, perfect +3.
    expected = 100 * ((sigma(-1.0) - 2.0) - (-3.0)) / (3.0 - (-3.0))
    assert nab.normalised([perfect, null], STANDARD) == pytest.approx(expected)
    assert nab.normalised([null], STANDARD) == 0.0


def test_profiles_weigh_false_alerts_and_misses_differently() -> None:
    low_fp = nab.Profile("reward_low_FP_rate", 1.0, 1.0, 0.22)
    low_fn = nab.Profile("reward_low_FN_rate", 1.0, 2.0, 0.11)
    alerts = alerts_at(100, 20)
    assert nab.score_file(alerts, [(40, 49)], low_fp).raw == pytest.approx(-0.22 - 1.0)
    assert nab.score_file(alerts, [(40, 49)], low_fn).raw == pytest.approx(-0.11 - 2.0)
    assert nab.alerts_at([0.1, 0.7, 0.5], 0.5) == [False, True, True]


def test_windows_are_mapped_to_rows_by_timestamp() -> None:
    from datetime import datetime, timedelta

    t0 = datetime(2015, 3, 1)
    times = [t0 + timedelta(minutes=5 * i) for i in range(20)]
    rows = nab.window_indices(times, [(t0 + timedelta(minutes=12), t0 + timedelta(minutes=30))])
    assert rows == [(3, 6)]
    with pytest.raises(ValueError, match="holds no row"):
        nab.window_indices(times, [(t0 + timedelta(minutes=1), t0 + timedelta(minutes=2))])
