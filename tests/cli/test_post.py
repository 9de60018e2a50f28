"""`tamtam post list|schedule`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tamtam.publishing import services
from tamtam.publishing.models import Post, PostTarget
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState as S

PARIS = ZoneInfo("Europe/Paris")
YEAR = timezone.now().year + 1


@pytest.fixture
def posts(workspace, make_channel):
    channel = make_channel(name="Instagram Maison")
    made = []
    for n, (day, state) in enumerate([(3, S.SCHEDULED), (4, S.DRAFT), (5, S.FAILED)]):
        post = services.create_post(
            workspace, None, PostInput(text=f"Post [{n}] du {day} mai", channel_ids=[channel.id])
        )
        when = datetime(YEAR, 5, day, 9, 0, tzinfo=PARIS)
        Post.objects.filter(pk=post.pk).update(scheduled_at=when)
        PostTarget.objects.filter(post=post).update(scheduled_at=when, state=state)
        made.append(post)
    return made


def test_list_shows_a_table_in_the_workspace_time_zone(run, workspace, posts):
    code, out, _err = run("post", "list", "--workspace", workspace.slug)
    assert code == 0
    assert "Europe/Paris" in out
    assert f"{YEAR}-05-03 09:00" in out
    assert "Post [0] du 3 mai" in out  # brackets are text, not rich markup
    assert "Instagram Maison" in out
    assert "3 post(s)" in out


def test_list_filters_by_local_days_and_state(run, workspace, posts):
    code, out, _err = run(
        "post", "list", "--workspace", workspace.slug, "--from", f"{YEAR}-05-04", "--to", f"{YEAR}-05-05"
    )
    assert code == 0
    assert "Post [0]" not in out
    assert "Post [1]" in out
    assert "Post [2]" in out
    _code, out, _err = run("post", "list", "--workspace", workspace.slug, "--state", "failed")
    assert "Post [2]" in out
    assert "1 post(s)" in out


def test_list_json_gives_the_api_objects(run, workspace, posts):
    code, out, _err = run("post", "list", "--workspace", workspace.slug, "--json")
    assert code == 0
    data = json.loads(out)
    assert [p["id"] for p in data] == [p.id for p in posts]
    assert data[0]["targets"][0]["scheduled_at_local"].endswith("+02:00")
    assert data[2]["states"] == {"failed": 1}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--from", "yesterday"], "--from"),
        (["--to", f"{YEAR}-05-04T09:00:00"], "offset"),
    ],
)
def test_list_refuses_unreadable_dates(run, workspace, posts, args, words):
    code, _out, err = run("post", "list", "--workspace", workspace.slug, *args)
    assert code == 1
    assert words in err


def test_list_refuses_an_unknown_state(run, workspace):
    code, _out, err = run("post", "list", "--workspace", workspace.slug, "--state", "exploded")
    assert code != 0
    assert "exploded" in err


def test_schedule_sets_the_time_and_says_the_post_waits_for_approval(run, workspace, members, make_channel):
    post = services.create_post(
        workspace, None, PostInput(text="À planifier", channel_ids=[make_channel().id])
    )
    when = (timezone.now() + timedelta(days=2)).replace(microsecond=0).astimezone(PARIS)
    code, out, _err = run("post", "schedule", str(post.id), "--at", when.isoformat(), "--as", "community")
    assert code == 0
    assert "Europe/Paris" in out
    assert "approval" in out
    post.refresh_from_db()
    assert post.scheduled_at == when
    assert set(post.targets.values_list("state", flat=True)) == {S.IN_REVIEW}


@pytest.mark.parametrize(
    ("at", "words"),
    [
        ("2031-05-04T09:00:00", "offset"),
        ("2020-05-04T09:00:00+02:00", "past"),
        ("2031-05-04", "a time is needed"),
        ("demain", "expected"),
    ],
)
def test_schedule_refuses_bad_times_and_changes_nothing(run, workspace, make_channel, at, words):
    post = services.create_post(workspace, None, PostInput(text="x", channel_ids=[make_channel().id]))
    code, _out, err = run("post", "schedule", str(post.id), "--at", at)
    assert code == 1
    assert words in err
    post.refresh_from_db()
    assert post.scheduled_at is None


def test_schedule_checks_the_role_of_as_user_and_unknown_posts(run, workspace, members, make_channel):
    post = services.create_post(workspace, None, PostInput(text="x", channel_ids=[make_channel().id]))
    at = (timezone.now() + timedelta(days=1)).isoformat()
    code, _out, err = run("post", "schedule", str(post.id), "--at", at, "--as", "analyst")
    assert (code, "cannot" in err) == (1, True)
    code, _out, err = run("post", "schedule", "999999", "--at", at)
    assert (code, "No post" in err) == (1, True)
