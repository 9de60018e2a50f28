"""The post page: each channel's state, time in the workspace zone, ledger, and the safe actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tamtam.publishing import services
from tamtam.publishing.models import AttemptOutcome, Post, PostTarget, PublishAttempt
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState as S


@pytest.fixture
def post(workspace, members, make_channel) -> Post:
    channels = [make_channel(name="Alpha", options={"flavor": "bluesky"}), make_channel(name="Beta")]
    return services.create_post(
        workspace, members["community"], PostInput(text="Launch day", channel_ids=[c.id for c in channels])
    )


def url(post: Post, name: str = "publishing:post_detail", **extra: int) -> str:
    return reverse(name, kwargs={"ws": post.workspace_id, "post_id": post.id, **extra})


def target(post: Post, channel_name: str) -> PostTarget:
    return post.targets.get(channel__name=channel_name)


def test_it_shows_each_target_with_its_state_time_link_error_and_attempts(workspace, members, login, post):
    alpha, beta = target(post, "Alpha"), target(post, "Beta")
    PostTarget.objects.filter(pk=alpha.pk).update(
        state=S.PUBLISHED,
        remote_url="https://bsky.example/post/1",
        scheduled_at=datetime(2030, 1, 15, 8, 0, tzinfo=UTC),
        published_at=datetime(2030, 1, 15, 8, 0, 2, tzinfo=UTC),
        attempts=1,
    )
    PostTarget.objects.filter(pk=beta.pk).update(
        state=S.FAILED, last_error="Duplicate content refused", attempts=2
    )
    PublishAttempt.objects.create(
        target=alpha,
        number=1,
        idempotency_key="k",
        outcome=AttemptOutcome.SUCCESS,
        status_code=201,
        duration_ms=340,
    )
    PublishAttempt.objects.create(
        target=beta,
        number=1,
        idempotency_key="k2",
        outcome=AttemptOutcome.PERMANENT,
        status_code=400,
        duration_ms=120,
        error="Duplicate content refused",
    )
    html = login(members["analyst"]).get(url(post)).content.decode()
    assert 'class="badge state-published" data-testid="target-state"' in html
    assert 'class="badge state-failed" data-testid="target-state"' in html
    assert 'href="https://bsky.example/post/1"' in html
    assert 'data-testid="remote-link"' in html
    assert "Tue 15 Jan 2030, 09:00" in html  # 08:00 UTC shown in Paris time
    assert "Sandbox said:</strong> Duplicate content refused" in html
    assert "340 ms" in html
    assert ">201<" in html
    assert ">400<" in html
    assert 'data-testid="target-retry"' not in html  # an analyst only reads


def test_retry_puts_a_failed_target_back_in_the_schedule(workspace, members, login, post):
    beta = target(post, "Beta")
    PostTarget.objects.filter(pk=beta.pk).update(state=S.FAILED, last_error="boom")
    client = login(members["community"])
    assert 'data-testid="target-retry"' in client.get(url(post)).content.decode()
    client.post(url(post, "publishing:target_retry", target_id=beta.id))
    beta.refresh_from_db()
    assert (beta.state, beta.last_error) == (S.SCHEDULED, "")
    assert (
        login(members["analyst"]).post(url(post, "publishing:target_retry", target_id=beta.id)).status_code
        == 403
    )


def test_an_unconfirmed_target_can_be_marked_published_with_its_url(workspace, members, login, post):
    alpha = target(post, "Alpha")
    PostTarget.objects.filter(pk=alpha.pk).update(state=S.UNCONFIRMED, last_error="timeout after sending")
    client = login(members["manager"])
    html = client.get(url(post)).content.decode()
    assert 'data-testid="target-mark-published"' in html
    assert 'data-testid="target-retry-anyway"' in html
    bad = client.post(
        url(post, "publishing:target_resolve", target_id=alpha.id),
        {"outcome": "published", "url": "not a url"},
    )
    assert bad.status_code == 302
    alpha.refresh_from_db()
    assert alpha.state == S.UNCONFIRMED
    client.post(
        url(post, "publishing:target_resolve", target_id=alpha.id),
        {"outcome": "published", "url": "https://bsky.example/post/9"},
    )
    alpha.refresh_from_db()
    assert (alpha.state, alpha.remote_url) == (S.PUBLISHED, "https://bsky.example/post/9")


def test_retry_anyway_sends_an_unconfirmed_target_again(workspace, members, login, post):
    alpha = target(post, "Alpha")
    PostTarget.objects.filter(pk=alpha.pk).update(state=S.UNCONFIRMED)
    login(members["community"]).post(
        url(post, "publishing:target_resolve", target_id=alpha.id), {"outcome": "retry"}
    )
    alpha.refresh_from_db()
    assert alpha.state == S.RETRY_WAIT


def test_cancel_and_delete_need_the_delete_capability(workspace, members, login, post):
    assert login(members["community"]).post(url(post, "publishing:post_cancel")).status_code == 403
    manager = login(members["manager"])
    manager.post(url(post, "publishing:post_cancel"))
    assert set(post.targets.values_list("state", flat=True)) == {S.CANCELLED}
    response = manager.post(url(post, "publishing:post_delete"))
    assert response.status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()


def test_the_post_page_lists_its_own_audit_entries(workspace, members, login, post):
    services.schedule(post, members["community"], timezone.now() + timedelta(days=1))
    services.approve(post, members["manager"], "manager")
    html = login(members["analyst"]).get(url(post)).content.decode()
    for action in ("post.created", "post.scheduled", "post.approved", "target.scheduled"):
        assert f"<code>{action}</code>" in html
