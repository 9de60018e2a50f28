"""The capability matrix through the API: every endpoint by every role, with the status each one gets.

Strangers get 404 (nothing leaks about what exists), roles without the capability 403."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.publishing import services
from tamtam.publishing.models import Post, PostTarget
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState as S

ROLES = ["owner", "manager", "community", "analyst", "client", "stranger"]


@dataclass
class World:
    ws: int
    channel: int
    draft: int
    in_review: int
    failed_target: int
    when: str


@pytest.fixture
def world(workspace, members, make_channel, make_user) -> World:
    make_user("stranger")
    channel = make_channel()
    author = members["community"]
    draft = services.create_post(workspace, author, PostInput(text="Brouillon", channel_ids=[channel.id]))
    review = services.create_post(workspace, author, PostInput(text="À relire", channel_ids=[channel.id]))
    services.schedule(review, author, timezone.now() + timedelta(days=2))
    failed = services.create_post(workspace, author, PostInput(text="Raté", channel_ids=[channel.id]))
    PostTarget.objects.filter(post=failed).update(state=S.FAILED, last_error="503")
    when = (timezone.now() + timedelta(days=3)).isoformat()
    return World(workspace.id, channel.id, draft.id, review.id, failed.targets.get().id, when)


@pytest.fixture
def user_of(members, django_user_model):
    return lambda role: members.get(role) or django_user_model.objects.get(username=role)


OPS = {
    "list workspaces": lambda a, w: a.get("/workspaces"),
    "get workspace": lambda a, w: a.get(f"/workspaces/{w.ws}"),
    "list channels": lambda a, w: a.get(f"/workspaces/{w.ws}/channels"),
    "list posts": lambda a, w: a.get(f"/workspaces/{w.ws}/posts"),
    "create draft": lambda a, w: a.post(
        f"/workspaces/{w.ws}/posts", {"text": "Hi", "channel_ids": [w.channel]}
    ),
    "create scheduled": lambda a, w: a.post(
        f"/workspaces/{w.ws}/posts", {"text": "Hi", "channel_ids": [w.channel], "scheduled_at": w.when}
    ),
    "get post": lambda a, w: a.get(f"/workspaces/{w.ws}/posts/{w.draft}"),
    "patch post": lambda a, w: a.patch(f"/workspaces/{w.ws}/posts/{w.draft}", {"text": "Nouveau"}),
    "delete post": lambda a, w: a.delete(f"/workspaces/{w.ws}/posts/{w.draft}"),
    "submit": lambda a, w: a.post(f"/workspaces/{w.ws}/posts/{w.draft}/submit"),
    "approve": lambda a, w: a.post(f"/workspaces/{w.ws}/posts/{w.in_review}/approve", {"comment": "ok"}),
    "request changes": lambda a, w: a.post(
        f"/workspaces/{w.ws}/posts/{w.in_review}/request-changes", {"comment": "Plus court"}
    ),
    "schedule": lambda a, w: a.post(f"/workspaces/{w.ws}/posts/{w.draft}/schedule", {"scheduled_at": w.when}),
    "attempts": lambda a, w: a.get(f"/workspaces/{w.ws}/posts/{w.draft}/attempts"),
    "reschedule target": lambda a, w: a.post(
        f"/workspaces/{w.ws}/targets/{w.failed_target}/reschedule", {"scheduled_at": w.when}
    ),
    "retry target": lambda a, w: a.post(f"/workspaces/{w.ws}/targets/{w.failed_target}/retry"),
    "calendar": lambda a, w: a.get(
        f"/workspaces/{w.ws}/calendar",
        start=timezone.now().isoformat(),
        end=(timezone.now() + timedelta(days=7)).isoformat(),
    ),
}

# fmt: off
#                      owner manager community analyst client stranger
EXPECTED = {
    "list workspaces":   (200, 200, 200, 200, 200, 200),
    "get workspace":     (200, 200, 200, 200, 200, 404),
    "list channels":     (200, 200, 200, 200, 403, 404),
    "list posts":        (200, 200, 200, 200, 200, 404),
    "create draft":      (201, 201, 201, 403, 403, 404),
    "create scheduled":  (201, 201, 201, 403, 403, 404),
    "get post":          (200, 200, 200, 200, 403, 404),
    "patch post":        (200, 200, 200, 403, 403, 404),
    "delete post":       (204, 204, 403, 403, 403, 404),
    "submit":            (200, 200, 200, 403, 403, 404),
    "approve":           (200, 200, 403, 403, 403, 404),
    "request changes":   (200, 200, 403, 403, 403, 404),
    "schedule":          (200, 200, 200, 403, 403, 404),
    "attempts":          (200, 200, 200, 200, 403, 404),
    "reschedule target": (200, 200, 200, 403, 403, 404),
    "retry target":      (200, 200, 200, 403, 403, 404),
    "calendar":          (200, 200, 200, 200, 403, 404),
}
# fmt: on


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", list(OPS))
def test_each_endpoint_answers_each_role_as_the_matrix_says(op, role, world, api_as, user_of):
    status, body = OPS[op](api_as(user_of(role)), world)
    expected = EXPECTED[op][ROLES.index(role)]
    assert status == expected, body
    if status >= 400:
        assert body["detail"]


def test_a_refused_write_changes_nothing(world, api_as, members):
    assert (
        api_as(members["analyst"]).patch(f"/workspaces/{world.ws}/posts/{world.draft}", {"text": "pirate"})[0]
        == 403
    )
    assert Post.objects.get(pk=world.draft).text == "Brouillon"
    assert api_as(members["community"]).delete(f"/workspaces/{world.ws}/posts/{world.draft}")[0] == 403
    assert Post.objects.filter(pk=world.draft).exists()


def test_a_stranger_listing_workspaces_sees_none(world, api_as, django_user_model):
    status, body = api_as(django_user_model.objects.get(username="stranger")).get("/workspaces")
    assert (status, body) == (200, [])


def test_a_client_lists_only_the_posts_waiting_for_the_clients_approval(
    make_workspace, make_user, make_channel, api_as
):
    ws = make_workspace(approval_policy="manager_client")
    manager, client = make_user("m", ws, "manager"), make_user("c", ws, "client")
    channel = make_channel(ws=ws)
    when = timezone.now() + timedelta(days=1)
    waiting = services.create_post(ws, manager, PostInput(text="Pour le client", channel_ids=[channel.id]))
    services.schedule(waiting, manager, when)
    services.approve(waiting, manager, "manager")
    internal = services.create_post(ws, manager, PostInput(text="Interne", channel_ids=[channel.id]))
    services.schedule(internal, manager, when)
    status, body = api_as(client).get(f"/workspaces/{ws.id}/posts")
    assert status == 200
    assert [p["id"] for p in body["items"]] == [waiting.id]
    assert body["items"][0]["pending_approval"] == "client"
    assert api_as(client).get(f"/workspaces/{ws.id}/posts/{internal.id}")[0] == 403
    assert api_as(client).get(f"/workspaces/{ws.id}/posts/{waiting.id}")[0] == 200
