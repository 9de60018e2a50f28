"""API schemas of publishing, and their conversion to and from the services' inputs and models.

Inputs refuse unknown fields (a typo like `schedule_at` must not be silently ignored), bound every
number and string (a 10 MB text or a 30-digit id gets a 422, not a database error), and take times only
with an offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

from tamtam.accounts.models import Workspace
from tamtam.accounts.schemas import Id, Instant, Text, clean_text
from tamtam.lib import timeutil
from tamtam.publishing import services
from tamtam.publishing.models import Approval, Post, PostComment, PostTarget, PublishAttempt, TargetMedia
from tamtam.publishing.services import PostInput, VariantInput
from tamtam.publishing.states import TargetState

MAX_TEXT = 100_000  # far above any network's limit; the per-network checks say the real figure
MAX_LINK = 2000  # Post.link / PostTarget.link column size
MAX_ITEMS = 100  # channels, variants, media or personas in one post
MAX_COMMENT = 10_000
MAX_PAGE = 200
MAX_OFFSET = 10**9

_url = URLValidator(schemes=["http", "https"])


def _link(value: str) -> str:
    value = clean_text(value).strip()
    if not value:
        return ""
    try:
        _url(value)
    except DjangoValidationError:
        raise ValueError(_("must be a full web address (https://…)")) from None
    return value


Link = Annotated[str, Field(max_length=MAX_LINK), AfterValidator(_link)]
Utm = Annotated[Text, Field(max_length=80)]
Action = Literal["draft", "submit", "schedule", "publish_now", "queue"]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class VariantIn(Strict):
    channel_id: Id
    text: Annotated[Text, Field(max_length=MAX_TEXT)] | None = Field(
        None, description="Null: the post's text."
    )
    link: Link | None = Field(None, description="Null: the post's link.")
    first_comment: Annotated[Text, Field(max_length=MAX_TEXT)] = ""
    media_ids: list[Id] | None = Field(None, max_length=MAX_ITEMS, description="Null: the post's media.")


class PostContent(Strict):
    text: Annotated[Text, Field(max_length=MAX_TEXT)] = ""
    link: Link = ""
    channel_ids: list[Id] = Field(default_factory=list, max_length=MAX_ITEMS)
    variants: list[VariantIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    media_ids: list[Id] = Field(default_factory=list, max_length=MAX_ITEMS)
    campaign_id: Id | None = None
    pillar_id: Id | None = None
    persona_ids: list[Id] = Field(default_factory=list, max_length=MAX_ITEMS)
    utm_source: Utm = ""
    utm_medium: Utm = "social"
    utm_campaign: Utm = ""
    utm_content: Utm = ""


class PostCreateIn(PostContent):
    scheduled_at: Instant | None = Field(None, description="ISO 8601 with an offset; required by `schedule`.")
    action: Action | None = Field(
        None,
        description="draft | submit | schedule | publish_now | queue. Default: schedule when "
        "`scheduled_at` is given, else draft.",
    )
    queue_id: Id | None = Field(None, description="Required by `queue`.")


class PostPatchIn(Strict):
    """Only the fields sent change; a changed text or link sends an approved post back to review."""

    text: Annotated[Text, Field(max_length=MAX_TEXT)] | None = None
    link: Link | None = None
    channel_ids: list[Id] | None = Field(None, max_length=MAX_ITEMS)
    variants: list[VariantIn] | None = Field(None, max_length=MAX_ITEMS)
    media_ids: list[Id] | None = Field(None, max_length=MAX_ITEMS)
    campaign_id: Id | None = None
    pillar_id: Id | None = None
    persona_ids: list[Id] | None = Field(None, max_length=MAX_ITEMS)
    utm_source: Utm | None = None
    utm_medium: Utm | None = None
    utm_campaign: Utm | None = None
    utm_content: Utm | None = None


class ScheduleIn(Strict):
    scheduled_at: Instant


class ApproveIn(Strict):
    comment: Annotated[Text, Field(max_length=MAX_COMMENT)] = ""


class RequestChangesIn(Strict):
    comment: Annotated[Text, Field(min_length=1, max_length=MAX_COMMENT)]


class PostFilters(Schema):
    start: Instant | None = Field(None, description="Posts planned at or after this instant.")
    end: Instant | None = Field(None, description="Posts planned before this instant.")
    state: TargetState | None = Field(None, description="Posts with at least one target in this state.")
    channel: Id | None = Field(None, description="Posts with a target on this channel.")
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class CalendarFilters(Schema):
    start: Instant
    end: Instant


class TargetOut(Schema):
    id: int
    post_id: int
    channel_id: int
    channel_name: str
    network: str
    state: TargetState
    text: str
    link: str
    first_comment: str
    media_ids: list[int]
    scheduled_at: datetime | None
    scheduled_at_local: datetime | None = Field(description="The same instant in the workspace's time zone.")
    published_at: datetime | None
    remote_id: str
    remote_url: str
    attempts: int
    last_error: str


class ApprovalOut(Schema):
    step: str
    decision: str
    version: int
    reviewer: str
    comment: str
    created_at: datetime


class CommentOut(Schema):
    author: str
    body: str
    created_at: datetime


class PostOut(Schema):
    id: int
    workspace_id: int
    text: str
    link: str
    campaign_id: int | None
    pillar_id: int | None
    persona_ids: list[int]
    scheduled_at: datetime | None
    scheduled_at_local: datetime | None
    version: int
    source: str
    states: dict[str, int] = Field(description="How many targets are in each state.")
    pending_approval: str | None = Field(description="The approval step the post waits for, if any.")
    targets: list[TargetOut]
    created_at: datetime
    updated_at: datetime


class PostDetailOut(PostOut):
    approvals: list[ApprovalOut]
    comments: list[CommentOut]


class PostPage(Schema):
    items: list[PostOut]
    count: int = Field(description="Posts matching the filters, all pages together.")
    limit: int
    offset: int


class CalendarEntryOut(Schema):
    target_id: int
    post_id: int
    channel_id: int
    channel_name: str
    network: str
    state: TargetState
    text: str
    scheduled_at: datetime = Field(description="UTC.")
    scheduled_at_local: datetime = Field(description="In the workspace's time zone.")
    time_zone: str


class AttemptOut(Schema):
    id: int
    target_id: int
    channel_id: int
    number: int
    step: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    status_code: int | None
    duration_ms: int | None
    error: str
    response_excerpt: str


# --- conversions ----------------------------------------------------------------------------------


def _variants(items: list[VariantIn]) -> list[VariantInput]:
    return [
        VariantInput(
            channel_id=v.channel_id,
            text=v.text,
            link=v.link,
            first_comment=v.first_comment,
            media_ids=v.media_ids,
        )
        for v in items
    ]


def to_input(payload: PostContent) -> PostInput:
    return PostInput(
        text=payload.text,
        link=payload.link,
        channel_ids=list(payload.channel_ids),
        variants=_variants(payload.variants),
        media_ids=list(payload.media_ids),
        campaign_id=payload.campaign_id,
        pillar_id=payload.pillar_id,
        persona_ids=list(payload.persona_ids),
        utm_source=payload.utm_source,
        utm_medium=payload.utm_medium,
        utm_campaign=payload.utm_campaign,
        utm_content=payload.utm_content,
    )


def current_input(post: Post) -> PostInput:
    """The post as it is now, as a services input: what a PATCH starts from.

    A target whose text (or link) equals the post's is "same as the post", so that a new post text
    reaches it; a target with its own wording keeps it."""
    variants = []
    for target in post.targets.order_by("id"):
        variants.append(
            VariantInput(
                channel_id=target.channel_id,
                text=None if target.text == post.text else target.text,
                link=None if target.link == post.link else target.link,
                first_comment=target.first_comment,
                media_ids=list(
                    TargetMedia.objects.filter(target=target)
                    .order_by("position")
                    .values_list("media_id", flat=True)
                ),
            )
        )
    return PostInput(
        text=post.text,
        link=post.link,
        channel_ids=[v.channel_id for v in variants],
        variants=variants,
        campaign_id=post.campaign_id,
        pillar_id=post.pillar_id,
        persona_ids=list(post.personas.values_list("id", flat=True)),
        utm_source=post.utm_source,
        utm_medium=post.utm_medium,
        utm_campaign=post.utm_campaign,
        utm_content=post.utm_content,
    )


def patched_input(post: Post, patch: PostPatchIn) -> PostInput:
    data = current_input(post)
    sent = patch.model_fields_set
    for name in ("text", "link", "utm_source", "utm_medium", "utm_campaign", "utm_content"):
        value = getattr(patch, name)
        if name in sent and value is not None:
            setattr(data, name, value)
    for name in ("campaign_id", "pillar_id"):
        if name in sent:  # null clears it
            setattr(data, name, getattr(patch, name))
    if patch.persona_ids is not None:
        data.persona_ids = list(patch.persona_ids)
    if patch.channel_ids is not None:
        data.channel_ids = list(patch.channel_ids)
        data.variants = [v for v in data.variants if v.channel_id in set(data.channel_ids)]
    if patch.variants is not None:
        data.variants = _variants(patch.variants)
    if patch.media_ids is not None:
        # New shared media for every variant that did not choose its own in this request.
        data.media_ids = list(patch.media_ids)
        for variant in data.variants:
            if patch.variants is None:
                variant.media_ids = None
    return data


def _local(value: datetime | None, workspace: Workspace) -> datetime | None:
    return timeutil.to_local(value, workspace.tz) if value is not None else None


def _flavor(target: PostTarget) -> str:
    channel = target.channel
    if channel.network == "sandbox":
        return str(channel.options.get("flavor") or channel.network)
    return channel.network


def target_out(target: PostTarget, workspace: Workspace) -> dict[str, Any]:
    return {
        "id": target.id,
        "post_id": target.post_id,
        "channel_id": target.channel_id,
        "channel_name": target.channel.name,
        "network": _flavor(target),
        "state": target.state,
        "text": target.text,
        "link": target.link,
        "first_comment": target.first_comment,
        "media_ids": [tm.media_id for tm in target.targetmedia_set.all()],  # in position order
        "scheduled_at": target.scheduled_at,
        "scheduled_at_local": _local(target.scheduled_at, workspace),
        "published_at": target.published_at,
        "remote_id": target.remote_id,
        "remote_url": target.remote_url,
        "attempts": target.attempts,
        "last_error": target.last_error,
    }


def post_out(post: Post, *, detail: bool = False) -> dict[str, Any]:
    workspace = post.workspace
    targets = sorted(post.targets.all(), key=lambda t: t.id)
    states: dict[str, int] = {}
    for target in targets:
        states[target.state] = states.get(target.state, 0) + 1
    in_review = any(t.state == TargetState.IN_REVIEW for t in targets)
    out: dict[str, Any] = {
        "id": post.id,
        "workspace_id": post.workspace_id,
        "text": post.text,
        "link": post.link,
        "campaign_id": post.campaign_id,
        "pillar_id": post.pillar_id,
        "persona_ids": sorted(p.id for p in post.personas.all()),
        "scheduled_at": post.scheduled_at,
        "scheduled_at_local": _local(post.scheduled_at, workspace),
        "version": post.version,
        "source": post.source,
        "states": states,
        "pending_approval": services.pending_step(post) if in_review else None,
        "targets": [target_out(t, workspace) for t in targets],
        "created_at": post.created_at,
        "updated_at": post.updated_at,
    }
    if detail:
        out["approvals"] = [approval_out(a) for a in post.approvals.select_related("user")]
        out["comments"] = [comment_out(c) for c in post.comments.select_related("author")]
    return out


def approval_out(approval: Approval) -> dict[str, Any]:
    reviewer = approval.user.get_username() if approval.user else approval.reviewer_name
    return {
        "step": approval.step,
        "decision": approval.decision,
        "version": approval.version,
        "reviewer": reviewer,
        "comment": approval.comment,
        "created_at": approval.created_at,
    }


def comment_out(comment: PostComment) -> dict[str, Any]:
    author = comment.author.get_username() if comment.author else comment.author_name
    return {"author": author, "body": comment.body, "created_at": comment.created_at}


def calendar_entry(target: PostTarget, workspace: Workspace) -> dict[str, Any]:
    assert target.scheduled_at is not None  # the calendar only lists targets with a time
    text = target.text or target.post.text
    return {
        "target_id": target.id,
        "post_id": target.post_id,
        "channel_id": target.channel_id,
        "channel_name": target.channel.name,
        "network": _flavor(target),
        "state": target.state,
        "text": text[:280],
        "scheduled_at": target.scheduled_at,
        "scheduled_at_local": timeutil.to_local(target.scheduled_at, workspace.tz),
        "time_zone": workspace.time_zone,
    }


def attempt_out(attempt: PublishAttempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "target_id": attempt.target_id,
        "channel_id": attempt.target.channel_id,
        "number": attempt.number,
        "step": attempt.step,
        "outcome": attempt.outcome,
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        "status_code": attempt.status_code,
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
        "response_excerpt": attempt.response_excerpt,
    }
