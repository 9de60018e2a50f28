"""Several accounts per network per workspace (the Pages and organisations one sign-in reaches, each
its own channel), disconnect that does not revoke a grant other channels still use, LinkedIn's 60-day
expiry warned on the channel and on the posts due on it, and the navigation to the watched feeds.
Graph answers are shaped like Meta's documented `me/accounts` response; LinkedIn's token answer like
its Authorization Code Flow page (no refresh token for most apps, `expires_in` 5184000)."""

from __future__ import annotations

from datetime import timedelta

import respx
from django.urls import reverse
from django.utils import timezone

from tamtam.accounts.models import AuditEvent
from tamtam.channels import connecting, services, tokens
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.networks import oauth
from tamtam.networks.linkedin.oauth import SPEC as LINKEDIN
from tamtam.publishing import services as posts
from tamtam.publishing.services import PostInput

GRAPH = "https://graph.facebook.com"
PAGES = {
    "data": [
        {"id": "1001", "name": "Café Lumière", "access_token": "pt-1", "category": "Café"},
        {"id": "1002", "name": "Boulangerie", "access_token": "pt-2", "category": "Bakery"},
    ],
    "paging": {"cursors": {"before": "b", "after": "a"}},
}


def facebook_channel(workspace) -> Channel:  # type: ignore[no-untyped-def]
    """The first Page, as the OAuth callback leaves it (identify picked the first Page)."""
    channel = Channel.objects.create(
        workspace=workspace,
        network="facebook",
        name="Café Lumière",
        handle="Café Lumière",
        external_id="1001",
        options={"page_id": "1001", "pages": [{"id": p["id"], "name": p["name"]} for p in PAGES["data"]]},
    )
    tokens.store_credentials(
        channel,
        {"access_token": "user-token", "long_lived": True, "page_access_token": "pt-1", "expires_at": ""},
    )
    channel.save()
    return channel


def test_another_page_of_the_same_sign_in_becomes_its_own_channel(workspace, members, login):
    first = facebook_channel(workspace)
    client = login(members["manager"])
    page = client.get(reverse("channels:list", kwargs={"ws": workspace.id})).content.decode()
    assert 'data-testid="channel-other-accounts"' in page
    assert '<option value="1002">Boulangerie</option>' in page
    assert '<option value="1001">' not in page  # already connected
    with respx.mock() as mock:
        mock.get(f"{GRAPH}/v21.0/me/accounts").respond(200, json=PAGES)
        response = client.post(
            reverse("channels:add", kwargs={"ws": workspace.id}), {"sibling_of": first.id, "account": "1002"}
        )
    assert response.status_code == 302
    second = Channel.objects.get(workspace=workspace, network="facebook", external_id="1002")
    assert (second.name, second.status, second.options["page_id"]) == (
        "Boulangerie",
        ChannelStatus.ACTIVE,
        "1002",
    )
    assert second.get_credentials()["page_access_token"] == "pt-2"
    assert first.get_credentials()["page_access_token"] == "pt-1"  # the first Page keeps its own token
    assert AuditEvent.objects.filter(action="channel.connected", object_id=str(second.id)).exists()
    page = client.get(reverse("channels:list", kwargs={"ws": workspace.id})).content.decode()
    assert 'data-testid="channel-other-accounts"' not in page  # nothing left to add
    # Disconnecting one Page must not revoke the sign-in the other one still uses.
    with respx.mock(assert_all_called=False) as mock:
        revoke = mock.delete(f"{GRAPH}/v21.0/me/permissions").respond(200, json={"success": True})
        services.disconnect(second, members["manager"])
    assert not revoke.called
    first.refresh_from_db()
    assert first.status == ChannelStatus.ACTIVE
    assert first.get_credentials()["access_token"] == "user-token"
    # The last channel of that sign-in revokes it.
    with respx.mock() as mock:
        revoke = mock.delete(f"{GRAPH}/v21.0/me/permissions").respond(200, json={"success": True})
        services.disconnect(first, members["manager"])
    assert revoke.called


def test_an_account_not_reached_by_the_sign_in_is_refused(workspace, members, login):
    first = facebook_channel(workspace)
    client = login(members["manager"])
    response = client.post(
        reverse("channels:add", kwargs={"ws": workspace.id}), {"sibling_of": first.id, "account": "9999"}
    )
    assert response.status_code == 302
    assert not Channel.objects.filter(external_id="9999").exists()
    page = client.get(reverse("channels:list", kwargs={"ws": workspace.id})).content.decode()
    assert "this account is not reachable from Café Lumière" in page
    # Only channel managers: an analyst is refused.
    analyst = login(members["analyst"])
    assert analyst.post(
        reverse("channels:add", kwargs={"ws": workspace.id}), {"sibling_of": first.id, "account": "1002"}
    ).status_code in (403, 404)


def test_linkedin_member_then_organisation_each_a_channel():
    channel = Channel(
        network="linkedin",
        external_id="urn:li:person:abc",
        status=ChannelStatus.ACTIVE,
        options={
            "member_urn": "urn:li:person:abc",
            "author_urn": "urn:li:person:abc",
            "organizations": [{"urn": "urn:li:organization:42", "name": "Atelier SA"}],
        },
    )
    assert connecting.other_accounts(channel, {"urn:li:person:abc"}) == [
        ("urn:li:organization:42", "Atelier SA")
    ]
    as_org = Channel(network="linkedin", status=ChannelStatus.ACTIVE, options=channel.options)
    assert [k for k, _label in connecting.other_accounts(as_org, {"urn:li:organization:42"})] == [
        "urn:li:person:abc"
    ]


def test_linkedin_60_days_warns_on_the_channel_and_on_every_post_due_on_it(workspace, members, login):
    # LinkedIn gives most apps no refresh token: the access token's 60 days are the reconnect deadline.
    connected = timezone.now() - timedelta(days=55)
    credentials = oauth.credentials_from_token(
        LINKEDIN, {"access_token": "AQV-token", "expires_in": 5184000, "scope": "w_member_social"}, connected
    )
    channel = Channel.objects.create(
        workspace=workspace, network="linkedin", name="Atelier", external_id="urn:li:person:abc"
    )
    tokens.store_credentials(channel, credentials)
    channel.save()
    assert channel.refresh_due_at is None  # nothing to refresh with
    assert channel.reconnect_by is not None
    assert timedelta(days=4) < channel.reconnect_by - timezone.now() < timedelta(days=6)
    (warning,) = tokens.channel_warnings(channel)
    assert "expires on" in warning
    # Not yet 7 days before the end: no warning.
    assert tokens.channel_warnings(channel, now=connected + timedelta(days=50)) == []
    due = []
    for text in ("Lundi", "Mardi"):
        post = posts.create_post(
            workspace, members["manager"], PostInput(text=text, channel_ids=[channel.id])
        )
        target = post.targets.get()
        target.scheduled_at = timezone.now() + timedelta(days=1)
        target.save(update_fields=["scheduled_at"])
        due.append(post)
    client = login(members["manager"])
    listing = client.get(reverse("channels:list", kwargs={"ws": workspace.id})).content.decode()
    assert 'data-testid="channel-warning"' in listing
    assert 'data-testid="channel-reconnect"' in listing  # the warning offers the reconnect
    for post in due:
        detail = client.get(
            reverse("publishing:post_detail", kwargs={"ws": workspace.id, "post_id": post.id})
        )
        assert 'data-testid="channel-warning"' in detail.content.decode()
        assert "expires on" in detail.content.decode()


def test_the_navigation_and_the_channels_page_lead_to_the_watched_feeds(workspace, members, login):
    feeds = reverse("publishing:feeds", kwargs={"ws": workspace.id})
    page = (
        login(members["analyst"]).get(reverse("channels:list", kwargs={"ws": workspace.id})).content.decode()
    )
    assert f'href="{feeds}" data-testid="nav-feeds"' in page
    assert f'href="{feeds}" data-testid="channels-feeds-link"' in page
    assert login(members["analyst"]).get(feeds).status_code == 200


def test_a_real_channels_network_settings_are_edited_and_checked(workspace, members, login):
    reddit = Channel.objects.create(
        workspace=workspace, network="reddit", name="u/atelier", handle="u/atelier", external_id="t2_1"
    )
    pinterest = Channel.objects.create(
        workspace=workspace,
        network="pinterest",
        name="Atelier",
        external_id="p1",
        options={
            "board_id": "b1",
            "boards": [{"id": "b1", "name": "Recettes"}, {"id": "b2", "name": "Ateliers"}],
        },
    )
    client = login(members["manager"])

    def edit(channel: Channel, **values: str):  # type: ignore[no-untyped-def]
        return client.post(
            reverse("channels:edit", kwargs={"ws": workspace.id, "channel_id": channel.id}),
            {"name": channel.name, "handle": channel.handle, "daily_cap": "", **values},
        )

    page = client.get(reverse("channels:edit", kwargs={"ws": workspace.id, "channel_id": reddit.id}))
    assert 'name="subreddit"' in page.content.decode()
    refused = edit(reddit, subreddit="not a subreddit!")
    assert refused.status_code == 400
    assert "is not a subreddit name" in refused.content.decode()
    assert edit(reddit, subreddit="r/Baking", search_subreddit="").status_code == 302
    reddit.refresh_from_db()
    assert (reddit.options["subreddit"], reddit.options["search_subreddit"]) == ("Baking", "")
    # Pinterest: the board is chosen among the boards listed at connect.
    page = client.get(reverse("channels:edit", kwargs={"ws": workspace.id, "channel_id": pinterest.id}))
    assert '<option value="b2">Ateliers</option>' in page.content.decode()
    assert edit(pinterest, board_id="b9").status_code == 400
    assert edit(pinterest, board_id="b2").status_code == 302
    pinterest.refresh_from_db()
    assert pinterest.options["board_id"] == "b2"
    assert pinterest.options["boards"][1]["name"] == "Ateliers"  # the rest of the options is kept
