"""Replies through the sandbox connector: exactly once, an ambiguous failure reconciled, a failure
that says why and is retried safely, the approval rule, SLA metrics and reproducible contest draws."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from inbox_helpers import run_reconcile, run_replies

from tamtam.accounts.models import AuditEvent
from tamtam.inbox import contests, metrics, services
from tamtam.inbox.ingest import settings_for
from tamtam.inbox.models import (
    ApprovalRule,
    Contest,
    Conversation,
    Direction,
    ExcludedAccount,
    Message,
    Reply,
    ReplyState,
    SavedReply,
)
from tamtam.networks.sandbox.store import SandboxNetwork

pytestmark = pytest.mark.django_db


def _thread(collected) -> Conversation:
    return (
        Conversation.objects.filter(
            channel=collected["channel"], kind="thread", messages__deleted_at__isnull=True
        )
        .distinct()
        .first()
    )


def test_a_reply_reaches_the_network_once_and_joins_the_thread(collected, members):
    conv = _thread(collected)
    reply = services.reply(conv, members["community"], "community", "Merci pour votre message !")
    assert reply.state == ReplyState.SCHEDULED
    assert run_replies() == ["sent"]
    assert run_replies() == []  # a second wake-up finds nothing
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    assert reply.attempt_rows.count() == 1
    assert SandboxNetwork().count_for(reply.idempotency_key) == 1
    ours = Message.objects.get(conversation=conv, remote_id=reply.remote_id)
    assert ours.direction == Direction.OUT
    conv.refresh_from_db()
    assert conv.first_response_at is not None
    assert conv.first_responder == members["community"]


def test_an_ambiguous_reply_is_reconciled_not_resent(collected, members):
    channel = collected["channel"]
    channel.options = dict(channel.options, ambiguous_rate=1.0)
    channel.save()
    conv = _thread(collected)
    reply = services.reply(conv, members["manager"], "manager", "Nous regardons cela tout de suite.")
    assert run_replies() == ["unconfirmed"]
    reply.refresh_from_db()
    assert reply.state == ReplyState.UNCONFIRMED
    assert run_replies() == []  # never sent again blindly
    assert run_reconcile() == ["sent"]  # found among the account's recent posts by its key
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    assert reply.remote_id
    assert SandboxNetwork().count_for(reply.idempotency_key) == 1


def test_a_refused_reply_says_why_and_can_be_retried_safely(collected, members):
    channel = collected["channel"]
    channel.options = dict(channel.options, permanent_rate=1.0)
    channel.save()
    conv = _thread(collected)
    reply = services.reply(conv, members["community"], "community", "Bonjour !")
    assert run_replies() == ["failed"]
    reply.refresh_from_db()
    assert reply.state == ReplyState.FAILED
    assert "refused" in reply.last_error  # the network's own words
    assert reply.attempt_rows.get().status_code == 422
    channel.options = dict(channel.options, permanent_rate=0.0)
    channel.save()
    from tamtam.inbox import replies

    replies.retry(reply, members["community"])
    assert run_replies() == ["sent"]
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    assert reply.attempt_rows.count() == 2
    assert SandboxNetwork().count_for(reply.idempotency_key) == 1


def test_a_worker_dying_while_sending_leaves_the_reply_unconfirmed_then_reconciled(collected, members):
    from tamtam.inbox import replies

    conv = _thread(collected)
    reply = services.reply(conv, members["manager"], "manager", "Réponse en cours")
    Reply.objects.filter(pk=reply.pk).update(
        state=ReplyState.SENDING, lease_owner="dead", lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert replies.sweep_expired(timezone.now()) == 1
    reply.refresh_from_db()
    assert reply.state == ReplyState.UNCONFIRMED
    # Nothing reached the network: after the looks, a person decides (send again is then allowed).
    for _ in range(replies.RECONCILE_LOOKS):
        Reply.objects.filter(pk=reply.pk).update(due_at=timezone.now())
        run_reconcile()
    reply.refresh_from_db()
    assert reply.due_at is None
    assert reply.state == ReplyState.UNCONFIRMED
    replies.retry(reply, members["manager"])
    assert run_replies() == ["sent"]
    assert SandboxNetwork().count_for(reply.idempotency_key) == 1


def test_community_replies_to_negative_items_wait_for_a_manager(collected, members):
    rules = settings_for(collected["channel"].workspace_id)
    rules.approval_rule = ApprovalRule.COMMUNITY_NEGATIVE
    rules.save()
    conv = _thread(collected)
    parent = services.reply_target(conv)
    Message.objects.filter(pk=parent.pk).update(sentiment="negative")
    reply = services.reply(conv, members["community"], "community", "Désolés !", parent.pk)
    assert reply.state == ReplyState.AWAITING_APPROVAL
    assert run_replies() == []
    by_manager = services.reply(conv, members["manager"], "manager", "Désolés (manager)", parent.pk)
    assert by_manager.state == ReplyState.SCHEDULED
    from tamtam.inbox import replies

    replies.decide(reply, members["manager"], True)
    assert sorted(run_replies()) == ["sent", "sent"]


def test_saved_replies_fill_their_variables(collected):
    conv = _thread(collected)
    saved = SavedReply.objects.create(
        workspace_id=conv.workspace_id,
        title="Merci",
        body="Bonjour {first_name}, merci ! L'équipe {brand} ({author})",
    )
    target = services.reply_target(conv)
    text = services.saved_reply_for(conv, saved.pk, target)
    assert "{" not in text
    assert conv.workspace.name in text
    if target.author_name:
        assert text.startswith(f"Bonjour {target.author_name.split()[0]},")


def test_response_metrics_per_workspace_channel_and_person_against_the_sla(collected, members):
    conv = _thread(collected)
    services.reply(conv, members["community"], "community", "Merci !")
    run_replies()
    conv.refresh_from_db()
    services.set_status(conv, members["manager"], "closed")
    found = metrics.response_metrics(
        conv.workspace_id,
        since=timezone.now() - timedelta(days=400),
        until=timezone.now() + timedelta(days=400),
    )
    conv.refresh_from_db()
    # The sandbox audience's clock runs ahead: a response "before" the item counts as 0 s, never negative.
    expected = max(0.0, (conv.first_response_at - conv.first_inbound_at).total_seconds())
    assert found.workspace.answered == 1
    assert found.by_channel[conv.channel_id].first_response_median_s == pytest.approx(expected)
    assert found.by_person[members["community"].pk].answered == 1
    assert found.by_person[members["manager"].pk].resolved == 1
    assert found.sla_first_response_s == 3600
    within = expected <= 3600
    assert found.workspace.first_response_within_sla == (1.0 if within else 0.0)

    # Analytics reads the same figures (its dashboard's response-time section).
    from tamtam.analytics import dashboard

    period = dashboard.Period.last_days(conv.workspace, 30)
    shown = dashboard.inbox_response_times(conv.workspace, period)
    assert shown.answered == 1
    assert shown.first_response_median_s == pytest.approx(expected)
    assert [row["channel_id"] for row in shown.by_channel] == [conv.channel_id]


def test_a_contest_draw_is_reproducible_from_its_seed_and_excludes_staff_and_blocked(collected, members):
    channel = collected["channel"]
    post = collected["posts"][0]
    entrants = list(
        Message.objects.filter(
            channel=channel, root_remote_id=post, direction="in", deleted_at__isnull=True, is_spam=False
        )
    )
    assert len(entrants) >= 3
    staff, blocked = entrants[0].author_handle, entrants[1].author_handle
    ExcludedAccount.objects.create(workspace=channel.workspace, handle=staff, reason="staff")
    ExcludedAccount.objects.create(workspace=channel.workspace, handle=blocked, reason="blocked")
    contest = contests.create_contest(
        channel.workspace,
        members["manager"],
        channel_id=channel.pk,
        post_remote_id=post,
        title="Un vélo",
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=2),
        winners_count=2,
    )
    pool = contests.entries(contest)
    handles = [m.author_handle for m in pool]
    assert staff not in handles
    assert blocked not in handles
    assert len(handles) == len(set(handles))  # one entry per person
    winners = contests.draw(contest, members["manager"], seed="graine-42")
    event = AuditEvent.objects.get(action="inbox.contest_drawn")
    assert event.data["seed"] == "graine-42"
    assert event.data["winners"] == [w.message.remote_id for w in winners]
    # Same seed + same entries → same winners, whatever order the entries come in.
    replay = contests.pick(list(reversed(pool)), "graine-42", 2)
    assert [m.remote_id for m in replay] == event.data["winners"]
    assert contests.verify(contest)["winners_match"]
    assert contests.pick(pool, "autre", 2) != replay or len(pool) <= 2
    contest.refresh_from_db()
    assert contest.state == Contest.State.DRAWN
    announced = contests.announce(contest, members["manager"], "manager")
    assert len(announced) == 2
    assert all("Un vélo" in r.text for r in announced)
