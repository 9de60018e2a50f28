"""One post: each channel's state, time, remote link, last error and attempts ledger, with the safe
actions (retry, settle an unconfirmed post, cancel, delete), the approval panel and the audit trail.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamtam.accounts.models import AuditEvent, Membership
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import require
from tamtam.channels.services import SANDBOX, network_label
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.publishing import services
from tamtam.publishing.models import Post, PostTarget
from tamtam.publishing.states import IN_FLIGHT, TargetState
from tamtam.publishing.views.posts_checks import preview_target
from tamtam.publishing.views.review import approval_panel

S = TargetState
RETRYABLE = frozenset({S.FAILED, S.NEEDS_USER, S.PAUSED})
AUDIT_LIMIT = 100


def _target_rows(post: Post, member: Membership) -> list[dict[str, object]]:
    may_retry = can(member.role, Cap.RETRY)
    rows = []
    for target in post.targets.select_related("channel", "post").order_by("channel__name", "id"):
        attempts = list(target.attempts_log.order_by("number", "started_at", "id"))
        sandbox = target.channel.network == SANDBOX
        label = network_label(target.channel)
        rows.append(
            {
                "target": target,
                "label": label,
                "sandbox": sandbox,
                # Whose words the last error is: a sandbox account speaks for itself, whatever it poses as.
                "said_by": _("Sandbox") if sandbox else label,
                "attempts": attempts,
                "preview": preview_target(target),
                "can_retry": may_retry and target.state in RETRYABLE,
                "can_resolve": may_retry and target.state == S.UNCONFIRMED,
            }
        )
    return rows


def _audit_entries(post: Post) -> list[AuditEvent]:
    target_ids = [str(pk) for pk in post.targets.values_list("pk", flat=True)]
    return list(
        AuditEvent.objects.filter(workspace_id=post.workspace_id)
        .filter(
            Q(object_type="post", object_id=str(post.pk))
            | Q(object_type="posttarget", object_id__in=target_ids)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:AUDIT_LIMIT]
    )


def after_delete_url(ws: int) -> str:
    """The calendar when the calendar pages exist, else the workspace's overview."""
    try:
        return reverse("publishing:calendar", kwargs={"ws": ws})
    except NoReverseMatch:
        return reverse("web:workspace", kwargs={"ws": ws})


def detail_page(
    request: AuthedRequest, member: Membership, post: Post, *, approval_url: str = "", status: int = 200
) -> HttpResponse:
    role = member.role
    return render(
        request,
        "publishing/post_detail.html",
        {
            "workspace": member.workspace,
            "post": post,
            "rows": _target_rows(post, member),
            "panel": approval_panel(post, member),
            "audit_entries": _audit_entries(post),
            "summary": [
                (state, S(state).label, count) for state, count in services.post_state_summary(post).items()
            ],
            "approval_url": approval_url,
            "link_tools": True,
            "can_edit": can(role, Cap.COMPOSE) and not post.targets.filter(state__in=IN_FLIGHT).exists(),
            "can_delete": can(role, Cap.DELETE_POST),
            "cancellable": post.targets.exclude(state__in=[S.PUBLISHED, S.UNCONFIRMED, S.CANCELLED]).exists(),
        },
        status=status,
    )


def _post(ws: int, post_id: int) -> Post:
    return get_object_or_404(
        Post.objects.select_related("workspace", "author", "campaign", "pillar"), workspace_id=ws, pk=post_id
    )


def _target(post: Post, target_id: int) -> PostTarget:
    return get_object_or_404(
        PostTarget.objects.select_related("channel", "workspace", "post"), post=post, pk=target_id
    )


@login_required
def post_detail(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_CALENDAR)
    return detail_page(request, member, _post(ws, post_id))


@login_required
@require_POST
def retry(request: AuthedRequest, ws: int, post_id: int, target_id: int) -> HttpResponse:
    require(request.user, ws, Cap.RETRY)
    target = _target(_post(ws, post_id), target_id)
    try:
        services.retry_target(target, request.user)
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(channel)s: publishing again.") % {"channel": target.channel.name})
    return redirect("publishing:post_detail", ws=ws, post_id=post_id)


@login_required
@require_POST
def resolve(request: AuthedRequest, ws: int, post_id: int, target_id: int) -> HttpResponse:
    """A person settles an unconfirmed post: it is on the network (with its URL), or retry anyway."""
    from tamtam.publishing.engine import resolve_unconfirmed

    require(request.user, ws, Cap.RETRY)
    target = _target(_post(ws, post_id), target_id)
    published = request.POST.get("outcome") == "published"
    try:
        resolve_unconfirmed(target, request.user, published, url=request.POST.get("url", "").strip())
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as published.") if published else _("Publishing again."))
    return redirect("publishing:post_detail", ws=ws, post_id=post_id)


@login_required
@require_POST
def cancel(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    require(request.user, ws, Cap.DELETE_POST)
    post = _post(ws, post_id)
    try:
        services.cancel_post(post, request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Post cancelled: nothing more will be published."))
    return redirect("publishing:post_detail", ws=ws, post_id=post_id)


@login_required
@require_POST
def delete(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    require(request.user, ws, Cap.DELETE_POST)
    post = _post(ws, post_id)
    try:
        services.delete_post(post, request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("publishing:post_detail", ws=ws, post_id=post_id)
    messages.success(request, _("Post deleted. What was already published stays on the networks."))
    return redirect(after_delete_url(ws))
