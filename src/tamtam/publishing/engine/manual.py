"""What a person may do with an unconfirmed post: mark it as published, or retry anyway."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.services import audit
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.publishing.engine.ledger import (
    MANUAL_STEP,
    Outcome,
    S,
    first_comment_pending,
    move,
    start_attempt,
)
from tamtam.publishing.models import PostTarget, PublishAttempt
from tamtam.work.db import write_transaction

# --- a person settles an unconfirmed post ---------------------------------------------------------


def resolve_unconfirmed(target: PostTarget, actor: Any, published: bool, url: str = "") -> PostTarget:
    """The UI's "mark as published" (`published=True`, optional URL of the post) or "retry anyway"."""
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise InvalidInput("url", _("Enter the full address of the post (https://…).")) from None
    now = timezone.now()
    with write_transaction():
        current = (
            PostTarget.objects.select_for_update().select_related("workspace", "channel").get(pk=target.pk)
        )
        if current.state != S.UNCONFIRMED:
            raise Conflict(_("This post is no longer awaiting confirmation."))
        if current.lease_until and current.lease_until > now:
            raise Conflict(_("tamtam is checking this post right now; try again in a moment."))
        if published:
            fields: dict[str, Any] = {
                "state": S.PUBLISHED,
                "published_at": now,
                "due_at": None,
                "last_error": "",
                "last_error_kind": "",
            }
            if url:
                fields["remote_url"] = url
            if first_comment_pending(current):
                fields["last_error"] = _(
                    "The first comment was not posted: the post's id on the network is "
                    "unknown. Post it by hand."
                )
                fields["last_error_kind"] = "first_comment"
            outcome, action = Outcome.SUCCESS, "target.marked_published"
        else:
            fields = {"state": S.RETRY_WAIT, "due_at": now, "last_error": "", "last_error_kind": ""}
            outcome, action = Outcome.RETRY, "target.retry_anyway"
        move(current.pk, [S.UNCONFIRMED], None, lease_owner="", lease_until=None, **fields)
        who = getattr(actor, "get_username", lambda: "")() or "user"
        attempt = start_attempt(current.pk, MANUAL_STEP, current.idempotency_key, f"user:{who}", now)
        PublishAttempt.objects.filter(pk=attempt.pk).update(outcome=outcome, finished_at=now)
        summary = f"{current.channel.name} {url}".strip()[:300]
        audit(current.workspace, actor, action, current, summary=summary)
    current.refresh_from_db()
    return current
