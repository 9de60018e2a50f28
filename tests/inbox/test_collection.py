"""Collection: cursors across restarts, duplicates from webhook and poll stored once, deletions marked,
threading into conversations — against the sandbox audience."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from inbox_helpers import OWNER, fetch_once, move_clock, publish

from tamtam.inbox import collect, ingest
from tamtam.inbox.models import Conversation, FetchState, InboxFetch, Message
from tamtam.networks.base import InboxKind
from tamtam.networks.sandbox import audience
from tamtam.networks.sandbox.store import connect

pytestmark = pytest.mark.django_db


def _network_items(channel, offset: float) -> list:
    """Everything the audience has produced by now (+offset), straight from the generator."""
    conn = connect()
    posts = audience.our_posts(conn, channel.handle.lstrip("@"))
    created = audience.account_created(conn, channel.handle.lstrip("@"), 0)
    import time

    aud = audience.Audience(
        channel.handle, audience.config_from_options(channel.options, channel.options["seed"])
    )
    return aud.page(posts, account_created=created, cursor="", now=time.time() + offset, limit=100_000).items


def test_it_collects_every_item_once_across_restarts_with_small_pages(inbox_channel, monkeypatch):
    publish(inbox_channel, "A")
    publish(inbox_channel, "B")
    monkeypatch.setattr(collect, "PAGE_SIZE", 5)
    monkeypatch.setattr(collect, "MAX_PAGES", 2)  # each run stops early: the next goes on from the cursor
    move_clock(inbox_channel, 3 * 3600)
    for _ in range(30):
        fetch_once(inbox_channel)
    move_clock(inbox_channel, 5 * 3600)  # more comments arrive after the first runs
    for _ in range(60):
        fetch_once(inbox_channel)
    expected = _network_items(inbox_channel, inbox_channel.options["audience_clock_offset_s"])
    live = {i.remote_id for i in expected if not i.deleted}
    stored = set(Message.objects.filter(channel=inbox_channel).values_list("remote_id", flat=True))
    assert live
    assert live <= stored
    assert Message.objects.filter(channel=inbox_channel).count() == len(stored)  # nothing twice
    assert stored == {i.remote_id for i in expected}
    fetch = InboxFetch.objects.get(channel=inbox_channel)
    assert fetch.state == FetchState.IDLE
    assert fetch.cursor


def test_a_worker_that_dies_mid_fetch_loses_nothing_and_duplicates_nothing(inbox_channel, monkeypatch):
    publish(inbox_channel, "A")
    move_clock(inbox_channel, 8 * 3600)
    monkeypatch.setattr(collect, "PAGE_SIZE", 4)
    collect.ensure_fetches()
    fetch = InboxFetch.objects.get(channel=inbox_channel)
    calls = {"n": 0}
    original = ingest.store_items

    def crash_on_third(channel, items, via="poll", prepared=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")  # not an Exception: escapes like a dying process
        return original(channel, items, via=via, prepared=prepared)

    monkeypatch.setattr(collect, "store_items", crash_on_third)
    assert fetch.pk in collect.claim_due(timezone.now(), 5, OWNER)
    with pytest.raises(SystemExit):
        collect.run_fetch(fetch.pk, OWNER)
    assert Message.objects.filter(channel=inbox_channel).count() == 8  # two pages committed with cursors
    monkeypatch.setattr(collect, "store_items", original)
    # The lease expires; the sweeper makes the row due again from its committed cursor.
    InboxFetch.objects.filter(pk=fetch.pk).update(lease_until=timezone.now() - timezone.timedelta(seconds=1))
    assert collect.sweep_expired(timezone.now()) == 1
    monkeypatch.setattr(collect, "MAX_PAGES", 100)
    fetch_once(inbox_channel)
    expected = {i.remote_id for i in _network_items(inbox_channel, 8 * 3600)}
    stored = list(Message.objects.filter(channel=inbox_channel).values_list("remote_id", flat=True))
    assert sorted(stored) == sorted(expected)


def test_a_lost_lease_rolls_back_the_page_with_its_cursor(inbox_channel, monkeypatch):
    publish(inbox_channel, "A")
    move_clock(inbox_channel, 8 * 3600)
    collect.ensure_fetches()
    fetch = InboxFetch.objects.get(channel=inbox_channel)
    assert fetch.pk in collect.claim_due(timezone.now(), 5, OWNER)
    original = ingest.store_items

    def steal_then_store(channel, items, via="poll", prepared=None):
        InboxFetch.objects.filter(pk=fetch.pk).update(lease_owner="someone-else")
        return original(channel, items, via=via, prepared=prepared)

    monkeypatch.setattr(collect, "store_items", steal_then_store)
    assert collect.run_fetch(fetch.pk, OWNER) == "lease lost"
    assert Message.objects.filter(channel=inbox_channel).count() == 0
    assert InboxFetch.objects.get(pk=fetch.pk).cursor == ""


def _webhook_body(item) -> bytes:
    return json.dumps(
        {
            "items": [
                {
                    "remote_id": item.remote_id,
                    "kind": str(item.kind),
                    "text": item.text,
                    "created_at": item.created_at.isoformat(),
                    "parent_remote_id": item.parent_remote_id,
                    "root_remote_id": item.root_remote_id,
                    "conversation_key": item.conversation_key,
                    "author": {
                        "remote_id": item.author.remote_id,
                        "handle": item.author.handle,
                        "name": item.author.name,
                        "followers": item.author.followers,
                    },
                }
            ]
        }
    ).encode()


def test_the_same_comment_from_the_webhook_and_the_poll_is_stored_once(inbox_channel, client):
    publish(inbox_channel, "A")
    move_clock(inbox_channel, 8 * 3600)
    first = next(i for i in _network_items(inbox_channel, 8 * 3600) if i.kind == InboxKind.COMMENT)
    body = _webhook_body(first)
    url = f"/inbox/webhook/{inbox_channel.pk}/"
    response = client.post(
        url, body, content_type="application/json", HTTP_X_TAMTAM_SIGNATURE=ingest.sign(inbox_channel, body)
    )
    assert response.status_code == 200, response.content
    assert response.json()["new"] == 1
    again = client.post(
        url, body, content_type="application/json", HTTP_X_TAMTAM_SIGNATURE=ingest.sign(inbox_channel, body)
    )
    assert again.json() == {"new": 0, "duplicates": 1, "deleted": 0}
    fetch_once(inbox_channel)
    assert Message.objects.filter(channel=inbox_channel, remote_id=first.remote_id).count() == 1
    stored = Message.objects.get(channel=inbox_channel, remote_id=first.remote_id)
    assert stored.via == "webhook"
    assert (
        stored.conversation.messages_count == Message.objects.filter(conversation=stored.conversation).count()
    )


def test_the_webhook_refuses_a_bad_signature_and_names_a_bad_field(inbox_channel, client):
    url = f"/inbox/webhook/{inbox_channel.pk}/"
    body = b'{"items": [{"remote_id": "x1", "kind": "comment", "created_at": "2026-01-01T10:00:00"}]}'
    assert (
        client.post(
            url, body, content_type="application/json", HTTP_X_TAMTAM_SIGNATURE="sha256=00"
        ).status_code
        == 403
    )
    response = client.post(
        url, body, content_type="application/json", HTTP_X_TAMTAM_SIGNATURE=ingest.sign(inbox_channel, body)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items.0.created_at"
    assert Message.objects.count() == 0


def test_an_item_deleted_on_the_network_is_marked_not_lost(inbox_channel):
    options = dict(inbox_channel.options, audience_delete_share=0.5)
    inbox_channel.options = options
    inbox_channel.save()
    publish(inbox_channel, "A")
    move_clock(inbox_channel, 2 * 3600)
    fetch_once(inbox_channel)
    move_clock(inbox_channel, 8 * 3600)
    fetch_once(inbox_channel)
    deleted = Message.objects.filter(channel=inbox_channel, deleted_at__isnull=False)
    assert deleted.exists()
    for message in deleted:
        assert message.text  # the text is kept
    items = _network_items(inbox_channel, 10 * 3600)
    assert {i.remote_id for i in items if i.deleted} == set(deleted.values_list("remote_id", flat=True))


def test_items_are_threaded_under_posts_dm_conversations_and_mentions(collected):
    channel = collected["channel"]
    threads = Conversation.objects.filter(channel=channel, kind="thread")
    assert {c.root_remote_id for c in threads} == set(collected["posts"])
    for conv in threads:
        assert set(conv.messages.values_list("root_remote_id", flat=True)) == {conv.root_remote_id}
    dms = Conversation.objects.filter(channel=channel, kind="dm")
    for conv in dms:
        assert conv.key.startswith("dm:dm-")
        assert len(set(conv.messages.values_list("author_handle", flat=True))) == 1
    assert Conversation.objects.filter(channel=channel, kind="mention").exists()
    nested = Message.objects.filter(channel=channel, kind="comment").exclude(
        parent_remote_id__in=collected["posts"]
    )
    for message in nested:  # a comment answering a comment stays in its post's thread
        assert message.conversation.root_remote_id == message.root_remote_id
