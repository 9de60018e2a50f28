"""Replies from tamtam, exactly once — the publishing engine's guarantees (DESIGN §2.2, §4) kept
inside the inbox app:

    awaiting_approval → scheduled → claimed → sending → sent
          ↘ rejected                   ↘ retry_wait (RetryAfter) → claimed
                                       ↘ unconfirmed (Ambiguous, or a worker died while sending)
                                              → sent (found on the network) | a person decides
                                       ↘ failed (Permanent, NeedsUser, attempts spent) → retry by a person

- The `claimed → sending` move and the `ReplyAttempt` row commit together *before* the network call.
- The idempotency key is the reply's own, the same on every attempt (Bluesky record keys, Mastodon's
  Idempotency-Key, the sandbox's `idempotent` option use it to refuse a second copy).
- An ambiguous outcome is never re-sent blindly: the reconciler looks for the reply among the
  account's recent posts (by idempotency key, else by text under the same parent); not found after a
  few looks, a person chooses "send again" or "it was sent".
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.services import audit
from tamtam.inbox.models import (
    TEXT_PREVIEW,
    ApprovalRule,
    Conversation,
    Direction,
    Message,
    Reply,
    ReplyAttempt,
    ReplyState,
)
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.networks.base import (
    Ambiguous,
    Capability,
    ConnectorError,
    NeedsUser,
    Permanent,
    PublishRequest,
    PublishResult,
    RetryAfter,
    send_deadline,
)
from tamtam.work.claim import backoff, claim
from tamtam.work.db import serialised, write_transaction

log = logging.getLogger(__name__)
S = ReplyState
ENGINE = "inbox engine"
RECONCILE_EVERY = timedelta(seconds=30)
RECONCILE_LOOKS = 3
MAX_REPLY_CHARS = 20_000


def lease_seconds() -> float:
    return float(getattr(settings, "WORK_LEASE_SECONDS", 120))


def max_attempts() -> int:
    return int(getattr(settings, "WORK_MAX_ATTEMPTS", 5))


# --- approval ----------------------------------------------------------------------------------------


def crisis_requires_approval(workspace: Any) -> bool:
    """The crisis app's "replies need a manager during a crisis" switch, when that app provides one.

    Hook: `tamtam.crisis.services.replies_need_approval(workspace) -> bool` if it exists; otherwise
    the workspace's crisis mode flag counts as that switch (a reply in a bad buzz goes through a
    manager)."""
    import importlib

    try:
        crisis_services: Any = importlib.import_module("tamtam.crisis.services")
    except ImportError:
        crisis_services = None
    hook = getattr(crisis_services, "replies_need_approval", None)
    if callable(hook):
        return bool(hook(workspace))
    return bool(getattr(workspace, "crisis_mode", False))


def approval_reason(workspace: Any, role: str, parent: Message) -> str:
    """Why this reply must wait for a manager ("" when it goes straight out)."""
    from tamtam.inbox.access import is_manager
    from tamtam.inbox.ingest import settings_for

    if is_manager(role):
        return ""
    if crisis_requires_approval(workspace):
        return _("crisis mode: replies go through a manager")
    rule = settings_for(workspace.pk).approval_rule
    if rule == ApprovalRule.COMMUNITY_ALL:
        return _("workspace rule: every reply goes through a manager")
    if rule == ApprovalRule.COMMUNITY_NEGATIVE and parent.sentiment == "negative":
        return _("workspace rule: replies to negative items go through a manager")
    return ""


# --- asking, approving, retrying (people) -------------------------------------------------------------


def request_reply(conversation: Conversation, parent: Message, actor: Any, role: str, text: str) -> Reply:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("text", _("this field is required"))
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidInput("text", _("too long: at most %(max)s characters") % {"max": MAX_REPLY_CHARS})
    if parent.conversation_id != conversation.pk:
        raise InvalidInput("parent", _("this message is not in this conversation"))
    if parent.deleted_at is not None:
        raise Conflict(_("This message was deleted on the network; it cannot be answered."))
    reason = approval_reason(conversation.workspace, role, parent)
    now = timezone.now()
    with write_transaction():
        reply = Reply.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            parent=parent,
            author=actor,
            text=text,
            state=S.AWAITING_APPROVAL if reason else S.SCHEDULED,
            due_at=None if reason else now,
            idempotency_key=f"inbox-{uuid.uuid4().hex}",
            approval_reason=reason[:200],
            created_at=now,
        )
        audit(
            conversation.workspace,
            actor,
            "inbox.reply_requested",
            reply,
            summary=text[:120],
            needs_approval=bool(reason),
            reason=reason,
        )
    return reply


def _move(reply_id: int, from_states: list[str], owner: str | None, **fields: Any) -> bool:
    qs = Reply.objects.filter(pk=reply_id, state__in=from_states)
    if owner is not None:
        qs = qs.filter(lease_owner=owner)
    with serialised():
        return qs.update(**fields) == 1


def decide(reply: Reply, actor: Any, approve: bool, comment: str = "") -> Reply:
    to = S.SCHEDULED if approve else S.REJECTED
    fields: dict[str, Any] = {"state": to, "decided_by": actor, "due_at": timezone.now() if approve else None}
    if not approve:
        fields["last_error"] = comment[:500]
    if not _move(reply.pk, [S.AWAITING_APPROVAL], None, **fields):
        raise Conflict(_("This reply is no longer waiting for approval."))
    audit(
        reply.conversation.workspace,
        actor,
        "inbox.reply_approved" if approve else "inbox.reply_rejected",
        reply,
        summary=comment[:120],
    )
    reply.refresh_from_db()
    return reply


def retry(reply: Reply, actor: Any) -> Reply:
    """Send a failed reply again, or an unconfirmed one the reconciler did not find (same key)."""
    if reply.state == S.UNCONFIRMED and reply.due_at is not None:
        raise Conflict(_("tamtam is still checking whether this reply reached the network."))
    if not _move(
        reply.pk, [S.FAILED, S.UNCONFIRMED], None, state=S.SCHEDULED, due_at=timezone.now(), last_error=""
    ):
        raise Conflict(_("Only a failed or unconfirmed reply can be sent again."))
    audit(reply.conversation.workspace, actor, "inbox.reply_retried", reply, summary=reply.text[:120])
    reply.refresh_from_db()
    return reply


def mark_sent(reply: Reply, actor: Any, url: str = "") -> Reply:
    """A person saw the unconfirmed reply on the network."""
    if not _move(
        reply.pk, [S.UNCONFIRMED], None, state=S.SENT, url=url[:500], sent_at=timezone.now(), due_at=None
    ):
        raise Conflict(_("Only an unconfirmed reply can be marked as sent."))
    reply.refresh_from_db()
    _answered(reply, timezone.now())
    audit(reply.conversation.workspace, actor, "inbox.reply_marked_sent", reply)
    return reply


# --- the engine ---------------------------------------------------------------------------------------


def claim_due(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        Reply.objects.all(),
        states=[S.SCHEDULED, S.RETRY_WAIT],
        now=now,
        limit=limit,
        lease_seconds=lease_seconds(),
        owner=owner,
        to_state=S.CLAIMED,
    )


def claim_unconfirmed(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        Reply.objects.all(),
        states=[S.UNCONFIRMED],
        now=now,
        limit=limit,
        lease_seconds=lease_seconds(),
        owner=owner,
        to_state=None,
        require_free_lease=True,
    )


def release_claims(ids: list[int] | None, owner: str) -> int:
    qs = Reply.objects.filter(state=S.CLAIMED, lease_owner=owner)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    with serialised():
        return qs.update(state=S.SCHEDULED, lease_owner="", lease_until=None)


def sweep_expired(now: datetime) -> int:
    """Expired leases: claimed → scheduled (nothing sent yet); sending → unconfirmed (maybe sent)."""
    with serialised():
        n = Reply.objects.filter(state=S.CLAIMED, lease_until__lt=now).update(
            state=S.SCHEDULED, lease_owner="", lease_until=None, due_at=now
        )
        n += Reply.objects.filter(state=S.SENDING, lease_until__lt=now).update(
            state=S.UNCONFIRMED,
            lease_owner="",
            lease_until=None,
            due_at=now,
            last_error=_("The worker stopped while sending; checking the network."),
        )
    return n


def _connector(reply: Reply) -> Any:
    from tamtam.publishing.engine.ledger import connector_for

    return connector_for(reply.parent.channel)


def _load(reply_id: int) -> Reply | None:
    return (
        Reply.objects.select_related("parent", "parent__channel", "conversation", "conversation__workspace")
        .filter(pk=reply_id)
        .first()
    )


def process_reply(reply_id: int, owner: str, *, now: datetime | None = None) -> str:
    reply = _load(reply_id)
    if reply is None or reply.state != S.CLAIMED or reply.lease_owner != owner:
        return "not ours"
    now = now or timezone.now()
    send_by = time.monotonic() + lease_seconds()  # past the lease taken below, the reply is not sent
    with write_transaction():
        moved = Reply.objects.filter(pk=reply.pk, state=S.CLAIMED, lease_owner=owner).update(
            state=S.SENDING, attempts=reply.attempts + 1, lease_until=now + timedelta(seconds=lease_seconds())
        )
        if moved != 1:
            return "not ours"
        number = (ReplyAttempt.objects.filter(reply=reply).aggregate(n=Max("number"))["n"] or 0) + 1
        attempt = ReplyAttempt.objects.create(
            reply=reply, number=number, idempotency_key=reply.idempotency_key, started_at=now
        )
    try:
        connector = _connector(reply)
        if not connector.can(Capability.REPLY):
            raise Permanent(
                _("%(network)s does not allow replies from tamtam.") % {"network": connector.label}
            )
        with send_deadline(send_by):
            result: PublishResult = connector.reply(
                reply.parent.remote_id, PublishRequest(text=reply.text, idempotency_key=reply.idempotency_key)
            )
    except Ambiguous as exc:
        _finish(attempt, "ambiguous", exc)
        _move(
            reply.pk,
            [S.SENDING],
            owner,
            state=S.UNCONFIRMED,
            lease_owner="",
            lease_until=None,
            due_at=timezone.now(),
            last_error=exc.message[:500],
        )
        return "unconfirmed"
    except RetryAfter as exc:
        _finish(attempt, "retry", exc)
        if reply.attempts + 1 >= max_attempts():
            return _fail(reply, owner, exc.message)
        delay = max(exc.seconds, backoff(reply.attempts + 1, 2.0, 600.0))
        _move(
            reply.pk,
            [S.SENDING],
            owner,
            state=S.RETRY_WAIT,
            lease_owner="",
            lease_until=None,
            due_at=timezone.now() + timedelta(seconds=delay),
            last_error=exc.message[:500],
        )
        return "retry"
    except NeedsUser as exc:
        from tamtam.publishing.engine.ledger import mark_channel_needs_user

        _finish(attempt, "needs_user", exc)
        mark_channel_needs_user(reply.parent.channel, exc.message)
        return _fail(reply, owner, exc.message)
    except ConnectorError as exc:
        _finish(attempt, "failed", exc)
        return _fail(reply, owner, exc.message)
    except Exception as exc:  # a bug before or around the call: unknown whether it was sent
        log.exception("inbox reply %s", reply.pk)
        attempt.finished_at, attempt.outcome = timezone.now(), "ambiguous"
        attempt.error = f"{type(exc).__name__}: {exc}"[:500]
        attempt.save()
        _move(
            reply.pk,
            [S.SENDING],
            owner,
            state=S.UNCONFIRMED,
            lease_owner="",
            lease_until=None,
            due_at=timezone.now(),
            last_error=attempt.error,
        )
        return "unconfirmed"
    attempt.finished_at = timezone.now()
    attempt.outcome = "sent"
    attempt.status_code = result.status_code
    attempt.response_excerpt = (result.response_excerpt or "")[:500]
    attempt.save()
    return _sent(reply, owner, result.remote_id, result.url, [S.SENDING])


def _finish(attempt: ReplyAttempt, outcome: str, exc: ConnectorError) -> None:
    attempt.finished_at = timezone.now()
    attempt.outcome = outcome
    attempt.status_code = exc.status_code
    attempt.error = exc.message[:500]
    attempt.response_excerpt = exc.response_excerpt[:500]
    attempt.save()


def _fail(reply: Reply, owner: str, message: str) -> str:
    _move(
        reply.pk,
        [S.SENDING],
        owner,
        state=S.FAILED,
        lease_owner="",
        lease_until=None,
        due_at=None,
        last_error=message[:500],
    )
    audit(
        reply.conversation.workspace,
        None,
        "inbox.reply_failed",
        reply,
        summary=message[:200],
        actor_label=ENGINE,
    )
    return "failed"


def _sent(reply: Reply, owner: str | None, remote_id: str, url: str, from_states: list[str]) -> str:
    now = timezone.now()
    if not _move(
        reply.pk,
        from_states,
        owner,
        state=S.SENT,
        remote_id=remote_id[:200],
        url=(url or "")[:500],
        sent_at=now,
        lease_owner="",
        lease_until=None,
        due_at=None,
        last_error="",
    ):
        return "not ours"
    reply.remote_id, reply.url, reply.sent_at = remote_id, url, now
    _answered(reply, now)
    return "sent"


def _answered(reply: Reply, now: datetime) -> None:
    """Our reply joins the thread (once) and counts as the conversation's response."""
    conv = reply.conversation
    with write_transaction():
        if reply.remote_id:
            Message.objects.get_or_create(
                channel_id=reply.parent.channel_id,
                remote_id=reply.remote_id,
                defaults={
                    "workspace_id": reply.workspace_id,
                    "conversation": conv,
                    "kind": reply.parent.kind,
                    "direction": Direction.OUT,
                    "text": reply.text,
                    "url": reply.url,
                    "parent_remote_id": reply.parent.remote_id,
                    "root_remote_id": reply.parent.root_remote_id,
                    "author_handle": (reply.parent.channel.handle or "").lstrip("@"),
                    "author_name": reply.author.get_full_name() if reply.author else "",
                    "created_at": now,
                    "via": "reply",
                },
            )
        changes: dict[str, Any] = {
            "awaiting_since": None,
            "unread": 0,
            "last_item_at": now,
            "last_text": reply.text[:TEXT_PREVIEW],
            "last_author": (reply.parent.channel.handle or "")[:200],
        }
        if conv.first_response_at is None:
            changes["first_response_at"] = now
            changes["first_responder"] = reply.author
        Conversation.objects.filter(pk=conv.pk).update(**changes)
    from tamtam.inbox.metrics import forget_figures

    forget_figures(conv.workspace_id)


def reconcile(reply_id: int, owner: str) -> str:
    """Look for an unconfirmed reply on the network (the account's recent posts)."""
    reply = _load(reply_id)
    if reply is None or reply.state != S.UNCONFIRMED or reply.lease_owner != owner:
        return "not ours"
    try:
        connector = _connector(reply)
        if not connector.can(Capability.LIST_RECENT):
            raise Permanent(_("This network cannot list recent posts; check it and decide."))
        since = reply.created_at - timedelta(minutes=5)
        recent = connector.list_recent(since, 200)
    except ConnectorError as exc:
        return _still_unknown(reply, owner, exc.message, final=isinstance(exc, Permanent | NeedsUser))
    from tamtam.networks.sandbox.store import content_hash

    wanted = content_hash(reply.text)
    for post in recent:
        if (post.idempotency_key and post.idempotency_key == reply.idempotency_key) or (
            not post.idempotency_key and content_hash(post.text) == wanted
        ):
            result = _sent(reply, owner, post.remote_id, post.url, [S.UNCONFIRMED])
            audit(
                reply.conversation.workspace,
                None,
                "inbox.reply_reconciled",
                reply,
                summary=_("found on the network"),
                actor_label=ENGINE,
            )
            return result
    looked = ReplyAttempt.objects.filter(reply=reply, outcome="reconcile").count() + 1
    ReplyAttempt.objects.create(
        reply=reply,
        number=(ReplyAttempt.objects.filter(reply=reply).aggregate(n=Max("number"))["n"] or 0) + 1,
        idempotency_key=reply.idempotency_key,
        finished_at=timezone.now(),
        outcome="reconcile",
        error=_("not found among the account's recent posts"),
    )
    return _still_unknown(reply, owner, _("Not found on the network yet."), final=looked >= RECONCILE_LOOKS)


def _still_unknown(reply: Reply, owner: str, message: str, *, final: bool) -> str:
    fields: dict[str, Any] = {"lease_owner": "", "lease_until": None, "last_error": message[:500]}
    if final:
        fields["due_at"] = None  # a person decides: send again, or mark sent
        fields["last_error"] = (
            message + " " + _("Check the network, then send it again or mark it as sent.")
        )[:500]
    else:
        fields["due_at"] = timezone.now() + RECONCILE_EVERY
    _move(reply.pk, [S.UNCONFIRMED], owner, **fields)
    return "needs a person" if final else "unconfirmed"
