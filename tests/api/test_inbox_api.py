"""The inbox through the REST API: list with filters and search, one conversation, assign, status,
close, notes, tags, reply (typed or saved, through the real sandbox connector), like/hide, spam, bulk,
retry of a failed reply, metrics; bad input named by field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.inbox import replies
from tamtam.inbox.ingest import store_items
from tamtam.inbox.models import Conversation, Message, Note, Reply, ReplyState, SavedReply
from tamtam.networks.base import Author, InboxItem, InboxKind, PublishRequest
from tamtam.networks.sandbox.store import SandboxNetwork
from tamtam.publishing.engine.ledger import connector_for
from tamtam.work.db import write_transaction

pytestmark = pytest.mark.django_db


def _item(rid, text, *, root, name="Camille Martin", handle="camille", kind=InboxKind.COMMENT, minutes=0):
    return InboxItem(
        remote_id=rid,
        kind=kind,
        text=text,
        author=Author(remote_id=f"u-{handle or rid}", handle=handle, name=name, followers=120),
        created_at=timezone.now() - timedelta(minutes=minutes),
        parent_remote_id=root,
        root_remote_id=root,
    )


@pytest.fixture
def inbox(workspace, make_channel):
    """Two channels: a French complaint, an English question, a happy comment, and a DM elsewhere."""
    channel, other = make_channel(), make_channel()
    post = connector_for(channel).publish(PublishRequest(text="Nouveau vélo", idempotency_key="p-api"))
    root = post.remote_id
    with write_transaction():
        store_items(
            channel,
            [
                _item("c1", "Livraison en retard, c'est inadmissible !", root=root, minutes=30),
                _item(
                    "c2", "Do you ship to Canada?", root=f"{root}-b", name="Sam Lee", handle="sam", minutes=20
                ),
                _item("c3", "Super vélo 😍", root=f"{root}-c", name="", handle="fan", minutes=10),
            ],
        )
        store_items(
            other,
            [
                InboxItem(
                    remote_id="d1",
                    kind=InboxKind.DM,
                    text="Bonjour, une question sur ma commande",
                    author=Author(remote_id="u-zoe", handle="zoe", name="Zoé"),
                    created_at=timezone.now() - timedelta(minutes=5),
                    conversation_key="dm-zoe",
                )
            ],
        )
    convs = {m.remote_id: m.conversation for m in Message.objects.select_related("conversation")}
    return {"ws": workspace.id, "channel": channel, "other": other, "convs": convs}


@pytest.fixture
def audience(workspace, make_channel):
    """A sandbox channel whose simulated audience commented for 7 hours, collected once: comments
    that exist on the network, so replies, likes and hides go through the real connector."""
    from tamtam.inbox import collect

    channel = make_channel(name="Audience")
    connector_for(channel).publish(PublishRequest(text="Notre nouveau vélo", idempotency_key="p-aud"))
    channel.options = dict(channel.options, audience_clock_offset_s=7 * 3600)
    channel.save(update_fields=["options"])
    collect.ensure_fetches(workspace.id)
    fetch = collect.InboxFetch.objects.get(channel=channel)
    assert fetch.pk in collect.claim_due(timezone.now(), 10, "api-test")
    collect.run_fetch(fetch.pk, "api-test")
    conv = (
        Conversation.objects.filter(channel=channel, kind="thread", messages__deleted_at__isnull=True)
        .distinct()
        .first()
    )
    assert conv is not None
    return {"ws": workspace.id, "channel": channel, "conv": conv}


def _url(inbox, path=""):
    return f"/workspaces/{inbox['ws']}/inbox{path}"


def test_the_list_filters_by_view_channel_priority_sentiment_kind_and_search(inbox, api_as, members):
    api = api_as(members["community"])
    status, body = api.get(_url(inbox, "/conversations"))
    assert status == 200, body
    assert body["count"] == 4
    assert body["unread"] == 4
    assert [c["id"] for c in body["items"]] == [
        inbox["convs"][r].id for r in ("d1", "c3", "c2", "c1")
    ]  # newest first
    by_channel = api.get(_url(inbox, "/conversations"), channel=inbox["other"].id)[1]
    assert [c["kind"] for c in by_channel["items"]] == ["dm"]
    assert api.get(_url(inbox, "/conversations"), kind="dm")[1]["count"] == 1
    negative = api.get(_url(inbox, "/conversations"), sentiment="negative")[1]
    assert [c["id"] for c in negative["items"]] == [inbox["convs"]["c1"].id]
    assert "complaint" in negative["items"][0]["flags"]
    high = api.get(_url(inbox, "/conversations"), priority="high")[1]
    assert inbox["convs"]["c1"].id in [c["id"] for c in high["items"]]
    found = api.get(_url(inbox, "/conversations"), q="canada")[1]
    assert [c["id"] for c in found["items"]] == [inbox["convs"]["c2"].id]
    by_author = api.get(_url(inbox, "/conversations"), q="@zoe")[1]
    assert [c["id"] for c in by_author["items"]] == [inbox["convs"]["d1"].id]
    assert api.get(_url(inbox, "/conversations"), view="unassigned")[1]["count"] == 4
    assert api.get(_url(inbox, "/conversations"), view="mine")[1]["count"] == 0
    page = api.get(_url(inbox, "/conversations"), limit=2, offset=2)[1]
    assert (len(page["items"]), page["count"], page["offset"]) == (2, 4, 2)


def test_the_list_answer_is_what_its_schema_says(inbox, api_as, members):
    """The list is rendered without ninja's output validation (for speed): it must still be exactly
    a valid ConversationPage, assignee, tags and instants included."""
    from tamtam.inbox.schemas import ConversationOut, ConversationPage

    api = api_as(members["community"])
    conv = inbox["convs"]["c1"]
    assert (
        api.post(_url(inbox, f"/conversations/{conv.id}/assign"), {"assignee": members["community"].id})[0]
        == 200
    )
    assert (
        api.call("put", _url(inbox, f"/conversations/{conv.id}/tags"), {"tags": ["vip", "retard"]})[0] == 200
    )
    status, body = api.get(_url(inbox, "/conversations"))
    assert status == 200
    page = ConversationPage.model_validate(body)
    assert page.model_dump(mode="json").keys() == body.keys()
    item = next(i for i in body["items"] if i["id"] == conv.id)
    assert item["assignee"] == {"id": members["community"].id, "username": members["community"].username}
    assert sorted(item["tags"]) == ["retard", "vip"]
    assert set(item) == set(ConversationOut.model_fields)


def test_bad_filters_are_named(inbox, api_as, members):
    api = api_as(members["community"])
    status, body = api.get(_url(inbox, "/conversations"), status="archived")
    assert status == 422
    assert body["errors"][0]["field"] == "status"
    assert "open" in body["errors"][0]["message"]
    status, body = api.get(_url(inbox, "/conversations"), limit=1000)
    assert (status, body["errors"][0]["field"]) == (422, "limit")
    status, body = api.get(_url(inbox, "/conversations"), channel="abc")
    assert (status, body["errors"][0]["field"]) == (422, "channel")


def test_one_conversation_with_its_messages_is_read_once_opened(inbox, api_as, members):
    conv = inbox["convs"]["c3"]
    assert Conversation.objects.get(pk=conv.id).unread == 1
    status, body = api_as(members["analyst"]).get(_url(inbox, f"/conversations/{conv.id}"))
    assert status == 200, body
    assert body["messages"][0]["text"] == "Super vélo 😍"
    assert body["messages"][0]["author"] == "@fan"  # no name: the handle
    assert body["unread"] == 0
    assert Conversation.objects.get(pk=conv.id).unread == 0
    other_ws = api_as(members["community"]).get(f"/workspaces/{inbox['ws']}/inbox/conversations/999999")
    assert other_ws[0] == 404


def test_assign_status_note_tags_and_close(inbox, api_as, members):
    api = api_as(members["community"])
    conv = inbox["convs"]["c1"]
    base = _url(inbox, f"/conversations/{conv.id}")
    status, body = api.post(base + "/assign", {"assignee": members["manager"].id})
    assert (status, body["assignee"]["username"]) == (200, members["manager"].username)
    status, body = api.post(base + "/assign", {"assignee": members["client"].id})
    assert status == 422
    assert body["errors"][0]["field"] == "assignee"
    assert api.post(base + "/assign", {"assignee": None})[1]["assignee"] is None
    assert api.post(base + "/status", {"status": "pending"})[1]["status"] == "pending"
    status, body = api.post(base + "/status", {"status": "done"})
    assert (status, body["errors"][0]["field"]) == (422, "status")
    status, body = api.post(base + "/notes", {"text": "Client fidèle, geste commercial possible"})
    assert status == 201
    assert Note.objects.get(pk=body["id"]).author == members["community"]
    assert api.post(base + "/notes", {"text": ""})[1]["errors"][0]["field"] == "text"
    assert api.call("put", base + "/tags", {"tags": ["livraison", "VIP", "livraison"]})[1]["tags"] == [
        "VIP",
        "livraison",
    ]
    status, body = api.post(base + "/close")
    assert (status, body["status"]) == (200, "closed")
    assert body["closed_at"]
    assert api.get(_url(inbox, "/conversations"), status="closed")[1]["items"][0]["id"] == conv.id


def test_a_reply_typed_or_saved_goes_out_once_through_the_connector(audience, api_as, members, workspace):
    inbox = audience
    api = api_as(members["manager"])
    conv = audience["conv"]
    target = conv.messages.filter(direction="in", deleted_at__isnull=True).order_by("-created_at").first()
    saved = SavedReply.objects.create(
        workspace=workspace, title="Retard", body="Bonjour {first_name}, toute l'équipe {brand} s'excuse."
    )
    status, body = api.post(_url(inbox, f"/conversations/{conv.id}/replies"), {"saved_reply": saved.id})
    assert status == 201, body
    first = target.first_name or target.author_label
    assert body["text"] == f"Bonjour {first}, toute l'équipe {workspace.name} s'excuse."
    assert body["state"] == ReplyState.SCHEDULED
    for rid in replies.claim_due(timezone.now(), 10, "api-test"):
        assert replies.process_reply(rid, "api-test") == "sent"
    reply = Reply.objects.get(pk=body["id"])
    assert SandboxNetwork().count_for(reply.idempotency_key) == 1
    detail = api.get(_url(inbox, f"/conversations/{conv.id}"))[1]
    assert detail["replies"][0]["state"] == "sent"
    assert [m["text"] for m in detail["messages"] if m["direction"] == "out"] == [body["text"]]
    assert detail["first_response_s"] is not None  # the response time, shown on the conversation
    status, body = api.post(
        _url(inbox, f"/conversations/{conv.id}/replies"), {"text": "Hi", "saved_reply": saved.id}
    )
    assert (status, body["errors"][0]["field"]) == (422, "saved_reply")
    status, body = api.post(_url(inbox, f"/conversations/{conv.id}/replies"), {"text": "  "})
    assert (status, body["errors"][0]["field"]) == (422, "text")
    status, body = api.post(_url(inbox, f"/conversations/{conv.id}/replies"), {"text": "x" * 20_001})
    assert (status, body["errors"][0]["field"]) == (422, "text")


def test_a_failed_reply_says_why_and_is_retried_safely_through_the_api(audience, api_as, members):
    inbox = audience
    channel = inbox["channel"]
    channel.options = dict(channel.options, permanent_rate=1.0)
    channel.save()
    api = api_as(members["community"])
    conv = audience["conv"]
    body = api.post(_url(inbox, f"/conversations/{conv.id}/replies"), {"text": "Yes, we do!"})[1]
    for rid in replies.claim_due(timezone.now(), 10, "api-test"):
        replies.process_reply(rid, "api-test")
    detail = api.get(_url(inbox, f"/conversations/{conv.id}"))[1]
    assert detail["replies"][0]["state"] == "failed"
    assert "refused" in detail["replies"][0]["last_error"]
    channel.options = dict(channel.options, permanent_rate=0.0)
    channel.save()
    status, retried = api.post(_url(inbox, f"/replies/{body['id']}/retry"))
    assert (status, retried["state"]) == (200, "scheduled")
    assert api.post(_url(inbox, f"/replies/{body['id']}/retry"))[0] == 409  # not twice
    for rid in replies.claim_due(timezone.now(), 10, "api-test"):
        assert replies.process_reply(rid, "api-test") == "sent"
    reply = Reply.objects.get(pk=body["id"])
    assert SandboxNetwork().count_for(reply.idempotency_key) == 1
    assert api.post(_url(inbox, "/replies/999999/retry"))[0] == 404


def test_a_community_reply_to_a_negative_item_waits_for_a_manager(inbox, api_as, members, workspace):
    from tamtam.inbox.ingest import settings_for

    rules = settings_for(workspace.id)
    rules.approval_rule = "community_negative"
    rules.save()
    conv = inbox["convs"]["c1"]
    body = api_as(members["community"]).post(
        _url(inbox, f"/conversations/{conv.id}/replies"), {"text": "Désolés !"}
    )[1]
    assert body["state"] == "awaiting_approval"
    assert body["approval_reason"]
    decision = _url(inbox, f"/replies/{body['id']}/decision")
    assert api_as(members["community"]).post(decision)[0] == 403
    assert api_as(members["manager"]).post(decision)[1]["state"] == "scheduled"


def test_like_hide_and_spam(audience, api_as, members):
    inbox = audience
    api = api_as(members["community"])
    conv = audience["conv"]
    message = conv.messages.filter(direction="in", deleted_at__isnull=True).first()
    base = _url(inbox, f"/conversations/{conv.id}")
    status, body = api.post(f"{base}/messages/{message.id}/like")
    assert status == 200, body

    def shown(body):
        return next(m for m in body["messages"] if m["id"] == message.id)

    assert shown(body)["liked"] is True
    assert shown(api.post(f"{base}/messages/{message.id}/hide")[1])["hidden"] is True
    status, body = api.post(f"{base}/messages/{message.id}/delete")
    assert status == 409  # only our own replies can be deleted
    status, body = api.post(f"{base}/messages/{message.id}/pin")
    assert (status, body["errors"][0]["field"]) == (422, "action")
    before = api.get(_url(inbox, "/conversations"), status="any")[1]["count"]
    spam = api.post(base + "/spam", {"spam": True})[1]
    assert (spam["spam"], spam["status"]) == (True, "closed")
    assert api.get(_url(inbox, "/conversations"), status="any")[1]["count"] == before - 1
    assert api.get(_url(inbox, "/conversations"), status="any", spam=True)[1]["count"] == before


def test_bulk_actions_apply_to_all_or_none(inbox, api_as, members):
    api = api_as(members["community"])
    ids = [inbox["convs"][r].id for r in ("c1", "c2")]
    status, body = api.post(
        _url(inbox, "/bulk"), {"ids": ids, "action": "assign", "value": str(members["community"].id)}
    )
    assert (status, body) == (200, {"updated": 2})
    assert api.get(_url(inbox, "/conversations"), view="mine")[1]["count"] == 2
    assert api.post(_url(inbox, "/bulk"), {"ids": ids, "action": "tag", "value": "livraison"})[0] == 200
    assert api.get(_url(inbox, "/conversations"), tag="livraison")[1]["count"] == 2
    status, body = api.post(_url(inbox, "/bulk"), {"ids": [*ids, 999999], "action": "close"})
    assert (status, body["errors"][0]["field"]) == (422, "ids.2")
    assert Conversation.objects.filter(pk__in=ids, status="closed").count() == 0  # nothing half-done
    assert api.post(_url(inbox, "/bulk"), {"ids": ids, "action": "close"})[1] == {"updated": 2}
    status, body = api.post(_url(inbox, "/bulk"), {"ids": ids, "action": "status", "value": "done"})
    assert (status, body["errors"][0]["field"]) == (422, "value")
    status, body = api.post(_url(inbox, "/bulk"), {"ids": [], "action": "close"})
    assert (status, body["errors"][0]["field"]) == (422, "ids")
    status, body = api.post(_url(inbox, "/bulk"), {"ids": ids, "action": "explode"})
    assert (status, body["errors"][0]["field"]) == (422, "action")


def test_metrics_say_the_sla_and_the_figures(inbox, api_as, members):
    status, body = api_as(members["analyst"]).get(_url(inbox, "/metrics"))
    assert status == 200, body
    assert body["sla_first_response_s"] == 3600
    assert body["workspace"]["conversations"] == 4
    assert set(body["by_channel"]) == {str(inbox["channel"].id), str(inbox["other"].id)}
    status, body = api_as(members["analyst"]).get(
        _url(inbox, "/metrics"), since="2026-02-01T00:00:00+01:00", until="2026-01-01T00:00:00+01:00"
    )
    assert (status, body["errors"][0]["field"]) == (422, "until")
    status, body = api_as(members["analyst"]).get(_url(inbox, "/metrics"), since="2026-02-01T00:00:00")
    assert (status, body["errors"][0]["field"]) == (422, "since")


def test_bad_input_items_come_back_whole_through_the_api(workspace, make_channel, api_as, members):
    channel = make_channel()
    long_text = ("Très long commentaire, مرحبا. " * 700)[:20_000]
    with write_transaction():
        store_items(
            channel,
            [
                _item("anon", "Qui suis-je ?", root="p", name="", handle=""),
                _item("emoji", "🔥🔥🔥", root="p", handle="emo", name=""),
                _item("rtl", "שלום, מתי זה מגיע?", root="p", handle="dana", name="דנה"),
                _item("long", long_text, root="p", handle="long", name="Longue Plume"),
            ],
        )
    conv = Conversation.objects.get(channel=channel)
    body = api_as(members["community"]).get(f"/workspaces/{workspace.id}/inbox/conversations/{conv.id}")[1]
    texts = {m["remote_id"]: m for m in body["messages"]}
    assert texts["anon"]["author"] == ""
    assert texts["emoji"]["text"] == "🔥🔥🔥"
    assert texts["rtl"]["text"] == "שלום, מתי זה מגיע?"
    assert texts["rtl"]["author"] == "דנה"
    assert texts["long"]["text"] == long_text
