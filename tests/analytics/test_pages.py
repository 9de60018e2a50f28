"""The analytics pages by role (the whole matrix walks them too), in French and English; an empty
period says so; the dashboard shows the figures, the stale mark, the drill-down to the posts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.accounts.permissions import Cap, can
from tamtam.analytics import rollups
from tamtam.analytics.models import MetricPoll

PAGES = {
    "": Cap.VIEW_ANALYTICS,
    "posts/": Cap.VIEW_ANALYTICS,
    "best-time/": Cap.VIEW_ANALYTICS,
    "links/": Cap.VIEW_ANALYTICS,
    "conversions/": Cap.VIEW_ANALYTICS,
    "roi/": Cap.VIEW_ANALYTICS,
}
ACTIONS = {"links/tracking/": Cap.MANAGE_ANALYTICS, "conversions/secret/": Cap.MANAGE_ANALYTICS}


@pytest.mark.parametrize("role", ["owner", "manager", "community", "analyst", "client"])
def test_each_page_answers_as_the_matrix_says(role, workspace, members, client):
    client.force_login(members[role])
    for page, cap in PAGES.items():
        status = client.get(f"/w/{workspace.id}/analytics/{page}").status_code
        assert status == (200 if can(role, cap) else 403), (role, page, status)
    for action, cap in ACTIONS.items():
        status = client.post(f"/w/{workspace.id}/analytics/{action}", {"on": "1"}).status_code
        assert status in ((200, 302) if can(role, cap) else (403,)), (role, action, status)


def test_an_empty_period_says_so(workspace, members, client):
    client.force_login(members["manager"])
    body = client.get(f"/w/{workspace.id}/analytics/?days=7").content.decode()
    assert 'data-testid="empty-period"' in body
    assert 'data-testid="kpis"' not in body


@pytest.fixture
def measured(workspace, make_channel, publish, snap, followers):
    channel = make_channel(name="Lumen FR")
    now = timezone.now()
    target = publish(channel, now - timedelta(hours=5), text="Notre nouveau vélo est arrivé")
    followers(channel, now - timedelta(days=2), 1000)
    followers(channel, now - timedelta(hours=1), 1010)
    snap(target, now - timedelta(hours=1), impressions=2000, likes=90, comments=10)
    rollups.rebuild_workspace(workspace)
    return channel, target


def test_the_dashboard_shows_figures_and_drills_down_to_posts(workspace, members, client, measured):
    _channel, target = measured
    client.force_login(members["analyst"])
    body = client.get(f"/w/{workspace.id}/analytics/?days=7").content.decode()
    assert 'data-testid="kpis"' in body
    assert "2,000" in body or "2 000" in body or "2000" in body
    assert f"/w/{workspace.id}/posts/{target.post_id}/" in body  # drill-down to the post
    assert "Lumen FR" in body
    posts = client.get(f"/w/{workspace.id}/analytics/posts/?days=7&order=rate").content.decode()
    assert "Notre nouveau vélo" in posts


def test_a_stale_channel_is_marked(workspace, members, client, measured):
    channel, _target = measured
    MetricPoll.objects.create(
        channel=channel, failing_since=timezone.now() - timedelta(hours=3), last_error="503"
    )
    client.force_login(members["manager"])
    body = client.get(f"/w/{workspace.id}/analytics/").content.decode()
    assert 'data-testid="stale"' in body


def test_the_dashboard_in_french(workspace, members, client, measured):
    user = members["manager"]
    user.language = "fr"
    user.save()
    client.force_login(user)
    body = client.get(f"/w/{workspace.id}/analytics/?days=7").content.decode()
    assert "Engagement au fil du temps" in body
    assert "Temps de réponse de la boîte de réception" in body


def test_a_bad_date_range_falls_back_with_a_message(workspace, members, client):
    client.force_login(members["manager"])
    response = client.get(f"/w/{workspace.id}/analytics/?start=2026-05-01&end=2026-01-01", follow=True)
    assert response.status_code == 200
    assert "date range is not valid" in response.content.decode()


def test_the_agency_overview_lists_the_workspaces_one_may_analyse(
    workspace, members, client, make_workspace, measured
):
    client.force_login(members["manager"])
    body = client.get("/analytics/agency/").content.decode()
    assert workspace.name in body
    assert client.get("/analytics/agency/?days=abc").status_code == 200


def test_rotating_the_secret_shows_it_once(workspace, members, client):
    client.force_login(members["owner"])
    response = client.post(f"/w/{workspace.id}/analytics/conversions/secret/")
    assert 'data-testid="new-secret"' in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert (
        'data-testid="new-secret"'
        not in client.get(f"/w/{workspace.id}/analytics/conversions/").content.decode()
    )


def test_csv_import_from_the_page_reports_lines(workspace, members, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(members["analyst"])
    upload = SimpleUploadedFile("c.csv", b"value,currency\n10,EUR\nx,EUR\n", content_type="text/csv")
    body = client.post(f"/w/{workspace.id}/analytics/conversions/import/", {"file": upload}).content.decode()
    assert "1 conversions imported" in body
    assert "line 3" in body


def test_queues_suggest_good_slots_and_one_click_adds_it(workspace, members, client, make_channel):
    from tamtam.publishing.models import Queue, QueueSlot

    channel = make_channel()
    queue = Queue.objects.create(workspace=workspace, name="Main")
    queue.channels.set([channel])
    client.force_login(members["owner"])
    body = client.get(f"/w/{workspace.id}/queues/").content.decode()
    assert 'data-testid="suggested-slots"' in body
    assert "history too thin" in body  # no history yet: the network's typical times, said so
    client.post(
        f"/w/{workspace.id}/queues/{queue.id}/slots/",
        {f"s{queue.id}-weekdays": "1", f"s{queue.id}-time": "09:00"},
    )
    assert QueueSlot.objects.filter(queue=queue, weekday=1).exists()


def test_the_calendar_highlights_good_slots(workspace, members, client):
    client.force_login(members["community"])
    url = f"/w/{workspace.id}/analytics/good-slots.json"
    events = client.get(url, {"start": "2026-03-02T00:00:00Z", "end": "2026-03-09T00:00:00Z"}).json()
    assert events
    assert all(e["display"] == "background" for e in events)
    assert all(e["start"] >= "2026-03-02" for e in events)
    assert client.get(url).status_code == 400
    config = client.get(f"/w/{workspace.id}/calendar/").content.decode()
    assert "good-slots.json" in config
