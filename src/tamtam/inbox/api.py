"""API: the community inbox — list and filter conversations, read one, assign, set its status, close,
notes, tags, reply (with a saved reply), like/hide/unhide/delete a message, mark spam, bulk actions,
retry a failed reply, and the response metrics. Thin: inbox.services and inbox.replies do the work."""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query as QueryParams
from ninja import Router

from tamtam.accounts.api import COMMON, member_for
from tamtam.accounts.models import Membership
from tamtam.accounts.permissions import Cap
from tamtam.accounts.schemas import Instant, PathId
from tamtam.inbox import metrics, replies, services
from tamtam.inbox.models import Conversation, Reply, SavedReply, Status
from tamtam.inbox.schemas import (
    AssignIn,
    BulkIn,
    BulkOut,
    ConversationDetail,
    ConversationFiltersIn,
    ConversationOut,
    ConversationPage,
    MetricsOut,
    NoteIn,
    NoteOut,
    ReplyIn,
    ReplyOut,
    SavedReplyOut,
    SpamIn,
    StatusIn,
    TagsIn,
    conversation_out,
    message_out,
    note_out,
    reply_out,
)
from tamtam.lib.errors import InvalidInput

router = Router(tags=["inbox"])

BASE = "/workspaces/{ws}/inbox"
ONE = BASE + "/conversations/{conversation_id}"


def _conversation(ws: int, conversation_id: int) -> Conversation:
    try:
        return services.get_conversation(ws, conversation_id)
    except InvalidInput:
        raise Http404 from None


def _fresh(conv: Conversation) -> dict[str, Any]:
    conv.refresh_from_db()
    return conversation_out(conv)


@router.get(BASE + "/conversations", response={200: ConversationPage, **COMMON}, summary="Conversations")
def list_conversations(
    request: HttpRequest, ws: PathId, filters: QueryParams[ConversationFiltersIn]
) -> HttpResponse:
    member_for(request, ws, Cap.INBOX_VIEW)
    chosen = services.Filters(
        view=filters.view,
        status=filters.status,
        channel=filters.channel,
        priority=filters.priority or "",
        sentiment=filters.sentiment or "",
        kind=filters.kind or "",
        tag=(filters.tag or "").strip(),
        q=(filters.q or "").strip(),
        include_spam=filters.spam,
    )
    items, count = services.listing(ws, request.user, chosen, filters.offset, filters.limit)
    tags = services.tags_of([c.pk for c in items])
    body = {
        "items": [conversation_out(c, tags.get(c.pk, [])) for c in items],
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "unread": services.unread_count(ws),
    }
    # Rendered as is, not revalidated field by field against ConversationPage: ninja's output
    # validation reads every value of the 50 items through an attribute wrapper (about a fifth of
    # this call's time), and conversation_out already builds exactly the schema's types (a test
    # validates this answer against the schema). The schema still documents it in OpenAPI.
    from tamtam.api import api  # the API this router is mounted on (imports this module)

    return api.create_response(request, body, status=200)


@router.get(ONE, response={200: ConversationDetail, **COMMON}, summary="One conversation, its messages")
def get_conversation(request: HttpRequest, ws: PathId, conversation_id: PathId) -> dict[str, Any]:
    member_for(request, ws, Cap.INBOX_VIEW)
    conv = _conversation(ws, conversation_id)
    services.mark_read(conv)
    return {
        **conversation_out(conv),
        "messages": [message_out(m) for m in conv.messages.all()],
        "notes": [note_out(n) for n in conv.notes.select_related("author")],
        "replies": [reply_out(r) for r in conv.replies.select_related("author")],
        **metrics.conversation_times(conv),
    }


@router.post(ONE + "/assign", response={200: ConversationOut, **COMMON}, summary="Assign to a teammate")
def assign(request: HttpRequest, ws: PathId, conversation_id: PathId, payload: AssignIn) -> dict[str, Any]:
    member_for(request, ws, Cap.INBOX_ACT)
    conv = _conversation(ws, conversation_id)
    services.assign(conv, request.user, payload.assignee)
    return _fresh(conv)


@router.post(ONE + "/status", response={200: ConversationOut, **COMMON}, summary="Open, pending or closed")
def set_status(
    request: HttpRequest, ws: PathId, conversation_id: PathId, payload: StatusIn
) -> dict[str, Any]:
    member_for(request, ws, Cap.INBOX_ACT)
    conv = _conversation(ws, conversation_id)
    services.set_status(conv, request.user, payload.status)
    return _fresh(conv)


@router.post(ONE + "/close", response={200: ConversationOut, **COMMON}, summary="Close (resolution time)")
def close(request: HttpRequest, ws: PathId, conversation_id: PathId) -> dict[str, Any]:
    member_for(request, ws, Cap.INBOX_ACT)
    conv = _conversation(ws, conversation_id)
    services.set_status(conv, request.user, Status.CLOSED)
    return _fresh(conv)


@router.post(ONE + "/notes", response={201: NoteOut, **COMMON}, summary="Add an internal note")
def add_note(
    request: HttpRequest, ws: PathId, conversation_id: PathId, payload: NoteIn
) -> tuple[int, dict[str, Any]]:
    member_for(request, ws, Cap.INBOX_ACT)
    note = services.add_note(_conversation(ws, conversation_id), request.user, payload.text)
    return 201, note_out(note)


@router.put(ONE + "/tags", response={200: ConversationOut, **COMMON}, summary="Set the tags")
def set_tags(request: HttpRequest, ws: PathId, conversation_id: PathId, payload: TagsIn) -> dict[str, Any]:
    member_for(request, ws, Cap.INBOX_ACT)
    conv = _conversation(ws, conversation_id)
    for index, name in enumerate(payload.tags):
        if len(name.strip()) > 60:
            raise InvalidInput(f"tags.{index}", _("too long: at most %(max)s characters") % {"max": 60})
    services.set_tags(conv, payload.tags)
    return _fresh(conv)


@router.post(ONE + "/replies", response={201: ReplyOut, **COMMON}, summary="Reply through the network")
def reply(
    request: HttpRequest, ws: PathId, conversation_id: PathId, payload: ReplyIn
) -> tuple[int, dict[str, Any]]:
    member = member_for(request, ws, Cap.INBOX_ACT)
    conv = _conversation(ws, conversation_id)
    target = services.reply_target(conv, payload.message)
    text = payload.text or ""
    if payload.saved_reply is not None:
        if text.strip():
            raise InvalidInput("saved_reply", _("give either a text or a saved reply, not both"))
        text = services.saved_reply_for(conv, payload.saved_reply, target)
    created = replies.request_reply(conv, target, request.user, member.role, text)
    return 201, reply_out(created)


@router.post(
    BASE + "/replies/{reply_id}/retry",
    response={200: ReplyOut, **COMMON},
    summary="Send a failed reply again",
)
def retry_reply(request: HttpRequest, ws: PathId, reply_id: PathId) -> dict[str, Any]:
    member_for(request, ws, Cap.INBOX_ACT)
    found = (
        Reply.objects.select_related("conversation__workspace").filter(workspace_id=ws, pk=reply_id).first()
    )
    if found is None:
        raise Http404
    return reply_out(replies.retry(found, request.user))


@router.post(
    BASE + "/replies/{reply_id}/decision", response={200: ReplyOut, **COMMON}, summary="Approve or reject"
)
def decide_reply(request: HttpRequest, ws: PathId, reply_id: PathId, approve: bool = True) -> dict[str, Any]:
    member_for(request, ws, Cap.INBOX_MANAGE)
    found = (
        Reply.objects.select_related("conversation__workspace").filter(workspace_id=ws, pk=reply_id).first()
    )
    if found is None:
        raise Http404
    return reply_out(replies.decide(found, request.user, approve))


@router.post(
    ONE + "/messages/{message_id}/{action}",
    response={200: ConversationDetail, **COMMON},
    summary="Like, hide, unhide or delete on the network",
)
def network_action(
    request: HttpRequest,
    ws: PathId,
    conversation_id: PathId,
    message_id: PathId,
    action: Literal["like", "hide", "unhide", "delete"],
) -> dict[str, Any]:
    member_for(request, ws, Cap.INBOX_ACT)
    conv = _conversation(ws, conversation_id)
    services.network_action(conv, request.user, message_id, action)
    return get_conversation(request, ws, conversation_id)


@router.post(ONE + "/spam", response={200: ConversationOut, **COMMON}, summary="Mark as spam (or not)")
def mark_spam(request: HttpRequest, ws: PathId, conversation_id: PathId, payload: SpamIn) -> dict[str, Any]:
    member_for(request, ws, Cap.INBOX_ACT)
    conv = _conversation(ws, conversation_id)
    services.mark_spam(conv, request.user, payload.spam)
    return _fresh(conv)


@router.post(BASE + "/bulk", response={200: BulkOut, **COMMON}, summary="One action on many conversations")
def bulk(request: HttpRequest, ws: PathId, payload: BulkIn) -> dict[str, int]:
    member = member_for(request, ws, Cap.INBOX_ACT)
    action, value = payload.action, payload.value.strip()
    if action == "close":
        action, value = "status", Status.CLOSED
    if action == "assign" and value and not value.isdigit():
        raise InvalidInput("value", _("a whole number is expected"))
    if action == "status" and value not in Status.values:
        raise InvalidInput(
            "value", _("unknown value; expected one of %(expected)s") % {"expected": ", ".join(Status.values)}
        )
    if action == "tag" and not value:
        raise InvalidInput("value", _("this field is required"))
    _check_all_here(member, payload.ids)
    return {"updated": services.bulk(ws, request.user, list(payload.ids), action, value)}


def _check_all_here(member: Membership, ids: list[int]) -> None:
    """Every id must be a conversation of this workspace: a bulk action never half-applies."""
    found = set(
        Conversation.objects.filter(workspace_id=member.workspace_id, pk__in=ids).values_list("pk", flat=True)
    )
    for index, pk in enumerate(ids):
        if pk not in found:
            raise InvalidInput(f"ids.{index}", _("no such conversation"))


@router.get(BASE + "/saved-replies", response={200: list[SavedReplyOut], **COMMON}, summary="Saved replies")
def saved_replies(request: HttpRequest, ws: PathId) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.INBOX_VIEW)
    return [
        {"id": s.pk, "title": s.title, "body": s.body, "language": s.language}
        for s in SavedReply.objects.filter(workspace_id=ws)
    ]


@router.get(BASE + "/metrics", response={200: MetricsOut, **COMMON}, summary="Response times against the SLA")
def response_metrics(
    request: HttpRequest, ws: PathId, since: Instant | None = None, until: Instant | None = None
) -> dict[str, Any]:
    member = member_for(request, ws, Cap.INBOX_VIEW)
    if since and until and since >= until:
        raise InvalidInput("until", _("must be after since"))
    found = metrics.response_metrics(member.workspace_id, since, until)
    return {
        "since": found.since,
        "until": found.until,
        "sla_first_response_s": found.sla_first_response_s,
        "sla_resolution_s": found.sla_resolution_s,
        "workspace": found.workspace.as_dict(),
        "by_channel": {str(k): v.as_dict() for k, v in found.by_channel.items()},
        "by_person": {str(k): v.as_dict() for k, v in found.by_person.items()},
    }
