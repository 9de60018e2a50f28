"""The inbox, one conversation, and what can be done to it (all thin: services do the work).

Ids of conversations, messages and replies travel in the query string (`?c=`) or the form body, so
the workspace URL patterns stay `w/<ws>/inbox/...` (the permission matrix covers every one)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamtam.inbox import metrics, pagecache, replies, services
from tamtam.inbox.access import InboxCap, can, caps_of, require
from tamtam.inbox.models import Message, Reply, ReplyState, SavedReply, Status
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.lib.http import AuthedRequest

PAGE_SIZE = 50


def _bad(exc: InvalidInput | Conflict) -> HttpResponse:
    return HttpResponseBadRequest(str(exc.message))


@login_required
def inbox(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, InboxCap.VIEW)
    filters = services.Filters.from_params(request.GET)
    qs = services.conversations(ws, request.user, filters)
    page = services.window(qs, request.GET.get("page"), PAGE_SIZE)
    context: dict[str, Any] = {
        "workspace": member.workspace,
        "filters": filters,
        "page": page,
        "conversations": page.object_list,
        "query": request.GET.urlencode(),
        "inbox_caps": caps_of(member.role),
    }
    if request.headers.get("HX-Request") and request.GET.get("partial") == "list":
        return render(request, "inbox/_list.html", context)
    # Counted once for the heading and the navigation's badge; channels, targets and figures are
    # kept a few seconds (inbox/pagecache.py says how they stay right).
    sla = pagecache.sla_targets(ws)
    figures = metrics.workspace_figures(ws)
    context.update(
        unread=pagecache.unread_count(request, ws),
        channels=pagecache.channels(ws),
        figures=figures,
        first_response=metrics.human_duration(figures.first_response_median_s),
        resolution=metrics.human_duration(figures.resolution_median_s),
        sla_first=metrics.human_duration(sla.first_response_minutes * 60),
        sla_resolution=metrics.human_duration(sla.resolution_minutes * 60),
    )
    return render(request, "inbox/inbox.html", context)


@login_required
def conversation(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, InboxCap.VIEW)
    try:
        conv = services.get_conversation(ws, request.GET.get("c"))
    except InvalidInput as exc:
        return _bad(exc)
    services.mark_read(conv)
    items = list(conv.messages.all())
    draft = ""
    saved_id = request.GET.get("saved")
    if saved_id and can(member.role, InboxCap.ACT):
        try:
            draft = services.saved_reply_for(conv, saved_id, services.reply_target(conv))
        except InvalidInput as exc:
            messages.error(request, str(exc.message))
    times = metrics.conversation_times(conv)
    return render(
        request,
        "inbox/conversation.html",
        {
            "workspace": member.workspace,
            "conv": conv,
            "items": items,
            "notes": conv.notes.select_related("author"),
            "replies": conv.replies.select_related("author").prefetch_related("attempt_rows"),
            "tags": ", ".join(conv.tags.values_list("name", flat=True)),
            "saved_replies": SavedReply.objects.filter(workspace_id=ws),
            "teammates": services.teammates(ws),
            "draft": draft,
            "statuses": Status.choices,
            "inbox_caps": caps_of(member.role),
            "first_response": metrics.human_duration(times["first_response_s"]),
            "resolution": metrics.human_duration(times["resolution_s"]),
            "S": ReplyState,
        },
    )


@login_required
@require_POST
def act(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, InboxCap.ACT)
    data = request.POST
    try:
        conv = services.get_conversation(ws, data.get("c"))
        action = data.get("action", "")
        if action == "assign":
            services.assign(conv, request.user, int(data.get("assignee") or 0) or None)
        elif action == "status":
            services.set_status(conv, request.user, data.get("status", ""))
        elif action == "note":
            services.add_note(conv, request.user, data.get("text", ""))
        elif action == "tags":
            services.set_tags(conv, data.get("tags", "").split(","))
        elif action == "reply":
            reply = services.reply(conv, request.user, member.role, data.get("text", ""), data.get("message"))
            if reply.state == ReplyState.AWAITING_APPROVAL:
                messages.info(
                    request, _("Reply waiting for a manager: %(reason)s") % {"reason": reply.approval_reason}
                )
            else:
                messages.success(request, _("Reply queued: it is sent in a moment."))
        elif action in {"like", "hide", "unhide", "delete"}:
            services.network_action(conv, request.user, data.get("message"), action)
        elif action in {"spam", "not_spam"}:
            services.mark_spam(conv, request.user, action == "spam")
        elif action in {"retry_reply", "mark_sent"}:
            reply_obj = Reply.objects.filter(conversation=conv, pk=int(data.get("reply") or 0)).first()
            if reply_obj is None:
                raise InvalidInput("reply", _("no such reply"))
            if action == "retry_reply":
                replies.retry(reply_obj, request.user)
            else:
                replies.mark_sent(reply_obj, request.user, data.get("url", ""))
        else:
            raise InvalidInput("action", _("unknown action"))
    except (InvalidInput, Conflict) as exc:
        if "conv" not in locals():
            return _bad(exc)
        messages.error(request, str(exc.message))
    except ValueError:
        return HttpResponseBadRequest(_("a whole number is expected"))
    return redirect(reverse("inbox:conversation", args=[ws]) + f"?c={conv.pk}")


@login_required
@require_POST
def bulk(request: AuthedRequest, ws: int) -> HttpResponse:
    require(request.user, ws, InboxCap.ACT)
    try:
        n = services.bulk(
            ws,
            request.user,
            request.POST.getlist("ids"),
            request.POST.get("action", ""),
            request.POST.get("value", ""),
        )
    except (InvalidInput, Conflict) as exc:
        return _bad(exc)
    except ValueError:
        return HttpResponseBadRequest(_("a whole number is expected"))
    messages.success(request, _("%(n)s conversations updated.") % {"n": n})
    return redirect(reverse("inbox:inbox", args=[ws]) + "?" + request.POST.get("back", ""))


@login_required
def approvals(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, InboxCap.VIEW)
    if request.method == "POST":
        if not can(member.role, InboxCap.MANAGE):
            raise PermissionDenied(_("only a manager approves replies"))
        found = Reply.objects.filter(workspace_id=ws, pk=_int(request.POST.get("reply"))).first()
        if found is None:
            return HttpResponseBadRequest(_("no such reply"))
        try:
            replies.decide(
                found,
                request.user,
                request.POST.get("decision") == "approve",
                request.POST.get("comment", ""),
            )
        except Conflict as exc:
            messages.error(request, str(exc.message))
        return redirect("inbox:approvals", ws=ws)
    waiting = (
        Reply.objects.filter(workspace_id=ws, state=ReplyState.AWAITING_APPROVAL)
        .select_related("author", "parent", "conversation")
        .order_by("created_at")
    )
    return render(
        request,
        "inbox/approvals.html",
        {
            "workspace": member.workspace,
            "waiting": waiting,
            "can_decide": can(member.role, InboxCap.MANAGE),
        },
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def message_label(message: Message) -> str:
    return message.author_label or _("Unknown author")
