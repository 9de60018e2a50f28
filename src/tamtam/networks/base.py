"""The connector contract every network speaks (DESIGN §5).

A connector does one network call per method and raises exactly one of:
- `Permanent`  — the request will never succeed as is (bad content, deleted account…);
- `RetryAfter` — try again later (429, 5xx, timeout before sending), after `seconds`;
- `NeedsUser`  — a person must act (reconnect, grant a permission);
- `Ambiguous`  — the request may have reached the network but we do not know (timeout after sending,
  connection reset mid-response). The engine never blindly re-sends: it reconciles.
Rate-limit headers seen on each response are exposed in `last_rate` for per-channel rate shaping.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise  # a gettext_lazy string


class Capability(StrEnum):
    PUBLISH = "publish"
    DELETE = "delete"
    REPLY = "reply"
    LIST_RECENT = "list_recent"
    FETCH_INBOX = "fetch_inbox"
    FETCH_METRICS = "fetch_metrics"
    SEARCH = "search"
    STREAM = "stream"
    IDEMPOTENT_PUBLISH = "idempotent_publish"
    FIRST_COMMENT = "first_comment"
    THREAD = "thread"
    LIKE = "like"
    HIDE = "hide"  # hide a comment under our post (Facebook, Instagram, YouTube…)
    DIRECT_MESSAGES = "direct_messages"  # fetch_inbox includes DMs and reply can answer one
    VIDEO = "video"
    REVOKE = "revoke"  # disconnect revokes the token at the network


class ConnectorError(Exception):
    """Base of the connector errors. `message` is the network's own words, shown to the user."""

    def __init__(self, message: str, *, status_code: int | None = None, response_excerpt: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.response_excerpt = response_excerpt[:500]


class Permanent(ConnectorError):
    pass


class RetryAfter(ConnectorError):
    def __init__(self, message: str, seconds: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.seconds = max(0.0, float(seconds))


class NeedsUser(ConnectorError):
    pass


class Ambiguous(ConnectorError):
    pass


class NotSent(RetryAfter):
    """The call was not sent because its worker's lease had run out (the worker was paused or starved
    past it): another worker may already own the step, and a request that left this late could land
    after reconcile stopped waiting for it. Nothing reached the network, so it is a plain retry."""


# The time.monotonic() by which the current thread's engine call must leave (None: no limit). Set by
# the engine around a connector call (`send_deadline`), checked right before a write goes out.
_send_by: ContextVar[float | None] = ContextVar("tamtam_send_by", default=None)


@contextmanager
def send_deadline(deadline: float | None) -> Iterator[None]:
    token = _send_by.set(deadline)
    try:
        yield
    finally:
        _send_by.reset(token)


def check_send_deadline(label: str) -> None:
    """Raise NotSent when the engine's deadline for this call has passed; call it just before a write
    leaves, so the gap between the check and the send is as short as it can be."""
    deadline = _send_by.get()
    if deadline is not None and time.monotonic() > deadline:
        from django.utils.translation import gettext as _

        raise NotSent(
            _("%(network)s: not sent, this worker's lease ran out before the call could leave.")
            % {"network": label},
            0,
        )


@dataclass(frozen=True)
class MediaRules:
    max_count: int
    image_types: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
    video_types: frozenset[str] = frozenset({"video/mp4"})
    max_image_bytes: int = 5 * 1024 * 1024
    max_video_bytes: int = 512 * 1024 * 1024
    mix_images_and_video: bool = False
    requires_media: bool = False  # Instagram, Pinterest, YouTube, TikTok


@dataclass(frozen=True)
class Limits:
    """What a network accepts, and how it counts text."""

    max_chars: int
    count: Callable[[str], int]  # the network's own way of counting (graphemes, X weights…)
    media: MediaRules
    daily_cap: int | None = None  # publishes per account per 24 h, a calendar constraint
    link_counts_as: int | None = None  # e.g. X: every URL counts 23 whatever its length
    first_comment_max_chars: int | None = None
    unit: str = "characters"


@dataclass
class MediaItem:
    path: str  # local file path
    content_type: str
    size: int
    alt_text: str = ""


@dataclass
class PublishRequest:
    text: str
    idempotency_key: str  # stable across attempts of the same step
    link: str = ""
    media: list[MediaItem] = field(default_factory=list)
    reply_to_remote_id: str = ""  # first comment or thread step: reply to this remote post


@dataclass
class PublishResult:
    remote_id: str
    url: str = ""
    status_code: int | None = None
    response_excerpt: str = ""


@dataclass
class RemotePost:
    remote_id: str
    url: str
    text: str
    created_at: datetime
    idempotency_key: str = ""


class InboxKind(StrEnum):
    COMMENT = "comment"  # under one of our posts
    REPLY = "reply"  # an answer to one of our comments or replies
    MENTION = "mention"  # a post elsewhere that names the account
    DM = "dm"  # a direct (private) message


@dataclass
class Author:
    remote_id: str
    handle: str = ""
    name: str = ""
    followers: int | None = None  # None: the network did not say
    url: str = ""
    avatar_url: str = ""


@dataclass
class InboxItem:
    """One comment, reply, mention or direct message, as the network gave it."""

    remote_id: str
    kind: InboxKind
    text: str
    author: Author
    created_at: datetime
    url: str = ""
    parent_remote_id: str = ""  # what it answers (a post, a comment); "" for a new DM or a mention
    root_remote_id: str = ""  # the post at the top of the thread; "" when not in a thread
    conversation_key: str = ""  # DMs: the network's conversation id; else "" (threads group by root)
    deleted: bool = False  # the network says it was deleted (stored items are marked, not dropped)
    raw: dict[str, Any] = field(default_factory=dict)  # a few fields worth keeping, never tokens


@dataclass
class InboxPage:
    items: list[InboxItem]
    # Opaque position to pass back next time (persisted by the caller): nothing fetched twice or missed.
    cursor: str = ""
    has_more: bool = False


@dataclass
class PostMetrics:
    """Counters of one published post at one instant; None: the network does not expose it."""

    remote_id: str
    impressions: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None  # reposts, boosts, retweets, shares
    saves: int | None = None
    clicks: int | None = None
    video_views: int | None = None
    extra: dict[str, int] = field(default_factory=dict)


@dataclass
class AccountMetrics:
    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    impressions: int | None = None  # over the network's own window (e.g. the last day)
    extra: dict[str, int] = field(default_factory=dict)


@dataclass
class FoundPost:
    """A public post returned by a network search or stream (listening)."""

    remote_id: str
    text: str
    author: Author
    created_at: datetime
    url: str = ""
    lang: str = ""  # the network's own guess, when it gives one
    likes: int | None = None
    shares: int | None = None
    replies: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchPage:
    items: list[FoundPost]
    cursor: str = ""
    has_more: bool = False


@dataclass
class Identity:
    """Who an account is, as the network says: what a channel stores after connecting."""

    external_id: str  # the network's stable id (user id, DID, page id…)
    handle: str  # shown to people: "@name", "name.bsky.social", "Page name"
    name: str = ""
    # Non-secret facts worth keeping on the channel's options (e.g. a page id chosen among several).
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectField:
    """One field of a network's connect form (networks without OAuth: app password, bot token…).

    A connector declares `connect_fields`; the channels app renders one generic form from them, then
    calls `Connector.connect_form(values)` and `identify(credentials, options)`. `secret` values go to
    the encrypted credentials and are never shown again; others to the channel's options."""

    name: str
    label: str | _StrPromise  # a lazy translation: gettext_lazy("Bot token")
    kind: str = "text"  # text | password | url
    required: bool = True
    secret: bool = False
    help_text: str | _StrPromise = ""
    placeholder: str = ""
    # kind "choice": the allowed (value, label) pairs, or the channel option listing them as
    # [{"id", "name"}] (Pinterest's boards, kept at connect).
    choices: tuple[tuple[str, str | _StrPromise], ...] = ()
    choices_from: str = ""


@dataclass
class RateInfo:
    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None


@dataclass
class ChannelContext:
    """What a connector needs to act for one channel; credentials are decrypted only here."""

    channel_id: int
    handle: str
    credentials: dict[str, Any]
    options: dict[str, Any]
    external_id: str = ""
    # Called with the full new credentials when the connector refreshed a token, so the caller stores
    # them (encrypted) before anything else happens; None in contexts that keep nothing (tests, checks).
    persist_credentials: Callable[[dict[str, Any]], None] | None = None


class Connector(abc.ABC):
    network: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    limits: ClassVar[Limits]

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.last_rate: RateInfo | None = None

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        """After an OAuth code exchange (or a token/app-password form): ask the network who this
        account is. The channels app calls it with the fresh credentials before creating the channel.
        Raises NeedsUser when the network refuses the credentials."""
        raise NotImplementedError(f"{cls.__name__} does not implement identify()")

    # Non-OAuth networks: the fields of their connect form (empty for OAuth networks and the sandbox).
    connect_fields: ClassVar[tuple[ConnectField, ...]] = ()

    @classmethod
    def connect_form(cls, values: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Connect form values → (credentials, options), before `identify`. Override to log in
        (Matrix user/password → token, Bluesky app password → session) or normalise ids; raise
        `NeedsUser` with the network's words when it refuses, `Permanent` for a value it rejects.
        Default: secret fields to the credentials, the others to the options."""
        secret = {f.name for f in cls.connect_fields if f.secret}
        known = {f.name for f in cls.connect_fields}
        credentials = {k: v for k, v in values.items() if k in secret and v}
        options = {k: v for k, v in values.items() if k in known - secret and v}
        return credentials, options

    # Per-channel settings a person may change after connecting (Reddit's subreddit, Pinterest's
    # board, YouTube's privacy…): non-secret, stored in the channel's options, shown on its edit page.
    setting_fields: ClassVar[tuple[ConnectField, ...]] = ()

    @classmethod
    def clean_settings(cls, values: dict[str, str], options: dict[str, Any]) -> dict[str, Any]:
        """Settings form values → the options to store; raise `Permanent` naming the field for a value
        the network would refuse. Default: a choice must be one of its choices, empty values are
        dropped (the connector's default applies)."""
        out: dict[str, Any] = {}
        for f in cls.setting_fields:
            value = str(values.get(f.name, "") or "").strip()
            if f.kind == "choice" and value:
                allowed = {k for k, _label in setting_choices(f, options)}
                if value not in allowed:
                    raise Permanent(f"{f.name}: {value!r} is not one of the choices")
            out[f.name] = value
        return out

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def effective_limits(self) -> Limits:
        """The limits for this channel (the sandbox takes those of the network it poses as)."""
        return self.limits

    @abc.abstractmethod
    def publish(self, request: PublishRequest) -> PublishResult: ...

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        raise Permanent(f"{self.label} cannot list recent posts")

    def delete(self, remote_id: str) -> None:
        raise Permanent(f"{self.label} cannot delete posts")

    def check_connection(self) -> str:
        """Verify the credentials; return the account's display handle. Raises NeedsUser if refused."""
        return self.ctx.handle

    # --- reading back and acting on the community (capabilities say which a network has) -----------

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """Answer a comment, mention or DM (inbox). Default: a publish in reply to the parent."""
        request.reply_to_remote_id = parent_remote_id
        return self.publish(request)

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        raise Permanent(f"{self.label} exposes no comments or messages")

    def like(self, remote_id: str) -> None:
        raise Permanent(f"{self.label} cannot like from tamtam")

    def hide(self, remote_id: str, hidden: bool = True) -> None:
        raise Permanent(f"{self.label} cannot hide comments")

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        raise Permanent(f"{self.label} exposes no post metrics")

    def fetch_account_metrics(self) -> AccountMetrics:
        raise Permanent(f"{self.label} exposes no account metrics")

    def search(self, query: str, cursor: str = "", limit: int = 100) -> SearchPage:
        raise Permanent(f"{self.label} has no search")

    def revoke(self) -> None:  # noqa: B027 — optional: most networks have nothing to revoke
        """Disconnect: revoke the token at the network where it allows it (best effort, never raises
        for a token the network already forgot)."""

    # --- credentials ----------------------------------------------------------------------------

    def update_credentials(self, changes: dict[str, Any]) -> None:
        """Merge refreshed credentials and hand them to the caller to persist. An empty or missing
        refresh token never overwrites the one we have (several networks omit it on refresh)."""
        merged = dict(self.ctx.credentials)
        for key, value in changes.items():
            if key == "refresh_token" and not value:
                continue
            merged[key] = value
        self.ctx.credentials = merged
        if self.ctx.persist_credentials is not None:
            self.ctx.persist_credentials(merged)


def setting_choices(field: ConnectField, options: dict[str, Any]) -> list[tuple[str, str]]:
    """The (value, label) choices of a "choice" setting, static or read from the channel's options."""
    if field.choices_from:
        listed = options.get(field.choices_from) or []
        return [
            (str(e.get("id")), str(e.get("name") or e.get("id")))
            for e in listed
            if isinstance(e, dict) and e.get("id")
        ]
    return [(k, str(label)) for k, label in field.choices]
