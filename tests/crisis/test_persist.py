"""Incremental persistence of the live detector state (crisis/persist.py): a restarted worker
rebuilds, from the checkpoints and the minute log, exactly the state of a worker that never
stopped; each minute writes a slice of the checkpoints; the log stays bounded."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from crisis_helpers import spike_items, start_evaluator_at, store_history, tick

from tamtam.crisis import history, live, persist
from tamtam.crisis.models import Alert, AlertRule, Evaluator, ScoredMinute, SeriesCheckpoint, SeriesKind
from tamtam.crisis.rules import params_of
from tamtam.listening.models import MentionCounter
from tamtam.listening.pipeline import Pipeline

pytestmark = pytest.mark.django_db
K = 7


@pytest.fixture(autouse=True)
def _short_checkpoints(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CRISIS_CHECKPOINT_MINUTES = K


def arrays(groups: dict[str, persist.Group]) -> dict[tuple[str, int], dict[str, np.ndarray]]:
    """Every series' state, by (group, rule id)."""
    out = {}
    for key, group in groups.items():
        state = group.bank._arrays()
        for i, rule_id in enumerate(group.ids):
            out[(key, int(rule_id))] = {name: np.array(arr[i]) for name, arr in state.items()}
    return out


def rebuilt() -> dict[tuple[str, int], dict[str, np.ndarray]]:
    """What a worker that just started would hold: scoring zero minutes after the last one
    assembles every bank from the database alone. This worker's memory is left as it was."""
    evaluator = Evaluator.objects.get()
    kept = live._memory
    live.forget()
    try:
        run = live.score_minutes(evaluator.last_bucket + history.MINUTE, evaluator.last_bucket, evaluator)
    finally:
        live._memory = kept
    return arrays(run.groups)


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for series, state in a.items():
        for name, value in state.items():
            assert np.array_equal(value, b[series][name], equal_nan=True), (series, name)


def test_a_restarted_worker_rebuilds_the_very_state_of_one_that_never_stopped(query, make_rule, now_minute):
    rules = [make_rule(series=SeriesKind.ALL) for _ in range(14)]
    rules += [make_rule(series=SeriesKind.SHARE, sensitivity="high"), make_rule(series=SeriesKind.NEGATIVE)]
    live_from = now_minute - timedelta(minutes=30)
    store_history(query, now_minute - timedelta(hours=26), now_minute, rate=2.0, seed=5)
    MentionCounter.objects.update_or_create(
        query=query,
        bucket_start=now_minute - timedelta(minutes=12),
        defaults={"mentions": 50, "negative": 30},
    )
    start_evaluator_at(live_from - timedelta(minutes=1))
    moment = live_from
    ticks = 0
    while moment < now_minute:
        moment += timedelta(minutes=1)
        tick(moment)
        ticks += 1
        memory = live._memory
        assert memory is not None
        assert_same(arrays(memory.groups), rebuilt())
        # Bounded: the log never holds more than a checkpoint period, and after the first minute
        # (every rule new, all checkpointed) a minute rewrites only a slice of the checkpoints.
        assert ScoredMinute.objects.count() <= K
        assert SeriesCheckpoint.objects.count() == len(rules)
        if ticks > 1:
            fresh = SeriesCheckpoint.objects.filter(bucket=memory.last_bucket).count()
            assert fresh <= len(rules) // K + 2, fresh
        if ticks == 8:
            # A late mention for a minute already scored changes the counters, not the detector.
            MentionCounter.objects.filter(query=query, bucket_start=moment - timedelta(minutes=3)).update(
                mentions=500
            )
    assert Alert.objects.filter(bucket_start=now_minute - timedelta(minutes=12)).exists()


def test_a_worker_restarted_every_minute_raises_the_alerts_of_the_replay(query, make_rule, now_minute):
    rule = make_rule(series=SeriesKind.ALL, sensitivity="high", expert={"cooldown_h": 0.2})
    begin = now_minute - timedelta(hours=26)
    store_history(query, begin, now_minute, rate=2.0, seed=3)
    spikes = [now_minute - timedelta(minutes=m) for m in (25, 9)]
    for at in spikes:
        MentionCounter.objects.update_or_create(
            query=query, bucket_start=at, defaults={"mentions": 60, "negative": 10}
        )
    live_from = now_minute - timedelta(minutes=40)
    start_evaluator_at(live_from - timedelta(minutes=1))
    moment = live_from
    while moment < now_minute + timedelta(minutes=1):
        moment += timedelta(minutes=1)
        live.forget()  # every run starts from the database, as after a restart
        tick(moment)
    end = now_minute - timedelta(minutes=1)
    replayed = history.backtest(query.pk, rule.series, params_of(rule), begin, end)
    expected = [replayed.times[i] for i in replayed.alerts if replayed.times[i] >= live_from.isoformat()]
    assert [a.bucket_start.isoformat() for a in Alert.objects.order_by("bucket_start")] == expected
    assert expected == [s.isoformat() for s in spikes]
    # And the state itself: the same as one bank run over the whole history without a stop.
    bank = history.make_bank(rule.series, 1, params_of(rule))
    first, last = history.first_bucket([query.pk]), Evaluator.objects.get().last_bucket
    total, negative = history.counts([query.pk], first, last)
    for t, minute in enumerate(history.minutes(first, last)):
        history.step(bank, rule.series, minute.timestamp(), total[t], negative[t])
    group = next(iter(live._memory.groups.values()))  # type: ignore[union-attr]
    for name, arr in bank._arrays().items():
        assert np.array_equal(arr, group.bank._arrays()[name], equal_nan=True), name


def test_the_next_minute_scores_the_same_after_a_restart(query, make_rule, now_minute):
    make_rule(series=SeriesKind.ALL)
    make_rule(series=SeriesKind.SHARE)
    live_from = now_minute - timedelta(minutes=15)
    store_history(query, now_minute - timedelta(hours=26), live_from)
    start_evaluator_at(live_from - timedelta(minutes=1))
    tick(now_minute - timedelta(minutes=2))
    Pipeline(sentiment_backend="lexicon").process(spike_items(now_minute - timedelta(minutes=2), 40))
    evaluator = Evaluator.objects.get()
    minute = evaluator.last_bucket + history.MINUTE

    def next_minute() -> tuple[list, dict]:
        run = live.score_minutes(minute, minute, evaluator)
        return [(f.rule.pk, f.bucket, f.evidence, f.score) for f in run.fired], arrays(run.groups)

    kept = live._memory
    never_stopped = next_minute()
    live.forget()
    restarted = next_minute()
    live._memory = kept
    assert never_stopped[0] == restarted[0]
    assert len(never_stopped[0]) == 2  # both rules fire on the spike
    assert_same(never_stopped[1], restarted[1])


def test_rules_added_disabled_or_changed_keep_the_others_state(query, make_rule, now_minute):
    a = make_rule(series=SeriesKind.ALL)
    b = make_rule(series=SeriesKind.ALL)
    live_from = now_minute - timedelta(minutes=10)
    store_history(query, now_minute - timedelta(hours=26), now_minute)
    start_evaluator_at(live_from - timedelta(minutes=1))
    tick(live_from + timedelta(minutes=2))
    before = arrays(live._memory.groups)  # type: ignore[union-attr]
    AlertRule.objects.filter(pk=b.pk).update(enabled=False)
    c = make_rule(series=SeriesKind.ALL)
    live.forget()
    tick(live_from + timedelta(minutes=2, seconds=30))  # nothing new to score: no commit
    tick(live_from + timedelta(minutes=3))
    assert set(SeriesCheckpoint.objects.values_list("rule_id", flat=True)) == {a.pk, c.pk}
    after = arrays(live._memory.groups)  # type: ignore[union-attr]
    key = next(k for k, _ in before if _ == a.pk)
    assert after[(key, a.pk)]["n_seen"] == before[(key, a.pk)]["n_seen"] + 1
    # Another sensitivity is another bank: the rule moves and is warmed again from history.
    AlertRule.objects.filter(pk=a.pk).update(sensitivity="high")
    tick(live_from + timedelta(minutes=4))
    keys = {k for k, _ in arrays(live._memory.groups)}  # type: ignore[union-attr]
    assert len(keys) == 2
    assert SeriesCheckpoint.objects.get(rule_id=a.pk).key.startswith(keys.difference({key}).pop())


def test_row_encoding_is_exact_and_refuses_another_layout():
    from tamtam.crisis.detectors import CountBank, ShareBank, params_for

    bank = CountBank(3, 60.0, params_for("normal"))
    rng = np.random.default_rng(0)
    for m in range(200):
        bank.update(np.full(3, 1.7e9 + 60 * m), rng.poisson([0.1, 3, 30]).astype(float))
    blobs = persist.encode_rows(bank, np.arange(3))
    assert all(len(b) < 1024 for b in blobs)
    copy = CountBank(3, 60.0, params_for("normal"))
    persist.decode_rows(copy, blobs)
    for name, arr in bank._arrays().items():
        assert np.array_equal(arr, copy._arrays()[name], equal_nan=True), name
    with pytest.raises(ValueError, match="expected"):
        persist.decode_rows(ShareBank(3, 60.0, params_for("normal")), blobs)
