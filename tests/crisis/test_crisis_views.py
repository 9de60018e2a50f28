"""The crisis pages: rules with errors next to the field, crisis mode on and resume (asking about
past posts), incident timeline, notes, owner and status, post-mortem export, back-test chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crisis_helpers import fake_dns, store_history
from django.urls import reverse
from django.utils import timezone

from tamtam.crisis.models import Alert, AlertRule, HoldingStatement, Incident, IncidentEvent
from tamtam.crisis.rules import open_webhook
from tamtam.publishing.models import PostTarget
from tamtam.work import drill

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, members):
    client.force_login(members["manager"])
    return client


@pytest.fixture
def incident(workspace, query, make_rule, now_minute):
    rule = make_rule()
    incident = Incident.objects.create(
        workspace=workspace, query=query, title="Bad buzz", last_alert_at=now_minute
    )
    Alert.objects.create(
        rule=rule, workspace=workspace, query=query, incident=incident, rule_name=rule.name, series="all",
        bucket_start=now_minute, expected=1.2, observed=41, evidence=50, score=0.8,
        explanation={"terms": [{"term": "#lumenfail", "recent": 30, "baseline": 0}],
                     "authors": [{"handle": "angry1", "mentions": 6, "influence": 40.0}],
                     "samples": [{"text": "lumen battery exploded", "url": "", "author": "angry1",
                                  "sentiment": "negative", "network": "sandbox", "published_at": ""}],
                     "sentiment": {"negative": 30, "neutral": 10, "positive": 1}, "link": "/x"},
    )  # fmt: skip
    return incident


def test_a_rule_is_created_with_its_channels_and_the_webhook_stays_secret(
    manager, workspace, query, monkeypatch
):
    fake_dns(monkeypatch, {"hooks.slack.com": "34.198.1.10"})  # the host is resolved at save time
    url = reverse("crisis:rule_new", args=[workspace.id])
    data = {
        "name": "Volume", "query": query.pk, "series": "all", "detector": "nb_cusum", "sensitivity": "normal",
        "enabled": "on", "notify_in_app": "on", "email_to": "a@example.com; b@example.com",
        "webhook_url": "https://hooks.slack.com/services/T0/B0/secret", "webhook_format": "slack",
    }  # fmt: skip
    assert manager.post(url, data).status_code == 302
    rule = AlertRule.objects.get()
    assert rule.email_to == "a@example.com, b@example.com"
    assert "secret" not in rule.webhook_url_enc
    assert open_webhook(workspace.pk, rule.webhook_url_enc).endswith("/secret")
    page = manager.get(reverse("crisis:rules", args=[workspace.id])).content.decode()
    assert "https://hooks.slack.com/…" in page
    assert "secret" not in page
    # Editing without a URL keeps the stored one.
    edit = manager.post(
        reverse("crisis:rule_edit", args=[workspace.id, rule.pk]), {**data, "webhook_url": ""}
    )
    assert edit.status_code == 302
    rule.refresh_from_db()
    assert open_webhook(workspace.pk, rule.webhook_url_enc).endswith("/secret")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email_to", "not-an-address", "is not an e-mail address"),
        ("expert", '{"margn": 2}', "unknown detector parameter(s): margn"),
        ("expert", "{oops", "not JSON"),
        ("webhook_url", "ftp://example.com/x", "webhook URL starts with https://"),
        ("quiet_start", "22:00", "give both the start and the end"),
    ],
)
def test_bad_rule_input_is_named_next_to_the_field(manager, workspace, query, field, value, message):
    data = {"name": "R", "query": query.pk, "series": "all", "detector": "nb_cusum", "sensitivity": "normal",
            "webhook_format": "slack", field: value}  # fmt: skip
    response = manager.post(reverse("crisis:rule_new", args=[workspace.id]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AlertRule.objects.exists()


def test_crisis_mode_from_the_pages_pauses_and_the_resume_asks_about_past_posts(
    manager, workspace, make_channel
):
    now = timezone.now()
    ids = drill.create_targets([make_channel()], [now + timedelta(hours=1), now + timedelta(hours=2)])
    assert manager.post(reverse("crisis:mode_on", args=[workspace.id])).status_code == 302
    page = manager.get(reverse("crisis:overview", args=[workspace.id])).content.decode()
    assert 'data-testid="crisis-banner"' in page
    assert set(PostTarget.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"paused"}
    PostTarget.objects.filter(pk=ids[0]).update(scheduled_at=now - timedelta(minutes=3))
    resume = reverse("crisis:mode_off", args=[workspace.id])
    form = manager.get(resume).content.decode()
    assert f'name="decision-{ids[0]}"' in form
    assert f'name="decision-{ids[1]}"' not in form
    refused = manager.post(resume, {})
    assert refused.status_code == 400
    assert "publish it now, give a new time or drop it" in refused.content.decode()
    assert manager.post(resume, {f"decision-{ids[0]}": "drop"}).status_code == 302
    assert list(PostTarget.objects.filter(pk__in=ids).order_by("pk").values_list("state", flat=True)) == [
        "cancelled",
        "scheduled",
    ]


def test_the_resume_page_reschedules_in_the_workspaces_zone(manager, workspace, make_channel):
    [pk] = drill.create_targets([make_channel()], [timezone.now() + timedelta(hours=1)])
    manager.post(reverse("crisis:mode_on", args=[workspace.id]))
    PostTarget.objects.filter(pk=pk).update(scheduled_at=timezone.now() - timedelta(minutes=3))
    later = (timezone.now() + timedelta(days=1)).astimezone(
        __import__("zoneinfo").ZoneInfo(workspace.time_zone)
    )
    local = later.strftime("%Y-%m-%dT%H:%M")
    response = manager.post(
        reverse("crisis:mode_off", args=[workspace.id]), {f"decision-{pk}": "later", f"when-{pk}": local}
    )
    assert response.status_code == 302
    target = PostTarget.objects.get(pk=pk)
    assert target.state == "scheduled"
    assert abs((target.scheduled_at - later).total_seconds()) < 60


def test_an_incident_is_worked_from_its_page_and_exported(manager, workspace, incident, members):
    base = [workspace.id, incident.pk]
    page = manager.get(reverse("crisis:incident", args=base)).content.decode()
    assert "#lumenfail" in page
    assert "lumen battery exploded" in page
    manager.post(reverse("crisis:incident_owner", args=base), {"owner": "me"})
    manager.post(reverse("crisis:incident_status", args=base), {"status": "crisis"})
    manager.post(reverse("crisis:incident_note", args=base), {"text": "=Press call at 3 pm"})
    assert manager.post(reverse("crisis:incident_note", args=base), {"text": "  "}).status_code == 400
    incident.refresh_from_db()
    assert incident.owner == members["manager"]
    assert incident.status == "crisis"
    assert list(IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True)) == [
        "owner",
        "status",
        "note",
    ]
    markdown = manager.get(reverse("crisis:incident_md", args=base))
    assert markdown["Content-Type"].startswith("text/markdown")
    text = markdown.content.decode()
    assert "# Post-mortem: Bad buzz" in text
    assert "#lumenfail" in text
    assert "Press call at 3 pm" in text
    timeline = manager.get(reverse("crisis:incident_csv", args=base)).content.decode().splitlines()
    assert timeline[0] == "time_utc,kind,actor,text"
    assert timeline[-1].endswith("'=Press call at 3 pm")  # never a spreadsheet formula


def test_the_backtest_draws_the_alerts_of_a_querys_history(manager, workspace, query, now_minute):
    from tamtam.listening.models import MentionCounter

    store_history(query, now_minute - timedelta(hours=30), now_minute, seed=5)
    spike = now_minute - timedelta(hours=2)
    MentionCounter.objects.update_or_create(
        query=query, bucket_start=spike, defaults={"mentions": 80, "negative": 5}
    )
    params = {"query": query.pk, "series": "all", "detector": "nb_cusum", "sensitivity": "normal", "days": 2}
    response = manager.get(reverse("crisis:backtest", args=[workspace.id]), params)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="backtest-data"' in page
    chart = response.context["chart"]
    assert [a["x"] for a in chart["alerts"]] == [spike.strftime("%Y-%m-%d %H:%M")]
    assert len(chart["alerts"]) == 1
    bad = manager.get(reverse("crisis:backtest", args=[workspace.id]), {**params, "expert": '{"x": 1}'})
    assert bad.status_code == 400
    assert "unknown detector parameter" in bad.content.decode()


def test_statements_are_offered_in_crisis_mode_and_published_on_the_fast_track(
    manager, workspace, make_channel, members
):
    channel = make_channel()
    HoldingStatement.objects.create(workspace=workspace, title="Aware", language="en", text="We are on it.")
    manager.post(reverse("crisis:mode_on", args=[workspace.id]))
    page = manager.get(reverse("crisis:overview", args=[workspace.id])).content.decode()
    assert 'data-testid="statements-offer"' in page
    statement = HoldingStatement.objects.get()
    url = reverse("crisis:statement_publish", args=[workspace.id, statement.pk])
    assert manager.post(url, {"text": "We are on it.", "channels": [channel.pk]}).status_code == 302
    target = PostTarget.objects.get(post__crisis_release__statement=statement)
    assert target.state == "scheduled"  # approved at once by the manager: goes out in crisis mode


@pytest.mark.parametrize("role", ["owner", "manager", "community", "analyst", "client"])
def test_no_crisis_page_fails_for_any_role(role, client, members, workspace, incident):
    client.force_login(members[role])
    alert = incident.alerts.get()
    statement = HoldingStatement.objects.create(workspace=workspace, title="T", language="en", text="x")
    values = {"ws": workspace.pk, "alert_id": alert.pk, "incident_id": incident.pk, "rule_id": alert.rule_id,
              "statement_id": statement.pk, "notification_id": 1, "post_id": 1}  # fmt: skip
    from tamtam.crisis.urls import urlpatterns

    routes = [str(p.pattern) for p in urlpatterns]
    for route in routes:
        path = "/" + route
        for name, value in values.items():
            path = path.replace(f"<int:{name}>", str(value))
        for method in (client.get, client.post):
            status = method(path).status_code
            assert status < 500, f"{role} {method.__name__} {path}: {status}"
