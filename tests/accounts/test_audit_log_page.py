"""The audit log page: who did what, filtered by action, paged."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tamtam.accounts.services import audit
from tamtam.publishing import services
from tamtam.publishing.services import PostInput


def audit_url(ws, **query: str) -> str:
    url = reverse("workspace:audit", kwargs={"ws": ws.id})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_audit_log_lists_created_approved_and_rescheduled_events(workspace, members, login, make_channel):
    post = services.create_post(
        workspace, members["community"], PostInput(text="Hello", channel_ids=[make_channel().id])
    )
    services.schedule(post, members["community"], timezone.now() + timedelta(days=1))
    services.approve(post, members["manager"], "manager")
    services.reschedule_target(post.targets.get(), members["manager"], timezone.now() + timedelta(days=2))
    html = login(members["analyst"]).get(audit_url(workspace)).content.decode()
    for action in ("post.created", "post.approved", "target.rescheduled"):
        assert f'<code data-testid="audit-action">{action}</code>' in html
    assert ">community<" in html
    assert ">manager<" in html

    only = login(members["analyst"]).get(audit_url(workspace, action="post.approved")).content.decode()
    assert '<code data-testid="audit-action">post.approved</code>' in only
    assert '<code data-testid="audit-action">post.created</code>' not in only


def test_the_audit_log_pages_through_long_histories(workspace, members, login):
    for n in range(60):
        audit(workspace, members["owner"], "test.event", summary=f"event {n}")
    client = login(members["manager"])
    first = client.get(audit_url(workspace)).content.decode()
    assert first.count('data-testid="audit-row"') == 50
    assert "event 59" in first
    assert "Page 1 of 2" in first
    second = client.get(audit_url(workspace, page="2")).content.decode()
    assert second.count('data-testid="audit-row"') == 10
    assert "event 0<" in second


def test_the_audit_log_is_not_for_every_role(workspace, members, login, make_user):
    assert login(members["community"]).get(audit_url(workspace)).status_code == 403
    assert login(make_user("stranger")).get(audit_url(workspace)).status_code == 404
