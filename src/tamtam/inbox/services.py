"""Inbox business operations: the views (filters and search), working a conversation (assign, status,
notes, tags, like, hide, delete, spam), saved replies, bulk actions. Replies: `inbox/replies.py`;
collection: `inbox/collect.py` and `inbox/ingest.py`; metrics: `inbox/metrics.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import Membership, User
from tamtam.accounts.services import audit
from tamtam.inbox import metrics, replies, search
from tamtam.inbox.access import InboxCap, can
from tamtam.inbox.ingest import settings_for
from tamtam.inbox.models import (
    Conversation,
    Direction,
    ExcludedAccount,
    Message,
    Note,
    Reply,
    SavedReply,
    Status,
    Tag,
)
from tamtam.inbox.triage import HIGH, MEDIUM
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.networks.base import Capability, ConnectorError
from tamtam.work.db import serialised, write_transaction

VIEWS = ("all", "unassigned", "mine")
PRIORITIES = ("high", "medium", "low")
SENTIMENTS = ("negative", "neutral", "positive")
MAX_SEARCH = 200


@dataclass
class Filters:
    view: str = "all"  # all | unassigned | mine
    status: str = "open"  # open | pending | closed | any
    channel: int | None = None
    priority: str = ""  # high | medium | low
    sentiment: str = ""
    kind: str = ""
    tag: str = ""
    q: str = ""  # text or author
    include_spam: bool = False

    @classmethod
    def from_params(cls, params: Any) -> Filters:
        """From a query dict; unknown values fall back to the default (a view, not a form)."""

        def pick(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = (params.get(name) or "").strip()
            return value if value in allowed else default

        try:
            channel = int(params.get("channel") or 0) or None
        except (TypeError, ValueError):
            channel = None
        return cls(
            view=pick("view", VIEWS, "all"),
            status=pick("status", ("open", "pending", "closed", "any"), "open"),
            channel=channel,
            priority=pick("priority", PRIORITIES, ""),
            sentiment=pick("sentiment", SENTIMENTS, ""),
            kind=pick("kind", ("thread", "dm", "mention"), ""),
            tag=(params.get("tag") or "").strip()[:60],
            q=(params.get("q") or "").strip()[:MAX_SEARCH],
            include_spam=(params.get("spam") or "") in {"1", "true", "on"},
        )


# What a list shows of each conversation (page rows, API items): reading and building 50 full rows
# with their channel and assignee was a good part of a list's time.
LIST_FIELDS = (
    "id",
    "workspace_id",
    "channel_id",
    "channel__name",
    "channel__network",
    "kind",
    "status",
    "assignee_id",
    "assignee__username",
    "priority",
    "sentiment",
    "language",
    "flags",
    "spam",
    "unread",
    "messages_count",
    "last_text",
    "last_author",
    "last_item_at",
    "awaiting_since",
    "first_response_at",
    "closed_at",
)


def conversations(workspace_id: int, user: Any, filters: Filters) -> QuerySet[Conversation]:
    """The conversations a view shows, most urgent ordering the index serves."""
    qs = Conversation.objects.filter(workspace_id=workspace_id)
    if filters.status != "any":
        qs = qs.filter(status=filters.status)
    if filters.view == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.view == "mine":
        qs = qs.filter(assignee=user)
    if filters.channel:
        qs = qs.filter(channel_id=filters.channel)
    if filters.sentiment:
        qs = qs.filter(sentiment=filters.sentiment)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if not filters.include_spam:
        qs = qs.filter(spam=False)
    if filters.priority == "high":
        qs = qs.filter(priority__gte=HIGH)
    elif filters.priority == "medium":
        qs = qs.filter(priority__gte=MEDIUM, priority__lt=HIGH)
    elif filters.priority == "low":
        qs = qs.filter(priority__lt=MEDIUM)
    if filters.q:
        qs = qs.filter(search.matching(filters.q, narrowed=filters.status != "any"))
    order = ["-priority", "-last_item_at", "-id"] if filters.priority else ["-last_item_at", "-id"]
    return qs.select_related("channel", "assignee").only(*LIST_FIELDS).order_by(*order)


def listing(
    workspace_id: int, user: Any, filters: Filters, offset: int, limit: int
) -> tuple[list[Conversation], int]:
    """One page of a view and the view's total (the API's list).

    A search finds its matches once: their ids, in order, give both the total and the page (a
    COUNT(*) would run the search a second time, and a search is the dearest view)."""
    qs = conversations(workspace_id, user, filters)
    if not filters.q:
        return list(qs[offset : offset + limit]), qs.count()
    ids = list(qs.values_list("pk", flat=True))
    wanted = ids[offset : offset + limit]
    rows = (
        Conversation.objects.filter(workspace_id=workspace_id, pk__in=wanted)
        .select_related("channel", "assignee")
        .only(*LIST_FIELDS)
    )
    by_id = {c.pk: c for c in rows}
    return [by_id[pk] for pk in wanted if pk in by_id], len(ids)


@dataclass
class Window:
    """One page of a list, known to have a next page by asking one row more: no COUNT(*) over a
    200,000-item inbox on every poll (the pager only says newer / older)."""

    number: int
    object_list: list[Any]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


MAX_PAGE_NUMBER = 2000


def window(qs: QuerySet[Any], number: Any, size: int) -> Window:
    """Page `number` (1-based; anything else is page 1) of `qs`."""
    try:
        page = min(MAX_PAGE_NUMBER, max(1, int(number or 1)))
    except (TypeError, ValueError):
        page = 1
    start = (page - 1) * size
    rows = list(qs[start : start + size + 1])
    return Window(number=page, object_list=rows[:size], has_next=len(rows) > size)


def tags_of(conversation_ids: list[int]) -> dict[int, list[str]]:
    """The tag names of many conversations in one query (a list page must not ask once per row)."""
    found: dict[int, list[str]] = {}
    through = Conversation.tags.through
    rows = through.objects.filter(conversation_id__in=conversation_ids).values_list(
        "conversation_id", "tag__name"
    )
    for conv_id, name in rows.order_by("tag__name"):
        found.setdefault(conv_id, []).append(name)
    return found


def unread_count(workspace_id: int) -> int:
    return Conversation.objects.filter(
        workspace_id=workspace_id, status=Status.OPEN, spam=False, unread__gt=0
    ).count()


def get_conversation(workspace_id: int, conversation_id: Any) -> Conversation:
    try:
        pk = int(conversation_id)
    except (TypeError, ValueError):
        raise InvalidInput("conversation", _("a whole number is expected")) from None
    found = (
        Conversation.objects.select_related("channel", "assignee", "workspace")
        .filter(workspace_id=workspace_id, pk=pk)
        .first()
    )
    if found is None:
        raise InvalidInput("conversation", _("no such conversation"))
    return found


def mark_read(conv: Conversation) -> None:
    if conv.unread:
        with serialised():
            Conversation.objects.filter(pk=conv.pk).update(unread=0)
        conv.unread = 0


# --- working a conversation ----------------------------------------------------------------------------


def assign(conv: Conversation, actor: Any, assignee_id: int | None) -> Conversation:
    assignee = None
    if assignee_id:
        member = Membership.objects.filter(workspace_id=conv.workspace_id, user_id=assignee_id).first()
        if member is None or not can(member.role, InboxCap.ACT):
            raise InvalidInput("assignee", _("this person cannot work the inbox of this workspace"))
        assignee = member.user
    with write_transaction():
        Conversation.objects.filter(pk=conv.pk).update(assignee=assignee)
        audit(
            conv.workspace,
            actor,
            "inbox.assigned",
            conv,
            summary=assignee.get_username() if assignee else _("unassigned"),
        )
    conv.assignee = assignee
    return conv


def set_status(conv: Conversation, actor: Any, status: str) -> Conversation:
    if status not in Status.values:
        raise InvalidInput(
            "status",
            _("unknown value; expected one of %(expected)s") % {"expected": ", ".join(Status.values)},
        )
    now = timezone.now()
    changes: dict[str, Any] = {"status": status}
    if status == Status.CLOSED:
        changes.update(
            closed_at=now, closed_by=actor if getattr(actor, "is_authenticated", False) else None, unread=0
        )
    else:
        changes.update(closed_at=None, closed_by=None)
    with write_transaction():
        Conversation.objects.filter(pk=conv.pk).update(**changes)
        audit(conv.workspace, actor, "inbox.status", conv, summary=status)
    metrics.forget_figures(conv.workspace_id)
    for key, value in changes.items():
        setattr(conv, key, value)
    return conv


def add_note(conv: Conversation, actor: Any, text: str) -> Note:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("text", _("this field is required"))
    return Note.objects.create(conversation=conv, author=actor, text=text[:10_000])


def set_tags(conv: Conversation, names: list[str]) -> list[Tag]:
    clean = sorted({n.strip()[:60] for n in names if n and n.strip()})
    tags = []
    for name in clean:
        tag, _created = Tag.objects.get_or_create(workspace_id=conv.workspace_id, name=name)
        tags.append(tag)
    conv.tags.set(tags)
    return tags


def mark_spam(conv: Conversation, actor: Any, spam: bool = True) -> Conversation:
    with write_transaction():
        Conversation.objects.filter(pk=conv.pk).update(
            spam=spam, status=Status.CLOSED if spam else conv.status
        )
        Message.objects.filter(conversation=conv, direction=Direction.IN).update(is_spam=spam)
        audit(conv.workspace, actor, "inbox.spam" if spam else "inbox.not_spam", conv)
    conv.spam = spam
    return conv


def _message(conv: Conversation, message_id: Any) -> Message:
    try:
        pk = int(message_id)
    except (TypeError, ValueError):
        raise InvalidInput("message", _("a whole number is expected")) from None
    found = Message.objects.select_related("channel").filter(conversation=conv, pk=pk).first()
    if found is None:
        raise InvalidInput("message", _("no such message in this conversation"))
    return found


def network_action(conv: Conversation, actor: Any, message_id: Any, action: str) -> Message:
    """Like, hide, unhide or delete one message on the network (where its capabilities allow)."""
    from tamtam.publishing.engine.ledger import connector_for

    message = _message(conv, message_id)
    connector = connector_for(message.channel)
    need = {
        "like": Capability.LIKE,
        "hide": Capability.HIDE,
        "unhide": Capability.HIDE,
        "delete": Capability.DELETE,
    }.get(action)
    if need is None:
        raise InvalidInput(
            "action",
            _("unknown value; expected one of %(expected)s") % {"expected": "like, hide, unhide, delete"},
        )
    if not connector.can(need):
        raise Conflict(_("%(network)s does not allow this from tamtam.") % {"network": connector.label})
    if action == "delete" and message.direction != Direction.OUT:
        raise Conflict(_("Only our own replies can be deleted; hide a comment instead."))
    try:
        if action == "like":
            connector.like(message.remote_id)
        elif action in {"hide", "unhide"}:
            connector.hide(message.remote_id, action == "hide")
        else:
            connector.delete(message.remote_id)
    except ConnectorError as exc:
        raise Conflict(_("The network refused: %(message)s") % {"message": exc.message}) from exc
    choices: dict[str, dict[str, Any]] = {
        "like": {"liked": True},
        "hide": {"hidden": True},
        "unhide": {"hidden": False},
        "delete": {"deleted_at": timezone.now()},
    }
    fields = choices[action]
    Message.objects.filter(pk=message.pk).update(**fields)
    audit(conv.workspace, actor, f"inbox.{action}", message, summary=message.text[:120])
    for key, value in fields.items():
        setattr(message, key, value)
    return message


# --- saved replies -----------------------------------------------------------------------------------


def render_saved_reply(body: str, message: Message, brand: str) -> str:
    """Fill `{first_name}`, `{author}` and `{brand}`; an unknown `{x}` stays as typed (never a crash)."""
    author = message.author_label or _("there")
    values = {"first_name": message.first_name or author, "author": author, "brand": brand}
    out = body
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


def saved_reply_for(conv: Conversation, saved_id: Any, message: Message) -> str:
    try:
        saved = SavedReply.objects.get(workspace_id=conv.workspace_id, pk=int(saved_id))
    except (TypeError, ValueError, SavedReply.DoesNotExist):
        raise InvalidInput("saved_reply", _("no such saved reply")) from None
    return render_saved_reply(saved.body, message, settings_for(conv.workspace_id).brand())


def create_saved_reply(workspace_id: int, title: str, body: str, language: str = "") -> SavedReply:
    if not title.strip():
        raise InvalidInput("title", _("this field is required"))
    if not body.strip():
        raise InvalidInput("body", _("this field is required"))
    return SavedReply.objects.create(
        workspace_id=workspace_id, title=title.strip()[:120], body=body.strip(), language=language[:8]
    )


def reply_target(conv: Conversation, message_id: Any = None) -> Message:
    """What a reply answers: the given message, else the newest live inbound one."""
    if message_id:
        return _message(conv, message_id)
    found = (
        Message.objects.filter(conversation=conv, direction=Direction.IN, deleted_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if found is None:
        raise InvalidInput("message", _("nothing to answer in this conversation"))
    return found


def reply(conv: Conversation, actor: Any, role: str, text: str, message_id: Any = None) -> Reply:
    return replies.request_reply(conv, reply_target(conv, message_id), actor, role, text)


# --- bulk ---------------------------------------------------------------------------------------------


def bulk(workspace_id: int, actor: Any, ids: list[Any], action: str, value: str = "") -> int:
    """assign (value: user id or ""), status (value), spam, not_spam, tag (value) on many at once."""
    convs = []
    for raw in ids[:500]:
        try:
            convs.append(get_conversation(workspace_id, raw))
        except InvalidInput:
            continue
    for conv in convs:
        if action == "assign":
            assign(conv, actor, int(value) if value else None)
        elif action == "status":
            set_status(conv, actor, value)
        elif action == "spam":
            mark_spam(conv, actor, True)
        elif action == "not_spam":
            mark_spam(conv, actor, False)
        elif action == "tag":
            names = [*list(conv.tags.values_list("name", flat=True)), value]
            set_tags(conv, names)
        else:
            raise InvalidInput(
                "action",
                _("unknown value; expected one of %(expected)s")
                % {"expected": "assign, status, spam, not_spam, tag"},
            )
    return len(convs)


# --- staff and blocked accounts ----------------------------------------------------------------------


def exclude_account(workspace_id: int, handle: str, reason: str) -> ExcludedAccount:
    handle = handle.strip().lstrip("@").lower()
    if not handle:
        raise InvalidInput("handle", _("this field is required"))
    if reason not in ExcludedAccount.Reason.values:
        raise InvalidInput(
            "reason", _("unknown value; expected one of %(expected)s") % {"expected": "staff, blocked"}
        )
    found, _created = ExcludedAccount.objects.update_or_create(
        workspace_id=workspace_id, handle=handle, defaults={"reason": reason}
    )
    return found


def teammates(workspace_id: int) -> list[User]:
    roles = ["owner", "manager", "community"]
    return list(
        User.objects.filter(memberships__workspace_id=workspace_id, memberships__role__in=roles).order_by(
            "username"
        )
    )
