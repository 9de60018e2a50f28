"""The inbox's own work against a real Synapse: the durable fetch (through /sync, cursor kept) collects a
reply to our post, a reply to that reply and a mention once each, threads the first two under our post,
and a reply from tamtam goes out exactly once through the engine, as a Matrix reply to the comment."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tamtam.channels.models import Channel
from tamtam.inbox import collect, replies, services
from tamtam.inbox.models import InboxFetch, Message, ReplyState
from tamtam.networks.base import PublishRequest
from tamtam.publishing.engine.ledger import connector_for

pytestmark = [pytest.mark.peers, pytest.mark.django_db]


def fetch_now(channel: Channel) -> str:
    collect.ensure_fetches(channel.workspace_id)
    fetch = InboxFetch.objects.get(channel=channel)
    InboxFetch.objects.filter(pk=fetch.pk).update(due_at=timezone.now())
    assert fetch.pk in collect.claim_due(timezone.now(), 10, "peer")
    return collect.run_fetch(fetch.pk, "peer")


def send_replies() -> list[str]:
    return [replies.process_reply(rid, "peer") for rid in replies.claim_due(timezone.now(), 10, "peer")]


def test_matrix_synapse_inbox_collects_threads_and_replies_once(synapse, workspace, members):
    synapse.register("inboxshop")
    synapse.register("inboxfan")
    shop_token, fan_token = synapse.login("inboxshop"), synapse.login("inboxfan")
    answer = synapse.api(shop_token).post(
        "/_matrix/client/v3/createRoom",
        json={"room_alias_name": "inboxroom", "name": "Boutique", "preset": "public_chat"},
    )
    answer.raise_for_status()
    room_id = answer.json()["room_id"]
    channel = Channel.objects.create(
        workspace=workspace,
        network="matrix",
        name="Matrix",
        handle="@inboxshop:tamtam.test",
        options={"api_base": synapse.base, "room_id": room_id},
    )
    channel.set_credentials({"access_token": shop_token})
    channel.save()
    assert fetch_now(channel).startswith("ok")  # the position before anything happens
    post = connector_for(channel).publish(PublishRequest(text="Bonjour à tous", idempotency_key="inbox-p"))
    fan = synapse.api(fan_token)
    fan.post(f"/_matrix/client/v3/join/{room_id}", json={}).raise_for_status()

    def send(txn: str, content: dict) -> str:
        sent = fan.put(f"/_matrix/client/v3/rooms/{room_id}/send/m.room.message/{txn}", json=content)
        sent.raise_for_status()
        return str(sent.json()["event_id"])

    comment = send(
        "i1",
        {
            "msgtype": "m.text",
            "body": "C'est livré quand ?",
            "m.relates_to": {"m.in_reply_to": {"event_id": post.remote_id}},
        },
    )
    nested = send(
        "i2",
        {"msgtype": "m.text", "body": "moi aussi", "m.relates_to": {"m.in_reply_to": {"event_id": comment}}},
    )
    mention = send(
        "i3",
        {
            "msgtype": "m.text",
            "body": "@inboxshop:tamtam.test salut",
            "m.mentions": {"user_ids": ["@inboxshop:tamtam.test"]},
        },
    )

    assert fetch_now(channel).startswith("ok")
    fetch_now(channel)  # again: nothing twice
    stored = {m.remote_id: m for m in Message.objects.filter(channel=channel)}
    assert set(stored) == {comment, nested, mention}
    thread = stored[comment].conversation
    assert (thread.kind, thread.key) == ("thread", f"thread:{post.remote_id}")
    assert stored[nested].conversation_id == thread.pk
    assert stored[mention].conversation.kind == "mention"
    assert stored[comment].is_question

    reply = services.reply(thread, members["manager"], "manager", "Demain matin !", stored[comment].pk)
    assert send_replies() == ["sent"]
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    event = fan.get(f"/_matrix/client/v3/rooms/{room_id}/event/{reply.remote_id}").json()
    assert event["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == comment
    assert event["content"]["body"].endswith("Demain matin !")
    assert send_replies() == []
    fetch_now(channel)  # our own reply is not collected as a new inbound item
    assert Message.objects.filter(channel=channel, direction="in").count() == 3
    assert Message.objects.filter(channel=channel, remote_id=reply.remote_id).count() == 1
