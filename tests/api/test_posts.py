"""Posts through the API: the review flow, scheduling, edits, targets, calendar, ledger, and errors that
name the field."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tamtam.accounts.models import Membership
from tamtam.publishing import services
from tamtam.publishing.models import Post, PostTarget, PublishAttempt, Queue, QueueSlot
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState as S
from tamtam.strategy.models import Campaign

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def channels(make_channel):
    return make_channel(name="X", options={"flavor": "x"}), make_channel(
        name="LinkedIn", options={"flavor": "linkedin"}
    )


def test_a_post_goes_from_draft_to_review_to_approved_and_scheduled(
    workspace, members, channels, api_as, iso
):
    x, linkedin = channels
    writer, boss = api_as(members["community"]), api_as(members["manager"])
    status, post = writer.post(
        f"/workspaces/{workspace.id}/posts",
        {
            "text": "Nouvelle collection 🌿",
            "channel_ids": [x.id, linkedin.id],
            "variants": [
                {
                    "channel_id": linkedin.id,
                    "text": "Découvrez notre nouvelle collection, pensée à Lyon.",
                    "first_comment": "#maison",
                }
            ],
        },
    )
    assert status == 201
    assert post["states"] == {"draft": 2}
    assert post["source"] == "api"
    texts = {t["channel_id"]: t["text"] for t in post["targets"]}
    assert texts == {
        x.id: "Nouvelle collection 🌿",
        linkedin.id: "Découvrez notre nouvelle collection, pensée à Lyon.",
    }

    when = iso(timedelta(days=2))
    status, post = writer.post(
        f"/workspaces/{workspace.id}/posts/{post['id']}/schedule", {"scheduled_at": when}
    )
    assert status == 200
    assert post["states"] == {"in_review": 2}
    assert post["pending_approval"] == "manager"

    status, post = boss.post(f"/workspaces/{workspace.id}/posts/{post['id']}/approve", {"comment": "Parfait"})
    assert status == 200
    assert post["states"] == {"scheduled": 2}
    assert post["pending_approval"] is None
    assert post["approvals"][0]["reviewer"] == "manager"
    assert post["comments"][0]["body"] == "Parfait"
    wanted = datetime.fromisoformat(when)
    assert {datetime.fromisoformat(t["scheduled_at"]) for t in post["targets"]} == {wanted}
    assert post["targets"][0]["scheduled_at_local"].endswith(("+01:00", "+02:00"))
    assert set(PostTarget.objects.values_list("due_at", flat=True)) == {wanted}


def test_submit_without_a_time_leaves_the_post_approved_unscheduled(workspace, members, channels, api_as):
    writer, boss = api_as(members["community"]), api_as(members["manager"])
    _, post = writer.post(
        f"/workspaces/{workspace.id}/posts",
        {"text": "Hello", "channel_ids": [channels[0].id], "action": "submit"},
    )
    assert post["states"] == {"in_review": 1}
    _, post = boss.post(f"/workspaces/{workspace.id}/posts/{post['id']}/approve")
    assert post["states"] == {"approved": 1}


def test_the_client_approves_after_the_manager_in_a_two_step_workspace(
    make_workspace, make_user, make_channel, api_as, iso
):
    ws = make_workspace(approval_policy="manager_client")
    manager, client = make_user("m", ws, "manager"), make_user("c", ws, "client")
    channel = make_channel(ws=ws)
    _, post = api_as(manager).post(
        f"/workspaces/{ws.id}/posts",
        {"text": "Bonjour", "channel_ids": [channel.id], "scheduled_at": iso(timedelta(hours=5))},
    )
    status, _body = api_as(client).post(f"/workspaces/{ws.id}/posts/{post['id']}/approve")
    assert status == 403  # not sent to the client yet
    _, post = api_as(manager).post(f"/workspaces/{ws.id}/posts/{post['id']}/approve")
    assert post["pending_approval"] == "client"
    status, post = api_as(client).post(f"/workspaces/{ws.id}/posts/{post['id']}/approve", {"comment": "Go"})
    assert status == 200
    assert post["states"] == {"scheduled": 1}


def test_requesting_changes_needs_a_comment_and_records_it(workspace, members, channels, api_as, iso):
    writer, boss = api_as(members["community"]), api_as(members["manager"])
    _, post = writer.post(
        f"/workspaces/{workspace.id}/posts",
        {"text": "Txt", "channel_ids": [channels[0].id], "scheduled_at": iso(timedelta(days=1))},
    )
    status, body = boss.post(f"/workspaces/{workspace.id}/posts/{post['id']}/request-changes", {})
    assert status == 422
    assert body["errors"][0]["field"] == "comment"
    status, post = boss.post(
        f"/workspaces/{workspace.id}/posts/{post['id']}/request-changes",
        {"comment": "Ajoutez le lien vers la boutique"},
    )
    assert status == 200
    assert post["states"] == {"changes_requested": 1}
    assert post["comments"][-1]["body"] == "Ajoutez le lien vers la boutique"


def test_approving_a_post_that_was_never_submitted_is_a_conflict(workspace, members, channels, api_as):
    _, post = api_as(members["community"]).post(
        f"/workspaces/{workspace.id}/posts", {"text": "x", "channel_ids": [channels[0].id]}
    )
    status, body = api_as(members["manager"]).post(f"/workspaces/{workspace.id}/posts/{post['id']}/approve")
    assert status == 409
    assert body["detail"]


# --- errors that name the field -------------------------------------------------------------------


def test_a_naive_datetime_is_refused_naming_the_field_and_asking_for_an_offset(
    workspace, members, channels, api_as
):
    api = api_as(members["manager"])
    body = {"text": "x", "channel_ids": [channels[0].id], "scheduled_at": "2031-05-04T09:00:00"}
    status, error = api.post(f"/workspaces/{workspace.id}/posts", body)
    assert status == 422
    assert error["errors"] == [{"field": "scheduled_at", "message": error["errors"][0]["message"]}]
    assert "offset" in error["errors"][0]["message"]
    assert Post.objects.count() == 0
    post = services.create_post(
        workspace, members["manager"], PostInput(text="y", channel_ids=[channels[0].id])
    )
    status, error = api.post(
        f"/workspaces/{workspace.id}/posts/{post.id}/schedule", {"scheduled_at": "2031-05-04 09:00"}
    )
    assert (status, error["errors"][0]["field"]) == (422, "scheduled_at")
    status, error = api.get(
        f"/workspaces/{workspace.id}/calendar", start="2031-05-04T00:00:00", end="2031-05-05T00:00:00+02:00"
    )
    assert (status, error["errors"][0]["field"]) == (422, "start")


def test_a_time_in_the_past_is_refused_naming_scheduled_at_and_nothing_is_created(
    workspace, members, channels, api_as, iso
):
    status, error = api_as(members["manager"]).post(
        f"/workspaces/{workspace.id}/posts",
        {"text": "x", "channel_ids": [channels[0].id], "scheduled_at": iso(timedelta(hours=-3))},
    )
    assert status == 422
    assert error["errors"][0]["field"] == "scheduled_at"
    assert "past" in error["errors"][0]["message"]
    assert Post.objects.count() == 0


@pytest.fixture
def foreign(make_workspace, make_channel):
    return make_channel(ws=make_workspace())


def test_a_channel_of_another_workspace_is_refused_naming_the_field(workspace, members, api_as, foreign):
    api = api_as(members["manager"])
    status, error = api.post(f"/workspaces/{workspace.id}/posts", {"text": "x", "channel_ids": [foreign.id]})
    assert status == 422
    assert error["errors"][0]["field"] == "channel_ids"
    assert str(foreign.id) in error["errors"][0]["message"]
    status, error = api.get(f"/workspaces/{workspace.id}/posts", channel=foreign.id)
    assert (status, error["errors"][0]["field"]) == (422, "channel")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "x", "channel_ids": "CH", "bogus": 1}, "channel_ids"),
        ({"text": "x", "channel_ids": [1], "schedule_at": "2031-01-01T00:00:00Z"}, "schedule_at"),
        ({"text": "x", "channel_ids": [1], "action": "explode"}, "action"),
        ({"text": "x", "channel_ids": [1], "link": "javascript:alert(1)"}, "link"),
        ({"text": "x", "channel_ids": [1], "link": "https://e.com/" + "a" * 3000}, "link"),
        ({"text": "x" * 100_001, "channel_ids": [1]}, "text"),
        ({"text": "nul \x00 byte", "channel_ids": [1]}, "text"),
        ({"text": "x", "channel_ids": [2**70]}, "channel_ids.0"),
        (
            {"text": "x", "channel_ids": [1], "variants": [{"channel_id": 1, "colour": "red"}]},
            "variants.0.colour",
        ),
        ({"text": "x", "channel_ids": [1], "scheduled_at": "9999-12-31T23:59:59-23:00"}, "scheduled_at"),
        ({"text": "x", "channel_ids": [1], "scheduled_at": "demain"}, "scheduled_at"),
    ],
)
def test_bad_fields_get_a_422_naming_them(workspace, members, api_as, body, field):
    status, error = api_as(members["manager"]).post(f"/workspaces/{workspace.id}/posts", body)
    assert status == 422
    assert field in [e["field"] for e in error["errors"]]


def test_actions_that_need_a_companion_field_name_it(workspace, members, channels, api_as):
    api = api_as(members["manager"])
    base = {"text": "x", "channel_ids": [channels[0].id]}
    status, error = api.post(f"/workspaces/{workspace.id}/posts", {**base, "action": "schedule"})
    assert (status, error["errors"][0]["field"]) == (422, "scheduled_at")
    status, error = api.post(f"/workspaces/{workspace.id}/posts", {**base, "action": "queue"})
    assert (status, error["errors"][0]["field"]) == (422, "queue_id")
    status, error = api.post(
        f"/workspaces/{workspace.id}/posts", {**base, "action": "queue", "queue_id": 999}
    )
    assert (status, error["errors"][0]["field"]) == (422, "queue_id")
    assert Post.objects.count() == 0


def test_ids_of_another_workspace_are_refused_by_name(workspace, members, channels, api_as, make_workspace):
    other = make_workspace()
    campaign = Campaign.objects.create(workspace=other, name="Autre")
    status, error = api_as(members["manager"]).post(
        f"/workspaces/{workspace.id}/posts",
        {"text": "x", "channel_ids": [channels[0].id], "campaign_id": campaign.id},
    )
    assert (status, error["errors"][0]["field"]) == (422, "campaign_id")
    status, error = api_as(members["manager"]).post(
        f"/workspaces/{workspace.id}/posts",
        {
            "text": "x",
            "channel_ids": [channels[0].id],
            "variants": [{"channel_id": channels[1].id, "text": "y"}],
        },
    )
    assert (status, error["errors"][0]["field"]) == (422, "variants")


# --- other actions --------------------------------------------------------------------------------


def test_publish_now_in_a_workspace_without_approval_makes_the_targets_due(
    make_workspace, make_user, make_channel, api_as
):
    ws = make_workspace(approval_policy="none")
    user = make_user("solo", ws, "community")
    channel = make_channel(ws=ws)
    status, post = api_as(user).post(
        f"/workspaces/{ws.id}/posts", {"text": "Now", "channel_ids": [channel.id], "action": "publish_now"}
    )
    assert status == 201
    assert post["states"] == {"scheduled": 1}
    assert PostTarget.objects.get().due_at <= timezone.now()


def test_queue_action_takes_the_next_free_slot(workspace, members, channels, api_as):
    queue = Queue.objects.create(workspace=workspace, name="Semaine")
    queue.channels.add(channels[0])
    QueueSlot.objects.create(queue=queue, weekday=2, time=time(9, 30))
    status, post = api_as(members["community"]).post(
        f"/workspaces/{workspace.id}/posts",
        {"text": "Queued", "channel_ids": [channels[0].id], "action": "queue", "queue_id": queue.id},
    )
    assert status == 201
    local = datetime.fromisoformat(post["scheduled_at_local"])
    assert (local.weekday(), local.time()) == (2, time(9, 30))


def test_a_draft_can_carry_its_planned_time_without_being_submitted(
    workspace, members, channels, api_as, iso
):
    when = iso(timedelta(days=4))
    status, post = api_as(members["community"]).post(
        f"/workspaces/{workspace.id}/posts",
        {"text": "Plan", "channel_ids": [channels[0].id], "scheduled_at": when, "action": "draft"},
    )
    assert status == 201
    assert post["states"] == {"draft": 1}
    assert datetime.fromisoformat(post["scheduled_at"]) == datetime.fromisoformat(when)


def test_patch_changes_only_what_is_sent_and_sends_an_approved_post_back_to_review(
    workspace, members, channels, api_as, iso
):
    x, linkedin = channels
    api = api_as(members["manager"])
    _, post = api.post(
        f"/workspaces/{workspace.id}/posts",
        {
            "text": "v1",
            "channel_ids": [x.id, linkedin.id],
            "variants": [{"channel_id": linkedin.id, "text": "long"}],
            "scheduled_at": iso(timedelta(days=1)),
        },
    )
    api.post(f"/workspaces/{workspace.id}/posts/{post['id']}/approve")
    status, post = api.patch(f"/workspaces/{workspace.id}/posts/{post['id']}", {"text": "v2"})
    assert status == 200
    assert post["version"] == 2
    assert {t["channel_id"]: t["text"] for t in post["targets"]} == {x.id: "v2", linkedin.id: "long"}
    assert post["states"] == {"in_review": 2}
    status, post = api.patch(f"/workspaces/{workspace.id}/posts/{post['id']}", {"channel_ids": [x.id]})
    assert [t["channel_id"] for t in post["targets"]] == [x.id]
    status, error = api.patch(f"/workspaces/{workspace.id}/posts/{post['id']}", {"scheduled_at": "x"})
    assert (status, error["errors"][0]["field"]) == (422, "scheduled_at")


def test_delete_removes_the_post(workspace, members, channels, api_as):
    api = api_as(members["manager"])
    _, post = api.post(f"/workspaces/{workspace.id}/posts", {"text": "bye", "channel_ids": [channels[0].id]})
    assert api.delete(f"/workspaces/{workspace.id}/posts/{post['id']}")[0] == 204
    assert api.get(f"/workspaces/{workspace.id}/posts/{post['id']}")[0] == 404


def test_a_post_of_another_workspace_is_not_found(workspace, members, api_as, make_workspace, make_channel):
    other = make_workspace()
    Membership.objects.create(user=members["manager"], workspace=other, role="manager")
    post = services.create_post(
        other, None, PostInput(text="ailleurs", channel_ids=[make_channel(ws=other).id])
    )
    assert api_as(members["manager"]).get(f"/workspaces/{workspace.id}/posts/{post.id}")[0] == 404


def test_a_target_is_rescheduled_and_retried_on_its_own(workspace, members, channels, api_as, iso):
    api = api_as(members["community"])
    post = services.create_post(workspace, None, PostInput(text="t", channel_ids=[c.id for c in channels]))
    target = post.targets.get(channel=channels[0])
    when = iso(timedelta(days=6))
    status, out = api.post(
        f"/workspaces/{workspace.id}/targets/{target.id}/reschedule", {"scheduled_at": when}
    )
    assert status == 200
    assert datetime.fromisoformat(out["scheduled_at"]) == datetime.fromisoformat(when)
    assert post.targets.get(channel=channels[1]).scheduled_at is None
    status, error = api.post(
        f"/workspaces/{workspace.id}/targets/{target.id}/reschedule",
        {"scheduled_at": iso(timedelta(days=-1))},
    )
    assert (status, error["errors"][0]["field"]) == (422, "scheduled_at")
    status, error = api.post(f"/workspaces/{workspace.id}/targets/{target.id}/retry")
    assert status == 409  # a draft is not failed
    PostTarget.objects.filter(pk=target.pk).update(state=S.FAILED, last_error="boom")
    status, out = api.post(f"/workspaces/{workspace.id}/targets/{target.id}/retry")
    assert (status, out["state"], out["last_error"]) == (200, "scheduled", "")


def test_the_calendar_gives_utc_and_local_times_across_a_dst_change(workspace, members, channels, api_as):
    post = services.create_post(workspace, None, PostInput(text="DST", channel_ids=[channels[0].id]))
    target = post.targets.get()
    # 09:00 in Paris the day after the spring change (UTC+2) and the day before it (UTC+1).
    year = timezone.now().year + 1
    after = datetime(year, 3, 31, 9, 0, tzinfo=PARIS)
    PostTarget.objects.filter(pk=target.pk).update(scheduled_at=after)
    status, entries = api_as(members["analyst"]).get(
        f"/workspaces/{workspace.id}/calendar",
        start=f"{year}-03-01T00:00:00+01:00",
        end=f"{year}-04-30T00:00:00Z",
    )
    assert status == 200
    (entry,) = entries
    assert entry["scheduled_at_local"].startswith(f"{year}-03-31T09:00:00")
    assert entry["scheduled_at_local"].endswith("+02:00")
    assert datetime.fromisoformat(entry["scheduled_at"].replace("Z", "+00:00")).hour == 7
    assert entry["time_zone"] == "Europe/Paris"


def test_the_calendar_refuses_an_inverted_or_huge_range(workspace, members, api_as):
    api = api_as(members["manager"])
    status, error = api.get(
        f"/workspaces/{workspace.id}/calendar", start="2030-02-01T00:00:00Z", end="2030-01-01T00:00:00Z"
    )
    assert (status, error["errors"][0]["field"]) == (422, "end")
    status, error = api.get(
        f"/workspaces/{workspace.id}/calendar", start="2030-01-01T00:00:00Z", end="2035-01-01T00:00:00Z"
    )
    assert (status, error["errors"][0]["field"]) == (422, "end")


def test_the_list_filters_by_range_state_and_channel_and_paginates(workspace, members, channels, api_as):
    x, linkedin = channels
    base = timezone.now() + timedelta(days=10)
    ids = []
    for n in range(5):
        post = services.create_post(
            workspace, None, PostInput(text=f"p{n}", channel_ids=[x.id if n % 2 else linkedin.id])
        )
        Post.objects.filter(pk=post.pk).update(scheduled_at=base + timedelta(days=n))
        ids.append(post.id)
    PostTarget.objects.filter(post_id=ids[4]).update(state=S.FAILED)
    api = api_as(members["analyst"])
    _, page = api.get(
        f"/workspaces/{workspace.id}/posts",
        start=(base + timedelta(days=1)).isoformat(),
        end=(base + timedelta(days=4)).isoformat(),
    )
    assert [p["id"] for p in page["items"]] == ids[1:4]
    _, page = api.get(f"/workspaces/{workspace.id}/posts", state="failed")
    assert [p["id"] for p in page["items"]] == [ids[4]]
    _, page = api.get(f"/workspaces/{workspace.id}/posts", channel=x.id)
    assert [p["id"] for p in page["items"]] == [ids[1], ids[3]]
    _, page = api.get(f"/workspaces/{workspace.id}/posts", limit=2, offset=2)
    assert (page["count"], [p["id"] for p in page["items"]]) == (5, ids[2:4])
    status, error = api.get(f"/workspaces/{workspace.id}/posts", limit=5000)
    assert (status, error["errors"][0]["field"]) == (422, "limit")


def test_attempts_list_the_ledger_of_every_target(workspace, members, channels, api_as):
    post = services.create_post(workspace, None, PostInput(text="a", channel_ids=[channels[0].id]))
    target = post.targets.get()
    PublishAttempt.objects.create(
        target=target,
        number=1,
        idempotency_key="k",
        outcome="retry",
        status_code=503,
        error="The network answered 503",
    )
    status, attempts = api_as(members["analyst"]).get(f"/workspaces/{workspace.id}/posts/{post.id}/attempts")
    assert status == 200
    assert [(a["number"], a["outcome"], a["status_code"]) for a in attempts] == [(1, "retry", 503)]


def test_channels_never_show_credentials(workspace, members, make_channel, api_as):
    channel = make_channel(name="Insta", options={"flavor": "instagram", "secret_dial": "hidden"})
    channel.set_credentials({"access_token": "super-secret-token"})
    channel.save()
    status, body = api_as(members["community"]).get(f"/workspaces/{workspace.id}/channels")
    assert status == 200
    assert body[0]["flavor"] == "instagram"
    raw = str(body)
    assert "super-secret-token" not in raw
    assert "credentials" not in raw
    assert "hidden" not in raw


def test_patch_sets_and_clears_a_campaign_of_the_workspace_only(
    workspace, members, channels, api_as, foreign
):
    api = api_as(members["manager"])
    campaign = Campaign.objects.create(workspace=workspace, name="Lin & Lumière")
    other = Campaign.objects.create(workspace=foreign.workspace, name="Ailleurs")
    _, post = api.post(f"/workspaces/{workspace.id}/posts", {"text": "c", "channel_ids": [channels[0].id]})
    path = f"/workspaces/{workspace.id}/posts/{post['id']}"
    assert api.patch(path, {"campaign_id": campaign.id})[1]["campaign_id"] == campaign.id
    status, error = api.patch(path, {"campaign_id": other.id})
    assert (status, error["errors"][0]["field"]) == (422, "campaign_id")
    assert api.patch(path, {"text": "c2"})[1]["campaign_id"] == campaign.id  # untouched when not sent
    assert api.patch(path, {"campaign_id": None})[1]["campaign_id"] is None


def test_patch_keeps_each_channels_media_in_order(workspace, members, channels, api_as):
    from tamtam.publishing.models import Media

    first, second = (
        Media.objects.create(
            workspace=workspace, file="", content_type="image/jpeg", size=1, source_url=f"https://e.x/{n}.jpg"
        )
        for n in (1, 2)
    )
    api = api_as(members["manager"])
    _, post = api.post(
        f"/workspaces/{workspace.id}/posts",
        {"text": "m", "channel_ids": [c.id for c in channels], "media_ids": [second.id, first.id]},
    )
    status, post = api.patch(f"/workspaces/{workspace.id}/posts/{post['id']}", {"text": "m2"})
    assert status == 200
    assert [t["media_ids"] for t in post["targets"]] == [[second.id, first.id], [second.id, first.id]]
