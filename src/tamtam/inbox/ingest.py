"""Collection: inbox items from a connector (poll) or a network's push (webhook) stored exactly once,
triaged in batch (language, sentiment, flags, priority) and grouped into conversations.

`store_items` is the one way items enter the inbox. Callers wrap it in a write transaction together
with whatever else must commit with the items (the fetch cursor): nothing stored without its cursor
moving, no cursor moved without its items. Within a channel it is serialised (SQLite's write lock; a
transaction-scoped advisory lock on PostgreSQL), so the "already stored?" look-up is exact and the
conversation counters add up even when the webhook and the poll deliver the same comment at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tamtam.channels.models import Channel
from tamtam.inbox import triage
from tamtam.inbox.models import (
    TEXT_PREVIEW,
    Conversation,
    ConversationKind,
    Direction,
    ExcludedAccount,
    InboxSettings,
    Message,
    Status,
)
from tamtam.lib.errors import InvalidInput
from tamtam.networks.base import Author, InboxItem, InboxKind
from tamtam.work.db import insert_rows, update_rows, write_transaction

log = logging.getLogger(__name__)
MAX_TEXT = 100_000  # far above any network's limit: kept whole, never truncated silently below it


def settings_for(workspace_id: int) -> InboxSettings:
    found = InboxSettings.objects.select_related("workspace").filter(workspace_id=workspace_id).first()
    if found is not None:
        return found
    InboxSettings.objects.get_or_create(workspace_id=workspace_id)
    return InboxSettings.objects.select_related("workspace").get(workspace_id=workspace_id)


def conversation_of(item: InboxItem) -> tuple[str, str]:
    """(kind, key) of the conversation an item belongs to."""
    if item.kind == InboxKind.DM:
        return ConversationKind.DM, "dm:" + (
            item.conversation_key or item.author.remote_id or item.author.handle
        )
    if item.kind == InboxKind.MENTION and not item.root_remote_id:
        return ConversationKind.MENTION, "mention:" + item.remote_id
    root = item.root_remote_id or item.parent_remote_id or item.remote_id
    kind = ConversationKind.MENTION if item.kind == InboxKind.MENTION else ConversationKind.THREAD
    return kind, f"{'mention' if kind == ConversationKind.MENTION else 'thread'}:{root}"


@dataclass
class Stored:
    new: int = 0
    duplicates: int = 0
    deleted: int = 0
    conversations: int = 0


def _lock_channel(channel_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Two keys: the inbox's namespace and the channel, so other advisory users never collide.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7304, channel_id])


def _analyse(texts: list[str]) -> tuple[list[str], list[Any]]:
    from tamtam.nlp import language, sentiment

    langs = language.detect_batch(texts)
    try:
        sentiments = sentiment.classify(texts, [lang or "" for lang in langs])
    except Exception:
        # Collection never stops because a model file is unreadable or mismatched: the lexicon
        # baseline (VADER en/fr) scores the batch instead, and the failure is logged for the admin.
        log.exception("sentiment model failed; lexicon backend used for this batch")
        sentiments = sentiment.classify(texts, [lang or "" for lang in langs], backend="lexicon")
    return langs, sentiments


Analyser = Callable[[list[str]], tuple[list[str], list[Any]]]


@dataclass
class Prepared:
    """Items analysed before the write transaction opens (language, sentiment, flags, priority: pure
    CPU), so the write lock is held only for the look-ups and the inserts. `rows` maps a remote id to
    its message, not yet tied to a conversation; `keys` to its conversation (kind, key)."""

    rows: dict[str, Message] = field(default_factory=dict)
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)


def _latest(items: list[InboxItem]) -> dict[str, InboxItem]:
    # The same item twice in one batch: the last word wins (a deletion after the comment).
    latest: dict[str, InboxItem] = {}
    for item in items:
        if item.remote_id in latest and not item.deleted and latest[item.remote_id].deleted:
            continue
        latest[item.remote_id] = item
    return latest


def _blocked(workspace_id: int) -> set[str]:
    return set(
        ExcludedAccount.objects.filter(
            workspace_id=workspace_id, reason=ExcludedAccount.Reason.BLOCKED
        ).values_list("handle", flat=True)
    )


def _new_message(**values: Any) -> Message:
    """An unsaved Message from its column values (attnames), every column given or defaulted here:
    Model.__init__'s keyword handling cost more than the rest of building a row (no signal of the
    model listens to its construction)."""
    obj = Message.__new__(Message)
    obj._state = ModelState()
    for f in _MESSAGE_FIELDS:
        if f.attname not in values:
            values[f.attname] = f.get_default()
    obj.__dict__.update(values)
    return obj


_MESSAGE_FIELDS = Message._meta.concrete_fields


def build_rows(
    channel: Channel,
    items: list[InboxItem],
    *,
    via: str,
    now: datetime,
    influencer_followers: int,
    blocked: set[str],
    analyse: Analyser = _analyse,
) -> Prepared:
    """The messages ingestion stores for `items` (all of them; no database access). The benchmark
    seeds its inbox with this very function, so its rows are those ingestion writes."""
    texts = [(item.text or "")[:MAX_TEXT] for item in items]
    langs, sentiments = analyse(texts)
    own_handle = (channel.handle or "").lstrip("@").lower()
    out = Prepared()
    for item, text, lang, feeling in zip(items, texts, langs, sentiments, strict=True):
        author = item.author or Author(remote_id="")
        handle = (author.handle or "").lstrip("@")
        outbound = bool(own_handle) and handle.lower() == own_handle
        flags = triage.flags_for(
            text, author.followers, influencer_followers, blocked=handle.lower() in blocked
        )
        negative = float(feeling.scores.get("negative", 0.0))
        created = (
            item.created_at if timezone.is_aware(item.created_at) else timezone.make_aware(item.created_at)
        )
        out.keys[item.remote_id] = conversation_of(item)
        out.rows[item.remote_id] = _new_message(
            workspace_id=channel.workspace_id,
            channel_id=channel.pk,
            remote_id=item.remote_id[:200],
            kind=str(item.kind),
            direction=Direction.OUT if outbound else Direction.IN,
            text=text,
            url=(item.url or "")[:500],
            parent_remote_id=(item.parent_remote_id or "")[:200],
            root_remote_id=(item.root_remote_id or "")[:200],
            author_remote_id=(author.remote_id or "")[:200],
            author_handle=handle[:200],
            author_name=(author.name or "")[:200],
            author_followers=author.followers,
            author_url=(author.url or "")[:500],
            created_at=created,
            received_at=now,
            via=via,
            lang=lang or "",
            sentiment=feeling.label,
            negative_score=negative,
            is_question=flags.question,
            is_complaint=flags.complaint,
            is_purchase_intent=flags.purchase_intent,
            is_influencer=flags.influencer,
            is_spam=flags.spam,
            priority=0 if outbound else triage.priority(flags, negative, direct=item.kind == InboxKind.DM),
            deleted_at=now if item.deleted else None,
            raw={k: v for k, v in (item.raw or {}).items() if k in {"category", "lang", "liked_post"}},
        )
    return out


def prepare(channel: Channel, items: list[InboxItem], *, via: str = "poll") -> Prepared:
    """Analyse, outside any transaction, the items that are not stored yet (a read, no lock): what a
    concurrent writer stores meanwhile is caught again by `store_items`, under the channel's lock."""
    latest = _latest(items)
    known = set(
        Message.objects.filter(channel=channel, remote_id__in=list(latest)).values_list(
            "remote_id", flat=True
        )
    )
    fresh = [item for rid, item in latest.items() if rid not in known]
    if not fresh:
        return Prepared()
    rules = settings_for(channel.workspace_id)
    return build_rows(
        channel,
        fresh,
        via=via,
        now=timezone.now(),
        influencer_followers=rules.influencer_followers,
        blocked=_blocked(channel.workspace_id),
    )


def store_items(
    channel: Channel, items: list[InboxItem], *, via: str = "poll", prepared: Prepared | None = None
) -> Stored:
    """Store a batch of items of one channel (call inside a write transaction); `prepared` (from
    `prepare`, before the transaction) saves analysing them while the write lock is held."""
    result = Stored()
    if not items:
        return result
    _lock_channel(channel.pk)
    now = timezone.now()
    latest = _latest(items)
    existing = {
        m.remote_id: m
        for m in Message.objects.filter(channel=channel, remote_id__in=list(latest)).only(
            "id", "remote_id", "deleted_at", "conversation_id"
        )
    }
    deleted_ids = [m.pk for rid, m in existing.items() if latest[rid].deleted and m.deleted_at is None]
    if deleted_ids:
        Message.objects.filter(pk__in=deleted_ids).update(deleted_at=now)
        result.deleted += len(deleted_ids)
    result.duplicates += len(existing) - len(deleted_ids)
    fresh = [item for rid, item in latest.items() if rid not in existing]
    if not fresh:
        return result
    ready = prepared or Prepared()
    # Items analysed beforehand are used as they are; any other (none, when the caller prepared the
    # same batch) is analysed now.
    late = [item for item in fresh if item.remote_id not in ready.rows]
    if late:
        rules = settings_for(channel.workspace_id)
        more = build_rows(
            channel,
            late,
            via=via,
            now=now,
            influencer_followers=rules.influencer_followers,
            blocked=_blocked(channel.workspace_id),
        )
        ready.rows.update(more.rows)
        ready.keys.update(more.keys)

    keys = {ready.keys[item.remote_id] for item in fresh}
    conversations = {
        c.key: c for c in Conversation.objects.filter(channel=channel, key__in=[k for _, k in keys])
    }
    missing = [(kind, key) for kind, key in keys if key not in conversations]
    if missing:
        Conversation.objects.bulk_create(
            [
                Conversation(
                    workspace_id=channel.workspace_id,
                    channel=channel,
                    kind=kind,
                    key=key,
                    root_remote_id=key.split(":", 1)[1] if kind == ConversationKind.THREAD else "",
                    created_at=now,
                )
                for kind, key in missing
            ],
            ignore_conflicts=True,
        )
        conversations.update(
            {c.key: c for c in Conversation.objects.filter(channel=channel, key__in=[k for _, k in missing])}
        )
    result.conversations = len(missing)

    rows: list[Message] = []
    by_conversation: dict[int, list[Message]] = defaultdict(list)
    for item in fresh:
        row = ready.rows[item.remote_id]
        conv = conversations[ready.keys[item.remote_id][1]]
        row.conversation_id = conv.pk
        rows.append(row)
        by_conversation[conv.pk].append(row)
    # One prepared INSERT run per row (executemany): the rows are known new under the channel's lock.
    insert_rows(rows)
    result.new += len(rows)
    by_pk = {c.pk: c for c in conversations.values()}
    for conv_id, new_rows in by_conversation.items():
        _absorb(by_pk[conv_id], new_rows)
    # One prepared UPDATE run per conversation (Django's bulk_update builds a CASE per field and row
    # in Python, which cost more than everything else of a page together).
    update_rows(
        Conversation,
        [(pk, {f: getattr(by_pk[pk], a) for f, a in ABSORBED_ATTS}) for pk in by_conversation],
        ABSORBED_FIELDS,
    )
    return result


ABSORBED_FIELDS = [
    "messages_count",
    "last_item_at",
    "last_text",
    "last_author",
    "unread",
    "last_inbound_at",
    "first_inbound_at",
    "awaiting_since",
    "status",
    "closed_at",
    "closed_by",
    "priority",
    "sentiment",
    "language",
    "flags",
    "spam",
]
# (field, attribute holding its value): a foreign key's value is its `_id`, as RowUpdate wants it.
ABSORBED_ATTS = [(f, getattr(Conversation._meta.get_field(f), "attname", f)) for f in ABSORBED_FIELDS]


def _arrived(message: Message) -> datetime:
    """When the item counts as arrived for the response times: the network's time, but never later
    than we received it (a network clock ahead of ours must not make a response time negative)."""
    return min(message.created_at, message.received_at)


def _absorb(conv: Conversation, rows: list[Message]) -> None:
    """Fold new messages into the conversation's denormalised fields (list views read only those);
    the caller saves all the conversations of a batch in one statement."""
    rows = sorted(rows, key=lambda m: m.created_at)
    inbound = [m for m in rows if m.direction == Direction.IN and m.deleted_at is None]
    newest = rows[-1]
    conv.messages_count += len(rows)
    if newest.created_at >= conv.last_item_at or conv.messages_count == len(rows):
        conv.last_item_at = newest.created_at
        conv.last_text = newest.text[:TEXT_PREVIEW]
        conv.last_author = newest.author_label[:200]
    if inbound:
        real = [m for m in inbound if not m.is_spam]
        conv.unread += len(inbound)
        last_in = _arrived(inbound[-1])
        conv.last_inbound_at = max(conv.last_inbound_at or last_in, last_in)
        conv.first_inbound_at = conv.first_inbound_at or _arrived(inbound[0])
        if real and conv.awaiting_since is None:
            conv.awaiting_since = _arrived(real[0])
        if real and conv.status == Status.CLOSED:
            conv.status, conv.closed_at, conv.closed_by = Status.OPEN, None, None
        top = max(inbound, key=lambda m: m.priority)
        conv.priority = max(conv.priority if conv.status != Status.CLOSED else 0, top.priority)
        conv.sentiment = inbound[-1].sentiment
        conv.language = inbound[-1].lang or conv.language
        flags = set(conv.flags or [])
        for m in inbound:
            flags.update(m.flag_names())
        if real:
            flags.discard("spam")
        conv.flags = sorted(flags)
        conv.spam = not real and (conv.messages_count == len(rows) or conv.spam)


# --- webhooks ----------------------------------------------------------------------------------------


def webhook_secret(channel: Channel) -> str:
    """The channel's webhook signing secret, derived from the server's secret key (never stored)."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"inbox-webhook:{channel.pk}".encode(), hashlib.sha256
    ).hexdigest()


def sign(channel: Channel, body: bytes) -> str:
    return "sha256=" + hmac.new(webhook_secret(channel).encode(), body, hashlib.sha256).hexdigest()


def signature_ok(channel: Channel, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(channel, body), (signature or "").strip())


def _parse_item(raw: Any, index: int) -> InboxItem:
    where = f"items.{index}"
    if not isinstance(raw, dict):
        raise InvalidInput(where, _("an object is expected"))
    remote_id = str(raw.get("remote_id") or "").strip()
    if not remote_id:
        raise InvalidInput(f"{where}.remote_id", _("this field is required"))
    try:
        kind = InboxKind(str(raw.get("kind") or ""))
    except ValueError:
        raise InvalidInput(
            f"{where}.kind",
            _("unknown value; expected one of %(expected)s") % {"expected": ", ".join(InboxKind)},
        ) from None
    created = parse_datetime(str(raw.get("created_at") or ""))
    if created is None or created.tzinfo is None:
        raise InvalidInput(f"{where}.created_at", _("an ISO 8601 date and time with an offset is expected"))
    text = raw.get("text", "")
    if not isinstance(text, str):
        raise InvalidInput(f"{where}.text", _("a text is expected"))
    author = raw.get("author") or {}
    if not isinstance(author, dict):
        raise InvalidInput(f"{where}.author", _("an object is expected"))
    followers = author.get("followers")
    if followers is not None and not isinstance(followers, int):
        raise InvalidInput(f"{where}.author.followers", _("a whole number is expected"))
    return InboxItem(
        remote_id=remote_id,
        kind=kind,
        text=text,
        author=Author(
            remote_id=str(author.get("remote_id") or ""),
            handle=str(author.get("handle") or ""),
            name=str(author.get("name") or ""),
            followers=followers,
            url=str(author.get("url") or ""),
        ),
        created_at=created,
        url=str(raw.get("url") or ""),
        parent_remote_id=str(raw.get("parent_remote_id") or ""),
        root_remote_id=str(raw.get("root_remote_id") or ""),
        conversation_key=str(raw.get("conversation_key") or ""),
        deleted=bool(raw.get("deleted", False)),
    )


def parse_webhook(body: bytes) -> list[InboxItem]:
    """`{"items": [InboxItem as JSON, …]}` → items; InvalidInput names the first bad field."""
    try:
        payload = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("body", _("the request body is not valid JSON")) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise InvalidInput("items", _("a list is expected"))
    return [_parse_item(raw, i) for i, raw in enumerate(payload["items"])]


def receive_webhook(channel: Channel, items: list[InboxItem]) -> Stored:
    """A network pushed items: stored once, whether or not the poll already brought them."""
    with write_transaction():
        return store_items(channel, items, via="webhook")
