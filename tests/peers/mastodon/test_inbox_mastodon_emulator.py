"""The inbox's own work against the mastodon-mock emulator (an emulation of the Mastodon REST API, not
Mastodon): the durable fetch collects a comment, a mention and a DM once each, threads them, and a
reply goes out exactly once through the engine, under the comment it answers."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tamtam.channels.models import Channel
from tamtam.inbox import collect, replies, services
from tamtam.inbox.models import Conversation, InboxFetch, Message, ReplyState

pytestmark = [pytest.mark.peers, pytest.mark.django_db]


def fetch_now(channel: Channel) -> str:
    collect.ensure_fetches(channel.workspace_id)
    fetch = InboxFetch.objects.get(channel=channel)
    InboxFetch.objects.filter(pk=fetch.pk).update(due_at=timezone.now())
    assert fetch.pk in collect.claim_due(timezone.now(), 10, "peer")
    return collect.run_fetch(fetch.pk, "peer")


def send_replies() -> list[str]:
    return [replies.process_reply(rid, "peer") for rid in replies.claim_due(timezone.now(), 10, "peer")]


def test_mastodon_emulator_inbox_collects_threads_and_replies_once(mastodon_emulator, workspace, members):
    brand_token = mastodon_emulator.account("inboxshop")
    fan_token = mastodon_emulator.account("inboxfan")
    channel = Channel.objects.create(
        workspace=workspace,
        network="mastodon",
        name="Mastodon",
        handle="@inboxshop",
        options={"api_base": mastodon_emulator.base},
    )
    channel.set_credentials({"access_token": brand_token})
    channel.save()
    shop = mastodon_emulator.api(brand_token)
    post = shop.post("/api/v1/statuses", json={"status": "Nouvelle collection de bougies"}).json()
    fan = mastodon_emulator.api(fan_token)
    comment = fan.post(
        "/api/v1/statuses", json={"status": "@inboxshop elle sent bon ?", "in_reply_to_id": post["id"]}
    ).json()
    mention = fan.post("/api/v1/statuses", json={"status": "J'adore @inboxshop"}).json()
    dm = fan.post(
        "/api/v1/statuses", json={"status": "@inboxshop un code promo ?", "visibility": "direct"}
    ).json()

    assert fetch_now(channel).startswith("ok")
    assert fetch_now(channel).startswith("ok: 0 ")  # the cursor: nothing fetched twice
    stored = {m.remote_id: m for m in Message.objects.filter(channel=channel)}
    assert set(stored) == {comment["id"], mention["id"], dm["id"]}
    assert stored[comment["id"]].conversation.kind == "thread"
    assert stored[comment["id"]].conversation.key == f"thread:{post['id']}"
    assert stored[comment["id"]].is_question
    assert stored[mention["id"]].conversation.kind == "mention"
    assert stored[dm["id"]].conversation.kind == "dm"
    assert Conversation.objects.filter(channel=channel).count() == 3

    conv = stored[comment["id"]].conversation
    reply = services.reply(conv, members["community"], "community", "Oui, à la vanille !")
    assert send_replies() == ["sent"]
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    status = fan.get(f"/api/v1/statuses/{reply.remote_id}").json()
    assert status["in_reply_to_id"] == comment["id"]
    assert "vanille" in status["content"]
    assert send_replies() == []  # nothing left to send: once
    thread = fan.get(f"/api/v1/statuses/{post['id']}/context").json()
    ours = [s for s in thread["descendants"] if "vanille" in s["content"]]
    assert len(ours) == 1
    conv.refresh_from_db()
    assert conv.first_response_at is not None
    assert conv.messages.filter(direction="out").count() == 1
    fetch_now(channel)
    assert Message.objects.filter(channel=channel, remote_id=reply.remote_id).count() == 1
