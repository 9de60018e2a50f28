"""The inbox's own work against the real AT Protocol stack (PLC, PDS, AppView): the durable fetch reads
the notifications after its cursor and stores a reply to our post and a mention once each, threaded
under the post; a reply from tamtam goes out exactly once through the engine, as a reply record whose
parent is the comment and whose root is our post; a deleted comment is marked, not lost."""

from __future__ import annotations

import uuid

import pytest
from bsky_stack import Account, Stack, wait_for
from django.utils import timezone
from test_bluesky_peer import fan_posts, posts_with_key, record, refs

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.inbox import collect, replies, services
from tamtam.inbox.models import InboxFetch, Message, ReplyState
from tamtam.networks.base import PublishRequest
from tamtam.networks.bluesky.connector import connect
from tamtam.publishing.engine.ledger import connector_for

pytestmark = [pytest.mark.peers, pytest.mark.django_db]


@pytest.fixture
def channel(bluesky_stack: Stack, brand: Account, workspace: Workspace) -> Channel:
    did, handle, credentials = connect(brand.handle, bluesky_stack.app_password(brand), bluesky_stack.pds)
    channel = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Bluesky",
        handle=handle,
        external_id=did,
        options={"api_base": bluesky_stack.pds},
    )
    channel.set_credentials(credentials)
    channel.save()
    return channel


def seen_by_everyone(stack: Stack, viewer: Account, uri: str) -> None:
    """As test_bluesky_peer's, with a longer bound: on a loaded machine the AppView answers slowly, and
    a reply indexed before its parent gets no notification (see there)."""

    def shown() -> bool:
        stack.process_all()
        return bool(viewer.client.get_posts([uri]).posts)

    wait_for(shown, f"the AppView to show {uri}", timeout=120)


def fetch_now(channel: Channel) -> str:
    collect.ensure_fetches(channel.workspace_id)
    fetch = InboxFetch.objects.get(channel=channel)
    InboxFetch.objects.filter(pk=fetch.pk).update(due_at=timezone.now())
    assert fetch.pk in collect.claim_due(timezone.now(), 10, "peer")
    return collect.run_fetch(fetch.pk, "peer")


def send_replies() -> list[str]:
    return [replies.process_reply(rid, "peer") for rid in replies.claim_due(timezone.now(), 10, "peer")]


def test_bluesky_inbox_collects_threads_and_replies_once(
    bluesky_stack: Stack, brand: Account, fan: Account, channel: Channel, members
) -> None:
    connector = connector_for(channel)
    ours = connector.publish(
        PublishRequest(text="Votre avis sur la nouvelle gamme ?", idempotency_key=str(uuid.uuid4()))
    )
    seen_by_everyone(bluesky_stack, fan, ours.remote_id)
    comment_uri = fan_posts(fan, "Elle arrive quand en boutique ?", reply_to=ours.remote_id)
    mention_uri = fan_posts(fan, f"Foncez voir @{brand.handle}", mention=brand)

    def collected() -> bool:
        bluesky_stack.process_all()
        fetch_now(channel)
        found = set(Message.objects.filter(channel=channel).values_list("remote_id", flat=True))
        return {comment_uri, mention_uri} <= found

    wait_for(collected, "the comment and the mention in the inbox", timeout=120)
    bluesky_stack.process_all()
    fetch_now(channel)  # again, from the cursor: nothing twice
    assert Message.objects.filter(channel=channel, remote_id=comment_uri).count() == 1
    comment = Message.objects.get(channel=channel, remote_id=comment_uri)
    assert (comment.conversation.kind, comment.conversation.key) == ("thread", f"thread:{ours.remote_id}")
    assert comment.text == "Elle arrive quand en boutique ?"
    assert comment.is_question
    assert comment.author_handle == fan.handle
    mention = Message.objects.get(channel=channel, remote_id=mention_uri)
    assert mention.conversation.kind == "mention"

    reply = services.reply(
        comment.conversation, members["community"], "community", "La semaine prochaine !", comment.pk
    )
    assert send_replies() == ["sent"]
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    _cid, value = record(brand.client, reply.remote_id)
    assert value["text"] == "La semaine prochaine !"
    reply_refs = refs(value)
    assert reply_refs["parent"]["uri"] == comment_uri
    assert reply_refs["root"]["uri"] == ours.remote_id
    assert posts_with_key(brand, reply.idempotency_key) == [reply.remote_id]  # exactly once
    assert send_replies() == []
    comment.conversation.refresh_from_db()
    assert comment.conversation.first_response_at is not None


def test_bluesky_a_reply_to_a_comment_deleted_on_the_network_fails_with_the_reason_and_keeps_it(
    bluesky_stack: Stack, brand: Account, fan: Account, channel: Channel, members
) -> None:
    connector = connector_for(channel)
    ours = connector.publish(PublishRequest(text="Un post à commenter", idempotency_key=str(uuid.uuid4())))
    seen_by_everyone(bluesky_stack, fan, ours.remote_id)
    comment_uri = fan_posts(fan, "Je retire ce que j'ai dit", reply_to=ours.remote_id)

    def collected() -> bool:
        bluesky_stack.process_all()
        fetch_now(channel)
        return Message.objects.filter(channel=channel, remote_id=comment_uri).exists()

    wait_for(collected, "the comment in the inbox", timeout=120)
    comment = Message.objects.get(channel=channel, remote_id=comment_uri)
    fan.client.delete_post(comment_uri)
    bluesky_stack.process_all()
    reply = services.reply(
        comment.conversation, members["manager"], "manager", "Merci quand même", comment.pk
    )
    assert send_replies() == ["failed"]
    reply.refresh_from_db()
    assert reply.state == ReplyState.FAILED
    assert "does not exist" in reply.last_error  # the reason, in the connector's words
    assert posts_with_key(brand, reply.idempotency_key) == []
    replies.retry(reply, members["manager"])  # safe: the same key, and still nothing on the network
    assert send_replies() == ["failed"]
    assert posts_with_key(brand, reply.idempotency_key) == []
    comment.refresh_from_db()
    assert comment.text == "Je retire ce que j'ai dit"  # the item is kept
