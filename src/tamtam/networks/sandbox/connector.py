"""The sandbox connector: a deterministic simulated network with realistic API behaviour.

Its dials come from the channel's options (all optional):

    latency_ms             mean round trip; each call draws 0.5 to 1.5 times it from the seed
    error_rate             share of calls answered 503 → RetryAfter
    rate_limit_per_minute  requests per account per fixed minute; over it → 429 with Retry-After
    ambiguous_rate         share of calls where the post IS stored, then the answer is lost → Ambiguous
    permanent_rate         share of calls where moderation refuses the content → Permanent
    needs_user             true: the token was revoked → NeedsUser
    audience_size          followers of the simulated account (its counters: networks/sandbox/metrics.py)
    audience_tz            the audience's time zone: when it is awake to see posts (Europe/Paris)
    flavor                 the real network it poses as ("x", "instagram"…): its text and media limits
    idempotent             true: a repeated idempotency key returns the first post (like Bluesky rkeys)
    seed                   makes every call's dice reproducible (default: the channel id)

The dice of a publish call are derived from (seed, idempotency key, how many times the network has
seen that key), so a run is reproducible, yet a retry of a failed call draws new dice and can succeed.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from tamtam.networks.base import (
    AccountMetrics,
    Ambiguous,
    Capability,
    ChannelContext,
    Connector,
    InboxPage,
    Limits,
    MediaRules,
    NeedsUser,
    Permanent,
    PostMetrics,
    PublishRequest,
    PublishResult,
    RateInfo,
    RemotePost,
    RetryAfter,
    SearchPage,
    check_send_deadline,
)
from tamtam.networks.registry import register
from tamtam.networks.sandbox import store

URL_BASE = "https://sandbox.tamtam.local"

# A network with no flavor is generous: the sandbox tests the engine, not the limits.
DEFAULT_LIMITS = Limits(max_chars=100_000, count=len, media=MediaRules(max_count=20))


def _float(options: dict[str, Any], name: str, default: float = 0.0) -> float:
    try:
        return max(0.0, float(options.get(name, default) or 0.0))
    except (TypeError, ValueError):
        return default


def _bool(options: dict[str, Any], name: str) -> bool:
    value = options.get(name, False)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def dice(seed: object, key: str, attempt: int, count: int = 4) -> list[float]:
    """`count` uniform numbers in [0, 1) fixed by (seed, key, attempt)."""
    digest = hashlib.sha256(f"{seed}|{key}|{attempt}".encode()).digest()
    return [struct.unpack_from(">I", digest, 4 * i)[0] / 2**32 for i in range(count)]


def flavor_limits(flavor: str) -> Limits:
    """The limits of the network the sandbox poses as, from tamtam.networks.limits when it exists."""
    if not flavor:
        return DEFAULT_LIMITS
    try:
        from tamtam.networks import limits as limits_module
    except ImportError:
        return DEFAULT_LIMITS
    limits_for = getattr(limits_module, "limits_for", None)
    if limits_for is None:
        return DEFAULT_LIMITS
    try:
        found = limits_for(flavor)
    except (KeyError, ValueError, LookupError):
        return DEFAULT_LIMITS
    return found if isinstance(found, Limits) else DEFAULT_LIMITS


@register
class SandboxConnector(Connector):
    network: ClassVar[str] = "sandbox"
    label: ClassVar[str] = "Sandbox"
    # IDEMPOTENT_PUBLISH is per channel (option `idempotent`), see `can`.
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.LIST_RECENT,
            Capability.FIRST_COMMENT,
            Capability.THREAD,
            Capability.REPLY,
            Capability.SEARCH,
            Capability.FETCH_INBOX,
            Capability.LIKE,
            Capability.HIDE,
            Capability.DIRECT_MESSAGES,
            Capability.FETCH_METRICS,
        }
    )
    limits: ClassVar[Limits] = DEFAULT_LIMITS

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        options = ctx.options or {}
        self.latency = _float(options, "latency_ms") / 1000.0
        self.error_rate = _float(options, "error_rate")
        self.ambiguous_rate = _float(options, "ambiguous_rate")
        self.permanent_rate = _float(options, "permanent_rate")
        self.rate_limit = int(_float(options, "rate_limit_per_minute")) or None
        self.needs_user = _bool(options, "needs_user")
        self.idempotent = _bool(options, "idempotent")
        self.audience_size = int(_float(options, "audience_size"))
        self.flavor = str(options.get("flavor") or "")
        self.seed = options.get("seed", ctx.channel_id)
        self.handle = (ctx.handle or f"channel{ctx.channel_id}").lstrip("@")

    def can(self, capability: Capability) -> bool:
        if capability == Capability.IDEMPOTENT_PUBLISH:
            return self.idempotent
        return super().can(capability)

    def effective_limits(self) -> Limits:
        return flavor_limits(self.flavor)

    def url_for(self, remote_id: str) -> str:
        return f"{URL_BASE}/@{self.handle}/{remote_id}"

    # --- helpers ------------------------------------------------------------------------------------

    def _sleep(self, fraction: float, jitter: float) -> None:
        if self.latency > 0:
            time.sleep(self.latency * (0.5 + jitter) * fraction)

    def _admit(self, conn: sqlite3.Connection, key: str, now: float) -> store.Admission:
        return store.admit(conn, self.handle, key, self.rate_limit, now, audience_size=self.audience_size)

    def _rate(self, admission: store.Admission) -> None:
        if admission.limit is None:
            self.last_rate = None
            return
        reset = datetime.fromtimestamp(admission.reset_at, tz=UTC) if admission.reset_at else None
        self.last_rate = RateInfo(limit=admission.limit, remaining=admission.remaining, reset_at=reset)

    def _refuse_revoked(self) -> None:
        if self.needs_user:
            raise NeedsUser(
                _("The access token was revoked. Reconnect the account."),
                status_code=401,
                response_excerpt='{"error": "invalid_token"}',
            )

    def _too_many(self, admission: store.Admission, now: float) -> RetryAfter:
        seconds = max(1.0, (admission.reset_at or now + 60) - now)
        return RetryAfter(
            _("Rate limit reached (%(limit)s requests per minute).") % {"limit": admission.limit},
            seconds,
            status_code=429,
            response_excerpt='{"error": "rate_limited"}',
        )

    def _validate(self, request: PublishRequest) -> None:
        limits = self.effective_limits()
        is_reply = bool(request.reply_to_remote_id)
        shown = store.rendered_text(request.text, request.link)
        max_chars = (limits.first_comment_max_chars or limits.max_chars) if is_reply else limits.max_chars
        length = limits.count(shown)
        if length > max_chars:
            raise Permanent(
                _("The text is %(length)s %(unit)s long; the limit is %(max)s.")
                % {"length": length, "unit": limits.unit, "max": max_chars},
                status_code=400,
                response_excerpt='{"error": "text_too_long"}',
            )
        if not shown.strip() and not request.media:
            raise Permanent(_("The post is empty."), status_code=400, response_excerpt='{"error": "empty"}')
        if len(request.media) > limits.media.max_count:
            raise Permanent(
                _("Too many media: %(count)s, at most %(max)s.")
                % {"count": len(request.media), "max": limits.media.max_count},
                status_code=400,
                response_excerpt='{"error": "too_many_media"}',
            )
        if limits.media.requires_media and not request.media and not is_reply:
            raise Permanent(
                _("This network needs an image or a video."),
                status_code=400,
                response_excerpt='{"error": "media_required"}',
            )
        allowed = limits.media.image_types | limits.media.video_types
        for item in request.media:
            if item.content_type not in allowed:
                raise Permanent(
                    _("Unsupported media type %(type)s.") % {"type": item.content_type},
                    status_code=415,
                    response_excerpt='{"error": "unsupported_media"}',
                )

    @contextmanager
    def _unreachable(self) -> Iterator[None]:
        """The network's own storage failing (a lock held too long): the request was not processed,
        its transaction rolled back, so the caller may simply try again — a 503, not an ambiguity."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            raise RetryAfter(
                _("The network is temporarily unavailable."),
                1.0,
                status_code=503,
                response_excerpt=f'{{"error": "storage", "detail": "{exc}"}}'[:200],
            ) from exc

    # --- the contract -------------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        self._refuse_revoked()
        self._validate(request)
        key = request.idempotency_key
        # The request reaches the network when its write commits; the deadline is checked just before,
        # inside the write turn. The network counts it at once and the latency of both halves is paid
        # after: in this in-process simulation a wait before the commit (a sleep, or the queue of
        # writers for the file's lock) would let a paused worker hold back a request that, on a real
        # network, would already have arrived, and land it past the 2 x lease after which reconcile
        # has sent it again.
        outbound = dice(self.seed, key, 0)[0]
        with self._unreachable(), store.write() as conn:
            now = time.time()
            admission = self._admit(conn, key, now)
            jitter, err, amb, perm = dice(self.seed, key, admission.call_number)
            if admission.limited:
                outcome: str | store.StoredPost = "limited"
            elif err < self.error_rate:
                outcome = "error"
            elif perm < self.permanent_rate:
                outcome = "refused"
            elif (parent := request.reply_to_remote_id) and not self._parent_exists(conn, parent, now):
                outcome = "no_parent"
            else:
                existing = store.find_by_key(conn, self.handle, key) if self.idempotent and key else None
                outcome = existing or store.insert_post(
                    conn,
                    handle=self.handle,
                    key=key,
                    text=request.text,
                    link=request.link,
                    media_count=len(request.media),
                    reply_to=request.reply_to_remote_id,
                    now=now,
                )
            check_send_deadline(self.label)  # past it, NotSent rolls the write back: nothing landed
        self._rate(admission)
        self._sleep(0.5, outbound)
        if outcome == "limited":
            raise self._too_many(admission, now)
        self._sleep(0.5, jitter)
        if outcome == "error":
            raise RetryAfter(
                _("The network answered 503 Service Unavailable."),
                0,
                status_code=503,
                response_excerpt='{"error": "service_unavailable"}',
            )
        if outcome == "refused":
            raise Permanent(
                _("The network refused this content (policy violation)."),
                status_code=422,
                response_excerpt='{"error": "content_refused"}',
            )
        if outcome == "no_parent":
            raise Permanent(
                _("The post to reply to no longer exists."),
                status_code=404,
                response_excerpt='{"error": "parent_not_found"}',
            )
        assert isinstance(outcome, store.StoredPost)
        if amb < self.ambiguous_rate:
            # The network stored the post; its answer never arrived.
            raise Ambiguous(_("The network did not answer in time; the post may have been published."))
        return PublishResult(
            remote_id=outcome.remote_id,
            url=self.url_for(outcome.remote_id),
            status_code=200,
            response_excerpt=f'{{"id": "{outcome.remote_id}"}}',
        )

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        self._refuse_revoked()
        self._sleep(1.0, 0.5)
        now = time.time()
        with self._unreachable():
            with store.write() as conn:
                admission = self._admit(conn, "", now)
            self._rate(admission)
            if admission.limited:
                raise self._too_many(admission, now)
            posts = store.recent(None, self.handle, since, limit)
        return [
            RemotePost(
                remote_id=p.remote_id,
                url=self.url_for(p.remote_id),
                text=p.text,
                created_at=p.created_at,
                idempotency_key=p.idempotency_key,
            )
            for p in posts
        ]

    def delete(self, remote_id: str) -> None:
        self._refuse_revoked()
        self._sleep(1.0, 0.5)
        with self._unreachable():
            deleted = store.mark_deleted(None, self.handle, remote_id)
        if not deleted:
            raise Permanent(_("This post does not exist on the network."), status_code=404)

    def check_connection(self) -> str:
        self._refuse_revoked()
        return f"@{self.handle}"

    def search(self, query: str, cursor: str = "", limit: int = 100) -> SearchPage:
        """The sandbox mention stream (networks/sandbox/stream.py) up to now, keyword-filtered."""
        from tamtam.networks.sandbox import stream

        self._refuse_revoked()
        self._sleep(1.0, 0.5)
        seed = self.seed if isinstance(self.seed, int) else int(dice(self.seed, "stream", 0, 1)[0] * 2**31)
        mentions = stream.MentionStream(stream.config_from_options(self.ctx.options or {}, seed))
        return mentions.page(cursor, limit, datetime.now(tz=UTC), query=query)

    # --- the community (networks/sandbox/audience.py) -------------------------------------------------

    def _audience(self) -> Any:
        from tamtam.networks.sandbox import audience

        return audience.Audience(self.handle, audience.config_from_options(self.ctx.options or {}, self.seed))

    def _clock(self, now: float) -> float:
        """The audience's time: `audience_clock_offset_s` lets tests and demos move it forward."""
        return now + _float(self.ctx.options or {}, "audience_clock_offset_s")

    def _parent_exists(self, conn: sqlite3.Connection, parent: str, now: float) -> bool:
        if store.exists(conn, self.handle, parent):
            return True
        from tamtam.networks.sandbox import audience

        posts = audience.our_posts(conn, self.handle)
        return self._audience().find(parent, posts, self._clock(now)) is not None

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """Comments under our posts, answers to our replies, mentions and DMs after `cursor`."""
        from tamtam.networks.sandbox import audience

        self._refuse_revoked()
        self._sleep(1.0, 0.5)
        now = time.time()
        with self._unreachable():
            with store.write() as conn:
                admission = self._admit(conn, "", now)
            self._rate(admission)
            if admission.limited:
                raise self._too_many(admission, now)
            conn = store.connect()
            posts = audience.our_posts(conn, self.handle)
            created = audience.account_created(conn, self.handle, now)
        return self._audience().page(
            posts, account_created=created, cursor=cursor, now=self._clock(now), limit=limit
        )

    def _act(self, remote_id: str, action: str, value: bool) -> None:
        from tamtam.networks.sandbox import audience

        self._refuse_revoked()
        self._sleep(1.0, 0.5)
        now = time.time()
        with self._unreachable(), store.write() as conn:
            if not self._parent_exists(conn, remote_id, now):
                raise Permanent(_("This comment does not exist on the network."), status_code=404)
            audience.record_action(conn, self.handle, remote_id, action, value, now)

    def like(self, remote_id: str) -> None:
        self._act(remote_id, "like", True)

    def hide(self, remote_id: str, hidden: bool = True) -> None:
        self._act(remote_id, "hide", hidden)

    # --- counters (networks/sandbox/metrics.py) -------------------------------------------------------

    def _metrics_audience(self, conn: sqlite3.Connection, now: float) -> Any:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from tamtam.networks.sandbox import audience, metrics

        try:
            tz = ZoneInfo(str((self.ctx.options or {}).get("audience_tz") or "Europe/Paris"))
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("Europe/Paris")
        created = audience.account_created(conn, self.handle, now)
        return metrics.Audience(self.seed, self.audience_size or 1000, created, tz)

    def _read(self) -> tuple[sqlite3.Connection, float]:
        self._refuse_revoked()
        self._sleep(1.0, 0.5)
        now = time.time()
        with self._unreachable():
            with store.write() as conn:
                admission = self._admit(conn, "", now)
            self._rate(admission)
            if admission.limited:
                raise self._too_many(admission, now)
        # Reads fail like writes do (option error_rate): a metrics API that is down must show.
        if dice(self.seed, f"read:{now}", 0, 1)[0] < self.error_rate:
            raise RetryAfter(_("The network answered 503 Service Unavailable."), 0, status_code=503)
        return store.connect(), now

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        """Counters of our live posts among `remote_ids` (unknown or deleted ones are left out)."""
        from tamtam.networks.sandbox import metrics

        conn, now = self._read()
        ids = [int(r) for r in remote_ids if r.isdigit()]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT id, created_at, link, media_count FROM posts WHERE handle = ? AND deleted_at IS NULL "  # noqa: S608
            f"AND id IN ({marks})",
            (self.handle, *ids),
        ).fetchall()
        crowd = self._metrics_audience(conn, now)
        clock = self._clock(now)
        return [
            metrics.post_metrics(
                crowd, str(pk), float(created), clock, has_link=bool(link), media_count=media
            )
            for pk, created, link, media in rows
        ]

    def fetch_account_metrics(self) -> AccountMetrics:
        from tamtam.networks.sandbox import metrics

        conn, now = self._read()
        (posts,) = conn.execute(
            "SELECT COUNT(*) FROM posts WHERE handle = ? AND deleted_at IS NULL AND reply_to = ''",
            (self.handle,),
        ).fetchone()
        return metrics.account_metrics(self._metrics_audience(conn, now), self._clock(now), int(posts))
