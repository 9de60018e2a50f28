"""Properties of the crisis detectors on synthetic series with known (or no) injected spikes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tamtam.crisis.detectors import (
    CountBank,
    CountDetector,
    DetectorParams,
    ShareBank,
    ShareDetector,
    params_for,
)

STEP = 300.0  # 5-minute buckets
T0 = 1_700_006_400.0  # a Wednesday, 00:00 UTC
DAY = 86400 // int(STEP)


def seasonal_rate(ts: np.ndarray, base: float, weekend: float = 0.5) -> np.ndarray:
    """Daily shape (10x between night and early afternoon) and quieter weekends."""
    hour = (ts / 3600.0) % 24
    day_shape = 0.2 + 1.8 * np.exp(-(((hour - 14.0) / 4.0) ** 2))
    dow = (np.floor(ts / 86400.0) + 3) % 7
    return base * day_shape * np.where(dow >= 5, weekend, 1.0)


def series(days: float, base: float, seed: int = 1, growth: float = 1.0) -> tuple:
    rng = np.random.default_rng(seed)
    ts = T0 + STEP * np.arange(int(days * DAY))
    ramp = growth ** (np.arange(len(ts)) / len(ts))
    return ts, rng.poisson(seasonal_rate(ts, base) * ramp).astype(float)


def run(ts, xs, params: DetectorParams | None = None) -> list:
    det = CountDetector(STEP, params or params_for("normal"))
    return [det.update(t, x) for t, x in zip(ts, xs, strict=True)]


def alerts(scores: list) -> list[int]:
    return [i for i, s in enumerate(scores) if s.alert]


def test_a_quiet_seasonal_series_raises_no_alert() -> None:
    ts, xs = series(21, base=6.0)
    assert alerts(run(ts, xs)) == []


def test_an_injected_spike_is_alerted_in_the_bucket_it_starts() -> None:
    ts, xs = series(14, base=6.0, seed=2)
    start = 10 * DAY + 14 * 12  # day 10, 14:00: the busiest hour, the hardest place for a spike
    xs[start : start + 6] += 60  # 30 minutes of a bad buzz on top of ~12 per bucket
    found = alerts(run(ts, xs))
    assert found == [start]


def test_a_long_run_of_zeros_then_a_small_burst_alerts_once_but_one_mention_does_not() -> None:
    ts = T0 + STEP * np.arange(6 * DAY)
    xs = np.zeros(len(ts))
    xs[3 * DAY] = 1.0  # a lone mention after three silent days: not a crisis
    burst = 5 * DAY
    xs[burst : burst + 3] = [12.0, 20.0, 9.0]
    found = alerts(run(ts, xs))
    assert found == [burst]


def test_a_gradual_threefold_growth_over_two_weeks_raises_no_alert() -> None:
    ts, xs = series(21, base=5.0, seed=3, growth=3.0 ** (21 / 14))
    scores = run(ts, xs)
    assert alerts(scores) == []
    # ... and the baseline followed it: mid last week vs mid first week the truth grew 2.8x.
    first = np.mean([s.expected for s in scores[DAY : 8 * DAY]])
    last = np.mean([s.expected for s in scores[-7 * DAY :]])
    assert 2.3 < last / first < 3.4


def test_holes_are_skipped_and_a_spike_after_a_hole_is_still_caught() -> None:
    ts, xs = series(14, base=4.0, seed=4)
    xs[5 * DAY : 6 * DAY] = np.nan  # a whole day missing
    xs[9 * DAY + 100 : 9 * DAY + 130] = np.nan
    spike = 12 * DAY + 15 * 12
    xs[spike] += 80
    scores = run(ts, xs)
    assert alerts(scores) == [spike]
    hole = scores[5 * DAY + 10]
    assert hole.details["hole"]
    assert not hole.alert
    assert hole.score == 0.0


def test_daily_and_weekly_seasonality_are_learnt() -> None:
    ts, xs = series(28, base=10.0, seed=5)
    scores = run(ts, xs)
    last_week = slice(21 * DAY, 28 * DAY)
    expected = np.array([s.expected for s in scores[last_week]])
    truth = seasonal_rate(ts[last_week], 10.0)
    # Hourly means: within 25 % of the truth at busy hours and at quiet ones, weekends included.
    hourly_e = expected.reshape(-1, 12).mean(axis=1)
    hourly_t = truth.reshape(-1, 12).mean(axis=1)
    assert np.median(np.abs(hourly_e / hourly_t - 1)) < 0.15
    assert np.max(np.abs(hourly_e / hourly_t - 1)) < 0.45
    weekday = expected[: 2 * DAY].mean()  # Wed, Thu
    weekend = expected[3 * DAY : 5 * DAY].mean()  # Sat, Sun
    assert 0.4 < weekend / weekday < 0.65


def test_scores_are_causal_appending_future_data_changes_no_past_score() -> None:
    ts, xs = series(8, base=3.0, seed=6)
    xs[6 * DAY] += 50
    short = run(ts[: 5 * DAY], xs[: 5 * DAY])
    full = run(ts, xs)
    assert short == full[: 5 * DAY]


def test_state_survives_a_json_round_trip_with_identical_scores() -> None:
    ts, xs = series(10, base=3.0, seed=7)
    xs[8 * DAY + 30] += 40
    straight = run(ts, xs)
    cut = 6 * DAY + 17
    det = CountDetector(STEP, params_for("normal"))
    first = [det.update(t, x) for t, x in zip(ts[:cut], xs[:cut], strict=True)]
    stored = json.loads(json.dumps(det.state()))
    resumed = CountDetector(STEP, params_for("normal"), state=stored)
    rest = [resumed.update(t, x) for t, x in zip(ts[cut:], xs[cut:], strict=True)]
    assert first + rest == straight
    assert any(s.alert for s in rest)


def test_vectorised_scoring_equals_one_series_at_a_time() -> None:
    many = [series(9, base=b, seed=s) for s, b in enumerate([0.3, 2.0, 8.0, 40.0], start=10)]
    for k, (_, xs) in enumerate(many):
        xs[7 * DAY + 5 * k] += 30 + 10 * k
    bank = CountBank(len(many), STEP, params_for("normal"))
    bank_scores = []
    for i in range(len(many[0][0])):
        out = bank.update([m[0][i] for m in many], [m[1][i] for m in many])
        bank_scores.append([out.at(k) for k in range(len(many))])
    for k, (ts, xs) in enumerate(many):
        assert [row[k] for row in bank_scores] == run(ts, xs)


def test_one_episode_gives_one_alert() -> None:
    ts, xs = series(12, base=5.0, seed=8)
    start = 9 * DAY
    xs[start : start + 36] += 40  # three hours of a sustained bad buzz
    assert alerts(run(ts, xs)) == [start]


def test_sensitivities_are_ordered_high_alerts_at_least_as_much_as_low() -> None:
    ts, xs = series(14, base=5.0, seed=9)
    for day, extra in [(8, 15), (10, 25), (12, 60)]:
        xs[day * DAY + 150] += extra
    found = {s: len(alerts(run(ts, xs, params_for(s)))) for s in ("low", "normal", "high")}
    assert found["low"] <= found["normal"] <= found["high"]
    assert found["high"] >= 1


def test_expert_mode_takes_explicit_parameters_and_names_a_bad_one() -> None:
    params = params_for("normal", {"cooldown_h": 2, "false_alarms_per_day": 0.5})
    assert params.cooldown_h == 2.0
    assert params.false_alarms_per_day == 0.5
    with pytest.raises(ValueError, match="unknown detector parameter"):
        params_for("normal", {"colldown_h": 2})
    with pytest.raises(ValueError, match="'cooldown_h': not a number"):
        params_for("normal", {"cooldown_h": "soon"})
    with pytest.raises(ValueError, match="unknown sensitivity"):
        params_for("paranoid")


def test_scores_stay_in_the_unit_interval_and_report_expected_and_observed() -> None:
    ts, xs = series(5, base=2.0, seed=11)
    xs[4 * DAY] = 500.0
    scores = run(ts, xs)
    assert all(0.0 <= s.score <= 1.0 for s in scores)
    spike = scores[4 * DAY]
    assert spike.alert
    assert spike.observed == 500.0
    assert spike.expected < 10
    assert spike.score > 0.9
    assert spike.details["p_value"] < 1e-12


# -- negative share ----------------------------------------------------------------------------


def share_series(days: float, seed: int = 20) -> tuple:
    ts, total = series(days, base=8.0, seed=seed)
    rng = np.random.default_rng(seed + 1)
    negative = rng.binomial(total.astype(int), 0.15).astype(float)
    return ts, negative, total


def run_share(ts, neg, tot) -> list:
    det = ShareDetector(STEP, params_for("normal"))
    return [det.update(t, k, n) for t, k, n in zip(ts, neg, tot, strict=True)]


def test_a_steady_negative_share_raises_no_alert_even_with_tiny_denominators() -> None:
    ts, neg, tot = share_series(14)
    # Night buckets have 1-3 mentions: 1 negative of 1 is 100 % but no evidence of anything.
    scores = run_share(ts, neg, tot)
    assert alerts(scores) == []
    assert abs(np.mean([s.expected for s in scores[-DAY:]]) - 0.15) < 0.03


def test_a_jump_of_the_negative_share_is_alerted() -> None:
    ts, neg, tot = share_series(14, seed=30)
    at = 11 * DAY + 14 * 12
    tot[at] = 30.0
    neg[at] = 26.0  # 87 % negative where 15 % is usual
    assert alerts(run_share(ts, neg, tot)) == [at]


def test_share_buckets_without_mentions_are_holes_and_state_round_trips() -> None:
    ts, neg, tot = share_series(6, seed=40)
    tot[100:200] = 0.0
    neg[100:200] = 0.0
    straight = run_share(ts, neg, tot)
    assert straight[150].details["hole"]
    assert math.isnan(straight[150].observed)
    det = ShareDetector(STEP, params_for("normal"))
    head = [det.update(t, k, n) for t, k, n in zip(ts[:900], neg[:900], tot[:900], strict=True)]
    again = ShareDetector(STEP, params_for("normal"), json.loads(json.dumps(det.state())))
    tail = [again.update(t, k, n) for t, k, n in zip(ts[900:], neg[900:], tot[900:], strict=True)]
    # repr: a hole's observed value is NaN, which never equals itself.
    assert [repr(s) for s in head + tail] == [repr(s) for s in straight]
    bank = ShareBank(2, STEP, params_for("normal"))
    out = bank.update([ts[0], ts[0]], [1, 0], [1, 0])
    assert out.observed[0] == 1.0
    assert math.isnan(out.observed[1])
