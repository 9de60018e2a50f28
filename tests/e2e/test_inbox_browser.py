"""The inbox in a real browser, in French: triage a comment from the sandbox audience (assign, tag),
answer with a saved reply whose variables are filled, the reply goes out through the connector,
close the conversation, and see its response time on it and on the inbox."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tamtam.inbox import collect, replies
from tamtam.inbox.models import Conversation, InboxFetch, Reply, ReplyState, SavedReply
from tamtam.networks.base import PublishRequest
from tamtam.networks.sandbox.store import SandboxNetwork
from tamtam.publishing.engine.ledger import connector_for


def _collect(channel) -> Conversation:
    connector_for(channel).publish(
        PublishRequest(text="Notre nouveau vélo est là !", idempotency_key="e2e-p")
    )
    channel.options = dict(channel.options, audience_clock_offset_s=7 * 3600)
    channel.save(update_fields=["options"])
    collect.ensure_fetches(channel.workspace_id)
    fetch = InboxFetch.objects.get(channel=channel)
    assert fetch.pk in collect.claim_due(timezone.now(), 10, "e2e")
    collect.run_fetch(fetch.pk, "e2e")
    conv = (
        Conversation.objects.filter(channel=channel, kind="thread", messages__deleted_at__isnull=True)
        .distinct()
        .order_by("-last_item_at")
        .first()
    )
    assert conv is not None
    return conv


@pytest.mark.django_db(transaction=True)
def test_triage_reply_with_a_french_saved_reply_close_and_see_the_response_time(
    page, log_in, workspace, members, make_channel
):
    channel = make_channel(name="Sandbox Instagram")
    conv = _collect(channel)
    target = conv.messages.filter(direction="in", deleted_at__isnull=True).order_by("-created_at").first()
    SavedReply.objects.create(
        workspace=workspace,
        title="Merci (fr)",
        body="Bonjour {first_name}, merci pour votre message ! L'équipe {brand}",
        language="fr",
    )

    # The first request imports every app and connector; on a loaded machine that exceeds 15 s.
    page.goto("/accounts/login/", timeout=180_000)
    log_in("community", "pw-community-Secret1")
    page.goto(f"/w/{workspace.id}/inbox/")
    with page.expect_navigation():
        page.select_option("[data-testid=language-form] select", "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Non assignées" in page.locator("main").inner_text()
    assert page.locator("[data-testid=inbox-unread]").inner_text().strip() != ""

    # Triage: open it from the list, take it, tag it.
    page.click(f"[data-conversation-id='{conv.id}'] [data-testid=conversation-link]")
    page.wait_for_url("**/inbox/conversation/?c=*")
    page.select_option("[data-testid=assignee-select]", str(members["community"].id))
    page.click("[data-testid=assign-save]")
    page.wait_for_load_state()
    page.fill("[data-testid=tags-input]", "vélo, livraison")
    page.press("[data-testid=tags-input]", "Enter")
    page.wait_for_load_state()
    conv.refresh_from_db()
    assert conv.assignee == members["community"]
    assert sorted(conv.tags.values_list("name", flat=True)) == ["livraison", "vélo"]

    # Reply with the French saved reply: its variables are filled in the text box.
    page.select_option("[data-testid=saved-reply-select]", label="Merci (fr) (fr)")
    page.click("[data-testid=saved-reply-use]")
    page.wait_for_load_state()
    first = target.first_name or target.author_label or "à vous"
    expected = f"Bonjour {first}, merci pour votre message ! L'équipe {workspace.name}"
    assert page.input_value("[data-testid=reply-text]") == expected
    page.click("[data-testid=reply-send]")
    page.wait_for_load_state()
    reply = Reply.objects.get(conversation=conv)
    assert reply.text == expected
    for rid in replies.claim_due(timezone.now(), 10, "e2e"):
        assert replies.process_reply(rid, "e2e") == "sent"
    assert SandboxNetwork().count_for(reply.idempotency_key) == 1
    page.reload()
    assert Reply.objects.get(pk=reply.pk).state == ReplyState.SENT
    assert "Envoyée" in page.locator("[data-testid=reply-state]").first.inner_text()
    assert page.locator("[data-testid=first-response-time]").inner_text().strip() != "—"

    # Close it: the resolution time appears, and the inbox's figures count it.
    page.select_option("[data-testid=status-select]", "closed")
    page.click("[data-testid=status-save]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=conversation-status]").inner_text().strip() == "Clôturée"
    assert page.locator("[data-testid=resolution-time]").inner_text().strip() != "—"
    page.goto(f"/w/{workspace.id}/inbox/")
    assert page.locator("[data-testid=inbox-first-response]").inner_text().strip() != "—"
    assert "Première réponse" in page.locator("main").inner_text()
