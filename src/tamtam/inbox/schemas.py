"""API schemas of the inbox: conversations (list with filters, one with its messages), the work on them
(assign, status, notes, tags, replies, network actions, spam, bulk) and the response metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from tamtam.accounts.schemas import Id, Text
from tamtam.inbox.models import Conversation, Message, Note, Reply, Status

MAX_PAGE = 200
MAX_OFFSET = 1_000_000
MAX_BULK = 500


class ConversationFiltersIn(Schema):
    view: Literal["all", "unassigned", "mine"] = "all"
    status: Literal["open", "pending", "closed", "any"] = "open"
    channel: Id | None = Field(None, description="Only this channel's conversations.")
    priority: Literal["high", "medium", "low"] | None = None
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    kind: Literal["thread", "dm", "mention"] | None = None
    tag: Text | None = Field(None, max_length=60)
    q: Text | None = Field(None, max_length=200, description="Words of a message, or an author.")
    spam: bool = Field(False, description="Include the conversations marked as spam.")
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class UserRef(Schema):
    id: int
    username: str


def user_ref(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "username": user.get_username()} if user is not None else None


class ConversationOut(Schema):
    id: int
    channel: int
    network: str
    kind: str
    status: str
    assignee: UserRef | None
    priority: int
    sentiment: str
    language: str
    flags: list[str]
    spam: bool
    unread: int
    messages_count: int
    last_text: str
    last_author: str
    last_item_at: datetime
    awaiting_since: datetime | None
    first_response_at: datetime | None
    closed_at: datetime | None
    tags: list[str]


def conversation_out(conv: Conversation, tags: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": conv.pk,
        "channel": conv.channel_id,
        "network": conv.channel.network,
        "kind": conv.kind,
        "status": conv.status,
        "assignee": user_ref(conv.assignee),
        "priority": conv.priority,
        "sentiment": conv.sentiment,
        "language": conv.language,
        "flags": list(conv.flags or []),
        "spam": conv.spam,
        "unread": conv.unread,
        "messages_count": conv.messages_count,
        "last_text": conv.last_text,
        "last_author": conv.last_author,
        "last_item_at": conv.last_item_at,
        "awaiting_since": conv.awaiting_since,
        "first_response_at": conv.first_response_at,
        "closed_at": conv.closed_at,
        "tags": tags if tags is not None else list(conv.tags.values_list("name", flat=True)),
    }


class ConversationPage(Schema):
    items: list[ConversationOut]
    count: int
    limit: int
    offset: int
    unread: int


class MessageOut(Schema):
    id: int
    remote_id: str
    kind: str
    direction: str
    text: str
    url: str
    parent_remote_id: str
    author: str = Field(description="The author's name, else @handle, else empty (no name given).")
    author_handle: str
    author_followers: int | None
    created_at: datetime
    via: str
    lang: str
    sentiment: str
    flags: list[str]
    priority: int
    deleted_at: datetime | None = Field(description="Deleted on the network: kept, marked.")
    hidden: bool
    liked: bool


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "remote_id": message.remote_id,
        "kind": message.kind,
        "direction": message.direction,
        "text": message.text,
        "url": message.url,
        "parent_remote_id": message.parent_remote_id,
        "author": message.author_label,
        "author_handle": message.author_handle,
        "author_followers": message.author_followers,
        "created_at": message.created_at,
        "via": message.via,
        "lang": message.lang,
        "sentiment": message.sentiment,
        "flags": message.flag_names(),
        "priority": message.priority,
        "deleted_at": message.deleted_at,
        "hidden": message.hidden,
        "liked": message.liked,
    }


class NoteOut(Schema):
    id: int
    author: UserRef | None
    text: str
    created_at: datetime


def note_out(note: Note) -> dict[str, Any]:
    return {"id": note.pk, "author": user_ref(note.author), "text": note.text, "created_at": note.created_at}


class ReplyOut(Schema):
    id: int
    conversation: int
    parent: int
    author: UserRef | None
    text: str
    state: str
    attempts: int
    remote_id: str
    url: str
    last_error: str = Field(description="Why the last attempt failed (the network's own words).")
    approval_reason: str
    created_at: datetime
    sent_at: datetime | None


def reply_out(reply: Reply) -> dict[str, Any]:
    return {
        "id": reply.pk,
        "conversation": reply.conversation_id,
        "parent": reply.parent_id,
        "author": user_ref(reply.author),
        "text": reply.text,
        "state": reply.state,
        "attempts": reply.attempts,
        "remote_id": reply.remote_id,
        "url": reply.url,
        "last_error": reply.last_error,
        "approval_reason": reply.approval_reason,
        "created_at": reply.created_at,
        "sent_at": reply.sent_at,
    }


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]
    notes: list[NoteOut]
    replies: list[ReplyOut]
    first_response_s: float | None
    resolution_s: float | None


class AssignIn(Schema):
    assignee: Id | None = Field(None, description="A teammate's user id; null to unassign.")


class StatusIn(Schema):
    status: Status


class NoteIn(Schema):
    text: Text = Field(..., min_length=1, max_length=10_000)


class TagsIn(Schema):
    tags: list[Text] = Field(..., max_length=50)


class ReplyIn(Schema):
    text: Text | None = Field(None, max_length=20_000, description="The answer (or use a saved reply).")
    saved_reply: Id | None = Field(None, description="A saved reply, its {first_name} and {brand} filled.")
    message: Id | None = Field(None, description="The message answered; default the newest inbound one.")


class SpamIn(Schema):
    spam: bool = True


class BulkIn(Schema):
    ids: list[Id] = Field(..., min_length=1, max_length=MAX_BULK)
    action: Literal["assign", "status", "close", "spam", "not_spam", "tag"]
    value: Text = Field("", max_length=60, description="assign: user id or empty; status: a status; tag.")


class BulkOut(Schema):
    updated: int


class SavedReplyOut(Schema):
    id: int
    title: str
    body: str
    language: str


class FiguresOut(Schema):
    conversations: int
    answered: int
    resolved: int
    first_response_median_s: float | None
    first_response_mean_s: float | None
    resolution_median_s: float | None
    resolution_mean_s: float | None
    first_response_within_sla: float | None
    resolution_within_sla: float | None


class MetricsOut(Schema):
    since: datetime
    until: datetime
    sla_first_response_s: int
    sla_resolution_s: int
    workspace: FiguresOut
    by_channel: dict[str, FiguresOut]
    by_person: dict[str, FiguresOut]
