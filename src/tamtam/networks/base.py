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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar


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


class Connector(abc.ABC):
    network: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    limits: ClassVar[Limits]

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.last_rate: RateInfo | None = None

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
