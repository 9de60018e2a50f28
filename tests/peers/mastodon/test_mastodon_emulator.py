"""The Mastodon connector against the mastodon-mock emulator (a third-party FastAPI emulation of the
Mastodon REST API, not Mastodon itself): the whole connect flow through tamtam's pages (app registration
on the instance, authorization code, callback), publish with media and alt text, threads, idempotency,
delete, inbox, reply, like, metrics, search, errors and revoke on disconnect."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.urls import reverse

from tamtam.channels import services
from tamtam.channels.models import Channel, OAuthApp
from tamtam.networks.base import (
    ChannelContext,
    InboxKind,
    MediaItem,
    NeedsUser,
    Permanent,
    PublishRequest,
)
from tamtam.networks.mastodon.connector import Mastodon

pytestmark = pytest.mark.peers

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def connector(emulator, token: str, **options) -> Mastodon:
    return Mastodon(
        ChannelContext(
            channel_id=1,
            handle="",
            credentials={"access_token": token},
            options={"api_base": emulator.base, **options},
        )
    )


def test_mastodon_emulator_connects_through_app_registration_and_the_authorization_code_flow(
    mastodon_emulator, workspace, members, login, settings
):
    settings.OAUTH_REDIRECT_BASE = "http://testserver"
    mastodon_emulator.account("brandco")
    client = login(members["manager"])
    add = reverse("channels:add", kwargs={"ws": workspace.id})
    channel = None
    for _ in range(2):  # connecting twice reuses the registered app and the channel
        response = client.post(add, {"network": "mastodon", "instance": mastodon_emulator.base})
        assert response.status_code == 302, response.content.decode()[:500]
        authorize = urlsplit(response["Location"])
        assert f"{authorize.scheme}://{authorize.netloc}" == mastodon_emulator.base
        params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
        assert params["code_challenge_method"] == "S256"
        assert params["redirect_uri"] == "http://testserver/oauth/callback/mastodon/"
        # The person picks the account on the instance's consent page; it redirects back to us.
        granted = httpx.post(
            f"{mastodon_emulator.base}/oauth/authorize",
            data={
                "username": "brandco",
                "redirect_uri": params["redirect_uri"],
                "client_id": params["client_id"],
                "scope": params["scope"],
                "state": params["state"],
            },
        )
        assert granted.status_code == 302
        back = urlsplit(granted.headers["location"])
        done = client.get(f"{back.path}?{back.query}")
        assert done.status_code == 302
        channel = Channel.objects.get(workspace=workspace, network="mastodon")
    assert OAuthApp.objects.filter(network="mastodon", instance=mastodon_emulator.base).count() == 1
    host = urlsplit(mastodon_emulator.base).netloc
    assert channel.handle == f"@brandco@{host}"
    assert channel.external_id.endswith(f"@{host}")
    assert channel.options["api_base"] == mastodon_emulator.base
    token = channel.get_credentials()["access_token"]
    me = mastodon_emulator.api(token).get("/api/v1/accounts/verify_credentials")
    assert me.json()["username"] == "brandco"
    # Disconnect revokes the token at the instance.
    services.disconnect(channel, members["manager"])
    assert mastodon_emulator.api(token).get("/api/v1/accounts/verify_credentials").status_code == 401


def test_mastodon_emulator_publishes_text_images_with_alt_text_threads_and_deletes(
    mastodon_emulator, tmp_path
):
    token = mastodon_emulator.account("poster")
    image = tmp_path / "pic.png"
    image.write_bytes(PNG)
    conn = connector(mastodon_emulator, token, spoiler_text="Spoilers: new candles", visibility="unlisted")
    first = conn.publish(
        PublishRequest(
            text="Our new candles are here",
            idempotency_key="post-1-step-0",
            link="https://example.org/candles",
            media=[
                MediaItem(path=str(image), content_type="image/png", size=len(PNG), alt_text="A lit candle")
            ],
        )
    )
    assert first.remote_id
    assert first.url
    status = mastodon_emulator.api(token).get(f"/api/v1/statuses/{first.remote_id}").json()
    assert "https://example.org/candles" in status["content"]
    assert status["spoiler_text"] == "Spoilers: new candles"
    assert status["visibility"] == "unlisted"
    assert [m["description"] for m in status["media_attachments"]] == ["A lit candle"]
    # Thread step / first comment: a reply to the first status.
    second = conn.publish(
        PublishRequest(
            text="2/2 and they smell good",
            idempotency_key="post-1-step-1",
            reply_to_remote_id=first.remote_id,
        )
    )
    assert (
        mastodon_emulator.api(token).get(f"/api/v1/statuses/{second.remote_id}").json()["in_reply_to_id"]
        == first.remote_id
    )
    # The same idempotency key again (a retry after an ambiguous timeout): the same status, not a new one.
    again = conn.publish(
        PublishRequest(
            text="2/2 and they smell good",
            idempotency_key="post-1-step-1",
            reply_to_remote_id=first.remote_id,
        )
    )
    assert again.remote_id == second.remote_id
    recent = conn.list_recent(datetime.now(UTC) - timedelta(hours=1))
    assert {p.remote_id for p in recent} == {first.remote_id, second.remote_id}
    assert any("smell good" in p.text for p in recent)
    conn.delete(second.remote_id)
    conn.delete(second.remote_id)  # already gone: not an error
    assert mastodon_emulator.api(token).get(f"/api/v1/statuses/{second.remote_id}").status_code == 404
    assert conn.last_rate is None or conn.last_rate.remaining is None or conn.last_rate.remaining >= 0


def test_mastodon_emulator_inbox_reply_like_metrics_and_search(mastodon_emulator):
    brand_token = mastodon_emulator.account("shop")
    fan_token = mastodon_emulator.account("fan")
    shop = connector(mastodon_emulator, brand_token)
    post = shop.publish(PublishRequest(text="Hello #candles lovers", idempotency_key="k-hello"))
    fan = mastodon_emulator.api(fan_token)
    comment = fan.post(
        "/api/v1/statuses", json={"status": "@shop love it!", "in_reply_to_id": post.remote_id}
    ).json()
    mention = fan.post("/api/v1/statuses", json={"status": "Have you seen @shop ?"}).json()
    dm = fan.post(
        "/api/v1/statuses", json={"status": "@shop is there a discount?", "visibility": "direct"}
    ).json()

    page = shop.fetch_inbox()
    by_id = {item.remote_id: item for item in page.items}
    assert set(by_id) == {comment["id"], mention["id"], dm["id"]}
    assert by_id[comment["id"]].kind == InboxKind.COMMENT
    assert by_id[comment["id"]].parent_remote_id == post.remote_id
    assert by_id[comment["id"]].root_remote_id == post.remote_id
    assert by_id[comment["id"]].text == "@shop love it!"
    assert by_id[comment["id"]].author.handle == "@fan"
    assert by_id[mention["id"]].kind == InboxKind.MENTION
    assert by_id[dm["id"]].kind == InboxKind.DM
    assert by_id[dm["id"]].conversation_key
    assert page.cursor
    # Nothing fetched twice.
    assert shop.fetch_inbox(page.cursor).items == []

    # Answering the DM stays private and names the person.
    answer = shop.reply(dm["id"], PublishRequest(text="Yes: 10% this week", idempotency_key="k-answer"))
    answered = mastodon_emulator.api(brand_token).get(f"/api/v1/statuses/{answer.remote_id}").json()
    assert answered["visibility"] == "direct"
    assert answered["in_reply_to_id"] == dm["id"]
    assert "@fan" in answered["content"]

    shop.like(comment["id"])
    assert fan.get(f"/api/v1/statuses/{comment['id']}").json()["favourites_count"] == 1
    fan.post(f"/api/v1/statuses/{post.remote_id}/favourite")
    fan.post(f"/api/v1/statuses/{post.remote_id}/reblog")
    [metrics] = shop.fetch_post_metrics([post.remote_id])
    assert (metrics.likes, metrics.shares, metrics.comments) == (1, 1, 1)
    fan.post(f"/api/v1/accounts/{shop.account_id()}/follow")
    account = shop.fetch_account_metrics()
    assert account.followers == 1
    assert account.posts == 1  # the direct answer is not counted (as on Mastodon)

    found = shop.search("#candles")
    assert post.remote_id in {p.remote_id for p in found.items}
    words = shop.search("discount")
    assert all("discount" in p.text.lower() for p in words.items)


def test_mastodon_emulator_errors_carry_the_networks_words(mastodon_emulator):
    token = mastodon_emulator.account("errs")
    conn = connector(mastodon_emulator, token)
    with pytest.raises(Permanent) as too_long:
        conn.publish(PublishRequest(text="x" * 600, idempotency_key="k-long"))
    assert too_long.value.status_code == 422
    assert too_long.value.message.startswith("Mastodon: ")
    assert len(too_long.value.message) > len("Mastodon: ")
    revoked = connector(mastodon_emulator, "not-a-token")
    with pytest.raises(NeedsUser):
        revoked.publish(PublishRequest(text="hello", idempotency_key="k-revoked"))
