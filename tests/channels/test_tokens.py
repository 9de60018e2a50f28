"""Token lifetimes: refresh before expiry by the durable work kind, refresh on 401 persisted through the
engine's connector, a refresh token never lost, "reconnect needed" on refusal and days before a known
expiry (shown on the channel, its due posts and the calendar), and disconnect that revokes. The network's
token endpoint is a respx route shaped like an OAuth 2 server's (RFC 6749 §5)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from django.urls import reverse
from django.utils import timezone

from tamtam.accounts.models import AuditEvent
from tamtam.channels import services, tasks, tokens
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.networks import registry
from tamtam.networks.base import ChannelContext, PublishRequest
from tamtam.networks.http import HttpConnector
from tamtam.publishing import services as posts
from tamtam.publishing.engine.ledger import connector_for
from tamtam.publishing.services import PostInput

pytestmark = pytest.mark.usefixtures("acme_configured")

TOKEN_URL = "https://auth.acme.test/oauth/token"


def acme_channel(workspace, *, expires_in: timedelta, refresh: str = "RT-old", **extra) -> Channel:
    now = timezone.now()
    channel = Channel.objects.create(workspace=workspace, network="acme", name="Acme brand", external_id="42")
    credentials = {
        "access_token": "AT-old",
        "refresh_token": refresh,
        "expires_at": (now + expires_in).isoformat(),
        "refresh_expires_at": extra.pop("refresh_expires_at", ""),
    }
    tokens.store_credentials(channel, credentials)
    channel.save()
    return channel


def run_refresh_work(now=None) -> list[str]:
    ids = tasks.claim_due_refreshes(now or timezone.now(), 10, "worker-1")
    return [tasks.refresh_channel(i, "worker-1") for i in ids]


def test_the_refresh_work_kind_is_registered():
    from tamtam.work.registry import kinds

    assert "refresh_tokens" in {k.name for k in kinds()}


def test_a_token_expiring_soon_is_refreshed_before_expiry_and_the_refresh_token_kept(workspace):
    soon = acme_channel(workspace, expires_in=timedelta(minutes=10))
    later = Channel.objects.create(workspace=workspace, network="acme", name="Later", external_id="43")
    tokens.store_credentials(
        later,
        {
            "access_token": "x",
            "refresh_token": "y",
            "expires_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
    )
    later.save()
    with respx.mock() as mock:
        # The answer omits refresh_token (several networks do): the one we have must stay.
        route = mock.post(TOKEN_URL).respond(200, json={"access_token": "AT-new", "expires_in": 7200})
        assert run_refresh_work() == ["refreshed"]
    form = parse_qs(route.calls.last.request.content.decode())
    assert form == {"grant_type": ["refresh_token"], "refresh_token": ["RT-old"]}
    assert route.calls.last.request.headers["authorization"].startswith("Basic ")
    soon.refresh_from_db()
    credentials = soon.get_credentials()
    assert credentials["access_token"] == "AT-new"
    assert credentials["refresh_token"] == "RT-old"
    assert soon.token_expires_at > timezone.now() + timedelta(minutes=100)
    assert soon.refresh_due_at > timezone.now()
    assert soon.lease_owner == ""
    assert AuditEvent.objects.filter(action="channel.token_refreshed").count() == 1
    # Nothing else was due.
    assert run_refresh_work() == []


def test_update_credentials_never_overwrites_a_refresh_token_with_an_empty_one():
    acme = registry.get("acme")
    seen: list[dict] = []
    ctx = ChannelContext(
        channel_id=1,
        handle="",
        credentials={"access_token": "a", "refresh_token": "keep"},
        options={},
        persist_credentials=seen.append,
    )
    connector = acme(ctx)
    connector.update_credentials({"access_token": "b", "refresh_token": ""})
    connector.update_credentials({"access_token": "c"})
    assert ctx.credentials == {"access_token": "c", "refresh_token": "keep"}
    assert seen[-1] == {"access_token": "c", "refresh_token": "keep"}
    connector.update_credentials({"refresh_token": "rotated"})
    assert ctx.credentials["refresh_token"] == "rotated"


def test_a_connector_without_its_own_refresh_is_refreshed_from_its_spec(workspace):
    acme = registry.get("acme")

    class Bare(acme):  # type: ignore[misc,valid-type]
        refresh = HttpConnector.refresh

    registry.register(Bare)
    try:
        channel = acme_channel(workspace, expires_in=timedelta(minutes=5))
        with respx.mock() as mock:
            mock.post(TOKEN_URL).respond(200, json={"access_token": "AT-spec", "refresh_token": "RT-2"})
            assert run_refresh_work() == ["refreshed"]
    finally:
        registry.register(acme)
    channel.refresh_from_db()
    assert channel.get_credentials()["access_token"] == "AT-spec"
    assert channel.get_credentials()["refresh_token"] == "RT-2"


def test_a_401_refreshes_once_and_the_engine_persists_the_new_token(workspace):
    channel = acme_channel(workspace, expires_in=timedelta(hours=5))
    with respx.mock() as mock:
        mock.post(TOKEN_URL).respond(200, json={"access_token": "AT-fresh", "refresh_token": "RT-fresh"})
        publish = mock.post("https://api.acme.test/posts").mock(
            side_effect=lambda request: (
                httpx.Response(201, json={"id": "p1"})
                if request.headers["authorization"] == "Bearer AT-fresh"
                else httpx.Response(401, json={"error": "invalid_token"})
            )
        )
        result = connector_for(channel).publish(PublishRequest(text="hello", idempotency_key="k"))
    assert result.remote_id == "p1"
    assert publish.call_count == 2
    channel.refresh_from_db()
    assert channel.get_credentials()["access_token"] == "AT-fresh"
    assert channel.get_credentials()["refresh_token"] == "RT-fresh"


def test_a_refused_refresh_asks_for_a_reconnect_on_the_channel_and_on_its_due_posts(
    workspace, members, login
):
    channel = acme_channel(workspace, expires_in=timedelta(minutes=1))
    post = posts.create_post(
        workspace, members["manager"], PostInput(text="Due soon", channel_ids=[channel.id])
    )
    target = post.targets.get()
    target.scheduled_at = timezone.now() + timedelta(hours=2)
    target.save(update_fields=["scheduled_at"])
    with respx.mock() as mock:
        mock.post(TOKEN_URL).respond(
            400, json={"error": "invalid_grant", "error_description": "Refresh token revoked by the user"}
        )
        assert run_refresh_work() == ["needs_user"]
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_USER
    assert "Refresh token revoked by the user" in channel.status_message
    assert channel.refresh_due_at is None  # not retried in a loop
    client = login(members["manager"])
    page = client.get(reverse("channels:list", kwargs={"ws": workspace.id})).content.decode()
    assert "Reconnect needed" in page
    assert "Refresh token revoked by the user" in page
    detail = client.get(reverse("publishing:post_detail", kwargs={"ws": workspace.id, "post_id": post.id}))
    assert 'data-testid="channel-warning"' in detail.content.decode()
    assert "Refresh token revoked by the user" in detail.content.decode()
    start = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT00:00:00")
    end = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT00:00:00")
    events = client.get(
        reverse("publishing:calendar_events", kwargs={"ws": workspace.id}), {"start": start, "end": end}
    ).json()
    mine = [e for e in events if e.get("extendedProps", {}).get("target_id") == target.id]
    assert mine
    assert mine[0]["title"].startswith("⚠")
    assert "Refresh token revoked by the user" in mine[0]["extendedProps"]["channel_warnings"][0]


def test_a_network_that_does_not_answer_is_retried_later(workspace):
    channel = acme_channel(workspace, expires_in=timedelta(minutes=1))
    with respx.mock() as mock:
        mock.post(TOKEN_URL).respond(503, json={"error": "temporarily_unavailable"})
        assert run_refresh_work() == ["retry"]
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.refresh_due_at > timezone.now()
    assert channel.refresh_attempts == 1


def test_days_before_a_known_expiry_the_channel_warns(workspace, members, login):
    now = timezone.now()
    # A refresh token dying in 5 days (Acme warns 10 days ahead).
    dying = acme_channel(
        workspace, expires_in=timedelta(hours=1), refresh_expires_at=(now + timedelta(days=5)).isoformat()
    )
    assert dying.reconnect_by is not None
    assert "expires on" in tokens.channel_warnings(dying)[0]
    # No refresh token (LinkedIn-like 60 days): the access token's death is the deadline.
    linkedin_like = acme_channel(workspace, expires_in=timedelta(days=3), refresh="")
    assert linkedin_like.refresh_due_at is None
    assert "expires on" in tokens.channel_warnings(linkedin_like)[0]
    far = acme_channel(workspace, expires_in=timedelta(days=59), refresh="")
    assert tokens.channel_warnings(far) == []
    assert tokens.channel_warnings(far, now=now + timedelta(days=52))  # 7 days before its end
    client = login(members["manager"])
    page = client.get(reverse("channels:list", kwargs={"ws": workspace.id})).content.decode()
    assert page.count('data-testid="channel-warning"') == 2


def test_disconnect_revokes_at_the_network_then_forgets_the_credentials(workspace, members):
    channel = acme_channel(workspace, expires_in=timedelta(hours=1))
    with respx.mock() as mock:
        revoke = mock.post("https://auth.acme.test/oauth/revoke").respond(200)
        services.disconnect(channel, members["manager"])
    assert revoke.called
    assert parse_qs(revoke.calls.last.request.content.decode())["token"] == ["RT-old"]
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISCONNECTED
    assert channel.credentials_encrypted == ""
    assert channel.refresh_due_at is None
    event = AuditEvent.objects.get(action="channel.disconnected")
    assert event.data["revoked"] is True


def test_disconnect_succeeds_when_the_network_is_down(workspace, members):
    channel = acme_channel(workspace, expires_in=timedelta(hours=1))
    with respx.mock() as mock:
        mock.post("https://auth.acme.test/oauth/revoke").mock(side_effect=httpx.ConnectError("down"))
        services.disconnect(channel, members["manager"])
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISCONNECTED
    assert channel.credentials_encrypted == ""
