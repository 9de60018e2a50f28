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
    conv: int = 0
    message: int = 0
    failed_reply: int = 0
    waiting_reply: int = 0
    query: int = 0
    rule: int = 0
    incident: int = 0
    alert: int = 0
    statement: int = 0


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
    world = World(workspace.id, channel.id, draft.id, review.id, failed.targets.get().id, when)
    _inbox_objects(world, workspace, channel, author)
    _crisis_objects(world, workspace)
    return world


def _crisis_objects(world: World, workspace) -> None:
    from tamtam.crisis.models import Alert, AlertRule, HoldingStatement, Incident
    from tamtam.listening.models import Query

    query = Query.objects.create(workspace=workspace, name="Marque", expression="lumen")
    rule = AlertRule.objects.create(workspace=workspace, query=query, name="Pic")
    incident = Incident.objects.create(workspace=workspace, query=query, title="Bad buzz")
    alert = Alert.objects.create(
        rule=rule,
        workspace=workspace,
        query=query,
        incident=incident,
        rule_name="Pic",
        series="all",
        bucket_start=timezone.now().replace(second=0, microsecond=0),
        expected=1,
        observed=30,
        evidence=40,
        score=0.7,
    )
    statement = HoldingStatement.objects.create(
        workspace=workspace, title="Vu", language="fr", text="On regarde."
    )
    world.query, world.rule, world.incident, world.alert = query.id, rule.id, incident.id, alert.id
    world.statement = statement.id


def _inbox_objects(world, workspace, channel, author):
    from tamtam.inbox.models import Conversation, Message, Reply

    conv = Conversation.objects.create(workspace=workspace, channel=channel, kind="thread", key="thread:p")
    message = Message.objects.create(
        workspace=workspace,
        channel=channel,
        conversation=conv,
        remote_id="c1",
        kind="comment",
        text="Livré quand ?",
        created_at=timezone.now(),
    )
    common = {"workspace": workspace, "conversation": conv, "parent": message, "author": author}
    failed = Reply.objects.create(**common, text="Raté", state="failed", idempotency_key="k-failed")
    waiting = Reply.objects.create(
        **common, text="À valider", state="awaiting_approval", idempotency_key="k-waiting"
    )
    world.conv, world.message = conv.id, message.id
    world.failed_reply, world.waiting_reply = failed.id, waiting.id


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
    "inbox list": lambda a, w: a.get(f"/workspaces/{w.ws}/inbox/conversations"),
    "inbox get": lambda a, w: a.get(f"/workspaces/{w.ws}/inbox/conversations/{w.conv}"),
    "inbox assign": lambda a, w: a.post(
        f"/workspaces/{w.ws}/inbox/conversations/{w.conv}/assign", {"assignee": None}
    ),
    "inbox status": lambda a, w: a.post(
        f"/workspaces/{w.ws}/inbox/conversations/{w.conv}/status", {"status": "pending"}
    ),
    "inbox close": lambda a, w: a.post(f"/workspaces/{w.ws}/inbox/conversations/{w.conv}/close"),
    "inbox note": lambda a, w: a.post(
        f"/workspaces/{w.ws}/inbox/conversations/{w.conv}/notes", {"text": "Client fidèle"}
    ),
    "inbox tags": lambda a, w: a.call(
        "put", f"/workspaces/{w.ws}/inbox/conversations/{w.conv}/tags", {"tags": ["livraison"]}
    ),
    "inbox reply": lambda a, w: a.post(
        f"/workspaces/{w.ws}/inbox/conversations/{w.conv}/replies", {"text": "Demain !"}
    ),
    # Allowed roles reach the network, which has no comment "c1": 409 with its words.
    "inbox like": lambda a, w: a.post(
        f"/workspaces/{w.ws}/inbox/conversations/{w.conv}/messages/{w.message}/like"
    ),
    "inbox spam": lambda a, w: a.post(
        f"/workspaces/{w.ws}/inbox/conversations/{w.conv}/spam", {"spam": True}
    ),
    "inbox bulk": lambda a, w: a.post(f"/workspaces/{w.ws}/inbox/bulk", {"ids": [w.conv], "action": "close"}),
    "inbox retry reply": lambda a, w: a.post(f"/workspaces/{w.ws}/inbox/replies/{w.failed_reply}/retry"),
    "inbox approve reply": lambda a, w: a.post(
        f"/workspaces/{w.ws}/inbox/replies/{w.waiting_reply}/decision"
    ),
    "inbox saved replies": lambda a, w: a.get(f"/workspaces/{w.ws}/inbox/saved-replies"),
    "inbox metrics": lambda a, w: a.get(f"/workspaces/{w.ws}/inbox/metrics"),
    "crisis rules": lambda a, w: a.get(f"/workspaces/{w.ws}/crisis/rules"),
    "crisis rule create": lambda a, w: a.post(
        f"/workspaces/{w.ws}/crisis/rules", {"name": "Négatif", "query_id": w.query, "series": "negative"}
    ),
    "crisis rule get": lambda a, w: a.get(f"/workspaces/{w.ws}/crisis/rules/{w.rule}"),
    "crisis rule put": lambda a, w: a.call(
        "put", f"/workspaces/{w.ws}/crisis/rules/{w.rule}", {"name": "Pic", "query_id": w.query}
    ),
    "crisis rule delete": lambda a, w: a.delete(f"/workspaces/{w.ws}/crisis/rules/{w.rule}"),
    "crisis alerts": lambda a, w: a.get(f"/workspaces/{w.ws}/crisis/alerts"),
    "crisis alert get": lambda a, w: a.get(f"/workspaces/{w.ws}/crisis/alerts/{w.alert}"),
    "crisis incidents": lambda a, w: a.get(f"/workspaces/{w.ws}/crisis/incidents"),
    "crisis incident get": lambda a, w: a.get(f"/workspaces/{w.ws}/crisis/incidents/{w.incident}"),
    "crisis incident patch": lambda a, w: a.patch(
        f"/workspaces/{w.ws}/crisis/incidents/{w.incident}", {"status": "crisis"}
    ),
    "crisis incident note": lambda a, w: a.post(
        f"/workspaces/{w.ws}/crisis/incidents/{w.incident}/notes", {"text": "Appel presse à 15 h"}
    ),
    "crisis post-mortem": lambda a, w: a.get(f"/workspaces/{w.ws}/crisis/incidents/{w.incident}/post-mortem"),
    "crisis statements": lambda a, w: a.get(f"/workspaces/{w.ws}/crisis/statements"),
    "crisis statement create": lambda a, w: a.post(
        f"/workspaces/{w.ws}/crisis/statements", {"title": "Excuses", "language": "fr", "text": "Pardon."}
    ),
    "crisis statement put": lambda a, w: a.call(
        "put",
        f"/workspaces/{w.ws}/crisis/statements/{w.statement}",
        {"title": "Vu", "language": "fr", "text": "Ok."},
    ),
    "crisis statement delete": lambda a, w: a.delete(f"/workspaces/{w.ws}/crisis/statements/{w.statement}"),
    "crisis mode": lambda a, w: a.get(f"/workspaces/{w.ws}/crisis/mode"),
    "crisis mode on": lambda a, w: a.post(f"/workspaces/{w.ws}/crisis/mode/on", {}),
    # Not on: the allowed roles get the conflict in words.
    "crisis mode off": lambda a, w: a.post(f"/workspaces/{w.ws}/crisis/mode/off", {}),
    "crisis backtest": lambda a, w: a.get(f"/workspaces/{w.ws}/crisis/backtest", query_id=w.query, days=1),
    "strategy overview": lambda a, w: a.get(f"/workspaces/{w.ws}/strategy"),
    "strategy new pillar": lambda a, w: a.post(f"/workspaces/{w.ws}/strategy/pillars", {"name": "Tips"}),
    "reports list": lambda a, w: a.get(f"/workspaces/{w.ws}/reports"),
    "reports create": lambda a, w: a.post(f"/workspaces/{w.ws}/reports", {"name": "R", "sections": ["kpis"]}),
    "data export": lambda a, w: a.get(f"/workspaces/{w.ws}/export"),
    # A wrong name: the owner gets the field named (422), and nothing is deleted.
    "data delete": lambda a, w: a.post(f"/workspaces/{w.ws}/delete", {"confirm": "pas le nom"}),
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
    "inbox list":        (200, 200, 200, 200, 403, 404),
    "inbox get":         (200, 200, 200, 200, 403, 404),
    "inbox assign":      (200, 200, 200, 403, 403, 404),
    "inbox status":      (200, 200, 200, 403, 403, 404),
    "inbox close":       (200, 200, 200, 403, 403, 404),
    "inbox note":        (201, 201, 201, 403, 403, 404),
    "inbox tags":        (200, 200, 200, 403, 403, 404),
    "inbox reply":       (201, 201, 201, 403, 403, 404),
    "inbox like":        (409, 409, 409, 403, 403, 404),
    "inbox spam":        (200, 200, 200, 403, 403, 404),
    "inbox bulk":        (200, 200, 200, 403, 403, 404),
    "inbox retry reply": (200, 200, 200, 403, 403, 404),
    "inbox approve reply": (200, 200, 403, 403, 403, 404),
    "inbox saved replies": (200, 200, 200, 200, 403, 404),
    "inbox metrics":     (200, 200, 200, 200, 403, 404),
    "crisis rules":      (200, 200, 200, 200, 403, 404),
    "crisis rule create": (201, 201, 403, 403, 403, 404),
    "crisis rule get":   (200, 200, 200, 200, 403, 404),
    "crisis rule put":   (200, 200, 403, 403, 403, 404),
    "crisis rule delete": (204, 204, 403, 403, 403, 404),
    "crisis alerts":     (200, 200, 200, 200, 403, 404),
    "crisis alert get":  (200, 200, 200, 200, 403, 404),
    "crisis incidents":  (200, 200, 200, 200, 403, 404),
    "crisis incident get": (200, 200, 200, 200, 403, 404),
    "crisis incident patch": (200, 200, 200, 403, 403, 404),
    "crisis incident note": (201, 201, 201, 403, 403, 404),
    "crisis post-mortem": (200, 200, 200, 200, 403, 404),
    "crisis statements": (200, 200, 200, 200, 403, 404),
    "crisis statement create": (201, 201, 403, 403, 403, 404),
    "crisis statement put": (200, 200, 403, 403, 403, 404),
    "crisis statement delete": (204, 204, 403, 403, 403, 404),
    "crisis mode":       (200, 200, 200, 200, 403, 404),
    "crisis mode on":    (200, 200, 403, 403, 403, 404),
    "crisis mode off":   (409, 409, 403, 403, 403, 404),
    "crisis backtest":   (200, 200, 200, 200, 403, 404),
    "strategy overview": (200, 200, 200, 200, 403, 404),
    "strategy new pillar": (201, 201, 403, 403, 403, 404),
    "reports list":      (200, 200, 403, 200, 403, 404),
    "reports create":    (201, 201, 403, 201, 403, 404),
    "data export":       (200, 403, 403, 403, 403, 404),
    "data delete":       (422, 403, 403, 403, 403, 404),
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


def test_every_inbox_endpoint_is_in_the_matrix():
    from tamtam.api import api

    inbox_paths = {
        (method, path)
        for path, item in api.get_openapi_schema()["paths"].items()
        if "/inbox/" in path
        for method in item
    }
    assert len(inbox_paths) == len([op for op in OPS if op.startswith("inbox ")])


def test_every_crisis_endpoint_is_in_the_matrix():
    from tamtam.api import api

    crisis_paths = {
        (method, path)
        for path, item in api.get_openapi_schema()["paths"].items()
        if "/crisis/" in path
        for method in item
    }
    assert len(crisis_paths) == len([op for op in OPS if op.startswith("crisis ")])


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
