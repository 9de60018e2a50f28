"""Crisis mode, exactly: one action pauses every scheduled post (listed), nothing is published while
paused, the resume gives every post back (those whose time passed: published now, rescheduled or
dropped, as asked), holding statements go out on the fast track, replies go through a manager."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.accounts.models import AuditEvent, Workspace
from tamtam.channels.tasks import REFRESH_TOKENS
from tamtam.crisis import mode, services
from tamtam.crisis.models import CrisisPeriod, Incident, IncidentEvent
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.networks.sandbox.store import SandboxNetwork
from tamtam.publishing.models import PostTarget
from tamtam.publishing.tasks import FIRST_COMMENT, PUBLISH, RECONCILE
from tamtam.work import drill
from tamtam.work.runner import Runner

pytestmark = pytest.mark.django_db


@pytest.fixture
def runner() -> Runner:
    return Runner(
        name="test", concurrency=8, inline=True, kinds=[REFRESH_TOKENS, PUBLISH, FIRST_COMMENT, RECONCILE]
    )


@pytest.fixture
def planned(make_channel):
    """Three scheduled posts: one 2 minutes ahead, one an hour ahead, one tomorrow."""
    channel = make_channel()
    now = timezone.now()
    ids = drill.create_targets(
        [channel], [now + timedelta(minutes=2), now + timedelta(hours=1), now + timedelta(days=1)]
    )
    return [PostTarget.objects.get(pk=pk) for pk in ids]


def states(targets):
    return [PostTarget.objects.get(pk=t.pk).state for t in targets]


def test_crisis_mode_pauses_every_scheduled_post_and_lists_them(workspace, members, planned, runner):
    incident = Incident.objects.create(workspace=workspace, title="Bad buzz")
    period = mode.turn_on(workspace, members["manager"], incident)
    assert [p["target"] for p in period.paused] == [t.pk for t in planned]
    assert {p["from"] for p in period.paused} == {"scheduled"}
    assert states(planned) == ["paused"] * 3
    assert Workspace.objects.get(pk=workspace.pk).crisis_mode
    incident.refresh_from_db()
    assert incident.status == "crisis"
    assert IncidentEvent.objects.filter(incident=incident, kind="crisis_on").exists()
    assert AuditEvent.objects.filter(action="crisis.on").count() == 1
    assert AuditEvent.objects.filter(action="target.paused").count() == 3
    with pytest.raises(Conflict):
        mode.turn_on(workspace, members["manager"])


def test_nothing_is_published_while_paused_and_nothing_is_lost_on_resume(workspace, members, planned, runner):
    mode.turn_on(workspace, members["manager"])
    # The first post's time passes during the crisis.
    PostTarget.objects.filter(pk=planned[0].pk).update(scheduled_at=timezone.now() - timedelta(minutes=5))
    assert runner.tick() == 0
    assert SandboxNetwork().total_posts() == 0
    assert [t.pk for t in mode.past_due(workspace)] == [planned[0].pk]

    with pytest.raises(InvalidInput) as missing:
        mode.turn_off(workspace, members["manager"], {})
    assert missing.value.field == f"decisions.{planned[0].pk}"
    assert Workspace.objects.get(pk=workspace.pk).crisis_mode  # nothing changed

    period = mode.turn_off(workspace, members["manager"], {planned[0].pk: "now"})
    assert period.outcome == {
        str(planned[0].pk): "now",
        str(planned[1].pk): "resumed",
        str(planned[2].pk): "resumed",
    }
    assert not Workspace.objects.get(pk=workspace.pk).crisis_mode
    assert states(planned) == ["scheduled"] * 3
    later = [PostTarget.objects.get(pk=t.pk) for t in planned[1:]]
    assert [t.due_at for t in later] == [t.scheduled_at for t in later]
    runner.tick()
    assert states(planned) == ["published", "scheduled", "scheduled"]
    assert SandboxNetwork().total_posts() == 1
    assert AuditEvent.objects.filter(action="crisis.off").count() == 1


def test_a_past_post_can_be_dropped_or_rescheduled(workspace, members, planned):
    mode.turn_on(workspace, members["manager"])
    past = timezone.now() - timedelta(minutes=1)
    PostTarget.objects.filter(pk__in=[planned[0].pk, planned[1].pk]).update(scheduled_at=past)
    when = timezone.now() + timedelta(hours=3)
    with pytest.raises(InvalidInput) as bad:
        mode.turn_off(workspace, members["manager"], {planned[0].pk: "drop", planned[1].pk: "yesterday"})
    assert bad.value.field == f"decisions.{planned[1].pk}"
    mode.turn_off(workspace, members["manager"], {planned[0].pk: "drop", planned[1].pk: when.isoformat()})
    assert states(planned) == ["cancelled", "scheduled", "scheduled"]
    moved = PostTarget.objects.get(pk=planned[1].pk)
    assert moved.due_at == when
    assert moved.scheduled_at == when


def test_a_post_claimed_at_the_instant_of_the_switch_is_paused_by_the_engine_and_resumed(
    workspace, members, make_channel
):
    from tamtam.publishing import engine

    [pk] = drill.create_targets([make_channel()], [timezone.now() - timedelta(seconds=1)])
    [claimed] = engine.claim_due(timezone.now(), 10, "w")
    period = mode.turn_on(workspace, members["manager"])
    assert period.paused == []  # a worker held it
    assert engine.process_target(claimed, "w") == "paused"
    assert SandboxNetwork().total_posts() == 0
    PostTarget.objects.filter(pk=pk).update(scheduled_at=timezone.now() + timedelta(hours=1))
    mode.turn_off(workspace, members["manager"])
    assert PostTarget.objects.get(pk=pk).state == "scheduled"


def test_a_holding_statement_goes_out_on_the_fast_track_while_the_rest_stays_paused(
    workspace, members, planned, runner
):
    mode.turn_on(workspace, members["manager"])
    statement = services.save_statement(
        workspace, members["manager"], "Aware", "en", "We are aware of the issue and looking into it."
    )
    post = mode.publish_statement(workspace, members["community"], statement, [planned[0].channel_id])
    assert [p.pk for p in mode.pending_statements(workspace)] == [post.pk]
    runner.tick()
    assert SandboxNetwork().total_posts() == 0  # not approved yet
    mode.fast_track_approve(post, members["manager"], "manager")
    runner.tick()
    assert post.targets.get().state == "published"
    assert SandboxNetwork().total_posts() == 1
    assert states(planned) == ["paused"] * 3


def test_replies_go_through_a_manager_in_crisis_mode(workspace, members):
    from tamtam.inbox.replies import crisis_requires_approval

    assert not crisis_requires_approval(workspace)
    mode.turn_on(workspace, members["manager"])
    assert crisis_requires_approval(Workspace.objects.get(pk=workspace.pk))
    mode.turn_off(workspace, members["manager"])
    assert not crisis_requires_approval(Workspace.objects.get(pk=workspace.pk))
    assert CrisisPeriod.objects.get().ended_at is not None


def test_a_holding_statement_already_on_the_fast_track_is_not_paused_by_crisis_mode(
    workspace, members, planned, runner
):
    statement = services.save_statement(workspace, members["manager"], "Aware", "en", "We are on it.")
    post = mode.publish_statement(workspace, members["community"], statement, [planned[0].channel_id])
    mode.fast_track_approve(post, members["manager"], "manager")
    # Pre-scheduled: it goes out in ten minutes, and crisis mode starts before that.
    ahead = timezone.now() + timedelta(minutes=10)
    PostTarget.objects.filter(post=post).update(scheduled_at=ahead, due_at=ahead)
    period = mode.turn_on(workspace, members["manager"])
    assert post.targets.get().state == "scheduled"
    assert [p["target"] for p in period.paused] == [t.pk for t in planned]
    assert AuditEvent.objects.filter(action="target.paused").count() == 3
    past = timezone.now() - timedelta(seconds=1)
    PostTarget.objects.filter(post=post).update(scheduled_at=past, due_at=past)
    PostTarget.objects.filter(pk=planned[0].pk).update(scheduled_at=past)
    runner.tick()
    assert post.targets.get().state == "published"
    assert SandboxNetwork().total_posts() == 1
    assert states(planned) == ["paused"] * 3
    # The resume asks only about the held post whose time passed, not about the statement.
    assert [t.pk for t in mode.past_due(workspace)] == [planned[0].pk]
    outcome = mode.turn_off(workspace, members["manager"], {planned[0].pk: "drop"}).outcome
    assert outcome == {
        str(planned[0].pk): "dropped",
        str(planned[1].pk): "resumed",
        str(planned[2].pk): "resumed",
    }
