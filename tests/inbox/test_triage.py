"""Triage: flags in French and English, influencer threshold, spam, the priority formula, and bad
inputs (no author name, emoji-only, right-to-left, 20,000 characters) stored whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tamtam.inbox import triage
from tamtam.inbox.ingest import settings_for, store_items
from tamtam.inbox.models import Conversation, ExcludedAccount, Message
from tamtam.networks.base import Author, InboxItem, InboxKind
from tamtam.work.db import write_transaction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Est-ce que le vélo est livré monté ?", {"question"}),
        ("Comment on active la garantie", {"question"}),
        ("How do I reset the app", {"question"}),
        ("Do you ship to Canada", {"question", "purchase_intent"}),  # shipping asks to buy
        ("Commande jamais reçue, je veux être remboursé", {"complaint"}),
        ("Mon vélo ne fonctionne plus, très déçue", {"complaint"}),
        ("My order never arrived and I want a refund", {"complaint"}),
        ("Worst customer service ever", {"complaint"}),
        ("Je le veux ! Dispo en taille M ?", {"purchase_intent", "question"}),
        ("Il coûte combien, je voudrais commander", {"purchase_intent"}),
        ("Where can I buy one in London", {"purchase_intent", "question"}),
        ("Take my money", {"purchase_intent"}),
        ("Gagnez 500 € par jour avec la crypto bit.ly/x", {"spam"}),
        ("follow for follow!!", {"spam"}),
        ("Super vélo, bravo 👏", set()),
        ("Lovely colour", set()),
    ],
)
def test_flags_follow_the_documented_french_and_english_rules(text, expected):
    assert set(triage.flags_for(text, 100, 10_000).names()) == expected


def test_influencer_is_from_the_workspace_threshold_and_unknown_audience_is_not_one():
    assert triage.flags_for("Top", 10_000, 10_000).influencer
    assert not triage.flags_for("Top", 9_999, 10_000).influencer
    assert not triage.flags_for("Top", None, 10_000).influencer


def test_priority_combines_flags_and_negativity_and_spam_is_zero():
    complaint = triage.Flags(complaint=True)
    assert triage.priority(complaint, 1.0) == 65
    assert triage.band(triage.priority(complaint, 1.0)) == "high"
    both = triage.Flags(question=True, purchase_intent=True, influencer=True)
    assert triage.priority(both, 0.0, direct=True) == 80
    assert triage.priority(triage.Flags(), 0.1) == 3
    assert triage.priority(triage.Flags(spam=True, complaint=True), 1.0) == 0
    assert triage.priority(triage.Flags(True, True, True, True), 1.0, direct=True) == 100


def _item(remote_id: str, text: str, **author) -> InboxItem:
    return InboxItem(
        remote_id=remote_id,
        kind=InboxKind.COMMENT,
        text=text,
        author=Author(**{"remote_id": "u1", **author}),
        created_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        parent_remote_id="p1",
        root_remote_id="p1",
    )


@pytest.mark.django_db
def test_items_are_triaged_in_batch_at_ingest(make_channel):
    channel = make_channel()
    rules = settings_for(channel.workspace_id)
    rules.influencer_followers = 5000
    rules.save()
    ExcludedAccount.objects.create(workspace=channel.workspace, handle="troll", reason="blocked")
    with write_transaction():
        store_items(
            channel,
            [
                _item(
                    "1",
                    "My order never arrived, this is unacceptable. I want a refund!",
                    handle="ann",
                    followers=80_000,
                ),
                _item("2", "Bonjour, où acheter le vélo à Lyon ?", handle="bea", followers=12),
                _item("3", "Merci beaucoup, super produit", handle="troll"),
            ],
        )
    complaint, purchase, blocked = (Message.objects.get(remote_id=r) for r in "123")
    assert complaint.is_complaint
    assert complaint.is_influencer
    assert complaint.lang == "en"
    assert complaint.sentiment == "negative"
    assert purchase.is_purchase_intent
    assert purchase.is_question
    assert purchase.lang == "fr"
    assert blocked.is_spam
    assert blocked.priority == 0
    assert complaint.priority > purchase.priority > blocked.priority
    conv = Conversation.objects.get(channel=channel)
    assert conv.priority == complaint.priority
    assert {"complaint", "question", "purchase_intent", "influencer"} <= set(conv.flags)


@pytest.mark.django_db
def test_bad_inputs_are_stored_whole_and_shown_correctly(make_channel, members, client):
    channel = make_channel()
    long_text = ("Un très long commentaire. " * 800)[:20_000]
    with write_transaction():
        store_items(
            channel,
            [
                _item("anon", "Je n'ai pas de nom", handle="", name=""),
                _item("emoji", "😍🔥👏", handle="emo"),
                _item("rtl", "هل يتوفر التوصيل إلى الدار البيضاء؟", handle="rtl", name="ليلى"),
                _item("long", long_text, handle="longue", name="Longue Plume"),
            ],
        )
    stored = {m.remote_id: m for m in Message.objects.all()}
    assert stored["anon"].author_label == ""
    assert stored["emoji"].text == "😍🔥👏"
    assert stored["rtl"].text == "هل يتوفر التوصيل إلى الدار البيضاء؟"
    assert stored["rtl"].is_question  # the Arabic question mark counts
    assert stored["long"].text == long_text
    assert len(stored["long"].text) == 20_000
    conv = Conversation.objects.get()
    client.force_login(members["community"])
    page = client.get(f"/w/{channel.workspace_id}/inbox/conversation/?c={conv.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "😍🔥👏" in html
    assert 'dir="auto"' in html  # each text picks its own direction (RTL shown right to left)
    assert "هل يتوفر التوصيل" in html
    assert long_text[-200:] in html  # nothing cut
    assert "Unknown author" in html  # no name, no handle: said, not blank
