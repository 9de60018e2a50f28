"""Reconcile: find out whether an unconfirmed call reached the network (DESIGN §2.2, §4).

An `unconfirmed` target had a call whose outcome we do not know (timeout after sending, a worker
killed mid-call). We never blindly send it again. Instead:

- the connector can list recent posts → look for ours by idempotency key (or, for networks that do not
  echo keys, by content) since the first open attempt started:
    found                                   → published (attempt outcome `reconciled`);
    not found, network deduplicates keys    → retry_wait (a re-send cannot double-post);
    not found, listing complete, and the call's window has passed (it can no longer land)
                                            → scheduled again (nothing was posted);
    not found yet, window still open         → check again when it closes;
- it cannot list: an idempotent network gets a re-send; any other waits for a person, who sees the
  post as "unconfirmed" with "mark as published" / "retry anyway" (engine.resolve_unconfirmed).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.networks.base import Capability, Connector, NeedsUser, Permanent, RemotePost, RetryAfter
from tamtam.publishing import engine
from tamtam.publishing.models import AttemptOutcome, PostTarget, PublishAttempt
from tamtam.publishing.states import TargetState
from tamtam.work.claim import claim
from tamtam.work.db import write_transaction

S = TargetState
Outcome = AttemptOutcome
# The network's clock and ours may differ a little; list from slightly before the call started.
CLOCK_SKEW = timedelta(seconds=5)
LIST_LIMIT = 1000
MAX_LIST_FAILURES = 10


def claim_unconfirmed(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        PostTarget.objects.all(),
        states=[S.UNCONFIRMED],
        now=now,
        limit=limit,
        lease_seconds=engine.lease_seconds(),
        owner=owner,
        to_state=None,
        require_free_lease=True,
    )


def settle_window(attempts: Sequence[PublishAttempt]) -> datetime:
    """When a call started at the latest of `attempts` can no longer land on the network: its lease
    (which bounds the call) twice over, for a worker that was slow rather than dead."""
    return max(a.started_at for a in attempts) + timedelta(seconds=2 * engine.lease_seconds())


def _norm(text: str) -> str:
    return " ".join(text.split())


def same_content(remote_text: str, text: str, link: str) -> bool:
    shown = _norm(remote_text)
    candidates = {_norm(text)}
    if link:
        candidates |= {_norm(f"{text} {link}"), _norm(f"{text}\n{link}")}
    return shown in candidates


def look_for(
    connector: Connector, target: PostTarget, key: str, *, text: str, link: str, since: datetime
) -> tuple[RemotePost | None, bool]:
    """Our post among the account's recent ones, and whether the listing was complete (authoritative).
    Raises the connector's errors."""
    remotes = connector.list_recent(since, limit=LIST_LIMIT)
    complete = len(remotes) < LIST_LIMIT
    ids = [r.remote_id for r in remotes]
    # Posts already known as another target's (or its first comment) are not candidates.
    taken = set(
        PostTarget.objects.filter(channel_id=target.channel_id)
        .filter(Q(remote_id__in=ids) | Q(first_comment_remote_id__in=ids))
        .exclude(pk=target.pk)
        .values_list("remote_id", "first_comment_remote_id")
        .iterator()
    )
    taken_ids = {i for pair in taken for i in pair if i}
    for remote in remotes:
        if remote.idempotency_key == key and remote.remote_id not in taken_ids:
            return remote, complete
    for remote in remotes:
        if remote.idempotency_key or remote.remote_id in taken_ids:
            continue
        if same_content(remote.text, text, link):
            return remote, complete
    return None, complete


@dataclass
class StepVerdict:
    remote: RemotePost | None = None
    send_again: bool = False
    check_again_at: datetime | None = None  # None with no remote and no re-send: a person decides
    error: str = ""

    @property
    def remote_id(self) -> str:
        return self.remote.remote_id if self.remote else ""


def _close_open(open_attempts: Sequence[PublishAttempt], message: str) -> None:
    # Checked and not found: these calls no longer hold back a re-send (and count as failed tries).
    PublishAttempt.objects.filter(pk__in=[a.pk for a in open_attempts]).update(
        outcome=Outcome.RETRY, error=message, finished_at=timezone.now()
    )


def settle_open_step(
    target: PostTarget,
    connector: Connector,
    owner: str,
    *,
    key: str,
    text: str,
    link: str,
    open_attempts: Sequence[PublishAttempt],
    now: datetime,
) -> StepVerdict:
    """What to do with a step (post or first comment) whose earlier calls are of unknown outcome."""
    idempotent = connector.can(Capability.IDEMPOTENT_PUBLISH)
    unknown = _(
        "tamtam could not confirm whether this was published. Check the account, then mark it as "
        "published or retry."
    )
    if not connector.can(Capability.LIST_RECENT):
        return StepVerdict(send_again=True) if idempotent else StepVerdict(error=unknown)
    since = min(a.started_at for a in open_attempts) - CLOCK_SKEW
    last_open = max(a.number for a in open_attempts)
    try:
        remote, complete = look_for(connector, target, key, text=text, link=link, since=since)
    except Exception as exc:
        return _listing_failed(
            target, connector, owner, key=key, exc=exc, last_open=last_open, now=now, unknown=unknown
        )
    finally:
        engine.note_rate(target.channel, connector, now)
    if remote is not None:
        return StepVerdict(remote=remote)
    if idempotent:
        _close_open(open_attempts, _("Not found on the network; it deduplicates, so it is sent again."))
        return StepVerdict(send_again=True)
    if not complete:
        return StepVerdict(error=unknown)
    window = settle_window(open_attempts)
    if now < window:
        return StepVerdict(check_again_at=window)
    _close_open(open_attempts, _("Not found on the network: nothing was published, so it is sent again."))
    return StepVerdict(send_again=True)


def _listing_failed(
    target: PostTarget,
    connector: Connector,
    owner: str,
    *,
    key: str,
    exc: Exception,
    last_open: int,
    now: datetime,
    unknown: str,
) -> StepVerdict:
    message = getattr(exc, "message", "") or f"{type(exc).__name__}"
    failures = PublishAttempt.objects.filter(
        target=target, step=engine.RECONCILE_STEP, number__gt=last_open
    ).count()
    attempt = engine.start_attempt(target.pk, engine.RECONCILE_STEP, key, owner, now)
    PublishAttempt.objects.filter(pk=attempt.pk).update(
        outcome=Outcome.RETRY,
        finished_at=timezone.now(),
        status_code=getattr(exc, "status_code", None),
        error=engine.scrub(message, connector.ctx)[:2000],
    )
    if isinstance(exc, NeedsUser):
        engine.mark_channel_needs_user(target.channel, exc.message)
        return StepVerdict(error=exc.message)
    if isinstance(exc, Permanent) or failures + 1 >= MAX_LIST_FAILURES:
        return StepVerdict(error=unknown)
    hinted = exc.seconds if isinstance(exc, RetryAfter) else 0.0
    # A rate limit says exactly when to look again: stacking an exponential backoff on it would leave
    # the post unconfirmed for minutes after the network is ready to answer.
    delay = hinted + random.uniform(0, 1) if hinted > 0 else engine.retry_delay(failures + 1)
    return StepVerdict(
        check_again_at=now + timedelta(seconds=delay),
        error=_("Checking the account's recent posts failed (%(error)s); trying again.") % {"error": message},
    )


def reconcile_target(target_id: int, owner: str, *, now: datetime | None = None) -> str:
    """Resolve one unconfirmed target whose lease we hold (lease-only claim: the state stays put)."""
    target = engine.load_target(target_id)
    if target is None or target.state != S.UNCONFIRMED or target.lease_owner != owner:
        return "skipped"
    now = now or timezone.now()
    try:
        connector = engine.connector_for(target.channel)
    except Exception as exc:
        message = _("The channel cannot be used (%(error)s).") % {"error": type(exc).__name__}
        _stay(target, owner, None, message)
        return "unconfirmed"
    text, link = engine.text_and_link(target)
    key = target.idempotency_key
    open_attempts = list(
        PublishAttempt.objects.filter(
            target=target, step=engine.POST_STEP, outcome__in=[Outcome.STARTED, Outcome.AMBIGUOUS]
        )
    )
    if not open_attempts:
        # Unconfirmed with no open call (set by hand or an older version): treat its last call as the
        # open one. Not `updated_at`: each check moves it on, so the window would never close.
        last = PublishAttempt.objects.filter(target=target, step=engine.POST_STEP).order_by("-number").first()
        # An unsaved stand-in, so that settling it leaves the real row's own outcome alone.
        open_attempts = [
            PublishAttempt(
                target=target,
                number=last.number if last else 0,
                started_at=last.started_at if last else target.updated_at,
            )
        ]
    verdict = settle_open_step(
        target, connector, owner, key=key, text=text, link=link, open_attempts=open_attempts, now=now
    )
    if verdict.remote is not None:
        return _found(target, owner, verdict.remote, now)
    if verdict.send_again:
        return _send_again(target, owner, connector, now)
    _stay(target, owner, verdict.check_again_at, verdict.error)
    return "unconfirmed"


def _record(target: PostTarget, owner: str, outcome: str, now: datetime, error: str = "") -> None:
    attempt = engine.start_attempt(target.pk, engine.RECONCILE_STEP, target.idempotency_key, owner, now)
    PublishAttempt.objects.filter(pk=attempt.pk).update(
        outcome=outcome, finished_at=timezone.now(), error=error
    )


def _found(target: PostTarget, owner: str, remote: RemotePost, now: datetime) -> str:
    pending = engine.first_comment_pending(target)
    with write_transaction():
        moved = engine.move(
            target.pk,
            [S.UNCONFIRMED],
            owner,
            state=S.PUBLISHED,
            remote_id=remote.remote_id,
            remote_url=remote.url,
            published_at=remote.created_at,
            lease_owner="",
            lease_until=None,
            due_at=now if pending else None,
            last_error="",
            last_error_kind="",
        )
        if moved:
            _record(target, owner, Outcome.RECONCILED, now)
            summary = f"{target.channel.name}: {remote.url or remote.remote_id}"
            engine.audit_target(target, "target.published", summary, remote_url=remote.url, reconciled=True)
    return "published" if moved else "lost"


def _send_again(target: PostTarget, owner: str, connector: Connector, now: datetime) -> str:
    fields: dict[str, Any] = {
        "lease_owner": "",
        "lease_until": None,
        "due_at": now,
        "last_error": "",
        "last_error_kind": "",
    }
    if connector.can(Capability.IDEMPOTENT_PUBLISH):
        fields["state"] = S.RETRY_WAIT
        note = _("Not found on the network; sending again (the network deduplicates).")
    else:
        # Each "not found, send again" is a try: a call that keeps failing unseen ends as failed.
        tries = target.attempts + 1
        fields["attempts"] = tries
        if tries >= engine.max_attempts():
            fields.update(
                state=S.FAILED,
                due_at=None,
                last_error_kind="permanent",
                last_error=_("Gave up after %(count)s attempts: the network never confirmed the post.")
                % {"count": tries},
            )
        else:
            fields["state"] = S.SCHEDULED
        note = _("Not found on the network: nothing was published; sending again.")
    with write_transaction():
        moved = engine.move(target.pk, [S.UNCONFIRMED], owner, **fields)
        if moved:
            _record(target, owner, Outcome.RETRY, now, note)
            if fields["state"] == S.FAILED:
                engine.audit_target(
                    target, "target.failed", f"{target.channel.name}: {fields['last_error']}"[:300]
                )
    return str(fields["state"]) if moved else "lost"


def _stay(target: PostTarget, owner: str, check_again_at: datetime | None, error: str) -> None:
    fields: dict[str, Any] = {"lease_owner": "", "lease_until": None, "due_at": check_again_at}
    if error:
        fields.update(last_error=error[:2000], last_error_kind="ambiguous")
    engine.move(target.pk, [S.UNCONFIRMED], owner, **fields)
