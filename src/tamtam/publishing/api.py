"""API: posts, their review and scheduling, per-channel targets, the calendar and the attempt ledger.

Thin on purpose: each endpoint checks the caller's role, then calls publishing.services; the rules
(approval steps, no time in the past, daily caps, nothing edited mid-send) live there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Query, Router

from tamtam.accounts.api import COMMON, check, member_for
from tamtam.accounts.models import Membership
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.schemas import PathId
from tamtam.channels.models import Channel
from tamtam.lib.errors import InvalidInput
from tamtam.publishing import schemas, services
from tamtam.publishing.models import ApprovalStep, Post, PostSource, PostTarget, PublishAttempt
from tamtam.publishing.schemas import (
    ApproveIn,
    AttemptOut,
    CalendarEntryOut,
    CalendarFilters,
    PostCreateIn,
    PostDetailOut,
    PostFilters,
    PostPage,
    PostPatchIn,
    RequestChangesIn,
    ScheduleIn,
    TargetOut,
)
from tamtam.publishing.states import TargetState

router = Router(tags=["posts"])
S = TargetState
MAX_CALENDAR_RANGE = timedelta(days=366)
SCHEDULING_ACTIONS = {"schedule", "publish_now", "queue"}


def _posts(ws: int) -> QuerySet[Post]:
    targets = PostTarget.objects.select_related("channel").prefetch_related("targetmedia_set")
    return (
        Post.objects.filter(workspace_id=ws)
        .select_related("workspace")
        .prefetch_related(Prefetch("targets", queryset=targets), "personas")
    )


def _get_post(ws: int, post_id: int) -> Post:
    post = _posts(ws).filter(pk=post_id).first()
    if post is None:
        raise Http404
    return post


def _get_target(ws: int, target_id: int) -> PostTarget:
    target = (
        PostTarget.objects.select_related("channel", "post", "workspace")
        .filter(workspace_id=ws, pk=target_id)
        .first()
    )
    if target is None:
        raise Http404
    return target


def _awaits_client(post: Post) -> bool:
    in_review = post.targets.filter(state=S.IN_REVIEW).exists()
    return in_review and services.pending_step(post) == ApprovalStep.CLIENT


def _visible(member: Membership, post: Post) -> None:
    """A client sees only the posts waiting for the client's approval (the capability matrix)."""
    if not can(member.role, Cap.VIEW_CALENDAR) and not _awaits_client(post):
        check(member, Cap.VIEW_CALENDAR)


def _detail(ws: int, post_id: int) -> dict[str, Any]:
    return schemas.post_out(_get_post(ws, post_id), detail=True)


def _range(start: Any, end: Any) -> None:
    if start is not None and end is not None and end <= start:
        raise InvalidInput("end", _("must be after start"))


# --- posts ----------------------------------------------------------------------------------------


@router.get("/workspaces/{ws}/posts", response={200: PostPage, **COMMON}, summary="List posts")
def list_posts(request: HttpRequest, ws: PathId, filters: Query[PostFilters]) -> dict[str, Any]:
    member = member_for(request, ws, Cap.VIEW_CALENDAR, Cap.CLIENT_REVIEW)
    _range(filters.start, filters.end)
    posts = _posts(ws)
    if filters.start is not None:
        posts = posts.filter(scheduled_at__gte=filters.start)
    if filters.end is not None:
        posts = posts.filter(scheduled_at__lt=filters.end)
    if filters.state is not None:
        posts = posts.filter(
            pk__in=PostTarget.objects.filter(workspace_id=ws, state=filters.state).values("post_id")
        )
    if filters.channel is not None:
        if not Channel.objects.filter(workspace_id=ws, pk=filters.channel).exists():
            raise InvalidInput("channel", _("unknown channel in this workspace"))
        posts = posts.filter(pk__in=PostTarget.objects.filter(channel_id=filters.channel).values("post_id"))
    posts = posts.order_by(F("scheduled_at").asc(nulls_last=True), "id")
    page = slice(filters.offset, filters.offset + filters.limit)
    if can(member.role, Cap.VIEW_CALENDAR):
        count, items = posts.count(), list(posts[page])
    else:
        waiting = posts.filter(
            pk__in=PostTarget.objects.filter(workspace_id=ws, state=S.IN_REVIEW).values("post_id")
        )
        mine = [p for p in waiting if services.pending_step(p) == ApprovalStep.CLIENT]
        count, items = len(mine), mine[page]
    return {
        "items": [schemas.post_out(p) for p in items],
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
    }


def _act(post: Post, actor: Any, payload: PostCreateIn, action: str) -> None:
    when = payload.scheduled_at
    if payload.queue_id is not None and action != "queue":
        raise InvalidInput("queue_id", _("only with the action queue"))
    if action == "draft":
        # A draft may already have its planned time; it is not submitted for review.
        if when is not None:
            for target in post.targets.all():
                services.reschedule_target(target, actor, when)
    elif action == "submit":
        if when is not None:
            services.schedule(post, actor, when)
        else:
            services.submit(post, actor)
    elif action == "schedule":
        if when is None:
            raise InvalidInput("scheduled_at", _("required to schedule"))
        services.schedule(post, actor, when)
    elif action == "publish_now":
        services.publish_now(post, actor)
    elif action == "queue":
        if payload.queue_id is None:
            raise InvalidInput("queue_id", _("required to add the post to a queue"))
        services.add_to_queue(post, actor, payload.queue_id)


@router.post("/workspaces/{ws}/posts", response={201: PostDetailOut, **COMMON}, summary="Create a post")
def create_post(request: HttpRequest, ws: PathId, payload: PostCreateIn) -> tuple[int, dict[str, Any]]:
    member = member_for(request, ws, Cap.COMPOSE)
    action = payload.action or ("schedule" if payload.scheduled_at else "draft")
    if action in SCHEDULING_ACTIONS:
        check(member, Cap.SCHEDULE)
    # One transaction: a post whose scheduling fails (time in the past, full day) is not left behind.
    with transaction.atomic():
        post = services.create_post(
            member.workspace, request.user, schemas.to_input(payload), source=PostSource.API
        )
        _act(post, request.user, payload, action)
    return 201, _detail(ws, post.pk)


@router.get("/workspaces/{ws}/posts/{post_id}", response={200: PostDetailOut, **COMMON}, summary="One post")
def get_post(request: HttpRequest, ws: PathId, post_id: PathId) -> dict[str, Any]:
    member = member_for(request, ws, Cap.VIEW_CALENDAR, Cap.CLIENT_REVIEW)
    post = _get_post(ws, post_id)
    _visible(member, post)
    return schemas.post_out(post, detail=True)


@router.patch(
    "/workspaces/{ws}/posts/{post_id}", response={200: PostDetailOut, **COMMON}, summary="Edit a post"
)
def update_post(request: HttpRequest, ws: PathId, post_id: PathId, payload: PostPatchIn) -> dict[str, Any]:
    member_for(request, ws, Cap.COMPOSE)
    post = _get_post(ws, post_id)
    services.update_post(post, request.user, schemas.patched_input(post, payload))
    return _detail(ws, post_id)


@router.delete("/workspaces/{ws}/posts/{post_id}", response={204: None, **COMMON}, summary="Delete a post")
def delete_post(request: HttpRequest, ws: PathId, post_id: PathId) -> tuple[int, None]:
    member_for(request, ws, Cap.DELETE_POST)
    services.delete_post(_get_post(ws, post_id), request.user)
    return 204, None


@router.post(
    "/workspaces/{ws}/posts/{post_id}/submit",
    response={200: PostDetailOut, **COMMON},
    summary="Send for review",
)
def submit_post(request: HttpRequest, ws: PathId, post_id: PathId) -> dict[str, Any]:
    member_for(request, ws, Cap.COMPOSE)
    services.submit(_get_post(ws, post_id), request.user)
    return _detail(ws, post_id)


@router.post(
    "/workspaces/{ws}/posts/{post_id}/approve",
    response={200: PostDetailOut, **COMMON},
    summary="Approve (the manager's or the client's step)",
)
def approve_post(
    request: HttpRequest, ws: PathId, post_id: PathId, payload: Body[ApproveIn | None] = None
) -> dict[str, Any]:
    member = member_for(request, ws, Cap.APPROVE, Cap.CLIENT_REVIEW)
    post = _get_post(ws, post_id)
    _visible(member, post)
    services.approve(post, request.user, member.role, payload.comment if payload else "")
    return _detail(ws, post_id)


@router.post(
    "/workspaces/{ws}/posts/{post_id}/request-changes",
    response={200: PostDetailOut, **COMMON},
    summary="Request changes, with a comment",
)
def request_changes(
    request: HttpRequest, ws: PathId, post_id: PathId, payload: RequestChangesIn
) -> dict[str, Any]:
    member = member_for(request, ws, Cap.APPROVE, Cap.CLIENT_REVIEW)
    post = _get_post(ws, post_id)
    _visible(member, post)
    services.request_changes(post, request.user, member.role, payload.comment)
    return _detail(ws, post_id)


@router.post(
    "/workspaces/{ws}/posts/{post_id}/schedule",
    response={200: PostDetailOut, **COMMON},
    summary="Schedule (publishing still waits for the approvals)",
)
def schedule_post(request: HttpRequest, ws: PathId, post_id: PathId, payload: ScheduleIn) -> dict[str, Any]:
    member_for(request, ws, Cap.SCHEDULE)
    services.schedule(_get_post(ws, post_id), request.user, payload.scheduled_at)
    return _detail(ws, post_id)


@router.get(
    "/workspaces/{ws}/posts/{post_id}/attempts",
    response={200: list[AttemptOut], **COMMON},
    summary="Publish attempts (the ledger)",
)
def list_attempts(request: HttpRequest, ws: PathId, post_id: PathId) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.VIEW_CALENDAR)
    post = _get_post(ws, post_id)
    attempts = PublishAttempt.objects.filter(target__post=post).select_related("target")
    return [schemas.attempt_out(a) for a in attempts.order_by("target_id", "number", "id")]


# --- targets (one post on one channel) ------------------------------------------------------------


@router.post(
    "/workspaces/{ws}/targets/{target_id}/reschedule",
    response={200: TargetOut, **COMMON},
    summary="Move one post on one channel",
)
def reschedule_target(
    request: HttpRequest, ws: PathId, target_id: PathId, payload: ScheduleIn
) -> dict[str, Any]:
    member = member_for(request, ws, Cap.SCHEDULE)
    target = services.reschedule_target(_get_target(ws, target_id), request.user, payload.scheduled_at)
    return schemas.target_out(_get_target(ws, target.pk), member.workspace)


@router.post(
    "/workspaces/{ws}/targets/{target_id}/retry",
    response={200: TargetOut, **COMMON},
    summary="Retry a failed, paused or blocked target",
)
def retry_target(request: HttpRequest, ws: PathId, target_id: PathId) -> dict[str, Any]:
    member = member_for(request, ws, Cap.RETRY)
    target = services.retry_target(_get_target(ws, target_id), request.user)
    return schemas.target_out(_get_target(ws, target.pk), member.workspace)


# --- calendar -------------------------------------------------------------------------------------


@router.get(
    "/workspaces/{ws}/calendar",
    response={200: list[CalendarEntryOut], **COMMON},
    summary="Targets planned in a range, in UTC and local time",
)
def calendar(request: HttpRequest, ws: PathId, filters: Query[CalendarFilters]) -> list[dict[str, Any]]:
    member = member_for(request, ws, Cap.VIEW_CALENDAR)
    _range(filters.start, filters.end)
    if filters.end - filters.start > MAX_CALENDAR_RANGE:
        raise InvalidInput("end", _("the range is limited to 366 days"))
    targets = (
        PostTarget.objects.filter(workspace_id=ws, scheduled_at__gte=filters.start)
        .filter(scheduled_at__lt=filters.end)
        .exclude(state=S.CANCELLED)
        .select_related("channel", "post")
        .order_by("scheduled_at", "id")
    )
    return [schemas.calendar_entry(t, member.workspace) for t in targets]
