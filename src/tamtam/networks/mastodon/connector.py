"""Mastodon through its REST API (docs.joinmastodon.org), over the shared HTTP connector base.

Per channel: `options["api_base"]` is the instance ("https://mastodon.social"), the credentials an
OAuth access token of the app tamtam registered there (see oauth.py). Channel options also give the
posting defaults: `visibility` (public, unlisted, private, direct) and `spoiler_text` (a content
warning put on every post of the channel), `language`.

Why the Idempotency-Key header is the step's idempotency key: Mastodon keeps it an hour per account
and answers a repeated POST with the status it already made, so a retry after an ambiguous timeout
cannot post twice (declared IDEMPOTENT_PUBLISH).
"""

from __future__ import annotations

import mimetypes
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx
from django.utils.translation import gettext_lazy

from tamtam.networks.base import (
    AccountMetrics,
    Author,
    Capability,
    ChannelContext,
    ConnectField,
    FoundPost,
    Identity,
    InboxItem,
    InboxKind,
    InboxPage,
    MediaItem,
    NeedsUser,
    Permanent,
    PostMetrics,
    PublishRequest,
    PublishResult,
    RateInfo,
    RemotePost,
    RetryAfter,
    SearchPage,
)
from tamtam.networks.http import UPLOAD_TIMEOUT, HttpConnector
from tamtam.networks.mastodon.limits import LIMITS
from tamtam.networks.mastodon.text import html_to_text
from tamtam.networks.registry import register

VISIBILITIES = ("public", "unlisted", "private", "direct")
MEDIA_WAIT_SECONDS = 60.0  # a video being transcoded: how long to wait before giving up (retry later)


def _when(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _int_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def author_of(account: dict[str, Any]) -> Author:
    return Author(
        remote_id=str(account.get("id", "")),
        handle="@" + str(account.get("acct", "")),
        name=str(account.get("display_name") or account.get("username") or ""),
        followers=account.get("followers_count"),
        url=str(account.get("url") or ""),
        avatar_url=str(account.get("avatar") or ""),
    )


@register
class Mastodon(HttpConnector):
    network = "mastodon"
    label = "Mastodon"
    capabilities: ClassVar = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.REPLY,
            Capability.LIST_RECENT,
            Capability.FETCH_INBOX,
            Capability.FETCH_METRICS,
            Capability.SEARCH,
            Capability.IDEMPOTENT_PUBLISH,
            Capability.FIRST_COMMENT,
            Capability.THREAD,
            Capability.LIKE,
            Capability.DIRECT_MESSAGES,
            Capability.VIDEO,
            Capability.REVOKE,
        }
    )
    setting_fields = (
        ConnectField(
            "visibility",
            gettext_lazy("Visibility of posts"),
            kind="choice",
            required=False,
            choices=(
                ("public", gettext_lazy("Public")),
                ("unlisted", gettext_lazy("Unlisted (quiet public)")),
                ("private", gettext_lazy("Followers only")),
            ),
        ),
        ConnectField(
            "spoiler_text",
            gettext_lazy("Content warning"),
            required=False,
            help_text=gettext_lazy("Put on every post of this channel; empty for none."),
        ),
    )
    limits = LIMITS

    def __init__(self, ctx: ChannelContext, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(ctx, transport=transport)
        self._me: dict[str, Any] | None = None

    # --- who -----------------------------------------------------------------------------------

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        connector = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
        try:
            me = connector.me()
        finally:
            connector.close()
        host = urlsplit(connector.api_base()).netloc
        return Identity(
            # Account ids are per instance: the host makes them unique across instances.
            external_id=f"{me['id']}@{host}",
            handle=f"@{me.get('username') or me.get('acct')}@{host}",
            name=str(me.get("display_name") or me.get("username") or ""),
            options={"account_id": str(me["id"])},
        )

    def me(self) -> dict[str, Any]:
        if self._me is None:
            self._me = dict(self.json("GET", "/api/v1/accounts/verify_credentials"))
        return self._me

    def account_id(self) -> str:
        return str(self.ctx.options.get("account_id") or self.me()["id"])

    def check_connection(self) -> str:
        me = self.me()
        return f"@{me.get('acct')}"

    # --- what Mastodon does differently --------------------------------------------------------

    def parse_rate(self, response: httpx.Response) -> RateInfo | None:
        """Mastodon's X-RateLimit-Reset is an ISO 8601 instant, not epoch seconds."""
        headers = response.headers
        if "x-ratelimit-limit" not in headers and "x-ratelimit-remaining" not in headers:
            return None
        reset_at = None
        reset = headers.get("x-ratelimit-reset", "")
        if reset:
            try:
                reset_at = _when(reset) if not reset.isdigit() else datetime.fromtimestamp(int(reset), UTC)
            except (ValueError, OverflowError):
                reset_at = None

        def number(name: str) -> int | None:
            try:
                return int(headers[name])
            except (KeyError, ValueError):
                return None

        return RateInfo(
            limit=number("x-ratelimit-limit"), remaining=number("x-ratelimit-remaining"), reset_at=reset_at
        )

    # --- publish -------------------------------------------------------------------------------

    def _upload(self, item: MediaItem) -> str:
        path = Path(item.path)
        content_type = item.content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as fh:
            body = self.json(
                "POST",
                "/api/v2/media",
                files={"file": (path.name, fh, content_type)},
                data={"description": item.alt_text} if item.alt_text else {},
                timeout=UPLOAD_TIMEOUT,
            )
        media_id = str(body["id"])
        # 202: still processing (video): the status must wait until the media has a URL.
        deadline = time.monotonic() + MEDIA_WAIT_SECONDS
        delay = 0.5
        while not body.get("url"):
            if time.monotonic() > deadline:
                raise RetryAfter("Mastodon: the media is still being processed", 60)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            body = self.json("GET", f"/api/v1/media/{media_id}", ok=(200, 206))
        return media_id

    def _status_body(self, request: PublishRequest, *, visibility: str = "") -> dict[str, Any]:
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}" if text else request.link
        body: dict[str, Any] = {"status": text}
        options = self.ctx.options
        wanted = visibility or str(options.get("visibility") or "public")
        if wanted not in VISIBILITIES:
            raise Permanent(f"Mastodon: unknown visibility {wanted!r} (one of {', '.join(VISIBILITIES)})")
        body["visibility"] = wanted
        if options.get("spoiler_text"):
            body["spoiler_text"] = str(options["spoiler_text"])
            body["sensitive"] = True
        if options.get("language"):
            body["language"] = str(options["language"])
        if request.reply_to_remote_id:
            body["in_reply_to_id"] = request.reply_to_remote_id
        return body

    def _post_status(self, body: dict[str, Any], request: PublishRequest) -> PublishResult:
        media_ids = [self._upload(item) for item in request.media]
        if media_ids:
            body["media_ids"] = media_ids
        response = self.call(
            "POST",
            "/api/v1/statuses",
            json=body,
            headers={"Idempotency-Key": request.idempotency_key},
        )
        status = response.json()
        return PublishResult(
            remote_id=str(status["id"]),
            url=str(status.get("url") or status.get("uri") or ""),
            status_code=response.status_code,
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        """A status (thread step or first comment when `reply_to_remote_id` is set), media first."""
        return self._post_status(self._status_body(request), request)

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """Answer a status: the author is mentioned (Mastodon's convention) and a direct message is
        answered directly — never publicly."""
        parent = self.json("GET", f"/api/v1/statuses/{parent_remote_id}")
        acct = str(parent.get("account", {}).get("acct", ""))
        mine = acct and str(parent.get("account", {}).get("id")) == self.account_id()
        if acct and not mine and f"@{acct}" not in request.text:
            request.text = f"@{acct} {request.text}"
        request.reply_to_remote_id = parent_remote_id
        visibility = "direct" if parent.get("visibility") == "direct" else ""
        return self._post_status(self._status_body(request, visibility=visibility), request)

    def delete(self, remote_id: str) -> None:
        try:
            self.call("DELETE", f"/api/v1/statuses/{remote_id}")
        except Permanent as exc:
            if exc.status_code != 404:  # already gone is what we wanted
                raise

    def like(self, remote_id: str) -> None:
        self.call("POST", f"/api/v1/statuses/{remote_id}/favourite")

    # --- read back -----------------------------------------------------------------------------

    def _remote(self, status: dict[str, Any]) -> RemotePost:
        return RemotePost(
            remote_id=str(status["id"]),
            url=str(status.get("url") or status.get("uri") or ""),
            text=html_to_text(str(status.get("content") or "")),
            created_at=_when(status.get("created_at")),
        )

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        found: list[RemotePost] = []
        params: dict[str, Any] = {"limit": 40, "exclude_reblogs": "true"}
        while len(found) < limit:
            page = self.json("GET", f"/api/v1/accounts/{self.account_id()}/statuses", params=params)
            if not page:
                break
            for status in page:
                post = self._remote(status)
                if post.created_at < since:
                    return found
                found.append(post)
            params["max_id"] = str(page[-1]["id"])
        return found[:limit]

    def _context_root(self, status_id: str) -> str:
        context = self.json("GET", f"/api/v1/statuses/{status_id}/context")
        ancestors = context.get("ancestors") or []
        return str(ancestors[0]["id"]) if ancestors else ""

    def _conversations(self) -> dict[str, str]:
        """Last status id → conversation id, for direct messages."""
        found: dict[str, str] = {}
        for conversation in self.json("GET", "/api/v1/conversations", params={"limit": 40}) or []:
            last = conversation.get("last_status") or {}
            if last.get("id"):
                found[str(last["id"])] = str(conversation["id"])
        return found

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """Mentions (replies to us among them) and direct messages, oldest first after `cursor` (the
        greatest notification id seen): `min_id` pages forward without gaps."""
        params: dict[str, Any] = {"types[]": "mention", "limit": min(limit, 40)}
        if cursor:
            params["min_id"] = cursor
        notes = list(self.json("GET", "/api/v1/notifications", params=params) or [])
        notes.sort(key=lambda n: _int_id(str(n["id"])))
        me = self.account_id()
        conversations: dict[str, str] | None = None
        items: list[InboxItem] = []
        for note in notes:
            status = note.get("status")
            if not status:
                continue
            parent = str(status.get("in_reply_to_id") or "")
            direct = status.get("visibility") == "direct"
            if direct:
                kind = InboxKind.DM
            elif parent and str(status.get("in_reply_to_account_id") or "") == me:
                kind = InboxKind.COMMENT
            elif parent:
                kind = InboxKind.REPLY
            else:
                kind = InboxKind.MENTION
            root = self._context_root(str(status["id"])) if parent else ""
            conversation = ""
            if direct:
                if conversations is None:
                    conversations = self._conversations()
                conversation = conversations.get(str(status["id"]), root or str(status["id"]))
            items.append(
                InboxItem(
                    remote_id=str(status["id"]),
                    kind=kind,
                    text=html_to_text(str(status.get("content") or "")),
                    author=author_of(status.get("account") or note.get("account") or {}),
                    created_at=_when(status.get("created_at")),
                    url=str(status.get("url") or ""),
                    parent_remote_id=parent,
                    root_remote_id=root,
                    conversation_key=conversation,
                    raw={"notification_id": str(note["id"]), "visibility": status.get("visibility", "")},
                )
            )
        last = max((_int_id(str(n["id"])) for n in notes), default=0)
        next_cursor = str(last) if last and last > _int_id(cursor or "0") else cursor
        return InboxPage(items=items, cursor=next_cursor, has_more=len(notes) >= min(limit, 40))

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        metrics = []
        for remote_id in remote_ids:
            try:
                status = self.json("GET", f"/api/v1/statuses/{remote_id}")
            except Permanent as exc:
                if exc.status_code == 404:
                    continue  # deleted on the network: no counters any more
                raise
            metrics.append(
                PostMetrics(
                    remote_id=remote_id,
                    likes=status.get("favourites_count"),
                    shares=status.get("reblogs_count"),
                    comments=status.get("replies_count"),
                )
            )
        return metrics

    def fetch_account_metrics(self) -> AccountMetrics:
        self._me = None  # fresh counters
        me = self.me()
        return AccountMetrics(
            followers=me.get("followers_count"),
            following=me.get("following_count"),
            posts=me.get("statuses_count"),
        )

    def _found(self, status: dict[str, Any]) -> FoundPost:
        return FoundPost(
            remote_id=str(status["id"]),
            text=html_to_text(str(status.get("content") or "")),
            author=author_of(status.get("account") or {}),
            created_at=_when(status.get("created_at")),
            url=str(status.get("url") or ""),
            lang=str(status.get("language") or ""),
            likes=status.get("favourites_count"),
            shares=status.get("reblogs_count"),
            replies=status.get("replies_count"),
        )

    def search(self, query: str, cursor: str = "", limit: int = 100) -> SearchPage:
        """A hashtag reads the tag's timeline (newest first, cursor = max_id); words use v2 search
        (which full-text searches only what the instance allows; cursor = offset)."""
        limit = min(limit, 40)
        query = query.strip()
        if query.startswith("#") and " " not in query:
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["max_id"] = cursor
            page = self.json("GET", f"/api/v1/timelines/tag/{quote(query[1:])}", params=params) or []
            items = [self._found(s) for s in page]
            return SearchPage(
                items=items, cursor=items[-1].remote_id if items else cursor, has_more=len(page) >= limit
            )
        offset = _int_id(cursor) if cursor else 0
        body = self.json(
            "GET",
            "/api/v2/search",
            params={"q": query, "type": "statuses", "limit": limit, "offset": offset, "resolve": "false"},
        )
        statuses = body.get("statuses") or []
        return SearchPage(
            items=[self._found(s) for s in statuses],
            cursor=str(offset + len(statuses)),
            has_more=len(statuses) >= limit,
        )

    def can_refresh(self) -> bool:
        return False  # Mastodon tokens do not expire; a 401 means the token was revoked

    def refresh(self) -> None:
        raise NeedsUser("Mastodon: the access token was revoked; reconnect the account")
