"""The Matrix connector against a real Synapse: connect through tamtam's connect form (password login
or a pasted token, alias resolved, room joined), publish text with its HTML body, images with alt text,
thread replies, idempotent transaction ids, reconcile, redaction, the inbox through /sync with a cursor,
reply, reactions as likes, member count, errors, and logout on disconnect."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from tamtam.channels import services
from tamtam.channels.models import Channel
from tamtam.networks.base import (
    ChannelContext,
    InboxKind,
    MediaItem,
    NeedsUser,
    PublishRequest,
)
from tamtam.networks.matrix.connector import Matrix

pytestmark = pytest.mark.peers

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def make_room(synapse, token: str, alias: str, name: str) -> str:
    answer = synapse.api(token).post(
        "/_matrix/client/v3/createRoom",
        json={"room_alias_name": alias, "name": name, "preset": "public_chat"},
    )
    answer.raise_for_status()
    return str(answer.json()["room_id"])


def connector(synapse, token: str, room_id: str) -> Matrix:
    return Matrix(
        ChannelContext(
            channel_id=1,
            handle="",
            credentials={"access_token": token},
            options={"api_base": synapse.base, "room_id": room_id},
        )
    )


def test_matrix_synapse_connects_from_the_form_with_a_password_login_and_logs_out_on_disconnect(
    synapse, workspace, members, login
):
    synapse.register("brandform")
    owner_token = synapse.login("brandform")
    room_id = make_room(synapse, owner_token, "formroom", "Form room")
    client = login(members["manager"])
    add = reverse("channels:add", kwargs={"ws": workspace.id})
    page = client.get(add, {"network": "matrix"}).content.decode()
    assert 'name="homeserver"' in page
    assert 'name="room"' in page
    wrong = client.post(
        add,
        {
            "network": "matrix",
            "homeserver": synapse.base,
            "room": "#formroom:tamtam.test",
            "user": "brandform",
            "password": "nope",
        },
    )
    assert wrong.status_code == 400
    assert "Invalid username or password" in wrong.content.decode()
    ok = client.post(
        add,
        {
            "network": "matrix",
            "homeserver": synapse.base,
            "room": "#formroom:tamtam.test",
            "user": "brandform",
            "password": synapse.password,
        },
    )
    assert ok.status_code == 302, ok.content.decode()[:800]
    channel = Channel.objects.get(workspace=workspace, network="matrix")
    assert channel.options["room_id"] == room_id
    assert channel.name == "Form room"
    assert channel.handle == "#formroom:tamtam.test"
    assert channel.external_id == f"@brandform:tamtam.test|{room_id}"
    credentials = channel.get_credentials()
    assert credentials["issued_by_tamtam"] is True
    assert "password" not in credentials
    token = credentials["access_token"]
    assert token != owner_token
    # Connecting the same account and room with a pasted token updates the channel.
    again = client.post(
        add, {"network": "matrix", "homeserver": synapse.base, "room": room_id, "access_token": owner_token}
    )
    assert again.status_code == 302
    assert Channel.objects.filter(workspace=workspace, network="matrix").count() == 1
    channel.refresh_from_db()
    assert channel.get_credentials() == {"access_token": owner_token}
    # Disconnect never logs out a pasted token (someone's own client)…
    services.disconnect(channel, members["manager"])
    assert synapse.api(owner_token).get("/_matrix/client/v3/account/whoami").status_code == 200
    # …but a token tamtam signed in for is logged out.
    client.post(
        add,
        {
            "network": "matrix",
            "homeserver": synapse.base,
            "room": room_id,
            "user": "brandform",
            "password": synapse.password,
        },
    )
    channel.refresh_from_db()
    issued = channel.get_credentials()["access_token"]
    services.disconnect(channel, members["manager"])
    assert synapse.api(issued).get("/_matrix/client/v3/account/whoami").status_code == 401


def test_matrix_synapse_publishes_text_images_threads_idempotently_reconciles_and_redacts(synapse, tmp_path):
    synapse.register("poster")
    token = synapse.login("poster")
    room_id = make_room(synapse, token, "posts", "Posts")
    conn = connector(synapse, token, room_id)
    image = tmp_path / "candle.png"
    image.write_bytes(PNG)
    first = conn.publish(
        PublishRequest(
            text="New <candles> are here",
            idempotency_key="post-1:step-0",
            link="https://example.org/c",
            media=[
                MediaItem(path=str(image), content_type="image/png", size=len(PNG), alt_text="A lit candle")
            ],
        )
    )
    assert first.url.startswith("https://matrix.to/#/")
    api = synapse.api(token)
    event = api.get(f"/_matrix/client/v3/rooms/{room_id}/event/{first.remote_id}").json()
    assert event["content"]["body"] == "New <candles> are here\n\nhttps://example.org/c"
    assert event["content"]["formatted_body"] == (
        'New &lt;candles&gt; are here<br><br><a href="https://example.org/c">https://example.org/c</a>'
    )
    related = api.get(f"/_matrix/client/v1/rooms/{room_id}/relations/{first.remote_id}/m.reference").json()[
        "chunk"
    ]
    assert [(e["content"]["msgtype"], e["content"]["body"]) for e in related] == [("m.image", "A lit candle")]
    mxc = related[0]["content"]["url"]
    server, media_id = mxc.removeprefix("mxc://").split("/")
    media = api.get(f"/_matrix/client/v1/media/download/{server}/{media_id}")
    assert media.content == PNG
    # Thread step: a reply; sending it again with the same key returns the same event.
    second = conn.publish(
        PublishRequest(text="2/2", idempotency_key="post-1:step-1", reply_to_remote_id=first.remote_id)
    )
    again = conn.publish(
        PublishRequest(text="2/2", idempotency_key="post-1:step-1", reply_to_remote_id=first.remote_id)
    )
    assert again.remote_id == second.remote_id
    reply = api.get(f"/_matrix/client/v3/rooms/{room_id}/event/{second.remote_id}").json()
    assert reply["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == first.remote_id
    recent = conn.list_recent(datetime.now(UTC) - timedelta(hours=1))
    assert [(p.remote_id, p.idempotency_key) for p in recent] == [
        (second.remote_id, "post-1_step-1"),
        (first.remote_id, "post-1_step-0"),
    ]
    conn.delete(first.remote_id)
    redacted = api.get(f"/_matrix/client/v3/rooms/{room_id}/event/{first.remote_id}").json()
    assert redacted["content"] == {}
    image_event = api.get(f"/_matrix/client/v3/rooms/{room_id}/event/{related[0]['event_id']}").json()
    assert image_event["content"] == {}


def test_matrix_synapse_inbox_reply_reactions_and_members(synapse):
    synapse.register("shopm")
    synapse.register("fanm")
    shop_token, fan_token = synapse.login("shopm"), synapse.login("fanm")
    room_id = make_room(synapse, shop_token, "shoproom", "Shop")
    shop = connector(synapse, shop_token, room_id)
    start = shop.fetch_inbox()  # the position before anything happens
    post = shop.publish(PublishRequest(text="Hello everyone", idempotency_key="hello"))
    fan = synapse.api(fan_token)
    fan.post(f"/_matrix/client/v3/join/{room_id}", json={}).raise_for_status()
    fan.put(
        "/_matrix/client/v3/profile/@fanm:tamtam.test/displayname", json={"displayname": "Fan M"}
    ).raise_for_status()

    def send(txn: str, content: dict) -> str:
        answer = fan.put(f"/_matrix/client/v3/rooms/{room_id}/send/m.room.message/{txn}", json=content)
        answer.raise_for_status()
        return str(answer.json()["event_id"])

    comment = send(
        "c1",
        {
            "msgtype": "m.text",
            "body": "Love it",
            "m.relates_to": {"m.in_reply_to": {"event_id": post.remote_id}},
        },
    )
    nested = send(
        "c2",
        {"msgtype": "m.text", "body": "me too", "m.relates_to": {"m.in_reply_to": {"event_id": comment}}},
    )
    mention = send(
        "c3",
        {
            "msgtype": "m.text",
            "body": "@shopm:tamtam.test hi",
            "m.mentions": {"user_ids": ["@shopm:tamtam.test"]},
        },
    )
    chat = send("c4", {"msgtype": "m.text", "body": "what time is it?"})

    page = shop.fetch_inbox(start.cursor)
    by_id = {i.remote_id: i for i in page.items}
    assert list(by_id) == [comment, nested, mention, chat]  # in the room's order, ours left out
    assert (by_id[comment].kind, by_id[comment].parent_remote_id) == (InboxKind.COMMENT, post.remote_id)
    assert (by_id[nested].kind, by_id[nested].parent_remote_id) == (InboxKind.REPLY, comment)
    assert by_id[nested].root_remote_id == post.remote_id
    assert by_id[mention].kind == InboxKind.MENTION
    assert by_id[chat].kind == InboxKind.COMMENT
    assert by_id[chat].author.name == "Fan M"
    assert shop.fetch_inbox(page.cursor).items == []

    answer = shop.reply(comment, PublishRequest(text="Thank you!", idempotency_key="answer-1"))
    event = fan.get(f"/_matrix/client/v3/rooms/{room_id}/event/{answer.remote_id}").json()
    assert event["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == comment
    shop.like(comment)
    shop.like(comment)  # the same transaction: one reaction
    fan.put(
        f"/_matrix/client/v3/rooms/{room_id}/send/m.reaction/r1",
        json={"m.relates_to": {"rel_type": "m.annotation", "event_id": post.remote_id, "key": "🎉"}},
    ).raise_for_status()
    [on_comment, on_post] = shop.fetch_post_metrics([comment, post.remote_id])
    assert (on_comment.likes, on_post.likes) == (1, 1)
    assert shop.fetch_account_metrics().followers == 2


def test_matrix_synapse_errors_carry_the_servers_words(synapse):
    synapse.register("outsider")
    synapse.register("roomowner")
    outsider, owner = synapse.login("outsider"), synapse.login("roomowner")
    room_id = make_room(synapse, owner, "private", "Private")
    with pytest.raises(NeedsUser) as forbidden:
        connector(synapse, outsider, room_id).publish(PublishRequest(text="hi", idempotency_key="x"))
    assert "M_FORBIDDEN" in forbidden.value.message
    with pytest.raises(NeedsUser) as unknown:
        connector(synapse, "syt_not_a_token", room_id).publish(PublishRequest(text="hi", idempotency_key="y"))
    assert "M_UNKNOWN_TOKEN" in unknown.value.message
