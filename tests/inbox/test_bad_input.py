"""The issue's "bad input and faults" on the pages: odd authors and texts in the list, and a failed
reply that says why on the conversation and is sent again safely from it (one copy on the network)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from inbox_helpers import run_replies

from tamtam.inbox.ingest import store_items
from tamtam.inbox.models import Conversation, Reply, ReplyState
from tamtam.networks.base import Author, InboxItem, InboxKind
from tamtam.networks.sandbox.store import SandboxNetwork
from tamtam.work.db import write_transaction

pytestmark = pytest.mark.django_db


def _dm(rid: str, text: str, handle: str = "", name: str = "") -> InboxItem:
    return InboxItem(
        remote_id=rid,
        kind=InboxKind.DM,
        text=text,
        author=Author(remote_id=f"u-{rid}", handle=handle, name=name),
        created_at=timezone.now() - timedelta(minutes=1),
        conversation_key=f"dm-{rid}",
    )


def test_the_list_shows_odd_authors_and_texts_as_they_came(make_channel, members, client):
    channel = make_channel()
    long_text = "Pourquoi ? " * 2000
    with write_transaction():
        store_items(
            channel,
            [
                _dm("anon", "Une question sans nom ?"),
                _dm("emoji", "🙏🙏🙏", handle="emo"),
                _dm("rtl", "متى يصل الطلب؟", name="سارة"),
                _dm("long", long_text, name="Longue Plume"),
            ],
        )
    client.force_login(members["analyst"])
    html = client.get(f"/w/{channel.workspace_id}/inbox/").content.decode()
    assert "Unknown author" in html
    assert "🙏🙏🙏" in html
    assert "سارة" in html
    assert "متى يصل الطلب؟" in html
    assert html.count('dir="auto"') >= 8  # author and text of each row pick their own direction
    assert "Pourquoi ? Pourquoi ?" in html  # the preview of a 22,000-character text, cut with an ellipsis
    conv = Conversation.objects.get(key="dm:dm-long")
    page = client.get(f"/w/{channel.workspace_id}/inbox/conversation/?c={conv.pk}").content.decode()
    assert long_text.strip() in page  # shown whole on the conversation


def test_a_failed_reply_says_why_on_the_page_and_is_sent_again_safely(collected, members, client):
    channel = collected["channel"]
    conv = (
        Conversation.objects.filter(channel=channel, kind="thread", messages__deleted_at__isnull=True)
        .distinct()
        .first()
    )
    channel.options = dict(channel.options, permanent_rate=1.0)
    channel.save()
    client.force_login(members["community"])
    url = f"/w/{channel.workspace_id}/inbox/act/"
    assert client.post(url, {"c": conv.pk, "action": "reply", "text": "Merci !"}).status_code == 302
    assert run_replies() == ["failed"]
    reply = Reply.objects.get(conversation=conv)
    page = client.get(f"/w/{channel.workspace_id}/inbox/conversation/?c={conv.pk}").content.decode()
    assert 'data-testid="reply-error"' in page
    assert reply.last_error in page  # the network's own words
    assert 'data-testid="reply-retry"' in page
    channel.options = dict(channel.options, permanent_rate=0.0)
    channel.save()
    assert client.post(url, {"c": conv.pk, "action": "retry_reply", "reply": reply.pk}).status_code == 302
    assert client.post(url, {"c": conv.pk, "action": "retry_reply", "reply": reply.pk}).status_code == 302
    assert run_replies() == ["sent"]
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    assert SandboxNetwork().count_for(reply.idempotency_key) == 1  # a double click sends one copy
