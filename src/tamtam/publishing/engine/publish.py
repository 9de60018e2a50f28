"""The post step, in three stages so that a worker can batch its database work:

1. `prepare(ids)` — one transaction for the whole batch: re-read the claimed targets, settle those
   that must not be sent (crisis mode, a spent rate limit, a disconnected channel, a post that cannot
   be built), move the rest `claimed → sending` with a conditional UPDATE, and insert their attempt
   rows. Committed *before* any network call.
2. `execute(job)` — the network call alone, on a pool thread; no database access.
3. `record(done)` — one transaction for a batch of answers: each target moves from `sending` (still
   ours) to its outcome, attempt rows get their outcome, audit events are written.

`process_target(id)` runs the three stages for one target: the same code path, one at a time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import AuditEvent
from tamtam.channels.models import ChannelStatus
from tamtam.networks.base import (
    Ambiguous,
    Capability,
    Connector,
    ConnectorError,
    MediaItem,
    NeedsUser,
    Permanent,
    PublishRequest,
    PublishResult,
    RetryAfter,
    send_deadline,
)
from tamtam.publishing.engine.claims import unclaimed_fields
from tamtam.publishing.engine.ledger import (
    ENGINE_ACTOR,
    MIN_RATE_LIMIT_WAIT,
    POST_STEP,
    Outcome,
    S,
    connector_for,
    first_comment_pending,
    lease_seconds,
    mark_channel_needs_user,
    max_attempts,
    move,
    note_rate,
    report_for,
    retry_delay,
    scrub,
    success_report,
    text_and_link,
)
from tamtam.publishing.models import PostTarget, PublishAttempt, TargetMedia
from tamtam.work.db import RowInsert, RowUpdate, insert_rows, write_transaction

log = logging.getLogger("tamtam.publishing")

# --- stage 1: prepare -----------------------------------------------------------------------------


@dataclass
class Job:
    target: PostTarget
    connector: Connector
    request: PublishRequest
    attempt: PublishAttempt | None = None
    send_by: float | None = None  # time.monotonic() when the lease taken for this call runs out


@dataclass
class Done:
    job: Job
    started: float  # time.monotonic() when the call began
    ended: float  # … and when it returned
    finished_at: datetime
    result: PublishResult | None = None
    error: Exception | None = None


@dataclass
class Prepared:
    jobs: list[Job] = field(default_factory=list)
    outcomes: dict[int, str] = field(default_factory=dict)  # targets settled without a call


def _media_by_target(ids: Sequence[int]) -> dict[int, list[MediaItem]]:
    found: dict[int, list[MediaItem]] = {}
    if not ids:
        return found
    rows = (
        TargetMedia.objects.filter(target_id__in=ids)
        .select_related("media")
        .order_by("target_id", "position")
    )
    for tm in rows:
        found.setdefault(tm.target_id, []).append(
            MediaItem(
                path=tm.media.file.path,
                content_type=tm.media.content_type,
                size=tm.media.size,
                alt_text=tm.media.alt_text,
            )
        )
    return found


def _budget_left(channel: Any, now: datetime) -> int | None:
    """Requests the channel may still make in its current rate window, from the last headers seen."""
    state = channel.rate_state or {}
    remaining, reset = state.get("remaining"), state.get("reset_at")
    if remaining is None or not reset:
        return None
    try:
        if datetime.fromisoformat(reset) <= now:
            return None  # the window has reset since
    except ValueError:
        return None
    return int(remaining)


def _without_call(
    target: PostTarget, now: datetime, budget: dict[int, int]
) -> tuple[str, dict[str, Any], str] | None:
    """(label, fields, audit action) for a claimed target that must not be sent now, else None.
    `budget` counts, per channel, the calls this batch may still make in the rate window."""
    channel = target.channel
    if (
        target.workspace.crisis_mode
        and not PostTarget.objects.filter(pk=target.pk, post__crisis_release__isnull=False).exists()
    ):
        # Crisis mode came on after the claim: hold the post, resumable from where it was.
        paused_from = S.RETRY_WAIT if target.attempts else S.SCHEDULED
        return (
            "paused",
            {"state": S.PAUSED, "lease_owner": "", "lease_until": None, "paused_from": paused_from},
            "",
        )
    if channel.not_before and channel.not_before > now:
        return "deferred", unclaimed_fields(target.attempts, now), ""
    if channel.pk not in budget:
        left = _budget_left(channel, now)
        budget[channel.pk] = left if left is not None else 1 << 30
    if budget[channel.pk] <= 0:
        return "deferred", unclaimed_fields(target.attempts, now), ""  # over the budget: next window
    budget[channel.pk] -= 1
    if channel.status != ChannelStatus.ACTIVE:
        message = _("Reconnect %(channel)s; nothing was sent.") % {"channel": channel.name}
        fields = {
            "state": S.NEEDS_USER,
            "lease_owner": "",
            "lease_until": None,
            "due_at": None,
            "last_error": message,
            "last_error_kind": "needs_user",
        }
        return "needs_user", fields, "target.needs_user"
    return None


def _failed_before_call(exc: Exception) -> dict[str, Any]:
    message = (
        exc.message
        if isinstance(exc, ConnectorError)
        else _("The post could not be prepared: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
    )
    return {
        "state": S.FAILED,
        "lease_owner": "",
        "lease_until": None,
        "due_at": None,
        "last_error": message[:2000],
        "last_error_kind": "permanent",
    }


def _not_sent(
    target: PostTarget, numbers: dict[int, int], owner: str, *, now: datetime, label: str, error: str
) -> PublishAttempt:
    return PublishAttempt(
        target_id=target.pk,
        number=numbers.get(target.pk, 0) + 1,
        step=POST_STEP,
        idempotency_key=target.idempotency_key[:80],
        worker=owner[:64],
        started_at=now,
        finished_at=now,
        outcome=Outcome.NEEDS_USER if label == "needs_user" else Outcome.PERMANENT,
        duration_ms=0,
        error=error[:2000],
    )


def prepare_batch(ids: Sequence[int], owner: str, *, now: datetime | None = None) -> Prepared:
    now = now or timezone.now()
    prepared = Prepared()
    last_number = (
        PublishAttempt.objects.filter(target=OuterRef("pk")).order_by("-number").values("number")[:1]
    )
    has_media = TargetMedia.objects.filter(target=OuterRef("pk"))
    loaded = (
        PostTarget.objects.select_related("channel", "workspace", "post")
        .filter(pk__in=ids)
        .annotate(last_number=Subquery(last_number), has_media=Exists(has_media))
    )
    targets = [t for t in loaded if t.state == S.CLAIMED and t.lease_owner == owner]
    media = _media_by_target([t.pk for t in targets if t.has_media])  # type: ignore[attr-defined]
    numbers = {t.pk: t.last_number or 0 for t in targets}  # type: ignore[attr-defined]
    settled: list[tuple[PostTarget, str, dict[str, Any], str]] = []
    budget: dict[int, int] = {}
    for target in targets:
        early = _without_call(target, now, budget)
        if early is not None:
            settled.append((target, *early))
            continue
        try:
            connector = connector_for(target.channel)
            if not connector.can(Capability.PUBLISH):
                raise Permanent(_("%(network)s cannot publish posts.") % {"network": connector.label})
            text, link = text_and_link(target)
            request = PublishRequest(
                text=text, idempotency_key=target.idempotency_key, link=link, media=media.get(target.pk, [])
            )
        except Exception as exc:  # nothing was sent: a clear, final failure
            settled.append((target, "failed", _failed_before_call(exc), "target.failed"))
            continue
        prepared.jobs.append(Job(target, connector, request))

    lease_until = now + timedelta(seconds=lease_seconds())
    send_by = time.monotonic() + lease_seconds()
    inserts = RowInsert(PublishAttempt)
    attempt_rows = {}
    for job in prepared.jobs:
        job.send_by = send_by
        job.attempt = attempt = PublishAttempt(
            target_id=job.target.pk,
            number=numbers.get(job.target.pk, 0) + 1,
            step=POST_STEP,
            idempotency_key=job.request.idempotency_key[:80],
            worker=owner[:64],
            started_at=now,
            outcome=Outcome.STARTED,
        )
        attempt_rows[job.target.pk] = inserts.params(attempt)
    with write_transaction():
        events, notes = [], []
        for stopped, label, fields, action in settled:
            if move(stopped.pk, [S.CLAIMED], owner, **fields):
                prepared.outcomes[stopped.pk] = label
                if action:
                    # Stopped for good without a call: the ledger still says why, like for a call.
                    events.append(_event(stopped, action, f"{stopped.channel.name}: {fields['last_error']}"))
                    notes.append(
                        _not_sent(stopped, numbers, owner, now=now, label=label, error=fields["last_error"])
                    )
        insert_rows(events)
        insert_rows(notes)
        if prepared.jobs:
            pks = [job.target.pk for job in prepared.jobs]
            moved = PostTarget.objects.filter(pk__in=pks, state=S.CLAIMED, lease_owner=owner).update(
                state=S.SENDING, lease_until=lease_until, updated_at=now
            )
            if moved != len(pks):  # some were taken from us (cancelled, swept): only send ours
                mine = set(
                    PostTarget.objects.filter(
                        pk__in=pks, state=S.SENDING, lease_owner=owner, lease_until=lease_until
                    ).values_list("pk", flat=True)
                )
                prepared.jobs = [job for job in prepared.jobs if job.target.pk in mine]
            # One statement; the rows are found again by (target, number) when the answers come.
            inserts.execute([attempt_rows[job.target.pk] for job in prepared.jobs])
    # Committed: from here on, a crash leaves `sending` + a started attempt → unconfirmed → reconcile.
    return prepared


def prepare(ids: list[int], owner: str) -> list[Job]:
    return prepare_batch(ids, owner).jobs


# --- stage 2: the call ----------------------------------------------------------------------------


def execute(job: Job) -> Done:
    """The network call, and nothing else: safe on any thread, touches no database."""
    started = time.monotonic()
    try:
        with send_deadline(job.send_by):  # past its lease, the call is not sent (reconcile may own it)
            result = job.connector.publish(job.request)
    except Exception as exc:
        return Done(job, started, time.monotonic(), timezone.now(), error=exc)
    return Done(job, started, time.monotonic(), timezone.now(), result=result)


# --- stage 3: record ------------------------------------------------------------------------------

TARGET_FIELDS = [
    "state",
    "remote_id",
    "remote_url",
    "published_at",
    "due_at",
    "attempts",
    "last_error",
    "last_error_kind",
    "lease_owner",
    "lease_until",
    "updated_at",
]
ATTEMPT_FIELDS = ["outcome", "finished_at", "status_code", "duration_ms", "response_excerpt", "error"]


def _event(target: PostTarget, action: str, summary: str, **data: Any) -> AuditEvent:
    """The row `accounts.services.audit` writes for the engine, built here so that a batch of
    outcomes costs one INSERT instead of one per target."""
    return AuditEvent(
        workspace_id=target.workspace_id,
        actor=None,
        actor_label=ENGINE_ACTOR,
        action=action,
        object_type=PostTarget._meta.model_name or "posttarget",
        object_id=str(target.pk),
        summary=summary[:300],
        data=data,
    )


def _outcome(done: Done) -> tuple[dict[str, Any], str]:
    """The target's new fields and the attempt outcome for one answer (or error) of the network."""
    target, at = done.job.target, done.finished_at
    fields: dict[str, Any] = {
        "remote_id": "",
        "remote_url": "",
        "published_at": None,
        "attempts": target.attempts,
        "lease_owner": "",
        "lease_until": None,
        "updated_at": at,
    }
    if done.result is not None:
        fields.update(
            state=S.PUBLISHED,
            remote_id=done.result.remote_id,
            remote_url=done.result.url,
            published_at=at,
            last_error="",
            last_error_kind="",
            # The first comment is a step of its own, claimed next by its work kind.
            due_at=_first_comment_due(done) if first_comment_pending(target) else None,
        )
        return fields, Outcome.SUCCESS
    exc = done.error
    if isinstance(exc, RetryAfter):
        # A 429 is rate shaping, not a failure of this post: it does not use up one of its tries.
        tries = target.attempts + (0 if exc.status_code == 429 else 1)
        fields["attempts"] = tries
        if tries >= max_attempts():
            message = _("Gave up after %(count)s attempts: %(error)s") % {
                "count": tries,
                "error": exc.message,
            }
            fields.update(state=S.FAILED, due_at=None, last_error=message, last_error_kind="permanent")
        else:
            floor = max(exc.seconds, MIN_RATE_LIMIT_WAIT) if exc.status_code == 429 else exc.seconds
            due = at + timedelta(seconds=retry_delay(max(tries, 1), floor))
            fields.update(state=S.RETRY_WAIT, due_at=due, last_error=exc.message, last_error_kind="retry")
        return fields, Outcome.RETRY
    if isinstance(exc, Permanent):
        fields.update(state=S.FAILED, due_at=None, last_error=exc.message, last_error_kind="permanent")
        return fields, Outcome.PERMANENT
    if isinstance(exc, NeedsUser):
        fields.update(state=S.NEEDS_USER, due_at=None, last_error=exc.message, last_error_kind="needs_user")
        return fields, Outcome.NEEDS_USER
    # Ambiguous, or anything unexpected once the request may have left: never re-send blindly.
    if isinstance(exc, Ambiguous):
        message = exc.message
    else:
        message = _("Unexpected error during the call (%(type)s); checking whether the post went out.") % {
            "type": type(exc).__name__
        }
        log.error(
            "target %s: unexpected %s from the %s connector",
            target.pk,
            type(exc).__name__,
            target.channel.network,
        )
    fields.update(state=S.UNCONFIRMED, due_at=at, last_error=message, last_error_kind="ambiguous")
    return fields, Outcome.AMBIGUOUS


def _first_comment_due(done: Done) -> datetime:
    # The post's own due time: already past for the claim that follows, whatever its clock.
    return done.job.target.due_at or done.finished_at


@dataclass
class _Plan:
    """One answer, turned into ready-to-run statement parameters before the transaction opens."""

    done: Done
    fields: dict[str, Any]
    outcome: str
    target_row: list[Any]
    attempt_row: list[Any]
    event_rows: list[list[Any]]


def record(dones: Sequence[Done], owner: str) -> dict[int, str]:
    """Write a batch of answers in one transaction. Returns each target's new state ("lost" when the
    target was no longer ours, e.g. swept meanwhile and not known to be published)."""
    if not dones:
        return {}
    # Everything that can be computed is computed before the write transaction: it only executes.
    targets, attempts, audits = RowUpdate(PostTarget, TARGET_FIELDS), _attempt_update(), RowInsert(AuditEvent)
    plans = []
    for done in dones:
        fields, outcome = _outcome(done)
        fields["last_error"] = scrub(str(fields["last_error"]), done.job.connector.ctx)[:2000]
        attempt = _finished(done, outcome)
        plans.append(
            _Plan(
                done,
                fields,
                outcome,
                target_row=targets.params(done.job.target.pk, fields),
                attempt_row=attempts.params(
                    (attempt.target_id, attempt.number), {f: getattr(attempt, f) for f in ATTEMPT_FIELDS}
                ),
                event_rows=[audits.params(event) for event in _events_for(done, fields)],
            )
        )
    labels: dict[int, str] = {}
    with write_transaction():
        pks = [done.job.target.pk for done in dones]
        ours = PostTarget.objects.filter(pk__in=pks, state=S.SENDING, lease_owner=owner)
        if connection.vendor == "postgresql":
            ours = ours.select_for_update()  # a sweeper must not slip between this read and the update
        still_ours = set(ours.values_list("pk", flat=True))
        target_rows, event_rows = [], []
        for plan in plans:
            pk = plan.done.job.target.pk
            if pk in still_ours:
                target_rows.append(plan.target_row)
                moved = True
            elif plan.outcome == Outcome.SUCCESS or (
                plan.outcome != Outcome.AMBIGUOUS and not _other_open_call(plan.done)
            ):
                # Swept to unconfirmed while we waited for the answer: we know better. Published, or
                # the network answered that nothing was posted (a 5xx, a refusal, never sent), so the
                # target takes that answer's state instead of waiting for reconcile to find nothing.
                moved = move(pk, [S.UNCONFIRMED], None, **plan.fields)
            else:
                moved = False
            labels[pk] = str(plan.fields["state"]) if moved else "lost"
            if moved:
                event_rows += plan.event_rows
        targets.execute(target_rows)
        attempts.execute([plan.attempt_row for plan in plans])
        audits.execute(event_rows)
        _channels_after(dones)
    return labels


def _other_open_call(done: Done) -> bool:
    """Whether another post call of this target is of unknown outcome (only reconcile may settle it)."""
    attempt = done.job.attempt
    assert attempt is not None
    return (
        PublishAttempt.objects.filter(
            target_id=attempt.target_id, step=POST_STEP, outcome__in=[Outcome.STARTED, Outcome.AMBIGUOUS]
        )
        .exclude(number=attempt.number)
        .exists()
    )


def _attempt_update() -> RowUpdate:
    # Attempt rows are inserted without reading their ids back: (target, number) finds them.
    return RowUpdate(PublishAttempt, ATTEMPT_FIELDS, key=("target", "number"))


def _finished(done: Done, outcome: str) -> PublishAttempt:
    attempt = done.job.attempt
    assert attempt is not None
    report = (
        success_report(done.result, done.started)
        if done.result is not None
        else report_for(done.error or Exception(), outcome, done.started)
    )
    ctx = done.job.connector.ctx
    attempt.outcome = outcome
    attempt.finished_at = done.finished_at
    attempt.status_code = report.status_code
    attempt.duration_ms = max(0, int((done.ended - done.started) * 1000))
    attempt.response_excerpt = scrub(report.excerpt, ctx)[:500]
    attempt.error = scrub(report.error, ctx)[:2000]
    return attempt


def _events_for(done: Done, fields: dict[str, Any]) -> list[AuditEvent]:
    target, state = done.job.target, fields["state"]
    number = done.job.attempt.number if done.job.attempt else None
    if state == S.PUBLISHED:
        where = fields["remote_url"] or fields["remote_id"]
        return [
            _event(
                target,
                "target.published",
                f"{target.channel.name}: {where}",
                remote_url=fields["remote_url"],
                attempt=number,
            )
        ]
    if state in (S.FAILED, S.NEEDS_USER):
        return [
            _event(
                target, f"target.{state}", f"{target.channel.name}: {fields['last_error']}", attempt=number
            )
        ]
    return []


def _channels_after(dones: Sequence[Done]) -> None:
    """Per channel of the batch: reconnect needed, and the freshest rate-limit headers."""
    latest: dict[int, Done] = {}
    for done in dones:
        channel = done.job.target.channel
        if isinstance(done.error, NeedsUser):
            mark_channel_needs_user(channel, scrub(done.error.message, done.job.connector.ctx))
        seen = latest.get(channel.pk)
        if seen is None or _rate_key(done) < _rate_key(seen):
            latest[channel.pk] = done
    for done in latest.values():
        note_rate(done.job.target.channel, done.job.connector, done.finished_at, done.error)


def _rate_key(done: Done) -> tuple[int, int]:
    # A 429 first, then the answer with the fewest requests left: the most constraining news.
    info = done.job.connector.last_rate
    limited = isinstance(done.error, RetryAfter) and done.error.status_code == 429
    remaining = info.remaining if info is not None and info.remaining is not None else 1 << 30
    return (0 if limited else 1, remaining)


# --- one target at a time -------------------------------------------------------------------------


def process_target(target_id: int, owner: str, *, now: datetime | None = None) -> str:
    """Publish one claimed target: the three stages for a batch of one. Harmless when the target is not
    (or no longer) claimed by `owner`. Returns the target's new state, or why nothing was done."""
    prepared = prepare_batch([target_id], owner, now=now)
    if not prepared.jobs:
        return prepared.outcomes.get(target_id, "skipped")
    labels = record([execute(job) for job in prepared.jobs], owner)
    return labels.get(target_id, "lost")
