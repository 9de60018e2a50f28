"""The publish step of the engine (DESIGN §4): one post on one channel, exactly once.

    scheduled|retry_wait ─claim→ claimed ─(attempt row committed)→ sending ─call→ published
                                                                          ├→ retry_wait (RetryAfter)
                                                                          ├→ failed (Permanent, out of tries)
                                                                          ├→ needs_user (NeedsUser)
                                                                          └→ unconfirmed (Ambiguous, crash)

Every transition is a conditional UPDATE that must change exactly one row (state and lease owner
match), so a duplicate wake-up, a late worker or a sweeper race can never move a target twice. The
`PublishAttempt` row is committed *before* the network call: a worker killed mid-call leaves a trace
that the sweeper and reconcile (publishing/reconcile.py) turn into `unconfirmed` → the truth.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.services import audit
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.networks import registry
from tamtam.networks.base import (
    Ambiguous,
    Capability,
    ChannelContext,
    Connector,
    ConnectorError,
    MediaItem,
    NeedsUser,
    Permanent,
    PublishRequest,
    PublishResult,
    RetryAfter,
)
from tamtam.publishing.models import AttemptOutcome, PostTarget, PublishAttempt, TargetMedia
from tamtam.publishing.states import CLAIMABLE, TargetState
from tamtam.work.claim import backoff, claim

log = logging.getLogger("tamtam.publishing")

S = TargetState
Outcome = AttemptOutcome
ENGINE_ACTOR = "publishing engine"
POST_STEP = "post"
FIRST_COMMENT_STEP = "first_comment"
RECONCILE_STEP = "reconcile"
MANUAL_STEP = "manual"
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 600.0
MIN_RATE_LIMIT_WAIT = 1.0


def lease_seconds() -> float:
    return float(settings.WORK_LEASE_SECONDS)


def max_attempts() -> int:
    return int(settings.WORK_MAX_ATTEMPTS)


def retry_delay(attempt: int, hinted: float = 0.0) -> float:
    """Wait before the next try: the network's hint, never less than a jittered exponential backoff."""
    return max(hinted, backoff(attempt, BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS))


# --- claim, release, sweep ------------------------------------------------------------------------


def claimable(now: datetime) -> QuerySet[PostTarget]:
    """Targets the engine may take: never in a workspace in crisis mode, never on a channel whose
    rate limit is spent until its reset."""
    return PostTarget.objects.filter(workspace__crisis_mode=False).filter(
        Q(channel__not_before__isnull=True) | Q(channel__not_before__lte=now)
    )


def claim_due(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        claimable(now), states=CLAIMABLE, now=now, limit=limit, lease_seconds=lease_seconds(), owner=owner
    )


def _move(target_id: int, from_states: list[str], owner: str | None, **fields: Any) -> bool:
    """The one way the engine changes a target: conditional on its state (and lease), exactly one row."""
    qs = PostTarget.objects.filter(pk=target_id, state__in=from_states)
    if owner is not None:
        qs = qs.filter(lease_owner=owner)
    fields.setdefault("updated_at", timezone.now())
    return qs.update(**fields) == 1


def _unclaimed_fields(attempts: int, now: datetime) -> dict[str, Any]:
    # A target that has already failed a try goes back to retry_wait so the UI keeps saying so.
    return {"state": S.RETRY_WAIT if attempts else S.SCHEDULED, "lease_owner": "", "lease_until": None,
            "updated_at": now}


def release_claims(ids: list[int] | None, owner: str) -> int:
    """Give back claims that never reached `sending` (worker shutdown): nothing was sent."""
    now = timezone.now()
    qs = PostTarget.objects.filter(state=S.CLAIMED, lease_owner=owner)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.filter(attempts=0).update(**_unclaimed_fields(0, now)) + qs.filter(attempts__gt=0).update(
        **_unclaimed_fields(1, now)
    )


def sweep_expired(now: datetime) -> int:
    """Expired leases back to a safe state: `claimed` → scheduled (nothing was sent yet); `sending` →
    unconfirmed (something may have been sent; reconcile will find out)."""
    expired = PostTarget.objects.filter(lease_until__lt=now)
    swept = expired.filter(state=S.CLAIMED, attempts=0).update(**_unclaimed_fields(0, now))
    swept += expired.filter(state=S.CLAIMED, attempts__gt=0).update(**_unclaimed_fields(1, now))
    with transaction.atomic():
        ids = list(expired.filter(state=S.SENDING).values_list("pk", flat=True)[:500])
        if ids:
            message = _("The worker stopped while sending; checking whether the post went out.")
            swept += PostTarget.objects.filter(pk__in=ids, state=S.SENDING, lease_until__lt=now).update(
                state=S.UNCONFIRMED, due_at=now, lease_owner="", lease_until=None, last_error=message,
                last_error_kind="ambiguous", updated_at=now,
            )
            PublishAttempt.objects.filter(target_id__in=ids, step=POST_STEP, outcome=Outcome.STARTED).update(
                outcome=Outcome.AMBIGUOUS, finished_at=now, error=message
            )
    return swept


# --- building the request -------------------------------------------------------------------------


def connector_for(channel: Channel) -> Connector:
    cls = registry.get(channel.network)
    ctx = ChannelContext(
        channel_id=channel.pk, handle=channel.handle, credentials=channel.get_credentials(),
        options=dict(channel.options or {}), external_id=channel.external_id,
    )
    return cls(ctx)


def with_utm(link: str, target: PostTarget) -> str:
    """The link with the post's UTM tags; parameters already in the link win."""
    if not link:
        return ""
    post = target.post
    tags = {
        "utm_source": post.utm_source or target.channel.network,
        "utm_medium": post.utm_medium or "social",
        "utm_campaign": post.utm_campaign,
        "utm_content": post.utm_content,
    }
    parts = urlsplit(link)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _value in query}
    query += [(key, value) for key, value in tags.items() if value and key not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


def text_and_link(target: PostTarget) -> tuple[str, str]:
    return (target.text or target.post.text), with_utm(target.link or target.post.link, target)


def build_request(target: PostTarget) -> PublishRequest:
    text, link = text_and_link(target)
    media = [
        MediaItem(path=tm.media.file.path, content_type=tm.media.content_type, size=tm.media.size,
                  alt_text=tm.media.alt_text)
        for tm in TargetMedia.objects.filter(target=target).select_related("media").order_by("position")
    ]
    return PublishRequest(text=text, idempotency_key=target.idempotency_key, link=link, media=media)


def first_comment_key(target: PostTarget) -> str:
    return f"{target.idempotency_key}:{FIRST_COMMENT_STEP}"


def first_comment_pending(target: PostTarget) -> bool:
    return bool(target.first_comment.strip()) and not target.first_comment_remote_id


# --- the attempt ledger ---------------------------------------------------------------------------


def scrub(text: str, ctx: ChannelContext | None) -> str:
    """Remove any credential value that a network or library echoed back: attempts are shown in the UI."""
    if ctx is not None:
        for value in ctx.credentials.values():
            if isinstance(value, str) and len(value) >= 4:
                text = text.replace(value, "•••")
    return text


def start_attempt(target_id: int, step: str, key: str, owner: str, now: datetime) -> PublishAttempt:
    number = (PublishAttempt.objects.filter(target_id=target_id).aggregate(n=Max("number"))["n"] or 0) + 1
    return PublishAttempt.objects.create(
        target_id=target_id, number=number, step=step, idempotency_key=key[:80], worker=owner[:64],
        started_at=now, outcome=Outcome.STARTED,
    )


@dataclass
class CallReport:
    """What one network call produced, for the attempt row."""

    outcome: str
    started: float  # time.monotonic() at the call
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""


def finish_attempt(attempt: PublishAttempt, report: CallReport, ctx: ChannelContext | None) -> None:
    PublishAttempt.objects.filter(pk=attempt.pk).update(
        outcome=report.outcome, finished_at=timezone.now(), status_code=report.status_code,
        duration_ms=max(0, int((time.monotonic() - report.started) * 1000)),
        response_excerpt=scrub(report.excerpt, ctx)[:500], error=scrub(report.error, ctx)[:2000],
    )


def success_report(result: PublishResult, started: float) -> CallReport:
    return CallReport(Outcome.SUCCESS, started, result.status_code, result.response_excerpt)


def report_for(exc: BaseException, outcome: str, started: float) -> CallReport:
    if isinstance(exc, ConnectorError):
        return CallReport(outcome, started, exc.status_code, exc.response_excerpt, exc.message)
    return CallReport(outcome, started, None, "", f"{type(exc).__name__}: {exc}")


def note_rate(
    channel: Channel, connector: Connector, now: datetime, exc: BaseException | None = None
) -> None:
    """Rate shaping: keep the channel's rate headers; when nothing remains (or a 429 came back), no
    claim is made on this channel before the reset."""
    updates: dict[str, Any] = {}
    info = connector.last_rate
    not_before: datetime | None = None
    if info is not None:
        updates["rate_state"] = {
            "limit": info.limit, "remaining": info.remaining,
            "reset_at": info.reset_at.isoformat() if info.reset_at else None, "seen_at": now.isoformat(),
        }
        if info.remaining is not None and info.remaining <= 0 and info.reset_at and info.reset_at > now:
            not_before = info.reset_at
    if isinstance(exc, RetryAfter) and exc.status_code == 429:
        hinted = now + timedelta(seconds=max(exc.seconds, MIN_RATE_LIMIT_WAIT))
        not_before = max(not_before, hinted) if not_before else hinted
    if not_before is not None:
        updates["not_before"] = not_before
    if updates:
        updates["updated_at"] = now
        Channel.objects.filter(pk=channel.pk).update(**updates)


def mark_channel_needs_user(channel: Channel, message: str) -> None:
    Channel.objects.filter(pk=channel.pk).update(
        status=ChannelStatus.NEEDS_USER, status_message=message[:500], updated_at=timezone.now()
    )


def _audit(target: PostTarget, action: str, summary: str, **data: Any) -> None:
    audit(target.workspace, None, action, target, summary=summary, actor_label=ENGINE_ACTOR, **data)


# --- the publish step -----------------------------------------------------------------------------


def _load(target_id: int) -> PostTarget | None:
    return PostTarget.objects.select_related("channel", "workspace", "post").filter(pk=target_id).first()


def process_target(target_id: int, owner: str, *, now: datetime | None = None) -> str:
    """Publish one claimed target. Harmless when the target is not (or no longer) claimed by `owner`."""
    target = _load(target_id)
    if target is None or target.state != S.CLAIMED or target.lease_owner != owner:
        return "skipped"
    now = now or timezone.now()
    channel = target.channel
    if target.workspace.crisis_mode:
        # Crisis mode came on after the claim: hold the post, resumable from where it was.
        _move(target.pk, [S.CLAIMED], owner, state=S.PAUSED, lease_owner="", lease_until=None,
              paused_from=S.RETRY_WAIT if target.attempts else S.SCHEDULED)
        return "paused"
    if channel.not_before and channel.not_before > now:
        _move(target.pk, [S.CLAIMED], owner, **_unclaimed_fields(target.attempts, now))
        return "deferred"
    if channel.status != ChannelStatus.ACTIVE:
        message = _("Reconnect %(channel)s; nothing was sent.") % {"channel": channel.name}
        if _move(target.pk, [S.CLAIMED], owner, state=S.NEEDS_USER, lease_owner="", lease_until=None,
                 due_at=None, last_error=message, last_error_kind="needs_user"):
            _audit(target, "target.needs_user", f"{channel.name}: {message}")
        return "needs_user"
    try:
        connector = connector_for(channel)
        if not connector.can(Capability.PUBLISH):
            raise Permanent(_("%(network)s cannot publish posts.") % {"network": connector.label})
        request = build_request(target)
    except Exception as exc:  # nothing was sent: a clear, final failure
        message = exc.message if isinstance(exc, ConnectorError) else _(
            "The post could not be prepared: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
        if _move(target.pk, [S.CLAIMED], owner, state=S.FAILED, lease_owner="", lease_until=None, due_at=None,
                 last_error=message[:2000], last_error_kind="permanent"):
            _audit(target, "target.failed", f"{channel.name}: {message}"[:300])
        return "failed"

    with transaction.atomic():
        if not _move(target.pk, [S.CLAIMED], owner, state=S.SENDING,
                     lease_until=now + timedelta(seconds=lease_seconds())):
            return "lost"
        attempt = start_attempt(target.pk, POST_STEP, request.idempotency_key, owner, now)
    # Committed: from here on, a crash leaves `sending` + a started attempt → unconfirmed → reconcile.
    started = time.monotonic()
    try:
        result = connector.publish(request)
    except BaseException as exc:
        outcome = _after_failure(target, attempt, connector, owner=owner, exc=exc, started=started)
        if not isinstance(exc, Exception):
            raise
        return outcome
    return _after_success(target, attempt, connector, owner=owner, result=result, started=started)


def _after_success(
    target: PostTarget, attempt: PublishAttempt, connector: Connector, *, owner: str, result: PublishResult,
    started: float,
) -> str:
    done = timezone.now()
    pending = first_comment_pending(target)
    fields: dict[str, Any] = {
        "state": S.PUBLISHED, "remote_id": result.remote_id, "remote_url": result.url, "published_at": done,
        "last_error": "", "last_error_kind": "",
        # The first comment is a step of its own; keep the lease to run it right away.
        "due_at": done if pending else None, "lease_owner": owner if pending else "",
        "lease_until": done + timedelta(seconds=lease_seconds()) if pending else None,
    }
    with transaction.atomic():
        # A sweeper may have judged us dead meanwhile (→ unconfirmed): we know better, it is published.
        moved = _move(target.pk, [S.SENDING], owner, **fields)
        moved = moved or _move(target.pk, [S.UNCONFIRMED], None, **fields)
        finish_attempt(attempt, success_report(result, started), connector.ctx)
        if moved:
            _audit(target, "target.published", f"{target.channel.name}: {result.url or result.remote_id}",
                   remote_url=result.url, attempt=attempt.number)
        note_rate(target.channel, connector, done)
    if moved and pending:
        process_first_comment(target.pk, owner)
    return "published"


def _after_failure(
    target: PostTarget, attempt: PublishAttempt, connector: Connector, *, owner: str, exc: BaseException,
    started: float,
) -> str:
    done = timezone.now()
    channel = target.channel
    cleared: dict[str, Any] = {"lease_owner": "", "lease_until": None}
    if isinstance(exc, RetryAfter):
        # A 429 is rate shaping, not a failure of this post: it does not use up one of its tries.
        tries = target.attempts + (0 if exc.status_code == 429 else 1)
        if tries >= max_attempts():
            message = _("Gave up after %(count)s attempts: %(error)s") % {
                "count": tries, "error": exc.message}
            state, kind, outcome, due = S.FAILED, "permanent", Outcome.RETRY, None
        else:
            message, state, kind, outcome = exc.message, S.RETRY_WAIT, "retry", Outcome.RETRY
            floor = max(exc.seconds, MIN_RATE_LIMIT_WAIT) if exc.status_code == 429 else exc.seconds
            due = done + timedelta(seconds=retry_delay(max(tries, 1), floor))
        fields = {"state": state, "attempts": tries, "due_at": due, "last_error": message,
                  "last_error_kind": kind, **cleared}
    elif isinstance(exc, Permanent):
        state, outcome, message = S.FAILED, Outcome.PERMANENT, exc.message
        fields = {"state": state, "due_at": None, "last_error": message, "last_error_kind": "permanent",
                  **cleared}
    elif isinstance(exc, NeedsUser):
        state, outcome, message = S.NEEDS_USER, Outcome.NEEDS_USER, exc.message
        fields = {"state": state, "due_at": None, "last_error": message, "last_error_kind": "needs_user",
                  **cleared}
    else:
        # Ambiguous, or anything unexpected once the request may have left: never re-send blindly.
        state, outcome = S.UNCONFIRMED, Outcome.AMBIGUOUS
        if isinstance(exc, Ambiguous):
            message = exc.message
        else:
            message = _(
                "Unexpected error during the call (%(type)s); checking whether the post went out."
            ) % {"type": type(exc).__name__}
            log.error("target %s: unexpected %s from the %s connector", target.pk, type(exc).__name__,
                      channel.network)
        fields = {"state": state, "due_at": done, "last_error": message, "last_error_kind": "ambiguous",
                  **cleared}
    fields["last_error"] = scrub(str(fields["last_error"]), connector.ctx)[:2000]
    with transaction.atomic():
        moved = _move(target.pk, [S.SENDING], owner, **fields)
        finish_attempt(attempt, report_for(exc, outcome, started), connector.ctx)
        if moved and state in (S.FAILED, S.NEEDS_USER):
            _audit(target, f"target.{state}", f"{channel.name}: {fields['last_error']}"[:300],
                   attempt=attempt.number)
        if isinstance(exc, NeedsUser):
            mark_channel_needs_user(channel, fields["last_error"])
        note_rate(channel, connector, done, exc)
    return str(state) if moved else "lost"


# --- the first comment: a step of its own ---------------------------------------------------------


def claim_first_comments(now: datetime, limit: int, owner: str) -> list[int]:
    pending = PostTarget.objects.filter(workspace__crisis_mode=False, first_comment_remote_id="").exclude(
        first_comment="")
    return claim(pending, states=[S.PUBLISHED], now=now, limit=limit, lease_seconds=lease_seconds(),
                 owner=owner, to_state=None, require_free_lease=True)


def release_leases(ids: list[int] | None, owner: str) -> int:
    """Give back lease-only claims (first comment, reconcile) that never started."""
    qs = PostTarget.objects.filter(lease_owner=owner, state__in=[S.PUBLISHED, S.UNCONFIRMED])
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(lease_owner="", lease_until=None, updated_at=timezone.now())


def _end_first_comment(target_id: int, owner: str, error: str = "", remote_id: str = "",
                       due: datetime | None = None) -> bool:
    fields: dict[str, Any] = {"lease_owner": "", "lease_until": None, "due_at": due}
    if remote_id:
        fields["first_comment_remote_id"] = remote_id
    if error:
        fields["last_error"] = error[:2000]
        fields["last_error_kind"] = "first_comment"
    return _move(target_id, [S.PUBLISHED], owner, **fields)


def process_first_comment(target_id: int, owner: str, *, now: datetime | None = None) -> str:
    """Post the first comment under a published target. Its failure never un-publishes the post."""
    from tamtam.publishing import reconcile  # reconcile imports this module

    target = _load(target_id)
    if target is None or target.state != S.PUBLISHED or target.lease_owner != owner:
        return "skipped"
    if not first_comment_pending(target) or not target.remote_id:
        _end_first_comment(target.pk, owner)
        return "skipped"
    now = now or timezone.now()
    connector = connector_for(target.channel)
    if not connector.can(Capability.FIRST_COMMENT):
        message = _("%(network)s does not support first comments; post it by hand.")
        _end_first_comment(target.pk, owner, message % {"network": connector.label})
        return "unsupported"
    key = first_comment_key(target)
    open_attempts = PublishAttempt.objects.filter(
        target=target, step=FIRST_COMMENT_STEP, outcome__in=[Outcome.STARTED, Outcome.AMBIGUOUS])
    if open_attempts.exists():
        # An earlier call may have gone through: look before sending again.
        verdict = reconcile.settle_open_step(target, connector, owner, key=key, text=target.first_comment,
                                             link="", open_attempts=list(open_attempts), now=now)
        if verdict.remote_id:
            _end_first_comment(target.pk, owner, remote_id=verdict.remote_id)
            return "reconciled"
        if not verdict.send_again:
            _end_first_comment(target.pk, owner, verdict.error, due=verdict.check_again_at)
            return "waiting"
    failures = PublishAttempt.objects.filter(
        target=target, step=FIRST_COMMENT_STEP, outcome=Outcome.RETRY).count()
    with transaction.atomic():
        if not _move(target.pk, [S.PUBLISHED], owner, lease_until=now + timedelta(seconds=lease_seconds())):
            return "lost"
        attempt = start_attempt(target.pk, FIRST_COMMENT_STEP, key, owner, now)
    started = time.monotonic()
    request = PublishRequest(
        text=target.first_comment, idempotency_key=key, reply_to_remote_id=target.remote_id
    )
    try:
        result = connector.publish(request)
    except Exception as exc:
        return _first_comment_failed(
            target, attempt, connector, owner=owner, exc=exc, started=started, failures=failures
        )
    with transaction.atomic():
        _end_first_comment(target.pk, owner, remote_id=result.remote_id)
        PostTarget.objects.filter(pk=target.pk, last_error_kind="first_comment").update(
            last_error="", last_error_kind="")
        finish_attempt(attempt, success_report(result, started), connector.ctx)
        note_rate(target.channel, connector, timezone.now())
    return "first_comment"


def _first_comment_failed(
    target: PostTarget, attempt: PublishAttempt, connector: Connector, *, owner: str, exc: Exception,
    started: float, failures: int,
) -> str:
    done = timezone.now()
    label = _("The post is published, but its first comment was not posted: %(error)s")
    if isinstance(exc, RetryAfter):
        outcome, failures = Outcome.RETRY, failures + 1
        if failures >= max_attempts():
            due, error = None, label % {"error": exc.message}
        else:
            due = done + timedelta(seconds=retry_delay(failures, exc.seconds))
            error = _("The first comment will be retried: %(error)s") % {"error": exc.message}
    elif isinstance(exc, Permanent | NeedsUser):
        outcome = Outcome.PERMANENT if isinstance(exc, Permanent) else Outcome.NEEDS_USER
        due, error = None, label % {"error": exc.message}
    else:
        # Maybe posted: the next pass looks for it before sending again.
        outcome, due = Outcome.AMBIGUOUS, done
        error = _("The first comment may not have been posted; checking.")
    with transaction.atomic():
        _end_first_comment(target.pk, owner, scrub(error, connector.ctx), due=due)
        finish_attempt(attempt, report_for(exc, outcome, started), connector.ctx)
        if isinstance(exc, NeedsUser):
            mark_channel_needs_user(target.channel, exc.message)
        note_rate(target.channel, connector, done, exc)
    return f"first_comment_{outcome}"


# --- a person settles an unconfirmed post ---------------------------------------------------------


def resolve_unconfirmed(target: PostTarget, actor: Any, published: bool, url: str = "") -> PostTarget:
    """The UI's "mark as published" (`published=True`, optional URL of the post) or "retry anyway"."""
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise InvalidInput("url", _("Enter the full address of the post (https://…).")) from None
    now = timezone.now()
    with transaction.atomic():
        current = (
            PostTarget.objects.select_for_update().select_related("workspace", "channel").get(pk=target.pk)
        )
        if current.state != S.UNCONFIRMED:
            raise Conflict(_("This post is no longer awaiting confirmation."))
        if current.lease_until and current.lease_until > now:
            raise Conflict(_("tamtam is checking this post right now; try again in a moment."))
        if published:
            fields: dict[str, Any] = {"state": S.PUBLISHED, "published_at": now, "due_at": None,
                                      "last_error": "", "last_error_kind": ""}
            if url:
                fields["remote_url"] = url
            if first_comment_pending(current):
                fields["last_error"] = _("The first comment was not posted: the post's id on the network is "
                                         "unknown. Post it by hand.")
                fields["last_error_kind"] = "first_comment"
            outcome, action = Outcome.SUCCESS, "target.marked_published"
        else:
            fields = {"state": S.RETRY_WAIT, "due_at": now, "last_error": "", "last_error_kind": ""}
            outcome, action = Outcome.RETRY, "target.retry_anyway"
        _move(current.pk, [S.UNCONFIRMED], None, lease_owner="", lease_until=None, **fields)
        who = getattr(actor, "get_username", lambda: "")() or "user"
        attempt = start_attempt(current.pk, MANUAL_STEP, current.idempotency_key, f"user:{who}", now)
        PublishAttempt.objects.filter(pk=attempt.pk).update(outcome=outcome, finished_at=now)
        summary = f"{current.channel.name} {url}".strip()[:300]
        audit(current.workspace, actor, action, current, summary=summary)
    current.refresh_from_db()
    return current
