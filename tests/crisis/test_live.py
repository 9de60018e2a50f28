"""The live loop: listening mentions → per-minute counters → the evaluator (exactly the replay
detector) → alerts with their explanation → incidents (folded) → notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crisis_helpers import spike_items, start_evaluator_at, store_history, tick

from tamtam.crisis import history, live
from tamtam.crisis.models import (
    Alert,
    Incident,
    IncidentEvent,
    Notification,
    ScoredMinute,
    SeriesCheckpoint,
    SeriesKind,
)
from tamtam.crisis.rules import params_of
from tamtam.listening.models import MentionCounter
from tamtam.listening.pipeline import Pipeline

pytestmark = pytest.mark.django_db


def test_a_burst_of_mentions_raises_one_alert_with_why_it_fired(query, make_rule, now_minute):
    rule = make_rule(series=SeriesKind.ALL, email_to="crisis@example.com")
    live_from = now_minute - timedelta(minutes=20)
    store_history(query, now_minute - timedelta(hours=26), live_from)
    start_evaluator_at(live_from - timedelta(minutes=1))
    spike_at = now_minute - timedelta(minutes=3)
    result = Pipeline(sentiment_backend="lexicon").process(spike_items(spike_at, 40))
    assert result.stored == 40
    assert MentionCounter.objects.get(query=query, bucket_start=spike_at).mentions == 40

    outcome = tick(now_minute + timedelta(seconds=5))

    assert "1 alerts" in outcome, outcome
    alert = Alert.objects.get()
    assert alert.rule == rule
    assert alert.bucket_start == spike_at
    assert alert.observed == 40
    assert alert.expected < 5
    why = alert.explanation
    assert {"lumenfail", "#lumenfail"} & {t["term"] for t in why["terms"]}
    assert why["authors"][0]["mentions"] >= 5
    assert len(why["samples"]) == 5
    assert why["sentiment"]["negative"] >= 1
    assert why["link"].startswith(f"/w/{query.workspace_id}/listening/mentions/?query={query.pk}")
    incident = alert.incident
    assert incident is not None
    assert incident.status == "watching"
    kinds = list(IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True))
    assert kinds == ["opened", "alert"]
    assert set(Notification.objects.values_list("channel", "state")) == {
        ("in_app", "sent"),
        ("email", "pending"),
    }
    # The next minute is quiet: no repeat alert, and nothing is scored twice.
    assert "0 alerts" in tick(now_minute + timedelta(minutes=1, seconds=5))
    assert Alert.objects.count() == 1


def test_quiet_history_raises_nothing(query, make_rule, now_minute):
    make_rule()
    live_from = now_minute - timedelta(hours=3)
    store_history(query, now_minute - timedelta(hours=26), now_minute, seed=7)
    start_evaluator_at(live_from)
    tick(now_minute + timedelta(seconds=5))
    assert Alert.objects.count() == 0
    assert Incident.objects.count() == 0


def test_live_alerts_are_the_replay_alerts_minute_for_minute(query, make_rule, now_minute):
    """The live evaluator (warm-up from history, then minute by minute with the state persisted as a
    blob between runs) and the back-test over the same stored history raise the same minutes."""
    rule = make_rule(series=SeriesKind.ALL, sensitivity="high", expert={"cooldown_h": 0.2})
    begin = now_minute - timedelta(hours=26)
    store_history(query, begin, now_minute, rate=2.0, seed=3)
    spikes = [now_minute - timedelta(minutes=m) for m in (50, 12)]
    for at in spikes:
        MentionCounter.objects.update_or_create(
            query=query, bucket_start=at, defaults={"mentions": 60, "negative": 10}
        )
    live_from = now_minute - timedelta(minutes=90)
    start_evaluator_at(live_from - timedelta(minutes=1))
    # First a run that scores 45 minutes at once, then one run per minute.
    tick(live_from + timedelta(minutes=46))
    moment = live_from + timedelta(minutes=46)
    while moment < now_minute + timedelta(minutes=1):
        moment += timedelta(minutes=1)
        tick(moment)
    assert SeriesCheckpoint.objects.count() == 1
    end = now_minute - timedelta(minutes=1)
    replayed = history.backtest(query.pk, rule.series, params_of(rule), begin, end)
    replay_minutes = [
        replayed.times[i] for i in replayed.alerts if replayed.times[i] >= live_from.isoformat()
    ]
    live_minutes = [a.bucket_start.isoformat() for a in Alert.objects.order_by("bucket_start")]
    assert live_minutes == replay_minutes
    assert [s.isoformat() for s in spikes] == live_minutes


def test_alerts_of_one_episode_fold_into_one_incident_and_each_rule_notifies_once(
    query, make_rule, now_minute
):
    volume = make_rule(series=SeriesKind.ALL, email_to="a@example.com")
    negative = make_rule(series=SeriesKind.NEGATIVE, email_to="b@example.com")
    live_from = now_minute - timedelta(minutes=30)
    store_history(query, now_minute - timedelta(hours=26), live_from)
    start_evaluator_at(live_from - timedelta(minutes=1))
    pipeline = Pipeline(sentiment_backend="lexicon")
    pipeline.process(spike_items(now_minute - timedelta(minutes=20), 40))
    tick(now_minute - timedelta(minutes=15))
    # After the episode and the cooldown the volume rule fires again: same incident (within 6 h).
    from tamtam.crisis.models import AlertRule

    AlertRule.objects.filter(pk=volume.pk).update(expert={"cooldown_h": 0.05})
    pipeline.process(spike_items(now_minute - timedelta(minutes=3), 60, text="lumen lies again #lumenfail"))
    tick(now_minute + timedelta(seconds=5))
    alerts = list(Alert.objects.order_by("bucket_start", "rule_id"))
    assert {a.rule_id for a in alerts} == {volume.pk, negative.pk}
    assert len({a.incident_id for a in alerts}) == 1
    incident = alerts[0].incident
    assert incident.alerts.count() == len(alerts)
    emails = Notification.objects.filter(channel="email")
    assert sorted(emails.values_list("recipients", flat=True)) == ["a@example.com", "b@example.com"]


def test_a_new_incident_after_the_fold_window(query, make_rule, now_minute, workspace):
    from tamtam.crisis.incidents import FOLD_WINDOW, fold

    rule = make_rule()
    old = Incident.objects.create(
        workspace=workspace,
        query=query,
        title="old",
        last_alert_at=now_minute - FOLD_WINDOW - timedelta(minutes=1),
    )
    alert = Alert.objects.create(
        rule=rule, workspace=workspace, query=query, rule_name=rule.name, series="all",
        bucket_start=now_minute, expected=1, observed=30, evidence=40, score=0.7,
    )  # fmt: skip
    incident, opened = fold(alert)
    assert opened
    assert incident.pk != old.pk


def test_a_crash_before_the_commit_scores_the_same_minutes_again(query, make_rule, now_minute, monkeypatch):
    make_rule()
    live_from = now_minute - timedelta(minutes=10)
    store_history(query, now_minute - timedelta(hours=26), live_from)
    start_evaluator_at(live_from - timedelta(minutes=1))
    Pipeline(sentiment_backend="lexicon").process(spike_items(now_minute - timedelta(minutes=2), 40))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(live, "commit", boom)
    assert tick(now_minute + timedelta(seconds=5)).startswith("failed")
    assert Alert.objects.count() == 0
    assert SeriesCheckpoint.objects.count() == 0
    assert ScoredMinute.objects.count() == 0
    monkeypatch.undo()
    assert "1 alerts" in tick(now_minute + timedelta(seconds=6))
    assert Alert.objects.count() == 1
