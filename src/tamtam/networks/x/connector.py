"""X (API v2 over httpx): posts, threads and first comments as replies, media with alt text, likes,
hidden replies, mentions and direct messages for the inbox, metrics, recent search.

Endpoints and bodies follow X's OpenAPI document (`/2/tweets`, `/2/media/upload` and its chunked
`initialize`/`append`/`finalize` steps, `/2/media/metadata` for alt text, `/2/users/{id}/mentions`,
`/2/dm_events`, `/2/tweets/search/recent`). Query field lists use `tweet.fields`, the name X's API and
docs use; responses are read under both the API's names (`retweet_count`, `referenced_tweets`) and the
newer ones of the published spec (`repost_count`, `referenced_posts`).

Rate limits: every endpoint answers `x-rate-limit-*` (15-minute windows); posting also answers the
24-hour per-user cap `x-user-limit-24hour-*`. `last_rate` keeps whichever is closer to running out,
so a 429 on the daily cap waits for the daily reset rather than the 15-minute one.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from tamtam.networks import oauth
from tamtam.networks.base import (
    AccountMetrics,
    Ambiguous,
    Author,
    Capability,
    ConnectorError,
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
from tamtam.networks.http import UPLOAD_TIMEOUT, HttpConnector, _int, excerpt
from tamtam.networks.registry import register
from tamtam.networks.x.limits import LIMITS
from tamtam.networks.x.oauth import SPEC

CHUNK_BYTES = 4 * 1024 * 1024  # X accepts append segments up to 5 MB
MAX_STATUS_POLLS = 60
USER_FIELDS = "id,name,username,profile_image_url,public_metrics"
POST_FIELDS = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,lang,public_metrics"


def parse_time(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.now(UTC)


def x_time(when: datetime) -> str:
    """X wants RFC 3339 with a Z and no fractions."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _references(post: dict[str, Any]) -> list[dict[str, Any]]:
    refs = post.get("referenced_tweets") or post.get("referenced_posts") or []
    return [r for r in refs if isinstance(r, dict)]


def _metric(metrics: dict[str, Any], *names: str) -> int | None:
    for name in names:
        if isinstance(metrics.get(name), int):
            return int(metrics[name])
    return None


@register
class XConnector(HttpConnector):
    network = "x"
    label = "X"
    base_url = "https://api.x.com"
    limits = LIMITS
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.REPLY,
            Capability.THREAD,
            Capability.FIRST_COMMENT,
            Capability.LIST_RECENT,
            Capability.FETCH_INBOX,
            Capability.DIRECT_MESSAGES,
            Capability.FETCH_METRICS,
            Capability.SEARCH,
            Capability.LIKE,
            Capability.HIDE,
            Capability.VIDEO,
            Capability.REVOKE,
        }
    )
    rate_headers: ClassVar[tuple[str, str, str]] = (
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
    )
    daily_headers: ClassVar[tuple[str, str, str]] = (
        "x-user-limit-24hour-limit",
        "x-user-limit-24hour-remaining",
        "x-user-limit-24hour-reset",
    )
    sleep = staticmethod(time.sleep)  # tests replace it: media processing is polled

    # --- connecting -------------------------------------------------------------------------------

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        from tamtam.networks.base import ChannelContext

        connector = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
        try:
            user = connector._me()
        finally:
            connector.close()
        username = str(user.get("username", ""))
        return Identity(
            external_id=str(user["id"]),
            handle=f"@{username}",
            name=str(user.get("name", "")),
            options={"username": username, "user_id": str(user["id"])},
        )

    def _me(self) -> dict[str, Any]:
        body = self.json("GET", "/2/users/me", params={"user.fields": USER_FIELDS})
        user = body.get("data") if isinstance(body, dict) else None
        if not isinstance(user, dict) or "id" not in user:
            raise NeedsUser(f"{self.label}: {self._errors_text(body) or 'the account could not be read'}")
        return user

    def check_connection(self) -> str:
        return f"@{self._me().get('username', '')}"

    def user_id(self) -> str:
        known = self.ctx.external_id or str(self.ctx.options.get("user_id") or "")
        return known or str(self._me()["id"])

    def username(self) -> str:
        return str(self.ctx.options.get("username") or self.ctx.handle.lstrip("@"))

    def refresh(self) -> None:
        self.update_credentials(oauth.refresh_token(SPEC, self.ctx.credentials, transport=self._transport))

    def revoke(self) -> None:
        oauth.revoke_token(SPEC, self.ctx.credentials, transport=self._transport)

    # --- errors and rate limits -------------------------------------------------------------------

    @staticmethod
    def _errors_text(body: Any) -> str:
        if not isinstance(body, dict):
            return ""
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(first.get("message") or first.get("detail") or first.get("title") or "")
        return ""

    def error_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return excerpt(response, 200).strip() or f"HTTP {response.status_code}"
        if not isinstance(body, dict):
            return f"HTTP {response.status_code}"
        detail = str(body.get("detail") or body.get("title") or body.get("message") or "")
        first = self._errors_text(body)
        # X's 400s say "One or more parameters to your request was invalid." in `detail` and what
        # was wrong in `errors[0].message`: the user needs both.
        words = f"{detail} {first}".strip() if first and first not in detail else detail or first
        return words or f"HTTP {response.status_code}"

    def classify(self, response: httpx.Response) -> ConnectorError:
        error = super().classify(response)
        if response.status_code == 403 and "duplicate content" in error.message.lower():
            # Not a permission problem: X refuses the same text twice; no reconnect would help.
            return Permanent(error.message, status_code=403, response_excerpt=error.response_excerpt)
        return error

    def parse_rate(self, response: httpx.Response) -> RateInfo | None:
        window = super().parse_rate(response)
        limit_h, remaining_h, reset_h = self.daily_headers
        daily_remaining = _int(response.headers.get(remaining_h))
        if daily_remaining is None:
            return window
        reset = _int(response.headers.get(reset_h))
        daily = RateInfo(
            limit=_int(response.headers.get(limit_h)),
            remaining=daily_remaining,
            reset_at=datetime.fromtimestamp(reset, UTC) if reset else None,
        )
        if window is None or window.remaining is None or daily_remaining <= window.remaining:
            return daily
        return window

    # --- publishing -------------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n{request.link}".strip()
        body: dict[str, Any] = {"text": text}
        if request.media:
            body["media"] = {"media_ids": [self.upload(item) for item in request.media]}
        if request.reply_to_remote_id:
            body["reply"] = {"in_reply_to_tweet_id": request.reply_to_remote_id}
        if not text and not request.media:
            raise Permanent(f"{self.label}: a post needs text or media")
        response = self.call("POST", "/2/tweets", json=body)
        data = self._data(response)
        remote_id = str(data["id"])
        return PublishResult(
            remote_id=remote_id,
            url=self.post_url(remote_id),
            status_code=response.status_code,
            response_excerpt=excerpt(response),
        )

    def post_url(self, remote_id: str) -> str:
        name = self.username()
        return f"https://x.com/{name}/status/{remote_id}" if name else f"https://x.com/i/status/{remote_id}"

    def _data(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise Ambiguous(f"{self.label}: unreadable answer", status_code=response.status_code) from exc
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or "id" not in data:
            raise Permanent(
                f"{self.label}: {self._errors_text(body) or 'no post in the answer'}",
                status_code=response.status_code,
                response_excerpt=excerpt(response),
            )
        return data

    def _media_json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """A media call: a lost answer is not a published post (unattached media expire), so a
        timeout here is retried like any transient failure rather than reconciled."""
        try:
            body = self.json(method, url, timeout=UPLOAD_TIMEOUT, **kwargs)
        except Ambiguous as exc:
            raise RetryAfter(
                f"{self.label}: the media upload got no answer; it will be sent again", 30
            ) from exc
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise RetryAfter(f"{self.label}: {self._errors_text(body) or 'empty media answer'}", 30)
        return data

    def upload(self, item: MediaItem) -> str:
        """Upload one file; its media id. Images and GIFs in one request, videos in chunks."""
        content = Path(item.path).read_bytes()
        if item.content_type.startswith("video/"):
            media_id = self._upload_chunked(item, content)
        else:
            category = "tweet_gif" if item.content_type == "image/gif" else "tweet_image"
            data = self._media_json(
                "POST",
                "/2/media/upload",
                data={"media_category": category},
                files={"media": (Path(item.path).name, content, item.content_type)},
            )
            media_id = str(data["id"])
            self._wait_processing(media_id, data.get("processing_info"))
        if item.alt_text:
            self._media_json(
                "POST",
                "/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text[:1000]}}},
            )
        return media_id

    def _upload_chunked(self, item: MediaItem, content: bytes) -> str:
        init = self._media_json(
            "POST",
            "/2/media/upload/initialize",
            json={
                "media_type": item.content_type,
                "total_bytes": len(content),
                "media_category": "tweet_video",
            },
        )
        media_id = str(init["id"])
        for index, start in enumerate(range(0, len(content), CHUNK_BYTES)):
            chunk = content[start : start + CHUNK_BYTES]
            # The JSON form (base64) of the append step, as X's spec documents it alongside multipart.
            try:  # the answer carries nothing we need (X may send an empty body)
                self.call(
                    "POST",
                    f"/2/media/upload/{media_id}/append",
                    json={"media": base64.b64encode(chunk).decode("ascii"), "segment_index": index},
                    timeout=UPLOAD_TIMEOUT,
                )
            except Ambiguous as exc:
                raise RetryAfter(
                    f"{self.label}: a video segment got no answer; it will be sent again", 30
                ) from exc
        final = self._media_json("POST", f"/2/media/upload/{media_id}/finalize")
        self._wait_processing(media_id, final.get("processing_info"))
        return media_id

    def _wait_processing(self, media_id: str, info: Any) -> None:
        for _ in range(MAX_STATUS_POLLS):
            if not isinstance(info, dict) or info.get("state") in (None, "succeeded"):
                return
            if info.get("state") == "failed":
                error: dict[str, Any] = info["error"] if isinstance(info.get("error"), dict) else {}
                raise Permanent(f"{self.label}: {error.get('message') or 'the media could not be processed'}")
            self.sleep(float(info.get("check_after_secs") or 1))
            data = self._media_json(
                "GET", "/2/media/upload", params={"media_id": media_id, "command": "STATUS"}
            )
            info = data.get("processing_info")
        raise RetryAfter(f"{self.label}: the media is still processing", 60)

    def delete(self, remote_id: str) -> None:
        try:
            self.call("DELETE", f"/2/tweets/{remote_id}")
        except Permanent as exc:
            if exc.status_code != 404:  # already gone is what we wanted
                raise

    def like(self, remote_id: str) -> None:
        self.call("POST", f"/2/users/{self.user_id()}/likes", json={"tweet_id": remote_id})

    def hide(self, remote_id: str, hidden: bool = True) -> None:
        self.call("PUT", f"/2/tweets/{remote_id}/hidden", json={"hidden": hidden})

    # --- reading back -----------------------------------------------------------------------------

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        body = self.json(
            "GET",
            f"/2/users/{self.user_id()}/tweets",
            params={
                "max_results": max(5, min(100, limit)),
                "start_time": x_time(since),
                "tweet.fields": "created_at",
            },
        )
        return [
            RemotePost(
                remote_id=str(post["id"]),
                url=self.post_url(str(post["id"])),
                text=str(post.get("text", "")),
                created_at=parse_time(post.get("created_at")),
            )
            for post in body.get("data") or []
        ][:limit]

    def _authors(self, body: dict[str, Any]) -> dict[str, Author]:
        authors = {}
        for user in (body.get("includes") or {}).get("users") or []:
            metrics = user.get("public_metrics") or {}
            authors[str(user["id"])] = Author(
                remote_id=str(user["id"]),
                handle=f"@{user.get('username', '')}",
                name=str(user.get("name", "")),
                followers=metrics.get("followers_count"),
                url=f"https://x.com/{user.get('username', '')}",
                avatar_url=str(user.get("profile_image_url", "")),
            )
        return authors

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """Mentions (including replies to our posts) since the last seen id, then direct messages
        when the token carries `dm.read`. The cursor keeps the newest id of each."""
        try:
            position = json.loads(cursor) if cursor else {}
        except ValueError:
            position = {}
        items, newest_mention = self._mentions(str(position.get("m") or ""), limit)
        new_position = {"m": newest_mention or position.get("m", "")}
        if "dm.read" in str(self.ctx.credentials.get("scope", "")):
            dms, newest_dm = self._dms(str(position.get("d") or ""), limit)
            items += dms
            new_position["d"] = newest_dm or position.get("d", "")
        return InboxPage(items=items, cursor=json.dumps(new_position, sort_keys=True), has_more=False)

    def _mentions(self, since_id: str, limit: int) -> tuple[list[InboxItem], str]:
        params: dict[str, Any] = {
            "max_results": max(5, min(100, limit)),
            "tweet.fields": POST_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        if since_id:
            params["since_id"] = since_id
        items: list[InboxItem] = []
        newest = ""
        me = self.user_id()
        # X serves newest first; with a since_id every page is new, so read them all (X stops at 800).
        for _ in range(8):
            body = self.json("GET", f"/2/users/{me}/mentions", params=params)
            newest = newest or str((body.get("meta") or {}).get("newest_id") or "")
            authors = self._authors(body)
            for post in body.get("data") or []:
                items.append(self._inbox_item(post, authors))
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        return items, newest

    def _inbox_item(self, post: dict[str, Any], authors: dict[str, Author]) -> InboxItem:
        author_id = str(post.get("author_id", ""))
        replied = next((r["id"] for r in _references(post) if r.get("type") == "replied_to"), "")
        is_reply_to_us = bool(replied) and str(post.get("in_reply_to_user_id", "")) == self.user_id()
        handle = authors[author_id].handle.lstrip("@") if author_id in authors else "i"
        return InboxItem(
            remote_id=str(post["id"]),
            kind=InboxKind.COMMENT if is_reply_to_us else InboxKind.MENTION,
            text=str(post.get("text", "")),
            author=authors.get(author_id) or Author(remote_id=author_id),
            created_at=parse_time(post.get("created_at")),
            url=f"https://x.com/{handle}/status/{post['id']}",
            parent_remote_id=str(replied) if is_reply_to_us else "",
            root_remote_id=str(post.get("conversation_id", "")) if is_reply_to_us else "",
            raw={"lang": post.get("lang", ""), "public_metrics": post.get("public_metrics", {})},
        )

    def _dms(self, seen_id: str, limit: int) -> tuple[list[InboxItem], str]:
        """dm_events comes newest first with no since_id: read until the newest id already seen."""
        params: dict[str, Any] = {
            "max_results": max(1, min(100, limit)),
            "event_types": "MessageCreate",
            "dm_event.fields": "id,text,created_at,dm_conversation_id,event_type",
            "expansions": "sender_id",
            "user.fields": USER_FIELDS,
        }
        items: list[InboxItem] = []
        newest = ""
        me = self.user_id()
        for _ in range(8):
            body = self.json("GET", "/2/dm_events", params=params)
            authors = self._authors(body)
            for event in body.get("data") or []:
                if str(event.get("id")) == seen_id:
                    return items, newest or seen_id
                newest = newest or str(event.get("id"))
                sender = self._sender(event, me)
                if sender == me:
                    continue  # our own answers are not inbox items
                items.append(
                    InboxItem(
                        remote_id=str(event["id"]),
                        kind=InboxKind.DM,
                        text=str(event.get("text", "")),
                        author=authors.get(sender) or Author(remote_id=sender),
                        created_at=parse_time(event.get("created_at")),
                        conversation_key=str(event.get("dm_conversation_id", "")),
                    )
                )
            token = (body.get("meta") or {}).get("next_token")
            if not token or not seen_id:
                break  # first fetch: the newest page is enough to start from
            params["pagination_token"] = token
        return items, newest or seen_id

    @staticmethod
    def _sender(event: dict[str, Any], me: str) -> str:
        """The sender: X sends `sender_id` with the `sender_id` expansion; the spec's field list
        lacks it, so a one-to-one conversation id ("<a>-<b>") also tells who the other side is."""
        if event.get("sender_id"):
            return str(event["sender_id"])
        parts = str(event.get("dm_conversation_id", "")).split("-")
        others = [p for p in parts if p and p != me]
        return others[0] if len(parts) == 2 and others else ""

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """A post in reply; `dm:<conversation key>` (an inbox DM's `conversation_key`) answers a DM."""
        if parent_remote_id.startswith("dm:"):
            conversation = parent_remote_id.removeprefix("dm:")
            response = self.call(
                "POST", f"/2/dm_conversations/{conversation}/messages", json={"text": request.text}
            )
            data = response.json().get("data") or {}
            return PublishResult(remote_id=str(data.get("dm_event_id", "")), status_code=response.status_code)
        return super().reply(parent_remote_id, request)

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        results: list[PostMetrics] = []
        for start in range(0, len(remote_ids), 100):
            body = self.json(
                "GET",
                "/2/tweets",
                params={
                    "ids": ",".join(remote_ids[start : start + 100]),
                    # non_public_metrics: our own posts of the last 30 days; older ones come back
                    # with public metrics only and a per-item error, which is fine.
                    "tweet.fields": "public_metrics,non_public_metrics",
                },
            )
            for post in body.get("data") or []:
                public = post.get("public_metrics") or {}
                private = post.get("non_public_metrics") or {}
                results.append(
                    PostMetrics(
                        remote_id=str(post["id"]),
                        impressions=_metric(private, "impression_count")
                        or _metric(public, "impression_count"),
                        likes=_metric(public, "like_count"),
                        comments=_metric(public, "reply_count"),
                        shares=_metric(public, "retweet_count", "repost_count"),
                        saves=_metric(public, "bookmark_count"),
                        clicks=_metric(private, "url_link_clicks"),
                        extra={
                            k: v
                            for k, v in {
                                "quotes": _metric(public, "quote_count"),
                                "profile_clicks": _metric(private, "user_profile_clicks"),
                            }.items()
                            if v is not None
                        },
                    )
                )
        return results

    def fetch_account_metrics(self) -> AccountMetrics:
        metrics = self._me().get("public_metrics") or {}
        return AccountMetrics(
            followers=_metric(metrics, "followers_count"),
            following=_metric(metrics, "following_count"),
            posts=_metric(metrics, "tweet_count", "post_count"),
            extra={"listed": v} if (v := _metric(metrics, "listed_count")) is not None else {},
        )

    def search(self, query: str, cursor: str = "", limit: int = 100) -> SearchPage:
        params: dict[str, Any] = {
            "query": query,
            "max_results": max(10, min(100, limit)),
            "tweet.fields": POST_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        if cursor:
            params["next_token"] = cursor
        body = self.json("GET", "/2/tweets/search/recent", params=params)
        authors = self._authors(body)
        items = []
        for post in body.get("data") or []:
            author = authors.get(str(post.get("author_id", ""))) or Author(
                remote_id=str(post.get("author_id", ""))
            )
            public = post.get("public_metrics") or {}
            items.append(
                FoundPost(
                    remote_id=str(post["id"]),
                    text=str(post.get("text", "")),
                    author=author,
                    created_at=parse_time(post.get("created_at")),
                    url=f"https://x.com/{author.handle.lstrip('@') or 'i'}/status/{post['id']}",
                    lang=str(post.get("lang", "")),
                    likes=_metric(public, "like_count"),
                    shares=_metric(public, "retweet_count", "repost_count"),
                    replies=_metric(public, "reply_count"),
                )
            )
        token = str((body.get("meta") or {}).get("next_token") or "")
        return SearchPage(items=items, cursor=token, has_more=bool(token))
