"""YouTube (Data API v3 through `google-api-python-client`): resumable video uploads, delete, the
uploads playlist for reconcile, comment threads as the inbox, replies and first comments, comment
moderation (hide = held for review), video and channel statistics, search.

A YouTube post is a video: its title is the text's first line (100 characters at most), its
description the rest (the whole text when it is one line), its tags the text's hashtags plus the
channel's `tags` option, its privacy the channel's `privacy` option (public by default). The Data API
has no endpoint for community posts, so a text-only post is refused with a Permanent error rather than
pretending; nor can it like comments.

Errors: Google's JSON error (`error.errors[0].reason`) decides: `quotaExceeded` and the rate-limit
reasons wait for the daily quota reset (midnight Pacific time) or a minute; a refused token is
refreshed once, then the user reconnects; 5xx retry; the rest is Permanent with Google's message.
YouTube sends no rate headers: the quota state is what `last_rate` records.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httplib2
from django.utils.translation import gettext_lazy
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from tamtam.networks import oauth
from tamtam.networks.base import (
    AccountMetrics,
    Ambiguous,
    Author,
    Capability,
    ChannelContext,
    ConnectField,
    Connector,
    ConnectorError,
    FoundPost,
    Identity,
    InboxItem,
    InboxKind,
    InboxPage,
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
from tamtam.networks.http import WRITE_METHODS
from tamtam.networks.registry import register
from tamtam.networks.youtube.limits import LIMITS, RULES
from tamtam.networks.youtube.oauth import SPEC

TITLE_MAX = RULES.title_max_chars or 100
CHUNK_BYTES = 8 * 1024 * 1024  # resumable upload chunks (a multiple of 256 KiB, as Google requires)
HASHTAG = re.compile(r"(?<!\w)#(\w{1,30})")
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "uploadRateLimitExceeded"}
NEEDS_USER_REASONS = {
    "insufficientPermissions",
    "forbidden",
    "youtubeSignupRequired",
    "channelClosed",
    "channelSuspended",
    "authorizationRequired",
    "accountDelegationForbidden",
}
PACIFIC = ZoneInfo("America/Los_Angeles")
MAX_INBOX_PAGES = 5


def quota_reset(now: datetime | None = None) -> datetime:
    """Google resets the daily Data API quota at midnight Pacific time."""
    local = (now or datetime.now(UTC)).astimezone(PACIFIC)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC)


def _time(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.now(UTC)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def split_title(text: str) -> tuple[str, str]:
    first, sep, rest = text.strip().partition("\n")
    first = first.strip()
    title = first if len(first) <= TITLE_MAX else first[: TITLE_MAX - 1].rstrip() + "…"
    return title, (rest.strip() if sep and len(first) <= TITLE_MAX else text.strip())


class _BearerHttp:
    """An httplib2-like object adding the channel's current access token to every request (read at
    call time, so a refreshed token is used without rebuilding the client)."""

    def __init__(self, http: Any, token: Callable[[], str]) -> None:
        self.http = http
        self.token = token

    def request(
        self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **kwargs: Any
    ) -> Any:
        headers = {**(headers or {}), "authorization": f"Bearer {self.token()}"}
        if method.upper() in WRITE_METHODS:
            check_send_deadline("YouTube")
        return self.http.request(uri, method, body=body, headers=headers, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)


@register
class YouTubeConnector(Connector):
    network = "youtube"
    label = "YouTube"
    limits = LIMITS
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.VIDEO,
            Capability.DELETE,
            Capability.REPLY,
            Capability.FIRST_COMMENT,
            Capability.LIST_RECENT,
            Capability.FETCH_INBOX,
            Capability.HIDE,
            Capability.FETCH_METRICS,
            Capability.SEARCH,
            Capability.REVOKE,
        }
    )
    setting_fields = (
        ConnectField(
            "privacy",
            gettext_lazy("Privacy of uploaded videos"),
            kind="choice",
            required=False,
            choices=(
                ("public", gettext_lazy("Public")),
                ("unlisted", gettext_lazy("Unlisted")),
                ("private", gettext_lazy("Private")),
            ),
        ),
        ConnectField(
            "tags",
            gettext_lazy("Tags added to every video"),
            required=False,
            help_text=gettext_lazy("Comma-separated; the post's hashtags are added too."),
        ),
    )

    @classmethod
    def clean_settings(cls, values: dict[str, str], options: dict[str, Any]) -> dict[str, Any]:
        out = super().clean_settings(values, options)
        # Stored as a list: the upload sends `snippet.tags` as one.
        out["tags"] = [t.strip().lstrip("#") for t in str(out.get("tags") or "").split(",") if t.strip()]
        return out

    @staticmethod
    def new_http() -> Any:
        """The HTTP object under the client (tests put googleapiclient's HttpMockSequence here)."""
        return httplib2.Http(timeout=120)

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        self._service: Any = None

    @property
    def youtube(self) -> Any:
        if self._service is None:
            http = _BearerHttp(self.new_http(), lambda: str(self.ctx.credentials.get("access_token", "")))
            # static_discovery: the discovery document shipped in the package, no network fetch
            self._service = build("youtube", "v3", http=http, static_discovery=True, cache_discovery=False)
        return self._service

    # --- connecting -------------------------------------------------------------------------------

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        connector = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
        channel = connector._my_channel("snippet,contentDetails")
        snippet = channel.get("snippet") or {}
        uploads = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}).get("uploads", "")
        return Identity(
            external_id=str(channel["id"]),
            handle=str(snippet.get("customUrl") or snippet.get("title") or channel["id"]),
            name=str(snippet.get("title", "")),
            options={"uploads_playlist": uploads, "channel_title": str(snippet.get("title", ""))},
        )

    def _my_channel(self, part: str) -> dict[str, Any]:
        body = self._run(lambda yt: yt.channels().list(part=part, mine=True))
        items = body.get("items") or []
        if not items:
            raise NeedsUser("YouTube: this Google account has no YouTube channel; create one, then reconnect")
        channel: dict[str, Any] = items[0]
        return channel

    def refresh(self) -> None:
        self.update_credentials(oauth.refresh_token(SPEC, self.ctx.credentials))

    def revoke(self) -> None:
        oauth.revoke_token(SPEC, self.ctx.credentials)

    # --- one call ---------------------------------------------------------------------------------

    def _run(self, make: Callable[[Any], Any], *, write: bool = False) -> dict[str, Any]:
        """Build and execute one request; a 401 refreshes the token once and runs it again."""
        for attempt in (0, 1):
            try:
                result = make(self.youtube).execute(num_retries=0)
                return result if isinstance(result, dict) else {}
            except HttpError as exc:
                if exc.status_code == 401 and attempt == 0 and self.ctx.credentials.get("refresh_token"):
                    self.refresh()
                    continue
                raise self._classify(exc) from exc
            except (TimeoutError, ConnectionResetError, httplib2.HttpLib2Error) as exc:
                raise self._transport_error(exc, write) from exc
            except (ConnectionRefusedError, socket.gaierror) as exc:
                raise RetryAfter(f"YouTube: cannot reach the network ({type(exc).__name__})", 30) from exc
        raise NeedsUser("YouTube: the access token was refused; reconnect the account")  # pragma: no cover

    def _transport_error(self, exc: Exception, write: bool) -> ConnectorError:
        if isinstance(exc, httplib2.ServerNotFoundError):
            return RetryAfter("YouTube: cannot reach the network (ServerNotFoundError)", 30)
        if write:
            return Ambiguous(f"YouTube: no answer ({type(exc).__name__}); the change may have been made")
        return RetryAfter("YouTube: the network did not answer in time", 30)

    def _classify(self, exc: HttpError) -> ConnectorError:
        status = int(exc.status_code or 0)
        try:
            error = json.loads(exc.content).get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        errors = error.get("errors") or [{}]
        reason = str(errors[0].get("reason") or "")
        words = str(error.get("message") or exc.reason or f"HTTP {status}")
        message = f"YouTube: {words}"
        kwargs: dict[str, Any] = {"status_code": status, "response_excerpt": str(exc.content[:500])}
        if reason in QUOTA_REASONS:
            reset = quota_reset()
            self.last_rate = RateInfo(remaining=0, reset_at=reset)
            return RetryAfter(message, (reset - datetime.now(UTC)).total_seconds(), **kwargs)
        if reason in RATE_REASONS or status == 429:
            return RetryAfter(message, 60, **kwargs)
        if status == 401 or reason in NEEDS_USER_REASONS:
            return NeedsUser(message, **kwargs)
        if status >= 500:
            return RetryAfter(message, 30, **kwargs)
        return Permanent(message, **kwargs)

    # --- publishing -------------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        if request.reply_to_remote_id:
            return self.reply(request.reply_to_remote_id, request)
        videos = [m for m in request.media if m.content_type.startswith("video/")]
        if not videos:
            raise Permanent(
                "YouTube: a YouTube post needs a video; the Data API offers no community (text) posts"
            )
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}".strip()
        title, description = split_title(text)
        tags = list(dict.fromkeys(HASHTAG.findall(text) + list(self.ctx.options.get("tags") or [])))
        body = {
            "snippet": {
                "title": title or "Video",
                "description": description,
                "tags": tags,
                "categoryId": str(self.ctx.options.get("category_id") or "22"),
            },
            "status": {
                "privacyStatus": str(self.ctx.options.get("privacy") or "public"),
                "selfDeclaredMadeForKids": bool(self.ctx.options.get("made_for_kids", False)),
            },
        }
        video = videos[0]
        media = MediaFileUpload(
            video.path, mimetype=video.content_type, resumable=True, chunksize=CHUNK_BYTES
        )
        result = self._upload(body, media, video.size)
        return PublishResult(
            remote_id=str(result["id"]), url=f"https://www.youtube.com/watch?v={result['id']}"
        )

    def _upload(self, body: dict[str, Any], media: MediaFileUpload, size: int) -> dict[str, Any]:
        """Resumable upload: nothing is public before the last chunk is accepted, so only a lost
        answer to the last chunk is ambiguous."""
        for attempt in (0, 1):
            insert = self.youtube.videos().insert(part="snippet,status", body=body, media_body=media)
            response = None
            try:
                while response is None:
                    last = insert.resumable_progress + CHUNK_BYTES >= max(size, media.size())
                    try:
                        _status, response = insert.next_chunk(num_retries=0)
                    except (TimeoutError, ConnectionResetError) as exc:
                        if last:
                            raise Ambiguous(
                                "YouTube: the last chunk got no answer; the video may exist"
                            ) from exc
                        raise RetryAfter(
                            "YouTube: the upload was interrupted; it will start again", 30
                        ) from exc
                return dict(response)
            except HttpError as exc:
                if exc.status_code == 401 and attempt == 0 and self.ctx.credentials.get("refresh_token"):
                    self.refresh()
                    continue
                raise self._classify(exc) from exc
        raise NeedsUser("YouTube: the access token was refused; reconnect the account")  # pragma: no cover

    @staticmethod
    def _is_video_id(remote_id: str) -> bool:
        return bool(re.fullmatch(r"[A-Za-z0-9_-]{11}", remote_id))

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """Under a video: a new comment thread (first comment); under a comment: a reply."""
        if self._is_video_id(parent_remote_id):
            body = {
                "snippet": {
                    "videoId": parent_remote_id,
                    "topLevelComment": {"snippet": {"textOriginal": request.text}},
                }
            }
            thread = self._run(lambda yt: yt.commentThreads().insert(part="snippet", body=body), write=True)
            return PublishResult(
                remote_id=str(thread["id"]),
                url=f"https://www.youtube.com/watch?v={parent_remote_id}&lc={thread['id']}",
            )
        body = {"snippet": {"parentId": parent_remote_id, "textOriginal": request.text}}
        comment = self._run(lambda yt: yt.comments().insert(part="snippet", body=body), write=True)
        return PublishResult(remote_id=str(comment["id"]))

    def delete(self, remote_id: str) -> None:
        try:
            if self._is_video_id(remote_id):
                self._run(lambda yt: yt.videos().delete(id=remote_id), write=True)
            else:
                self._run(lambda yt: yt.comments().delete(id=remote_id), write=True)
        except Permanent as exc:
            if exc.status_code != 404:  # already gone
                raise

    def hide(self, remote_id: str, hidden: bool = True) -> None:
        status = "heldForReview" if hidden else "published"
        self._run(
            lambda yt: yt.comments().setModerationStatus(id=remote_id, moderationStatus=status), write=True
        )

    # --- reading back -----------------------------------------------------------------------------

    def uploads_playlist(self) -> str:
        known = str(self.ctx.options.get("uploads_playlist") or "")
        if known:
            return known
        channel = self._my_channel("contentDetails")
        return str(channel["contentDetails"]["relatedPlaylists"]["uploads"])

    def list_recent(self, since: datetime, limit: int = 50) -> list[RemotePost]:
        playlist = self.uploads_playlist()
        body = self._run(
            lambda yt: yt.playlistItems().list(
                part="snippet,contentDetails", playlistId=playlist, maxResults=max(1, min(50, limit))
            )
        )
        posts = []
        for item in body.get("items") or []:
            details, snippet = item.get("contentDetails") or {}, item.get("snippet") or {}
            created = _time(details.get("videoPublishedAt") or snippet.get("publishedAt"))
            if created < since:
                continue
            video_id = str(details.get("videoId") or (snippet.get("resourceId") or {}).get("videoId"))
            posts.append(
                RemotePost(
                    remote_id=video_id,
                    url=f"https://www.youtube.com/watch?v={video_id}",
                    text="\n".join(x for x in (snippet.get("title"), snippet.get("description")) if x),
                    created_at=created,
                )
            )
        return posts

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """Comments and replies on the channel's videos published after the cursor (an instant).
        Threads come newest first; paging stops at the first thread older than the cursor."""
        since = _time(cursor) if cursor else None
        channel = self.ctx.external_id
        items: list[InboxItem] = []
        newest = since
        token = ""
        for _ in range(MAX_INBOX_PAGES):
            page_token = token

            def make(yt: Any, page_token: str = page_token) -> Any:
                params = {
                    "part": "snippet,replies",
                    "allThreadsRelatedToChannelId": channel,
                    "order": "time",
                    "maxResults": max(1, min(100, limit)),
                    "textFormat": "plainText",
                }
                return yt.commentThreads().list(**params, **({"pageToken": page_token} if page_token else {}))

            body = self._run(make)
            older_seen = False
            for thread in body.get("items") or []:
                top = (thread.get("snippet") or {}).get("topLevelComment") or {}
                video = str((thread.get("snippet") or {}).get("videoId", ""))
                found = [(top, InboxKind.COMMENT, video)]
                found += [
                    (c, InboxKind.REPLY, str(thread["id"]))
                    for c in (thread.get("replies") or {}).get("comments") or []
                ]
                for comment, kind, parent in found:
                    snippet = comment.get("snippet") or {}
                    when = _time(snippet.get("publishedAt"))
                    if since and when <= since:
                        older_seen = older_seen or kind == InboxKind.COMMENT
                        continue
                    newest = max(newest, when) if newest else when
                    if (snippet.get("authorChannelId") or {}).get("value") == channel:
                        continue  # our own answers
                    items.append(self._inbox_item(comment, kind, parent, video))
            token = str(body.get("nextPageToken") or "")
            if not token or older_seen or since is None:
                break
        return InboxPage(items=items, cursor=newest.isoformat() if newest else cursor, has_more=False)

    @staticmethod
    def _inbox_item(comment: dict[str, Any], kind: InboxKind, parent: str, video: str) -> InboxItem:
        snippet = comment.get("snippet") or {}
        author_channel = str((snippet.get("authorChannelId") or {}).get("value", ""))
        return InboxItem(
            remote_id=str(comment["id"]),
            kind=kind,
            text=str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
            author=Author(
                remote_id=author_channel,
                handle=str(snippet.get("authorDisplayName", "")),
                name=str(snippet.get("authorDisplayName", "")).lstrip("@"),
                url=str(snippet.get("authorChannelUrl", "")),
                avatar_url=str(snippet.get("authorProfileImageUrl", "")),
            ),
            created_at=_time(snippet.get("publishedAt")),
            url=f"https://www.youtube.com/watch?v={video}&lc={comment['id']}",
            parent_remote_id=parent,
            root_remote_id=video,
            raw={"likes": _int(snippet.get("likeCount")) or 0},
        )

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        results = []
        for start in range(0, len(remote_ids), 50):
            ids = ",".join(remote_ids[start : start + 50])

            def make(yt: Any, ids: str = ids) -> Any:
                return yt.videos().list(part="statistics", id=ids)

            body = self._run(make)
            for video in body.get("items") or []:
                stats = video.get("statistics") or {}
                results.append(
                    PostMetrics(
                        remote_id=str(video["id"]),
                        video_views=_int(stats.get("viewCount")),
                        impressions=_int(stats.get("viewCount")),
                        likes=_int(stats.get("likeCount")),
                        comments=_int(stats.get("commentCount")),
                        extra={"favorites": v} if (v := _int(stats.get("favoriteCount"))) is not None else {},
                    )
                )
        return results

    def fetch_account_metrics(self) -> AccountMetrics:
        stats = self._my_channel("statistics").get("statistics") or {}
        hidden = bool(stats.get("hiddenSubscriberCount"))
        return AccountMetrics(
            followers=None if hidden else _int(stats.get("subscriberCount")),
            posts=_int(stats.get("videoCount")),
            extra={"views": v} if (v := _int(stats.get("viewCount"))) is not None else {},
        )

    def search(self, query: str, cursor: str = "", limit: int = 50) -> SearchPage:
        """search.list costs 100 quota units a call (of 10,000 a day): listening should poll it rarely."""

        def make(yt: Any) -> Any:
            params: dict[str, Any] = {
                "part": "snippet",
                "q": query,
                "type": "video",
                "order": "date",
                "maxResults": max(1, min(50, limit)),
            }
            if cursor:
                params["pageToken"] = cursor
            return yt.search().list(**params)

        body = self._run(make)
        items = []
        for result in body.get("items") or []:
            snippet = result.get("snippet") or {}
            video_id = str((result.get("id") or {}).get("videoId", ""))
            items.append(
                FoundPost(
                    remote_id=video_id,
                    text="\n".join(x for x in (snippet.get("title"), snippet.get("description")) if x),
                    author=Author(
                        remote_id=str(snippet.get("channelId", "")),
                        handle=str(snippet.get("channelTitle", "")),
                        url=f"https://www.youtube.com/channel/{snippet.get('channelId', '')}",
                    ),
                    created_at=_time(snippet.get("publishedAt")),
                    url=f"https://www.youtube.com/watch?v={video_id}",
                )
            )
        token = str(body.get("nextPageToken") or "")
        return SearchPage(items=items, cursor=token, has_more=bool(token))
