"""Live inbox: the list polls its own fragment (htmx, every 10 s) and a new item shows up in it without
a reload; the navigation's unread count follows on every page; opening a conversation reads it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.inbox.ingest import store_items
from tamtam.inbox.models import Conversation
from tamtam.networks.base import Author, InboxItem, InboxKind
from tamtam.work.db import write_transaction

pytestmark = pytest.mark.django_db


def _dm(rid: str, text: str) -> InboxItem:
    return InboxItem(
        remote_id=rid,
        kind=InboxKind.DM,
        text=text,
        author=Author(remote_id=f"u-{rid}", handle=f"h{rid}", name=f"Nom {rid}"),
        created_at=timezone.now() - timedelta(seconds=30),
        conversation_key=f"dm-{rid}",
    )


def _unread_badge(html: str) -> str:
    marker = 'data-testid="nav-inbox-unread">'
    if marker not in html:
        return ""
    return html.split(marker, 1)[1].split("<", 1)[0].strip()


def test_new_items_appear_in_the_polled_list_and_the_unread_count(make_channel, members, client):
    channel = make_channel()
    ws = channel.workspace_id
    client.force_login(members["community"])
    page = client.get(f"/w/{ws}/inbox/").content.decode()
    assert 'hx-trigger="every 10s"' in page
    assert "partial=list" in page
    assert _unread_badge(page) == ""  # nothing unread: no badge

    with write_transaction():
        store_items(channel, [_dm("1", "Bonjour, ma commande est arrivée cassée")])
    fragment = client.get(f"/w/{ws}/inbox/", {"partial": "list"}, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in body  # the list alone, swapped into the page
    assert "ma commande est arrivée cassée" in body

    with write_transaction():
        store_items(channel, [_dm("2", "Do you ship to Belgium?")])
    body = client.get(f"/w/{ws}/inbox/", {"partial": "list"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Do you ship to Belgium?" in body
    # Any page's navigation says how many open conversations have unread items.
    assert _unread_badge(client.get(f"/w/{ws}/inbox/").content.decode()) == "2"

    conv = Conversation.objects.get(channel=channel, key="dm:dm-1")
    client.get(f"/w/{ws}/inbox/conversation/", {"c": conv.pk})
    assert _unread_badge(client.get(f"/w/{ws}/inbox/").content.decode()) == "1"
