"""Queue pages: configuration (owners), weekly slots in the workspace's zone, next free slot, adding posts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tamtam.accounts.models import AuditEvent
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.lib import timeutil
from tamtam.publishing import planning, services
from tamtam.publishing.models import Post, Queue, QueueSlot
from tamtam.publishing.services import PostInput


@pytest.fixture
def channel(make_channel):
    return make_channel(name="LinkedIn")


@pytest.fixture
def queue(workspace, channel):
    q = Queue.objects.create(workspace=workspace, name="Weekdays")
    q.channels.set([channel])
    return q


def url(name, **kw):
    return reverse(f"publishing:{name}", kwargs=kw)


def test_an_owner_creates_a_queue_with_its_channels(workspace, members, channel, login):
    client = login(members["owner"])
    response = client.post(
        url("queue_create", ws=workspace.pk), {"new-name": "Evergreen", "new-channels": [channel.pk]}
    )
    assert response.status_code == 302
    queue = Queue.objects.get(workspace=workspace, name="Evergreen")
    assert list(queue.channels.all()) == [channel]
    assert response["Location"].endswith(f"#queue-{queue.pk}")
    assert AuditEvent.objects.filter(action="queue.created", object_id=str(queue.pk)).exists()


def test_a_channel_of_another_workspace_cannot_join_a_queue(
    workspace, members, make_workspace, make_channel, login
):
    foreign = make_channel(ws=make_workspace())
    response = login(members["owner"]).post(
        url("queue_create", ws=workspace.pk), {"new-name": "Sneaky", "new-channels": [foreign.pk]}
    )
    assert response.status_code == 400
    assert not Queue.objects.filter(name="Sneaky").exists()


def test_slots_are_added_per_weekday_once(workspace, members, queue, login):
    client = login(members["owner"])
    data = {f"s{queue.pk}-weekdays": ["0", "2", "4"], f"s{queue.pk}-time": "09:30"}
    client.post(url("queue_slot_add", ws=workspace.pk, queue_id=queue.pk), data)
    client.post(url("queue_slot_add", ws=workspace.pk, queue_id=queue.pk), data)  # no duplicates
    assert sorted(queue.slots.values_list("weekday", "time")) == [(d, time(9, 30)) for d in (0, 2, 4)]
    slot = queue.slots.first()
    client.post(url("queue_slot_delete", ws=workspace.pk, queue_id=queue.pk, slot_id=slot.pk))
    assert queue.slots.count() == 2


def test_a_slot_needs_a_day_and_a_time(workspace, members, queue, login):
    response = login(members["owner"]).post(
        url("queue_slot_add", ws=workspace.pk, queue_id=queue.pk), {f"s{queue.pk}-time": "25:00"}
    )
    assert response.status_code == 400
    assert queue.slots.count() == 0


def test_the_page_shows_slots_and_the_next_free_slot_in_the_workspace_zone(workspace, members, queue, login):
    QueueSlot.objects.create(queue=queue, weekday=0, time=time(9, 30))
    page = login(members["analyst"]).get(url("queues", ws=workspace.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-weekday="0" data-time="09:30"' in html
    nxt = planning.next_queue_slot(queue, after=timezone.now())
    local = timeutil.to_local(nxt, workspace.tz)
    assert local.strftime("%H:%M") == "09:30"
    assert f"Monday {local.day} {local.strftime('%B')} {local.year}, 09:30" in html
    assert "Europe/Paris" in html
    assert 'data-testid="queue-create"' not in html  # the analyst only looks


def test_queued_posts_take_the_next_free_slot_and_show_as_coming_up(
    workspace, members, queue, channel, login
):
    QueueSlot.objects.create(queue=queue, weekday=2, time=time(8, 0))
    first = services.create_post(
        workspace, members["community"], PostInput(text="First", channel_ids=[channel.pk])
    )
    second = services.create_post(
        workspace, members["community"], PostInput(text="Second", channel_ids=[channel.pk])
    )
    client = login(members["community"])
    for post in (first, second):
        response = client.post(
            url("queue_add_post", ws=workspace.pk, queue_id=queue.pk), {"post_id": post.pk}
        )
        assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.scheduled_at - first.scheduled_at == timedelta(days=7)
    assert timeutil.to_local(first.scheduled_at, workspace.tz).strftime("%a %H:%M") == "Wed 08:00"
    html = client.get(url("queues", ws=workspace.pk)).content.decode()
    upcoming = html.split('data-testid="queue-upcoming"', 1)[1]
    assert upcoming.index("First") < upcoming.index("Second")
    assert 'data-testid="channel-warning"' not in upcoming

    # A channel that needs a reconnect says so next to every post coming up on it.
    Channel.objects.filter(pk=channel.pk).update(
        status=ChannelStatus.NEEDS_USER, status_message="token revoked"
    )
    html = client.get(url("queues", ws=workspace.pk)).content.decode()
    upcoming = html.split('data-testid="queue-upcoming"', 1)[1]
    assert upcoming.count("Reconnect needed: token revoked") == 2


def test_a_queue_without_slots_says_so_when_adding(workspace, members, queue, channel, login):
    post = services.create_post(
        workspace, members["community"], PostInput(text="Hi", channel_ids=[channel.pk])
    )
    client = login(members["community"])
    response = client.post(
        url("queue_add_post", ws=workspace.pk, queue_id=queue.pk), {"post_id": post.pk}, follow=True
    )
    assert "no free time slot" in response.content.decode()
    assert Post.objects.get(pk=post.pk).scheduled_at is None


def test_who_may_do_what_on_queues(workspace, members, queue, make_user, login):
    edit = url("queue_edit", ws=workspace.pk, queue_id=queue.pk)
    data = {
        f"q{queue.pk}-name": "Renamed",
        f"q{queue.pk}-channels": list(queue.channels.values_list("pk", flat=True)),
    }
    assert login(members["manager"]).post(edit, data).status_code == 403  # configuration is the owner's
    assert login(members["community"]).post(edit, data).status_code == 403
    assert (
        login(members["analyst"])
        .post(url("queue_add_post", ws=workspace.pk, queue_id=queue.pk), {"post_id": "1"})
        .status_code
        == 403
    )
    assert login(members["client"]).get(url("queues", ws=workspace.pk)).status_code == 403
    assert login(make_user("stranger")).get(url("queues", ws=workspace.pk)).status_code == 404
    assert login(members["owner"]).post(edit, data).status_code == 302
    queue.refresh_from_db()
    assert queue.name == "Renamed"


def test_deleting_a_queue_keeps_its_posts_times(workspace, members, queue, channel, login):
    QueueSlot.objects.create(queue=queue, weekday=1, time=time(10, 0))
    post = services.create_post(workspace, members["owner"], PostInput(text="Kept", channel_ids=[channel.pk]))
    services.add_to_queue(post, members["owner"], queue.pk)
    post.refresh_from_db()
    when = post.scheduled_at
    login(members["owner"]).post(url("queue_delete", ws=workspace.pk, queue_id=queue.pk))
    assert not Queue.objects.filter(pk=queue.pk).exists()
    post.refresh_from_db()
    assert post.scheduled_at == when
    assert when > datetime.now(UTC)
