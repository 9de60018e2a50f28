"""The composer: write one post, a variant per channel, attach media, check it live, then save, submit,
schedule, publish or queue it. Every action calls publishing.services; errors land next to their field.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tamtam.accounts.forms import add_service_error
from tamtam.accounts.models import Membership
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import require
from tamtam.channels.models import Channel
from tamtam.channels.services import SANDBOX, network_label
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.publishing import services
from tamtam.publishing.forms import (
    ACTIONS,
    SENDING_ACTIONS,
    ComposerForm,
    VariantValues,
    base_media_ids,
    initial_for,
    media_ids_from,
    pending_files,
    post_input,
    save_alt_texts,
    store_uploads,
    variants_for,
    variants_from,
)
from tamtam.publishing.models import Media, Post
from tamtam.publishing.states import IN_FLIGHT, TargetState
from tamtam.publishing.views.posts_checks import (
    ChannelCheck,
    VariantDraft,
    check_drafts,
    file_name,
    pending_problems,
)

# Actions that send the post towards a network or a reviewer: the network's refusals must be fixed first.
CHECKED_ACTIONS = SENDING_ACTIONS | {"submit"}
# Where each service field is shown on the page.
FIELD_MAP = {
    "channel_ids": "channels",
    "campaign_id": "campaign",
    "pillar_id": "pillar",
    "persona_ids": "personas",
    "scheduled_at": "scheduled_local",
    "queue_id": "queue",
}
SUCCESS = {
    "draft": gettext_lazy("Draft saved."),
    "submit": gettext_lazy("Sent for review."),
    "schedule": gettext_lazy("Scheduled."),
    "publish": gettext_lazy("Publishing now."),
    "queue": gettext_lazy("Added to the queue."),
}
WAITING_FOR_REVIEW = gettext_lazy(
    "Time set. The post is waiting for review and goes out once it is approved."
)


def _selected_ids(data: Any, channels: list[Channel]) -> list[int]:
    wanted = set()
    for raw in data.getlist("channels"):
        try:
            wanted.add(int(raw))
        except (TypeError, ValueError):
            continue
    return [c.id for c in channels if c.id in wanted]


def _drafts(channels: list[Channel], selected: list[int], data: dict[str, Any]) -> list[VariantDraft]:
    """Each chosen channel's content as it would be published, from the page's values."""
    by_id = {c.id: c for c in channels}
    variants: dict[int, VariantValues] = data["variants"]
    media: list[Media] = data["media"]
    drafts = []
    for cid in selected:
        variant = variants.get(cid) or VariantValues(channel_id=cid)
        own = variant.text.strip() != ""
        chosen = media if variant.media_ids is None else [m for m in media if m.id in variant.media_ids]
        drafts.append(
            VariantDraft(
                channel=by_id[cid],
                text=variant.text if own else data["text"],
                link=data["link"],
                first_comment=variant.first_comment,
                media=chosen,
                pending=data["pending"],
                text_field=f"v{cid}-text" if own else "id_text",
            )
        )
    return drafts


def _media_in_order(workspace_id: int, ids: list[int]) -> list[Media]:
    found = {m.id: m for m in Media.objects.filter(workspace_id=workspace_id, id__in=ids)}
    return [found[i] for i in ids if i in found]


def _utm(data: Any) -> dict[str, str]:
    return {k: str(data.get(f"utm_{k}", "")).strip() for k in ("source", "medium", "campaign", "content")}


def _page(
    request: AuthedRequest,
    member: Membership,
    form: ComposerForm,
    post: Post | None,
    *,
    variants: dict[int, VariantValues],
    media_ids: list[int],
    upload_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = member.workspace
    channels = list(form.fields["channels"].queryset)  # type: ignore[attr-defined]
    data = form.data if form.is_bound else None
    if data is not None:
        selected = _selected_ids(data, channels)
        text, link, utm = data.get("text", ""), data.get("link", ""), _utm(data)
    else:
        selected = [int(c) for c in form.initial.get("channels", [])]
        text, link = form.initial.get("text", ""), form.initial.get("link", "")
        utm = {
            k: str(form.initial.get(f"utm_{k}") or "") for k in ("source", "medium", "campaign", "content")
        }
    media = _media_in_order(workspace.pk, media_ids)
    drafts = _drafts(
        channels, selected, {"variants": variants, "media": media, "text": text, "link": link, "pending": []}
    )
    rows = []
    for channel in channels:
        variant = variants.get(channel.id) or VariantValues(channel_id=channel.id)
        picked = set(media_ids if variant.media_ids is None else variant.media_ids)
        rows.append(
            {
                "channel": channel,
                "label": network_label(channel),
                "sandbox": channel.network == SANDBOX,
                "selected": channel.id in selected,
                "variant": variant,
                "picked": picked,
            }
        )
    steps = services.required_steps(workspace)
    back_to_review = bool(
        post
        and steps
        and post.targets.filter(state__in=[TargetState.APPROVED, TargetState.SCHEDULED]).exists()
    )
    campaigns = {str(c.pk): c.utm_campaign for c in form.fields["campaign"].queryset}  # type: ignore[attr-defined]
    from tamtam.analytics.links import tracking_on

    return render(
        request,
        "publishing/composer.html",
        {
            "workspace": workspace,
            "form": form,
            "post": post,
            "rows": rows,
            "media": [{"m": m, "name": file_name(m)} for m in media],
            "checks": check_drafts(workspace, drafts, utm),
            "upload_errors": upload_errors or [],
            "can_schedule": can(member.role, Cap.SCHEDULE),
            "has_queues": form.fields["queue"].queryset.exists(),  # type: ignore[attr-defined]
            "back_to_review": back_to_review,
            "needs_review": bool(steps),
            "in_flight": bool(post and post.targets.filter(state__in=IN_FLIGHT).exists()),
            "campaign_utms": campaigns,
            # Whether the links of this post will be shortened and their clicks counted (the
            # workspace's switch, analytics → links): said next to the link field.
            "link_tracking": tracking_on(workspace.pk),
            "can_manage_tracking": can(member.role, Cap.MANAGE_ANALYTICS),
        },
        status=status,
    )


@login_required
def compose(request: AuthedRequest, ws: int, post_id: int | None = None) -> HttpResponse:
    member = require(request.user, ws, Cap.COMPOSE)
    post = get_object_or_404(Post, workspace_id=ws, pk=post_id) if post_id is not None else None
    if request.method == "POST":
        return _submit(request, member, post)
    initial = initial_for(post) if post else {"utm_medium": "social"}
    form = ComposerForm(initial=initial, workspace=member.workspace, post=post)
    variants = variants_for(post) if post else {}
    return _page(
        request, member, form, post, variants=variants, media_ids=base_media_ids(post) if post else []
    )


def _blocking_problems(checks: list[ChannelCheck]) -> list[str]:
    return [f"{c.channel.name}: {p.message}" for c in checks for p in c.errors]


def _submit(request: AuthedRequest, member: Membership, post: Post | None) -> HttpResponse:
    workspace = member.workspace
    action = request.POST.get("action", "draft")
    action = action if action in ACTIONS else "draft"
    if action in SENDING_ACTIONS:
        require(request.user, workspace.pk, Cap.SCHEDULE)
    form = ComposerForm(request.POST, workspace=workspace, action=action, post=post)
    # Files are kept as soon as they arrive, so that an error elsewhere on the page never loses them.
    prior_ids = media_ids_from(request.POST)
    uploads = store_uploads(workspace, request.FILES.getlist("upload"), request.POST.getlist("upload_alt"))
    new_ids = [m.id for m in uploads.stored]
    media_ids = prior_ids + new_ids
    save_alt_texts(workspace, request.POST, prior_ids)
    channels = list(form.fields["channels"].queryset)  # type: ignore[attr-defined]
    variants = variants_from(request.POST, [c.id for c in channels], prior_ids, new_ids)

    def again(status: int = 400) -> HttpResponse:
        return _page(
            request,
            member,
            form,
            post,
            variants=variants,
            media_ids=media_ids,
            upload_errors=uploads.errors,
            status=status,
        )

    if not form.is_valid() or uploads.errors:
        return again()
    data = post_input(form, variants, media_ids)
    if action in CHECKED_ACTIONS:
        media = _media_in_order(workspace.pk, media_ids)
        drafts = _drafts(
            channels,
            data.channel_ids,
            {"variants": variants, "media": media, "text": data.text, "link": data.link, "pending": []},
        )
        problems = _blocking_problems(check_drafts(workspace, drafts, _utm(request.POST)))
        if problems:
            form.add_error(None, _("Fix these problems first (or save a draft):"))
            for problem in problems:
                form.add_error(None, problem)
            return again()
    try:
        with transaction.atomic():  # a refused schedule must not leave a half-saved post behind
            if post is None:
                post = services.create_post(workspace, request.user, data)
            else:
                post = services.update_post(post, request.user, data)
            _run(action, post, form, request)
    except (InvalidInput, Conflict) as exc:
        add_service_error(form, exc, FIELD_MAP)
        if isinstance(exc, InvalidInput) and exc.field == "media_ids":
            uploads.errors.append(exc.message)
        post = Post.objects.filter(pk=post.pk).first() if post is not None and post.pk else None
        return again()
    waiting = action in SENDING_ACTIONS and post.targets.filter(state=TargetState.IN_REVIEW).exists()
    messages.success(request, WAITING_FOR_REVIEW if waiting else SUCCESS[action])
    return redirect("publishing:post_detail", ws=workspace.pk, post_id=post.pk)


def _run(action: str, post: Post, form: ComposerForm, request: AuthedRequest) -> None:
    if action == "submit":
        services.submit(post, request.user)
    elif action == "schedule":
        services.schedule(post, request.user, form.cleaned_data["scheduled_local"])
    elif action == "publish":
        services.publish_now(post, request.user)
    elif action == "queue":
        services.add_to_queue(post, request.user, form.cleaned_data["queue"].pk)


@login_required
@require_POST
def live_checks(request: AuthedRequest, ws: int) -> HttpResponse:
    """The htmx partial refreshed while the user types: counters, problems, spelling, previews."""
    member = require(request.user, ws, Cap.COMPOSE)
    workspace = member.workspace
    channels = list(Channel.objects.filter(workspace=workspace).order_by("name", "id"))
    selected = _selected_ids(request.POST, channels)
    media_ids = media_ids_from(request.POST)
    variants = variants_from(request.POST, selected, media_ids, [])
    pending = pending_files(request.POST)
    drafts = _drafts(
        channels,
        selected,
        {
            "variants": variants,
            "media": _media_in_order(workspace.pk, media_ids),
            "pending": pending,
            "text": request.POST.get("text", ""),
            "link": request.POST.get("link", "").strip(),
        },
    )
    return render(
        request,
        "publishing/_checks.html",
        {
            "workspace": workspace,
            "checks": check_drafts(workspace, drafts, _utm(request.POST)),
            "file_problems": pending_problems(pending),
        },
    )
