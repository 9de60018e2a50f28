"""Channel pages: connect a sandbox account like a real one, edit its dials, disconnect; no secret shown."""

from __future__ import annotations

from django.urls import reverse

from tamtam.accounts.models import AuditEvent
from tamtam.channels.models import Channel, ChannelStatus


def list_url(ws) -> str:
    return reverse("channels:list", kwargs={"ws": ws.id})


def connect_url(ws) -> str:
    return reverse("channels:connect", kwargs={"ws": ws.id})


DIALS = {
    "name": "Brand (test X)",
    "handle": "brandtest",
    "flavor": "x",
    "latency_ms": 50,
    "error_rate": 0.1,
    "rate_limit_per_minute": 30,
    "ambiguous_rate": 0.02,
    "permanent_rate": 0,
    "audience_size": 5000,
    "idempotent": "on",
    "seed": 7,
}


def test_connecting_a_sandbox_account_stores_its_token_encrypted(workspace, members, login):
    client = login(members["manager"])
    response = client.post(connect_url(workspace), DIALS)
    assert response.status_code == 302
    channel = Channel.objects.get(workspace=workspace)
    token = channel.get_credentials()["token"]
    assert len(token) >= 32
    assert token not in channel.credentials_encrypted
    raw = Channel.objects.filter(pk=channel.pk).values_list("credentials_encrypted", flat=True).get()
    assert raw.startswith("v1:")
    assert token not in raw
    assert (channel.network, channel.handle, channel.status) == (
        "sandbox",
        "@brandtest",
        ChannelStatus.ACTIVE,
    )
    assert channel.options == {
        "flavor": "x",
        "latency_ms": 50,
        "error_rate": 0.1,
        "rate_limit_per_minute": 30,
        "ambiguous_rate": 0.02,
        "permanent_rate": 0.0,
        "audience_size": 5000,
        "idempotent": True,
        "seed": 7,
    }
    for page in (
        list_url(workspace),
        reverse("channels:edit", kwargs={"ws": workspace.id, "channel_id": channel.id}),
    ):
        html = client.get(page).content.decode()
        assert token not in html
        assert channel.credentials_encrypted not in html
    assert AuditEvent.objects.filter(action="channel.connected", object_id=str(channel.id)).exists()


def test_the_list_shows_network_status_and_the_sandbox_label(workspace, members, login, make_channel):
    make_channel(name="Shop X", options={"flavor": "x"})
    make_channel(
        name="Broken", status=ChannelStatus.NEEDS_USER, status_message="The access token was revoked."
    )
    html = login(members["analyst"]).get(list_url(workspace)).content.decode()
    assert "Shop X" in html
    assert '>X <span class="sandbox-label"' in html
    assert "Reconnect needed" in html
    assert "The access token was revoked." in html
    assert 'data-testid="channel-connect"' not in html  # the analyst cannot manage channels


def test_bad_dials_are_refused_next_to_their_field(workspace, members, login):
    response = login(members["manager"]).post(connect_url(workspace), {**DIALS, "error_rate": 3})
    assert response.status_code == 400
    assert 'data-testid="error-error_rate"' in response.content.decode()
    assert not Channel.objects.exists()


def test_editing_dials_and_the_daily_cap(workspace, members, login, make_channel):
    channel = make_channel(name="Old name")
    response = login(members["manager"]).post(
        reverse("channels:edit", kwargs={"ws": workspace.id, "channel_id": channel.id}),
        {**DIALS, "name": "New name", "daily_cap": 3, "error_rate": 0.5, "seed": ""},
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.daily_cap, channel.options["error_rate"]) == ("New name", 3, 0.5)
    assert channel.options["seed"] == channel.id  # empty seed: the channel's id, reproducible


def test_disconnect_wipes_the_credentials_and_reconnect_issues_new_ones(workspace, members, login):
    client = login(members["manager"])
    client.post(connect_url(workspace), DIALS)
    channel = Channel.objects.get()
    old = channel.get_credentials()["token"]
    client.post(reverse("channels:disconnect", kwargs={"ws": workspace.id, "channel_id": channel.id}))
    channel.refresh_from_db()
    assert (channel.status, channel.credentials_encrypted, channel.get_credentials()) == (
        ChannelStatus.DISCONNECTED,
        "",
        {},
    )
    client.post(reverse("channels:reconnect", kwargs={"ws": workspace.id, "channel_id": channel.id}))
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.get_credentials()["token"] != old


def test_only_channel_managers_connect_and_strangers_get_404(workspace, members, login, make_user):
    assert login(members["community"]).get(connect_url(workspace)).status_code == 403
    assert login(members["community"]).get(list_url(workspace)).status_code == 200
    assert login(make_user("stranger")).get(list_url(workspace)).status_code == 404
