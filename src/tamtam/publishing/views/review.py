"""Approval: the review list, the review page of one post (what a client sees), approve / request
changes, the client's secret link, and the comments thread.

A client sees only the posts sent to the client step; everything else answers 404 for them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamtam.accounts.models import ApprovalPolicy, Membership
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import audit, membership, require
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.publishing import planning, services
from tamtam.publishing.models import ApprovalStep, Post
from tamtam.publishing.states import TargetState
from tamtam.publishing.views.posts_checks import preview_target

REVIEW_CAPS = (Cap.APPROVE, Cap.CLIENT_REVIEW)


def require_reviewer(user: Any, ws: int) -> Membership:
    """A member whose role reviews some step (manager or client); 404 for strangers, 403 for others."""
    member = membership(user, ws)
    if member is None:
        raise Http404("no such workspace")
    if not any(can(member.role, cap) for cap in REVIEW_CAPS):
        raise PermissionDenied(_("your role does not review posts"))
    return member


def _sees_everything(member: Membership) -> bool:
    return can(member.role, Cap.VIEW_CALENDAR)


def client_may_see(post: Post) -> bool:
    """A client sees a post once it reaches their step, and keeps seeing what they decided on."""
    if post.approvals.filter(step=ApprovalStep.CLIENT).exists():
        return True
    return (
        services.pending_step(post) == ApprovalStep.CLIENT
        and post.targets.filter(state=TargetState.IN_REVIEW).exists()
    )


def post_for_reviewer(member: Membership, post_id: int) -> Post:
    post = get_object_or_404(
        Post.objects.select_related("workspace", "author"), workspace_id=member.workspace_id, pk=post_id
    )
    if not _sees_everything(member) and not client_may_see(post):
        raise Http404("no such post")
    return post


def waiting_for(member: Membership) -> list[Post]:
    """Posts in review whose pending step the member's role decides."""
    posts = (
        Post.objects.filter(workspace_id=member.workspace_id, targets__state=TargetState.IN_REVIEW)
        .distinct()
        .select_related("author", "workspace")
        .prefetch_related("targets__channel")
        .order_by("scheduled_at", "id")
    )
    out = []
    for post in posts:
        step = services.pending_step(post)
        if step is not None and services.can_review_step(member.role, step):
            post.pending = step  # type: ignore[attr-defined]
            out.append(post)
    return out


def approval_panel(post: Post, member: Membership | None) -> dict[str, Any]:
    """The approval state of a post for the page: steps, what is pending, who may decide, history."""
    steps = services.required_steps(post.workspace)
    pending = services.pending_step(post)
    in_review = post.targets.filter(state=TargetState.IN_REVIEW).exists()
    role = member.role if member else None
    return {
        "steps": [(s, ApprovalStep(s).label, s in services.steps_done(post)) for s in steps],
        "pending": pending,
        "pending_label": ApprovalStep(pending).label if pending else "",
        "in_review": in_review,
        "can_review": bool(pending and in_review and services.can_review_step(role, pending)),
        "approvals": post.approvals.select_related("user").order_by("created_at", "id"),
        "comments": post.comments.select_related("author").order_by("created_at", "id"),
        "has_client_step": post.workspace.approval_policy == ApprovalPolicy.MANAGER_CLIENT,
        "can_link": bool(role and can(role, Cap.APPROVE)),
        "can_comment": bool(role and any(can(role, c) for c in (Cap.COMPOSE, *REVIEW_CAPS))),
    }


def previews(post: Post) -> list[dict[str, Any]]:
    targets = (
        post.targets.select_related("channel", "post")
        .exclude(state=TargetState.CANCELLED)
        .order_by("channel__name", "id")
    )
    return [{"target": t, "preview": preview_target(t)} for t in targets]


def _back(member: Membership, post: Post) -> HttpResponse:
    if _sees_everything(member):
        return redirect("publishing:post_detail", ws=post.workspace_id, post_id=post.pk)
    return redirect("publishing:review_post", ws=post.workspace_id, post_id=post.pk)


# --- pages for members ------------------------------------------------------------------------------


@login_required
def review_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require_reviewer(request.user, ws)
    return render(
        request,
        "publishing/review_list.html",
        {
            "workspace": member.workspace,
            "posts": waiting_for(member),
            "sees_everything": _sees_everything(member),
        },
    )


@login_required
def review_post(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    member = require_reviewer(request.user, ws)
    post = post_for_reviewer(member, post_id)
    return render(
        request,
        "publishing/review_post.html",
        {
            "workspace": member.workspace,
            "post": post,
            "previews": previews(post),
            "panel": approval_panel(post, member),
            "sees_everything": _sees_everything(member),
        },
    )


@login_required
@require_POST
def decide(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    """Approve or request changes on the pending step, as a signed-in reviewer."""
    member = require_reviewer(request.user, ws)
    post = post_for_reviewer(member, post_id)
    comment = request.POST.get("comment", "").strip()
    try:
        if request.POST.get("decision") == "approve":
            version = _int(request.POST.get("version"))
            services.approve(post, request.user, member.role, comment, version=version)
            messages.success(request, _("Approved."))
        else:
            services.request_changes(post, request.user, member.role, comment)
            messages.success(request, _("Changes requested; the author has been told."))
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
    return _back(member, post)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_POST
def comment(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    member = membership(request.user, ws)
    if member is None:
        raise Http404("no such workspace")
    if not any(can(member.role, c) for c in (Cap.COMPOSE, *REVIEW_CAPS)):
        raise PermissionDenied(_("your role cannot comment"))
    post = (
        post_for_reviewer(member, post_id)
        if not _sees_everything(member)
        else get_object_or_404(Post, workspace_id=ws, pk=post_id)
    )
    try:
        services.add_comment(post, request.user, request.POST.get("body", ""))
    except InvalidInput as exc:
        messages.error(request, exc.message)
    return _back(member, post)


@login_required
@require_POST
def approval_link(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    """A signed link for the client's review of this version of the post (an edit invalidates it)."""
    member = require(request.user, ws, Cap.APPROVE)
    post = get_object_or_404(Post.objects.select_related("workspace"), workspace_id=ws, pk=post_id)
    if post.workspace.approval_policy != ApprovalPolicy.MANAGER_CLIENT:
        messages.error(request, _("This workspace has no client approval step."))
        return redirect("publishing:post_detail", ws=ws, post_id=post.pk)
    url = settings.BASE_URL + reverse(
        "publishing:review_link", kwargs={"token": planning.approval_token(post)}
    )
    audit(post.workspace, request.user, "post.approval_link_created", post, summary=f"v{post.version}")
    from tamtam.publishing.views.posts_detail import detail_page

    return detail_page(request, member, post, approval_url=url)


# --- the client's secret link (no login) -----------------------------------------------------------


def _link_error(request: HttpRequest, token: str, message: str) -> HttpResponse:
    """400 for a tampered link, 410 for an expired one, 404 when its post was deleted."""
    try:
        signing.loads(token, salt=planning.APPROVAL_SALT, max_age=planning.APPROVAL_LINK_MAX_AGE)
    except signing.SignatureExpired:
        status, title = 410, _("This approval link has expired")
    except signing.BadSignature:
        status, title = 400, _("This approval link is not valid")
    else:
        status, title = 404, _("This post no longer exists")
    return render(
        request, "publishing/review_link_error.html", {"title": title, "message": message}, status=status
    )


def review_link(request: HttpRequest, token: str) -> HttpResponse:
    """What the client opens from the e-mail: this post only, its previews, and the decision form."""
    try:
        post, version = planning.read_approval_token(token)
    except planning.BadApprovalLink as exc:
        return _link_error(request, token, str(exc))
    outdated = version != post.version
    pending = services.pending_step(post)
    in_review = post.targets.filter(state=TargetState.IN_REVIEW).exists()
    waiting = not outdated and in_review and pending == ApprovalStep.CLIENT
    errors: dict[str, str] = {}
    values = {"name": "", "comment": ""}
    status = 200
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", "").strip()[:150],
            "comment": request.POST.get("comment", "").strip(),
        }
        if not waiting:
            status = 409
        elif not values["name"]:
            errors["name"] = _("Say who you are: your name is kept with your decision.")
            status = 400
        else:
            try:
                _decide_by_link(post, version, request.POST.get("decision", ""), values)
            except InvalidInput as exc:
                errors[exc.field] = exc.message
                status = 400
            except Conflict as exc:
                errors["form"] = exc.message
                status = 409
            else:
                return redirect("publishing:review_link", token=token)
    if outdated and status == 200:
        status = 409
    return render(
        request,
        "publishing/review_link.html",
        {
            "post": post,
            "workspace": post.workspace,
            "previews": previews(post),
            "outdated": outdated,
            "waiting": waiting,
            "pending": pending,
            "in_review": in_review,
            "errors": errors,
            "values": values,
            "decisions": post.approvals.filter(step=ApprovalStep.CLIENT).order_by("created_at", "id"),
            "version": version,
        },
        status=status,
    )


def _decide_by_link(post: Post, version: int, decision: str, values: dict[str, str]) -> None:
    if decision == "approve":
        services.approve(
            post, None, None, values["comment"], reviewer_name=values["name"], via_link=True, version=version
        )
    elif decision == "changes":
        services.request_changes(
            post, None, None, values["comment"], reviewer_name=values["name"], via_link=True
        )
    else:
        raise InvalidInput("decision", _("Choose Approve or Request changes."))
