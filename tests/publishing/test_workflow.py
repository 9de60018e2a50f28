"""Approval workflow and scheduling rules of the publishing services."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tamtam.accounts.models import ApprovalPolicy
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.publishing import planning, services
from tamtam.publishing.models import Queue, QueueSlot
from tamtam.publishing.services import PostInput, VariantInput
from tamtam.publishing.states import TargetState as S


@pytest.fixture
def two_channels(make_channel):
    return make_channel(name="X", options={"flavor": "x"}), make_channel(name="LinkedIn")


def states(post):
    return sorted(post.targets.values_list("state", flat=True))


def test_a_post_waits_for_the_manager_then_is_scheduled(workspace, members, two_channels):
    a, b = two_channels
    post = services.create_post(
        workspace, members["community"], PostInput(text="Hello", channel_ids=[a.id, b.id])
    )
    when = timezone.now() + timedelta(hours=2)
    services.schedule(post, members["community"], when)
    assert states(post) == [S.IN_REVIEW, S.IN_REVIEW]
    with pytest.raises(Conflict):
        services.approve(post, members["community"], "community")
    services.approve(post, members["manager"], "manager")
    assert states(post) == [S.SCHEDULED, S.SCHEDULED]
    assert set(post.targets.values_list("due_at", flat=True)) == {when}


def test_two_step_approval_needs_the_client_after_the_manager(make_workspace, make_user, make_channel):
    ws = make_workspace(approval_policy=ApprovalPolicy.MANAGER_CLIENT)
    manager, client = make_user("m", ws, "manager"), make_user("c", ws, "client")
    post = services.create_post(ws, manager, PostInput(text="Hi", channel_ids=[make_channel(ws=ws).id]))
    services.schedule(post, manager, timezone.now() + timedelta(days=1))
    with pytest.raises(Conflict):
        services.approve(post, client, "client")  # manager first
    services.approve(post, manager, "manager")
    assert states(post) == [S.IN_REVIEW]
    services.approve(post, client, "client")
    assert states(post) == [S.SCHEDULED]


def test_an_edit_after_approval_sends_the_post_back_to_review(workspace, members, two_channels):
    a, _b = two_channels
    post = services.create_post(workspace, members["manager"], PostInput(text="v1", channel_ids=[a.id]))
    services.schedule(post, members["manager"], timezone.now() + timedelta(hours=1))
    services.approve(post, members["manager"], "manager")
    assert states(post) == [S.SCHEDULED]
    services.update_post(post, members["community"], PostInput(text="v2", channel_ids=[a.id]))
    post.refresh_from_db()
    assert post.version == 2
    assert states(post) == [S.IN_REVIEW]
    assert services.pending_step(post) == "manager"


def test_no_approval_workspace_schedules_directly(make_workspace, make_user, make_channel):
    ws = make_workspace(approval_policy=ApprovalPolicy.NONE)
    user = make_user("u", ws, "community")
    post = services.create_post(ws, user, PostInput(text="Hi", channel_ids=[make_channel(ws=ws).id]))
    services.schedule(post, user, timezone.now() + timedelta(minutes=5))
    assert states(post) == [S.SCHEDULED]


def test_variants_keep_their_own_text(workspace, members, two_channels):
    a, b = two_channels
    post = services.create_post(
        workspace,
        members["manager"],
        PostInput(
            text="Base",
            channel_ids=[a.id, b.id],
            variants=[VariantInput(channel_id=b.id, text="Long LinkedIn text")],
        ),
    )
    texts = dict(post.targets.values_list("channel_id", "text"))
    assert texts == {a.id: "Base", b.id: "Long LinkedIn text"}


def test_a_time_in_the_past_or_naive_is_refused(workspace, members, two_channels):
    post = services.create_post(
        workspace, members["manager"], PostInput(text="x", channel_ids=[two_channels[0].id])
    )
    with pytest.raises(InvalidInput) as past:
        services.schedule(post, members["manager"], timezone.now() - timedelta(hours=1))
    assert past.value.field == "scheduled_at"
    with pytest.raises(InvalidInput):
        services.schedule(post, members["manager"], datetime(2030, 1, 1, 9, 0))


def test_unknown_channel_is_named(workspace, members, make_workspace, make_channel):
    other = make_channel(ws=make_workspace())
    with pytest.raises(InvalidInput) as err:
        services.create_post(workspace, members["manager"], PostInput(text="x", channel_ids=[other.id]))
    assert err.value.field == "channel_ids"


def test_daily_cap_refuses_a_full_day(workspace, members, make_channel):
    channel = make_channel(daily_cap=2)
    when = timezone.now() + timedelta(days=2)
    for _ in range(2):
        p = services.create_post(workspace, members["manager"], PostInput(text="x", channel_ids=[channel.id]))
        services.schedule(p, members["manager"], when)
        services.approve(p, members["manager"], "manager")
    p = services.create_post(workspace, members["manager"], PostInput(text="x", channel_ids=[channel.id]))
    services.schedule(p, members["manager"], when)
    with pytest.raises(InvalidInput) as err:
        services.approve(p, members["manager"], "manager")
    assert "2 posts a day" in err.value.message


def test_queue_takes_the_next_free_weekly_slot_in_local_time(workspace, members, make_channel):
    queue = Queue.objects.create(workspace=workspace, name="Weekdays")
    queue.channels.add(make_channel())
    QueueSlot.objects.create(queue=queue, weekday=0, time=datetime.strptime("09:00", "%H:%M").time())  # noqa: DTZ007
    after = datetime(2026, 3, 20, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))  # a Friday
    first = planning.next_queue_slot(queue, after)
    assert first == datetime(2026, 3, 23, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


def test_weekly_recurrence_keeps_wall_clock_time_across_dst(workspace, members, make_channel):
    post = services.create_post(
        workspace, members["manager"], PostInput(text="Weekly", channel_ids=[make_channel().id])
    )
    paris = ZoneInfo("Europe/Paris")
    post.scheduled_at = datetime(2026, 3, 23, 9, 0, tzinfo=paris)
    post.save()
    rec = planning.make_recurring(post, "FREQ=WEEKLY;BYDAY=MO")
    got = planning.occurrences(rec, datetime(2026, 3, 23, tzinfo=paris), datetime(2026, 4, 14, tzinfo=paris))
    assert [d.astimezone(paris).hour for d in got] == [9, 9, 9, 9]
    # 9:00 CET is 08:00 UTC, 9:00 CEST (after 29 March) is 07:00 UTC.
    assert [d.astimezone(ZoneInfo("UTC")).hour for d in got] == [8, 7, 7, 7]


def test_expanding_recurrences_is_idempotent_and_inherits_approval(workspace, members, make_channel):
    post = services.create_post(
        workspace, members["manager"], PostInput(text="Daily", channel_ids=[make_channel().id])
    )
    services.schedule(post, members["manager"], timezone.now() + timedelta(hours=1))
    services.approve(post, members["manager"], "manager")
    planning.make_recurring(post, "FREQ=DAILY")
    post.refresh_from_db()
    created = planning.expand_recurrences(horizon_days=5)
    assert created >= 4
    assert planning.expand_recurrences(horizon_days=5) == 0
    occurrence = post.recurrence.occurrences.exclude(pk=post.pk).first()
    assert states(occurrence) == [S.SCHEDULED]


def test_approval_link_is_refused_when_tampered(workspace, members, make_channel):
    post = services.create_post(
        workspace, members["manager"], PostInput(text="x", channel_ids=[make_channel().id])
    )
    token = planning.approval_token(post)
    assert planning.read_approval_token(token)[0] == post
    with pytest.raises(planning.BadApprovalLink):
        planning.read_approval_token(token[:-2] + "xx")


def test_retry_is_refused_for_a_published_target(workspace, members, make_channel):
    post = services.create_post(
        workspace, members["manager"], PostInput(text="x", channel_ids=[make_channel().id])
    )
    target = post.targets.get()
    target.state = S.PUBLISHED
    target.save()
    with pytest.raises(Conflict):
        services.retry_target(target, members["manager"])


def test_a_client_link_cannot_stand_in_for_the_manager(make_workspace, make_user, make_channel):
    ws = make_workspace(approval_policy=ApprovalPolicy.MANAGER_CLIENT)
    manager = make_user("m2", ws, "manager")
    post = services.create_post(ws, manager, PostInput(text="Hi", channel_ids=[make_channel(ws=ws).id]))
    services.schedule(post, manager, timezone.now() + timedelta(days=1))
    with pytest.raises(Conflict):
        services.approve(post, None, None, via_link=True, reviewer_name="Client")
    assert services.pending_step(post) == "manager"
