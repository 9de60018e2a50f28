"""Publishing business operations: compose, submit, approve, schedule, reschedule, retry, delete.

Views, the API and the CLI call these; they own the transactions and the audit log. Permission to
*call* an operation is checked by the caller (accounts.services.require); the rules of the trade
(approval steps, daily caps, no time in the past, nothing edited while it is being sent) live here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import ApprovalPolicy, Workspace
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import audit
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.lib import timeutil
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.publishing import planning
from tamtam.publishing.models import (
    Approval,
    ApprovalDecision,
    ApprovalStep,
    Media,
    Post,
    PostComment,
    PostSource,
    PostTarget,
    TargetMedia,
)
from tamtam.publishing.states import IN_FLIGHT, TargetState

S = TargetState
# A schedule time this far in the past is refused; a little slack absorbs clock skew and form latency.
PAST_TOLERANCE = timedelta(minutes=1)
# States whose content and time a person may still change.
PRE_FLIGHT = frozenset({S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.SCHEDULED})


@dataclass
class VariantInput:
    """One channel's variant. None means "same as the post"."""

    channel_id: int
    text: str | None = None
    link: str | None = None
    first_comment: str = ""
    media_ids: list[int] | None = None


@dataclass
class PostInput:
    text: str = ""
    link: str = ""
    channel_ids: list[int] = field(default_factory=list)
    variants: list[VariantInput] = field(default_factory=list)
    media_ids: list[int] = field(default_factory=list)
    campaign_id: int | None = None
    pillar_id: int | None = None
    persona_ids: list[int] = field(default_factory=list)
    utm_source: str = ""
    utm_medium: str = "social"
    utm_campaign: str = ""
    utm_content: str = ""


# --- Approval rules -------------------------------------------------------------------------------


def required_steps(workspace: Workspace) -> list[str]:
    steps: dict[str, list[str]] = {
        ApprovalPolicy.NONE: [],
        ApprovalPolicy.MANAGER: [ApprovalStep.MANAGER],
        ApprovalPolicy.MANAGER_CLIENT: [ApprovalStep.MANAGER, ApprovalStep.CLIENT],
    }
    return steps[workspace.approval_policy]


def steps_done(post: Post) -> set[str]:
    """Steps whose latest decision on the *current* version is an approval."""
    latest: dict[str, str] = {}
    for approval in post.approvals.filter(version=post.version).order_by("created_at", "id"):
        latest[approval.step] = approval.decision
    return {step for step, decision in latest.items() if decision == ApprovalDecision.APPROVED}


def pending_step(post: Post) -> str | None:
    done = steps_done(post)
    return next((step for step in required_steps(post.workspace) if step not in done), None)


def is_approved(post: Post) -> bool:
    return pending_step(post) is None


def can_review_step(role: str | None, step: str) -> bool:
    if step == ApprovalStep.MANAGER:
        return can(role, Cap.APPROVE)
    return can(role, Cap.CLIENT_REVIEW)


# --- Validation helpers ---------------------------------------------------------------------------


def _check_future(when: datetime, field_name: str = "scheduled_at") -> datetime:
    try:
        timeutil.require_aware(when, field_name)
    except timeutil.NaiveDatetimeError as exc:
        raise InvalidInput(field_name, _("a time zone offset is required")) from exc
    if when < timezone.now() - PAST_TOLERANCE:
        raise InvalidInput(field_name, _("this time is in the past"))
    return when


def _channels(workspace: Workspace, ids: Iterable[int]) -> list[Channel]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise InvalidInput("channel_ids", _("choose at least one channel"))
    found = {c.id: c for c in Channel.objects.filter(workspace=workspace, id__in=wanted)}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise InvalidInput("channel_ids", _("unknown channel(s) in this workspace: %s") % ", ".join(missing))
    return [found[i] for i in wanted]


def _media(workspace: Workspace, ids: Sequence[int], field_name: str = "media_ids") -> list[Media]:
    found = {m.id: m for m in Media.objects.filter(workspace=workspace, id__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise InvalidInput(field_name, _("unknown media: %s") % ", ".join(missing))
    return [found[i] for i in ids]


def _related_id(workspace: Workspace, model: Any, pk: int | None, field_name: str) -> int | None:
    if pk is None:
        return None
    if not model.objects.filter(workspace=workspace, pk=pk).exists():
        raise InvalidInput(field_name, _("not found in this workspace"))
    return pk


def _set_target_media(target: PostTarget, media: Sequence[Media]) -> None:
    TargetMedia.objects.filter(target=target).delete()
    TargetMedia.objects.bulk_create(
        [TargetMedia(target=target, media=m, position=i) for i, m in enumerate(media)]
    )


def _apply_input(post: Post, data: PostInput) -> None:
    ws = post.workspace
    post.text = data.text
    post.link = data.link
    post.campaign_id = _related_id(
        ws, post._meta.get_field("campaign").related_model, data.campaign_id, "campaign_id"
    )
    post.pillar_id = _related_id(
        ws, post._meta.get_field("pillar").related_model, data.pillar_id, "pillar_id"
    )
    post.utm_source, post.utm_medium = data.utm_source, data.utm_medium
    post.utm_campaign, post.utm_content = data.utm_campaign, data.utm_content


def _sync_targets(post: Post, data: PostInput) -> None:
    """Create, update or remove the post's targets to match the chosen channels and variants."""
    channels = _channels(post.workspace, data.channel_ids)
    variants = {v.channel_id: v for v in data.variants}
    unknown = [str(cid) for cid in variants if cid not in {c.id for c in channels}]
    if unknown:
        raise InvalidInput(
            "variants", _("variant for a channel that is not selected: %s") % ", ".join(unknown)
        )
    base_media = _media(post.workspace, data.media_ids)
    existing = {t.channel_id: t for t in post.targets.all()}
    for cid, target in existing.items():
        if cid not in variants and cid not in {c.id for c in channels}:
            if target.state not in PRE_FLIGHT:
                raise Conflict(
                    _("%(channel)s: already %(state)s, it cannot be removed")
                    % {"channel": target.channel.name, "state": target.get_state_display()}
                )
            target.delete()
    for index, channel in enumerate(channels):
        variant = variants.get(channel.id, VariantInput(channel_id=channel.id))
        target = existing.get(channel.id) or PostTarget(
            post=post, channel=channel, workspace=post.workspace, scheduled_at=post.scheduled_at
        )
        if target.pk and target.state not in PRE_FLIGHT:
            continue  # published or in flight: its content is history now
        target.text = post.text if variant.text is None else variant.text
        target.link = post.link if variant.link is None else variant.link
        target.first_comment = variant.first_comment
        target.save()
        media = (
            base_media
            if variant.media_ids is None
            else _media(post.workspace, variant.media_ids, f"variants.{index}.media_ids")
        )
        _set_target_media(target, media)


def _lock_post(post: Post) -> Post:
    return Post.objects.select_for_update().select_related("workspace").get(pk=post.pk)


# --- Operations -----------------------------------------------------------------------------------


@transaction.atomic
def create_post(
    workspace: Workspace,
    actor: Any,
    data: PostInput,
    *,
    source: str = PostSource.COMPOSER,
    import_key: str | None = None,
) -> Post:
    if not data.text.strip() and not data.media_ids and not any(v.text for v in data.variants):
        raise InvalidInput("text", _("write something or add media"))
    post = Post(
        workspace=workspace,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
        import_key=import_key,
    )
    _apply_input(post, data)
    post.save()
    if data.persona_ids:
        personas = post.personas.model.objects.filter(workspace=workspace, id__in=data.persona_ids)
        if personas.count() != len(set(data.persona_ids)):
            raise InvalidInput("persona_ids", _("unknown persona in this workspace"))
        post.personas.set(personas)
    _sync_targets(post, data)
    audit(workspace, actor, "post.created", post, summary=str(post))
    return post


@transaction.atomic
def update_post(post: Post, actor: Any, data: PostInput) -> Post:
    """Edit the content. An edit after approval sends the post back to review (its version changes)."""
    post = _lock_post(post)
    if post.targets.filter(state__in=IN_FLIGHT).exists():
        raise Conflict(_("this post is being sent right now; try again in a moment"))
    before = (
        post.text,
        post.link,
        sorted(post.targets.values_list("channel_id", "text", "link", "first_comment")),
    )
    _apply_input(post, data)
    post.save()
    post.personas.set(post.personas.model.objects.filter(workspace=post.workspace, id__in=data.persona_ids))
    _sync_targets(post, data)
    after = (
        post.text,
        post.link,
        sorted(post.targets.values_list("channel_id", "text", "link", "first_comment")),
    )
    if before != after:
        post.version += 1
        post.save(update_fields=["version"])
        if required_steps(post.workspace):
            back = post.targets.filter(state__in=[S.APPROVED, S.SCHEDULED, S.CHANGES_REQUESTED])
            back.update(state=S.IN_REVIEW, due_at=None)
        audit(post.workspace, actor, "post.edited", post, summary=str(post), version=post.version)
    return post


def _advance(post: Post, actor: Any) -> None:
    """Once every required approval is in, approved targets with a time become scheduled."""
    if not is_approved(post):
        return
    for target in post.targets.filter(state__in=[S.IN_REVIEW, S.APPROVED]).select_related("channel"):
        if target.scheduled_at is None:
            target.state = S.APPROVED
            target.save(update_fields=["state", "updated_at"])
            continue
        planning.check_daily_cap(target.channel, target.scheduled_at, exclude_target_id=target.id)
        target.state = S.SCHEDULED
        target.due_at = target.scheduled_at
        target.save(update_fields=["state", "due_at", "updated_at"])
        audit(
            post.workspace,
            actor,
            "target.scheduled",
            target,
            summary=f"{target.channel.name} @ {target.scheduled_at.isoformat()}",
        )


@transaction.atomic
def submit(post: Post, actor: Any) -> Post:
    """Send for review (or straight to approved/scheduled when the workspace needs no approval)."""
    post = _lock_post(post)
    moved = post.targets.filter(state__in=[S.DRAFT, S.CHANGES_REQUESTED]).update(state=S.IN_REVIEW)
    if moved and required_steps(post.workspace):
        audit(post.workspace, actor, "post.submitted", post, summary=str(post))
    _advance(post, actor)
    return post


@transaction.atomic
def schedule(post: Post, actor: Any, when: datetime) -> Post:
    """Set the time of every not-yet-sent target, and submit. Publishing waits for the approvals."""
    _check_future(when)
    post = _lock_post(post)
    post.scheduled_at = when
    post.save(update_fields=["scheduled_at", "updated_at"])
    targets = post.targets.filter(state__in=PRE_FLIGHT)
    for target in targets.select_related("channel"):
        if target.state == S.SCHEDULED:
            planning.check_daily_cap(target.channel, when, exclude_target_id=target.id)
            target.due_at = when
        target.scheduled_at = when
        target.save(update_fields=["scheduled_at", "due_at", "updated_at"])
    audit(post.workspace, actor, "post.scheduled", post, summary=when.isoformat())
    return submit(post, actor)


def publish_now(post: Post, actor: Any) -> Post:
    return schedule(post, actor, timezone.now())


@transaction.atomic
def add_to_queue(post: Post, actor: Any, queue_id: int) -> Post:
    queue = post.workspace.queues.filter(pk=queue_id).first()
    if queue is None:
        raise InvalidInput("queue_id", _("no such queue in this workspace"))
    slot = planning.next_queue_slot(queue, after=timezone.now())
    if slot is None:
        raise InvalidInput("queue_id", _("this queue has no free time slot in the next eight weeks"))
    Post.objects.filter(pk=post.pk).update(queue=queue)
    return schedule(post, actor, slot)


def _check_reviewer(step: str, role: str | None, via_link: bool) -> None:
    # A client link only ever answers the client's step: it must not stand in for the manager.
    allowed = step == ApprovalStep.CLIENT if via_link else can_review_step(role, step)
    if not allowed:
        raise Conflict(_("waiting for the %(step)s's approval") % {"step": ApprovalStep(step).label.lower()})


def _record_decision(
    post: Post, step: str, decision: str, actor: Any, comment: str, reviewer_name: str, via_link: bool
) -> Approval:
    """The decision row, its comment in the post's thread, and the audit entry."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    approval = Approval.objects.create(
        post=post, step=step, decision=decision, version=post.version, user=user,
        reviewer_name=reviewer_name, via_link=via_link, comment=comment,
    )  # fmt: skip
    if comment:
        PostComment.objects.create(post=post, author=user, author_name=reviewer_name, body=comment)
    approved = decision == ApprovalDecision.APPROVED
    audit(
        post.workspace, actor, "post.approved" if approved else "post.changes_requested", post,
        summary=f"{step} v{post.version}" if approved else comment[:200],
        actor_label=f"client link: {reviewer_name}" if via_link else "",
    )  # fmt: skip
    return approval


@transaction.atomic
def approve(
    post: Post,
    actor: Any,
    role: str | None,
    comment: str = "",
    *,
    reviewer_name: str = "",
    via_link: bool = False,
    version: int | None = None,
) -> Approval:
    post = _lock_post(post)
    step = pending_step(post)
    if step is None:
        raise Conflict(_("this post needs no further approval"))
    if not post.targets.filter(state=S.IN_REVIEW).exists():
        raise Conflict(_("this post has not been submitted for review"))
    if version is not None and version != post.version:
        raise Conflict(_("the post changed since this approval was requested; review it again"))
    _check_reviewer(step, role, via_link)
    approval = _record_decision(
        post, step, ApprovalDecision.APPROVED, actor, comment, reviewer_name, via_link
    )
    _advance(post, actor)
    return approval


@transaction.atomic
def request_changes(
    post: Post, actor: Any, role: str | None, comment: str, *, reviewer_name: str = "", via_link: bool = False
) -> Approval:
    if not comment.strip():
        raise InvalidInput("comment", _("say what should change"))
    post = _lock_post(post)
    step = pending_step(post)
    if step is None or not post.targets.filter(state=S.IN_REVIEW).exists():
        raise Conflict(_("this post is not waiting for a review"))
    _check_reviewer(step, role, via_link)
    approval = _record_decision(
        post, step, ApprovalDecision.CHANGES_REQUESTED, actor, comment, reviewer_name, via_link
    )
    post.targets.filter(state=S.IN_REVIEW).update(state=S.CHANGES_REQUESTED)
    return approval


def add_comment(post: Post, actor: Any, body: str) -> PostComment:
    if not body.strip():
        raise InvalidInput("body", _("the comment is empty"))
    return PostComment.objects.create(post=post, author=actor, body=body.strip())


@transaction.atomic
def reschedule_target(target: PostTarget, actor: Any, when: datetime) -> PostTarget:
    """Move one post on one channel (calendar drag and drop). Approval and daily caps still hold."""
    _check_future(when)
    target = (
        PostTarget.objects.select_for_update()
        .select_related("channel", "post", "workspace")
        .get(pk=target.pk)
    )
    if target.state not in PRE_FLIGHT | {S.PAUSED, S.FAILED, S.NEEDS_USER}:
        raise Conflict(_("%(state)s posts cannot be moved") % {"state": target.get_state_display()})
    if target.state == S.SCHEDULED:
        planning.check_daily_cap(target.channel, when, exclude_target_id=target.id)
        target.due_at = when
    old = target.scheduled_at
    target.scheduled_at = when
    target.save(update_fields=["scheduled_at", "due_at", "updated_at"])
    post = target.post
    if (
        not post.targets.exclude(pk=target.pk)
        .exclude(scheduled_at=when)
        .filter(state__in=PRE_FLIGHT)
        .exists()
    ):
        Post.objects.filter(pk=post.pk).update(scheduled_at=when)
    if target.state == S.APPROVED and is_approved(post):
        _advance(post, actor)
    audit(
        target.workspace,
        actor,
        "target.rescheduled",
        target,
        summary=f"{target.channel.name}: {old.isoformat() if old else '—'} → {when.isoformat()}",
    )
    return target


@transaction.atomic
def retry_target(target: PostTarget, actor: Any) -> PostTarget:
    """Safe retry of a failed target: only from states where nothing can be on the network."""
    target = (
        PostTarget.objects.select_for_update()
        .select_related("channel", "post", "workspace")
        .get(pk=target.pk)
    )
    if target.state not in (S.FAILED, S.NEEDS_USER, S.PAUSED):
        raise Conflict(_("only failed, paused or blocked posts can be retried"))
    if target.channel.status != ChannelStatus.ACTIVE:
        raise Conflict(_("reconnect %(channel)s first") % {"channel": target.channel.name})
    if target.remote_id:
        raise Conflict(_("this post is already on the network"))
    if target.workspace.crisis_mode:
        raise Conflict(_("crisis mode is on: publishing is paused for this workspace"))
    target.state = S.SCHEDULED
    target.due_at = timezone.now()
    target.attempts = 0
    target.last_error = ""
    target.last_error_kind = ""
    target.save(update_fields=["state", "due_at", "attempts", "last_error", "last_error_kind", "updated_at"])
    audit(target.workspace, actor, "target.retried", target, summary=target.channel.name)
    return target


@transaction.atomic
def cancel_post(post: Post, actor: Any) -> Post:
    post = _lock_post(post)
    if post.targets.filter(state__in=IN_FLIGHT).exists():
        raise Conflict(_("this post is being sent right now; try again in a moment"))
    post.targets.exclude(state__in=[S.PUBLISHED, S.UNCONFIRMED]).update(state=S.CANCELLED, due_at=None)
    audit(post.workspace, actor, "post.cancelled", post, summary=str(post))
    return post


@transaction.atomic
def delete_post(post: Post, actor: Any) -> None:
    post = _lock_post(post)
    if post.targets.filter(state__in=IN_FLIGHT | {S.UNCONFIRMED}).exists():
        raise Conflict(_("this post is being sent or awaits confirmation; it cannot be deleted now"))
    audit(
        post.workspace,
        actor,
        "post.deleted",
        None,
        summary=str(post),
        post_id=post.pk,
        published=list(post.targets.filter(state=S.PUBLISHED).values_list("remote_url", flat=True)),
    )
    post.delete()


def post_state_summary(post: Post) -> dict[str, int]:
    """How many targets are in each state: the post's status at a glance (partial failure visible)."""
    summary: dict[str, int] = {}
    for state in post.targets.values_list("state", flat=True):
        summary[state] = summary.get(state, 0) + 1
    return summary


# --- crisis mode (called by tamtam.crisis.mode, which flips Workspace.crisis_mode in the same transaction)


def pause_for_crisis(workspace: Workspace, actor: Any) -> list[dict[str, Any]]:
    """Hold every scheduled (or retry-waiting) post of the workspace; what was paused, for the resume.

    The caller has already set `crisis_mode`, so the engine claims nothing new; a target a worker
    holds right now is paused by the engine itself before any call (see engine/publish.py). Holding
    statements released on the crisis fast track (`crisis.StatementRelease`) are not paused."""
    paused: list[dict[str, Any]] = []
    targets = (
        # Lock only the targets: PostgreSQL refuses FOR UPDATE on the nullable side of the outer
        # join that the release exclusion below brings in.
        PostTarget.objects.select_for_update(of=("self",))
        .filter(workspace=workspace, state__in=[S.SCHEDULED, S.RETRY_WAIT])
        # Holding statements on the fast track are what the crisis needs out: never held.
        .exclude(post__crisis_release__isnull=False)
        .select_related("channel", "post")
        .order_by("scheduled_at", "pk")
    )
    for target in targets:
        if PostTarget.objects.filter(pk=target.pk, state=target.state).update(
            state=S.PAUSED, paused_from=target.state, due_at=None, updated_at=timezone.now()
        ):
            paused.append(
                {
                    "target": target.pk,
                    "post": target.post_id,
                    "channel": target.channel.name,
                    "from": target.state,
                    "scheduled_at": target.scheduled_at.isoformat() if target.scheduled_at else None,
                    "text": (target.text or target.post.text)[:120],
                }
            )
            audit(workspace, actor, "target.paused", target, summary=target.channel.name, actor_label="")
    return paused


def resume_after_crisis(
    workspace: Workspace, actor: Any, decisions: dict[int, str], now: datetime | None = None
) -> dict[int, str]:
    """Give back every paused post of the workspace. A post whose time is still ahead goes back to
    where it was; one whose time has passed follows `decisions[target id]`: "now" (publish now),
    "drop" (cancel) or an ISO time ahead (reschedule). Such a post without a decision stays paused.
    Returns what happened per target ("resumed", "now", "rescheduled", "dropped", "kept")."""
    now = now or timezone.now()
    outcome: dict[int, str] = {}
    for target in PostTarget.objects.select_for_update().filter(workspace=workspace, state=S.PAUSED):
        back = target.paused_from if target.paused_from in (S.SCHEDULED, S.RETRY_WAIT) else S.SCHEDULED
        fields: dict[str, Any]
        if target.scheduled_at is None or target.scheduled_at > now:
            fields = {"state": back, "due_at": target.scheduled_at or now}
            label = "resumed"
        else:
            choice = decisions.get(target.pk, "")
            if choice == "drop":
                fields, label = {"state": S.CANCELLED, "due_at": None}, "dropped"
            elif choice == "now":
                fields, label = {"state": back, "due_at": now}, "now"
            elif choice:
                try:
                    when = datetime.fromisoformat(choice)
                except ValueError:
                    raise InvalidInput(
                        f"decisions.{target.pk}", _("an ISO 8601 date and time with an offset is expected")
                    ) from None
                _check_future(when, f"decisions.{target.pk}")
                fields, label = {"state": back, "due_at": when, "scheduled_at": when}, "rescheduled"
            else:
                outcome[target.pk] = "kept"
                continue
        PostTarget.objects.filter(pk=target.pk, state=S.PAUSED).update(
            paused_from="", updated_at=now, **fields
        )
        outcome[target.pk] = label
        audit(
            workspace,
            actor,
            "target.resumed" if label in ("resumed", "now") else f"target.{label}",
            target,
            summary=f"{label}: {fields.get('due_at') or ''}",
        )
    return outcome
