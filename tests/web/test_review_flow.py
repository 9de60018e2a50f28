"""Review through the pages: the manager's step, the client's step by secret link, who sees what."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from tamtam.accounts.models import ApprovalPolicy
from tamtam.publishing import services
from tamtam.publishing.models import Approval, Post
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState as S


def detail_url(post: Post) -> str:
    return reverse("publishing:post_detail", kwargs={"ws": post.workspace_id, "post_id": post.id})


def decide_url(post: Post) -> str:
    return reverse("publishing:post_decide", kwargs={"ws": post.workspace_id, "post_id": post.id})


def states(post: Post) -> set[str]:
    return set(post.targets.values_list("state", flat=True))


@pytest.fixture
def client_workspace(workspace):
    workspace.approval_policy = ApprovalPolicy.MANAGER_CLIENT
    workspace.save()
    return workspace


@pytest.fixture
def scheduled_post(workspace, members, make_channel):
    post = services.create_post(
        workspace,
        members["community"],
        PostInput(
            text="Our new collection", channel_ids=[make_channel(name="X", options={"flavor": "x"}).id]
        ),
    )
    services.schedule(post, members["community"], timezone.now() + timedelta(days=2))
    return post


def link_token(login, members, post: Post) -> str:
    response = login(members["manager"]).post(
        reverse("publishing:post_approval_link", kwargs={"ws": post.workspace_id, "post_id": post.id})
    )
    assert response.status_code == 200
    found = re.search(
        r'value="http[^"]+/review/([^/"]+)/" data-testid="approval-url"', response.content.decode()
    )
    assert found
    return found.group(1)


def test_submit_then_the_manager_approves_and_the_post_is_scheduled(workspace, members, login, make_channel):
    channel = make_channel()
    author = login(members["community"])
    author.post(
        reverse("publishing:post_new", kwargs={"ws": workspace.id}),
        {
            "channels": [channel.id],
            "text": "Ready for review",
            "scheduled_local": "2030-03-03T10:00",
            "action": "schedule",
        },
    )
    post = Post.objects.get()
    assert states(post) == {S.IN_REVIEW}
    assert author.post(decide_url(post), {"decision": "approve"}).status_code == 403  # not a reviewer

    manager = login(members["manager"])
    waiting = manager.get(reverse("publishing:review_list", kwargs={"ws": workspace.id})).content.decode()
    assert f'data-post-id="{post.id}"' in waiting
    page = manager.get(detail_url(post)).content.decode()
    assert 'data-testid="approve"' in page
    response = manager.post(decide_url(post), {"decision": "approve", "version": post.version})
    assert response.status_code == 302
    assert states(post) == {S.SCHEDULED}
    assert Approval.objects.get(post=post).user == members["manager"]
    page = manager.get(detail_url(post)).content.decode()
    assert 'data-testid="approve"' not in page
    assert 'class="badge state-scheduled" data-testid="target-state"' in page


def test_request_changes_needs_a_comment_and_returns_the_post_to_its_author(
    workspace, members, login, scheduled_post
):
    manager = login(members["manager"])
    manager.post(decide_url(scheduled_post), {"decision": "changes", "comment": ""})
    assert states(scheduled_post) == {S.IN_REVIEW}
    manager.post(decide_url(scheduled_post), {"decision": "changes", "comment": "Shorter, please"})
    assert states(scheduled_post) == {S.CHANGES_REQUESTED}
    page = login(members["community"]).get(detail_url(scheduled_post)).content.decode()
    assert "Shorter, please" in page


def test_comments_are_added_to_the_thread(workspace, members, login, scheduled_post):
    client = login(members["community"])
    client.post(
        reverse("publishing:post_comment", kwargs={"ws": workspace.id, "post_id": scheduled_post.id}),
        {"body": "Photo coming tomorrow"},
    )
    assert "Photo coming tomorrow" in client.get(detail_url(scheduled_post)).content.decode()


def test_the_client_approves_through_the_secret_link(
    client_workspace, members, login, scheduled_post, client
):
    services.approve(scheduled_post, members["manager"], "manager")
    token = link_token(login, members, scheduled_post)
    client.logout()
    url = reverse("publishing:review_link", kwargs={"token": token})
    page = client.get(url)
    assert page.status_code == 200
    assert "Our new collection" in page.content.decode()
    assert 'data-testid="approve"' in page.content.decode()

    missing_name = client.post(url, {"decision": "approve", "name": ""})
    assert missing_name.status_code == 400
    assert states(scheduled_post) == {S.IN_REVIEW}

    assert (
        client.post(url, {"decision": "approve", "name": "Claire (client)", "comment": "Lovely"}).status_code
        == 302
    )
    assert states(scheduled_post) == {S.SCHEDULED}
    approval = Approval.objects.get(post=scheduled_post, step="client")
    assert (approval.via_link, approval.reviewer_name, approval.user) == (True, "Claire (client)", None)
    assert "Already approved by Claire (client)" in client.get(url).content.decode()


def test_the_client_can_request_changes_through_the_link(
    client_workspace, members, login, scheduled_post, client
):
    services.approve(scheduled_post, members["manager"], "manager")
    url = reverse("publishing:review_link", kwargs={"token": link_token(login, members, scheduled_post)})
    client.logout()
    client.post(url, {"decision": "changes", "name": "Claire", "comment": "Use the blue photo"})
    assert states(scheduled_post) == {S.CHANGES_REQUESTED}


def test_a_tampered_link_is_refused(client_workspace, members, login, scheduled_post, client):
    services.approve(scheduled_post, members["manager"], "manager")
    token = link_token(login, members, scheduled_post)
    client.logout()
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.get(reverse("publishing:review_link", kwargs={"token": tampered}))
    assert response.status_code == 400
    assert "This approval link is not valid" in response.content.decode()
    response = client.post(
        reverse("publishing:review_link", kwargs={"token": tampered}),
        {"decision": "approve", "name": "Mallory"},
    )
    assert response.status_code == 400
    assert states(scheduled_post) == {S.IN_REVIEW}


def test_an_expired_link_is_refused(client_workspace, members, scheduled_post, client, monkeypatch):
    from tamtam.publishing import planning

    services.approve(scheduled_post, members["manager"], "manager")
    month_ago = int(time.time()) - int(planning.APPROVAL_LINK_MAX_AGE.total_seconds()) - 60
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(month_ago))
    token = planning.approval_token(scheduled_post)
    monkeypatch.undo()
    response = client.post(
        reverse("publishing:review_link", kwargs={"token": token}), {"decision": "approve", "name": "Claire"}
    )
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert states(scheduled_post) == {S.IN_REVIEW}


def test_a_link_for_an_older_version_cannot_approve(client_workspace, members, login, scheduled_post, client):
    services.approve(scheduled_post, members["manager"], "manager")
    token = link_token(login, members, scheduled_post)
    channel_ids = list(scheduled_post.targets.values_list("channel_id", flat=True))
    services.update_post(
        scheduled_post, members["community"], PostInput(text="Edited text", channel_ids=channel_ids)
    )
    services.approve(scheduled_post, members["manager"], "manager")  # the manager re-approves version 2
    client.logout()
    url = reverse("publishing:review_link", kwargs={"token": token})
    page = client.get(url)
    assert page.status_code == 409
    assert "This post has changed since this link was sent." in page.content.decode()
    assert client.post(url, {"decision": "approve", "name": "Claire"}).status_code == 409
    assert not Approval.objects.filter(post=scheduled_post, step="client").exists()
    assert states(scheduled_post) == {S.IN_REVIEW}


def test_a_link_cannot_skip_the_managers_step(client_workspace, members, scheduled_post, client):
    from tamtam.publishing import planning

    token = planning.approval_token(scheduled_post)  # made before the manager approved
    response = client.post(
        reverse("publishing:review_link", kwargs={"token": token}), {"decision": "approve", "name": "Claire"}
    )
    assert response.status_code == 409
    assert not Approval.objects.filter(post=scheduled_post).exists()


def test_the_link_button_exists_only_with_a_client_step(workspace, members, login, scheduled_post):
    page = login(members["manager"]).get(detail_url(scheduled_post)).content.decode()
    assert 'data-testid="approval-link"' not in page


def test_a_client_sees_only_the_review_pages(client_workspace, members, login, scheduled_post, make_user):
    client = login(members["client"])
    ws = client_workspace.id
    assert client.get(reverse("channels:list", kwargs={"ws": ws})).status_code == 403
    assert client.get(detail_url(scheduled_post)).status_code == 403
    assert client.get(reverse("publishing:post_new", kwargs={"ws": ws})).status_code == 403
    assert client.get(reverse("workspace:audit", kwargs={"ws": ws})).status_code == 403
    calendar = reverse("publishing:calendar", kwargs={"ws": ws})
    assert client.get(calendar).status_code == 403
    assert client.get(reverse("web:workspace", kwargs={"ws": ws}))["Location"] == reverse(
        "publishing:review_list", kwargs={"ws": ws}
    )

    review_post = reverse("publishing:review_post", kwargs={"ws": ws, "post_id": scheduled_post.id})
    assert client.get(review_post).status_code == 404  # still with the manager: not sent to the client
    listing = client.get(reverse("publishing:review_list", kwargs={"ws": ws})).content.decode()
    assert f'data-post-id="{scheduled_post.id}"' not in listing

    services.approve(scheduled_post, members["manager"], "manager")
    listing = client.get(reverse("publishing:review_list", kwargs={"ws": ws})).content.decode()
    assert f'data-post-id="{scheduled_post.id}"' in listing
    assert 'data-testid="nav-channels"' not in listing
    assert 'data-testid="nav-review"' in listing
    page = client.get(review_post)
    assert page.status_code == 200
    client.post(
        reverse("publishing:post_decide", kwargs={"ws": ws, "post_id": scheduled_post.id}),
        {"decision": "approve", "version": scheduled_post.version},
    )
    assert states(scheduled_post) == {S.SCHEDULED}


def test_strangers_get_404_everywhere(workspace, scheduled_post, make_user, login):
    stranger = login(make_user("stranger"))
    ws = workspace.id
    for url in (
        detail_url(scheduled_post),
        reverse("publishing:review_list", kwargs={"ws": ws}),
        reverse("publishing:review_post", kwargs={"ws": ws, "post_id": scheduled_post.id}),
        reverse("channels:list", kwargs={"ws": ws}),
        reverse("workspace:settings", kwargs={"ws": ws}),
        reverse("workspace:audit", kwargs={"ws": ws}),
    ):
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(decide_url(scheduled_post), {"decision": "approve"}).status_code == 404


def test_a_post_of_another_workspace_is_not_found(workspace, members, login, make_workspace, make_channel):
    other = make_workspace()
    post = services.create_post(
        other, None, PostInput(text="Theirs", channel_ids=[make_channel(ws=other).id])
    )
    response = login(members["manager"]).get(
        reverse("publishing:post_detail", kwargs={"ws": workspace.id, "post_id": post.id})
    )
    assert response.status_code == 404


def test_the_client_link_form_is_csrf_protected(client_workspace, members, scheduled_post):
    from django.test import Client

    from tamtam.publishing import planning

    services.approve(scheduled_post, members["manager"], "manager")
    browser = Client(enforce_csrf_checks=True)
    url = reverse("publishing:review_link", kwargs={"token": planning.approval_token(scheduled_post)})
    assert browser.post(url, {"decision": "approve", "name": "Claire"}).status_code == 403
    page = browser.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = browser.post(url, {"decision": "approve", "name": "Claire", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert states(scheduled_post) == {S.SCHEDULED}
