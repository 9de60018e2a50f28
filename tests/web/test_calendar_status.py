"""The status page: engine health, workers, and the posts that need a person, linked to the calendar."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tamtam.publishing.models import Post, PostTarget
from tamtam.publishing.states import TargetState as S
from tamtam.work.models import WorkerHeartbeat


def make_target(channel, state, days_ago=2):
    when = timezone.now() - timedelta(days=days_ago)
    post = Post.objects.create(workspace=channel.workspace, text="x", scheduled_at=when)
    return PostTarget.objects.create(
        post=post, channel=channel, workspace=channel.workspace, scheduled_at=when, state=state
    )


def test_it_counts_targets_needing_attention_with_links_to_the_filtered_calendar(
    workspace, members, make_channel, make_workspace, login
):
    channel = make_channel()
    make_target(channel, S.FAILED)
    make_target(channel, S.FAILED)
    make_target(channel, S.UNCONFIRMED)
    make_target(channel, S.PUBLISHED)
    make_target(make_channel(ws=make_workspace(name="Not mine")), S.FAILED)
    html = login(members["analyst"]).get(reverse("web:status")).content.decode()
    assert 'data-testid="status-attention"' in html
    row = html.split('data-testid="attention-row"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="attention-failed">2<' in row
    assert 'data-testid="attention-unconfirmed">1<' in row
    assert 'data-testid="attention-needs_user"' not in row
    assert f"/w/{workspace.pk}/calendar/?state=failed&amp;view=listMonth&amp;date=" in row
    assert "Not mine" not in html


def test_all_clear_when_nothing_needs_attention(members, login):
    html = login(members["analyst"]).get(reverse("web:status")).content.decode()
    assert 'data-testid="status-all-clear"' in html


def test_it_lists_workers_with_their_last_heartbeat(members, login):
    WorkerHeartbeat.objects.create(name="host:1:a", pid=1, host="host", last_seen=timezone.now())
    WorkerHeartbeat.objects.create(
        name="host:2:b", pid=2, host="host", last_seen=timezone.now() - timedelta(minutes=10)
    )
    html = login(members["analyst"]).get(reverse("web:status")).content.decode()
    workers = html.split('data-testid="status-worker-list"', 1)[1]
    assert "host:1:a" in workers
    assert "host:2:b" in workers
    assert workers.count(">alive<") == 1
    assert workers.count(">stopped<") == 1


def test_htmx_polling_gets_only_the_body_and_the_page_polls_every_5_seconds(members, login):
    client = login(members["analyst"])
    page = client.get(reverse("web:status")).content.decode()
    assert 'hx-trigger="every 5s"' in page
    fragment = client.get(reverse("web:status"), headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="status-table"' in fragment
    assert "<html" not in fragment


def test_status_needs_a_login(client):
    assert client.get(reverse("web:status")).status_code == 302
