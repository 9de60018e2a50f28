"""TikTok (Content Posting API, Direct Post; Display API for reading back).

Publishing: `creator_info/query` first (the privacy levels this creator may use, and the longest video
allowed), then `video/init` with `post_info` and `source_info` — FILE_UPLOAD (the file sent in chunks by
PUT with Content-Range to the returned `upload_url`) or PULL_FROM_URL (options `pull_from_url`, for a
domain verified with TikTok) — or `content/init` for a photo post (PULL_FROM_URL only). Posting is
asynchronous: `status/fetch` is polled until PUBLISH_COMPLETE, which gives the public post id; a post
still processing returns its `publish_id` (prefixed `publish:`), to be matched by `list_recent` later.

Reading: `video/list` (recent videos) and `video/query` (their counters), `user/info` (followers).
TikTok offers normal apps no API to delete a post, read or write comments, or search: not declared.

Tokens: access tokens live 24 hours, refresh tokens 365 days. TikTok names the client `client_key`
(not `client_id`): `SPEC.client_id_param` names it in the token, refresh and revoke forms.
"""

from __future__ import annotations

import contextlib
import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
from django.utils.translation import gettext_lazy

from tamtam.networks import oauth
from tamtam.networks.base import (
    AccountMetrics,
    Capability,
    ChannelContext,
    ConnectField,
    ConnectorError,
    Identity,
    MediaItem,
    NeedsUser,
    Permanent,
    PostMetrics,
    PublishRequest,
    PublishResult,
    RemotePost,
    RetryAfter,
)
from tamtam.networks.http import UPLOAD_TIMEOUT, HttpConnector, excerpt, retry_after_seconds
from tamtam.networks.meta.media import public_media_url
from tamtam.networks.registry import register
from tamtam.networks.tiktok.limits import LIMITS, MAX_PHOTOS, PHOTO_TYPES
from tamtam.networks.tiktok.oauth import SPEC

BASE = "https://open.tiktokapis.com"
MIN_CHUNK = 5 * 1024 * 1024
CHUNK = 10 * 1024 * 1024  # TikTok accepts 5-64 MB chunks; the last one takes the remainder (≤ 128 MB)
VIDEO_FIELDS = (
    "id,title,video_description,create_time,share_url,view_count,like_count,comment_count,share_count"
)
USER_FIELDS = (
    "open_id,union_id,avatar_url,display_name,username,follower_count,following_count,likes_count,video_count"
)
NEEDS_USER = frozenset(
    {"access_token_invalid", "scope_not_authorized", "scope_permission_missed", "token_not_authorized"}
)
RETRY = frozenset({"rate_limit_exceeded", "internal_error"})


def chunk_plan(size: int, chunk: int | None = None) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) per TikTok's media transfer rules: a file under 5 MB goes whole;
    otherwise floor(size / chunk) chunks, the last one absorbing the remainder."""
    chunk = chunk or CHUNK
    if size < MIN_CHUNK:
        return size, 1
    return chunk, max(1, math.floor(size / chunk))


@register
class TikTokConnector(HttpConnector):
    network: ClassVar[str] = "tiktok"
    label: ClassVar[str] = "TikTok"
    base_url: ClassVar[str] = BASE
    limits = LIMITS
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.VIDEO,
            Capability.LIST_RECENT,
            Capability.FETCH_METRICS,
            Capability.REVOKE,
        }
    )
    setting_fields = (
        ConnectField(
            "privacy_level",
            gettext_lazy("Who can see the posts"),
            kind="choice",
            required=False,
            choices=(
                ("PUBLIC_TO_EVERYONE", gettext_lazy("Everyone")),
                ("MUTUAL_FOLLOW_FRIENDS", gettext_lazy("Friends")),
                ("FOLLOWER_OF_CREATOR", gettext_lazy("Followers")),
                ("SELF_ONLY", gettext_lazy("Only the account")),
            ),
            help_text=gettext_lazy("Apps not yet audited by TikTok can only post to the account itself."),
        ),
        ConnectField(
            "pull_from_url",
            gettext_lazy("TikTok downloads videos from tamtam"),
            kind="choice",
            required=False,
            choices=(
                ("", gettext_lazy("No: upload the file")),
                ("1", gettext_lazy("Yes: domain verified at TikTok")),
            ),
        ),
    )
    poll_delay: ClassVar[float] = 3.0
    max_polls: ClassVar[int] = 20

    # --- errors -------------------------------------------------------------------------------

    def error_message(self, response: httpx.Response) -> str:
        try:
            error = (response.json() or {}).get("error") or {}
        except ValueError:
            error = {}
        if isinstance(error, dict) and error.get("message"):
            return f"{error['message']} ({error.get('code')})"
        return super().error_message(response)

    def classify(self, response: httpx.Response) -> ConnectorError:
        try:
            code = str(((response.json() or {}).get("error") or {}).get("code") or "")
        except ValueError:
            code = ""
        message = f"{self.label}: {self.error_message(response)}"
        kwargs: dict[str, Any] = {"status_code": response.status_code, "response_excerpt": excerpt(response)}
        if code in NEEDS_USER:
            return NeedsUser(message, **kwargs)
        if code in RETRY or response.status_code == 429:
            # TikTok's limits are per minute per token; it sends no reset header.
            return RetryAfter(message, retry_after_seconds(response.headers, 60.0), **kwargs)
        if code == "spam_risk_too_many_posts":
            # The creator's 24-hour cap: try again in an hour (the oldest post leaves the window).
            return RetryAfter(message, 3600.0, **kwargs)
        if code:
            return Permanent(message, **kwargs)
        return super().classify(response)

    def api(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One call; TikTok answers `error.code == "ok"` on success, anything else is an error."""
        response = self.call(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError as exc:
            raise Permanent(f"{self.label}: unreadable answer (HTTP {response.status_code})") from exc
        code = str((body.get("error") or {}).get("code") or "ok")
        if code != "ok":
            raise self.classify(response)
        return dict(body.get("data") or {})

    # --- tokens ---------------------------------------------------------------------------------

    def _token(self, data: dict[str, str]) -> dict[str, Any]:
        client_key, client_secret = oauth.client_credentials(SPEC.network)
        form = {SPEC.client_id_param: client_key, "client_secret": client_secret, **data}
        response = self.call("POST", SPEC.token_url, auth=False, retry_on_401=False, data=form)
        body = response.json()
        if not body.get("access_token"):
            raise NeedsUser(
                f"TikTok: the sign-in was refused ({body.get('error_description') or body.get('error')})"
            )
        return dict(body)

    def refresh(self) -> None:
        refresh = str(self.ctx.credentials.get("refresh_token") or "")
        if not refresh:
            raise NeedsUser("TikTok: the access token expired and cannot be refreshed; reconnect")
        token = self._token({"grant_type": "refresh_token", "refresh_token": refresh})
        self.update_credentials(oauth.credentials_from_token(SPEC, token))

    def revoke(self) -> None:
        client_key, client_secret = oauth.client_credentials(SPEC.network)
        # An already dead token is what disconnecting wanted.
        with contextlib.suppress(NeedsUser, Permanent, RetryAfter):
            self.call(
                "POST",
                SPEC.revoke_url,
                auth=False,
                retry_on_401=False,
                data={
                    SPEC.client_id_param: client_key,
                    "client_secret": client_secret,
                    "token": str(self.ctx.credentials.get("access_token") or ""),
                },
            )

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        connector = cls(ChannelContext(0, "", dict(credentials), dict(options)))
        try:
            user = connector.api(
                "GET",
                "/v2/user/info/",
                params={"fields": "open_id,union_id,avatar_url,display_name,username"},
            )["user"]
        finally:
            connector.close()
        username = str(user.get("username") or user.get("display_name") or "")
        return Identity(
            external_id=str(user["open_id"]),
            handle=f"@{username}",
            name=str(user.get("display_name") or ""),
            options={"open_id": str(user["open_id"]), "username": username},
        )

    # --- publishing -------------------------------------------------------------------------

    def creator_info(self) -> dict[str, Any]:
        return self.api("POST", "/v2/post/publish/creator_info/query/", json={})

    def _privacy(self, info: dict[str, Any]) -> str:
        allowed = [str(p) for p in info.get("privacy_level_options") or []]
        wanted = str(self.ctx.options.get("privacy_level") or "PUBLIC_TO_EVERYONE")
        if wanted in allowed:
            return wanted
        if not allowed:
            raise Permanent("TikTok gave no privacy level this account may post with")
        if wanted == "PUBLIC_TO_EVERYONE":
            raise Permanent(
                f"TikTok: this account cannot post publicly (allowed: {', '.join(allowed)}); "
                "unaudited apps can only post privately"
            )
        return allowed[0]

    def publish(self, request: PublishRequest) -> PublishResult:
        if request.reply_to_remote_id:
            raise Permanent("TikTok has no API to comment")
        if not request.media:
            raise Permanent("TikTok: a post needs a video or photos")
        self._check_media(request.media)
        info = self.creator_info()
        post_info: dict[str, Any] = {
            "title": request.text,
            "privacy_level": self._privacy(info),
            "disable_comment": bool(info.get("comment_disabled")),
        }
        videos = [m for m in request.media if m.content_type.startswith("video/")]
        if videos:
            post_info["disable_duet"] = bool(info.get("duet_disabled"))
            post_info["disable_stitch"] = bool(info.get("stitch_disabled"))
            publish_id = self._video(videos[0], post_info)
        else:
            publish_id = self._photos(request.media, post_info)
        return self._finish(publish_id)

    def _check_media(self, media: list[MediaItem]) -> None:
        """Refuse before any call what TikTok refuses anyway, once it has taken the post (a failed
        status later): a PNG or GIF photo, photos with a video, too many photos."""
        videos = [m for m in media if m.content_type.startswith("video/")]
        photos = [m for m in media if not m.content_type.startswith("video/")]
        if videos and (photos or len(videos) > 1):
            raise Permanent("TikTok: a post is one video, or photos only; not both")
        refused = sorted({m.content_type for m in photos if m.content_type not in PHOTO_TYPES})
        if refused:
            raise Permanent(f"TikTok accepts JPEG and WebP photos only, not {', '.join(refused)}")
        if len(photos) > MAX_PHOTOS:
            raise Permanent(f"TikTok: a photo post has at most {MAX_PHOTOS} photos ({len(photos)} given)")

    def _video(self, video: MediaItem, post_info: dict[str, Any]) -> str:
        if self.ctx.options.get("pull_from_url"):
            data = self.api(
                "POST",
                "/v2/post/publish/video/init/",
                json={
                    "post_info": post_info,
                    "source_info": {
                        "source": "PULL_FROM_URL",
                        "video_url": public_media_url(video, self.label),
                    },
                },
            )
            return str(data["publish_id"])
        size = Path(video.path).stat().st_size
        chunk_size, count = chunk_plan(size)
        data = self.api(
            "POST",
            "/v2/post/publish/video/init/",
            json={
                "post_info": post_info,
                "source_info": {
                    "source": "FILE_UPLOAD",
                    "video_size": size,
                    "chunk_size": chunk_size,
                    "total_chunk_count": count,
                },
            },
        )
        upload_url = str(data["upload_url"])
        with Path(video.path).open("rb") as handle:
            for index in range(count):
                first = index * chunk_size
                last = size - 1 if index == count - 1 else first + chunk_size - 1
                handle.seek(first)
                body = handle.read(last - first + 1)
                self.call(
                    "PUT",
                    upload_url,
                    auth=False,
                    content=body,
                    timeout=UPLOAD_TIMEOUT,
                    ok=(200, 201, 206),
                    headers={
                        "Content-Type": video.content_type or "video/mp4",
                        "Content-Range": f"bytes {first}-{last}/{size}",
                    },
                )
        return str(data["publish_id"])

    def _photos(self, photos: list[MediaItem], post_info: dict[str, Any]) -> str:
        title = str(post_info["title"])
        info = {**post_info, "title": title[:90], "description": title}  # photo titles are short
        data = self.api(
            "POST",
            "/v2/post/publish/content/init/",
            json={
                "post_info": info,
                "post_mode": "DIRECT_POST",
                "media_type": "PHOTO",
                "source_info": {
                    "source": "PULL_FROM_URL",
                    "photo_cover_index": 0,
                    "photo_images": [public_media_url(p, self.label) for p in photos],
                },
            },
        )
        return str(data["publish_id"])

    def status(self, publish_id: str) -> dict[str, Any]:
        return self.api("POST", "/v2/post/publish/status/fetch/", json={"publish_id": publish_id})

    def _finish(self, publish_id: str) -> PublishResult:
        for attempt in range(self.max_polls):
            state = self.status(publish_id)
            status = str(state.get("status") or "")
            if status == "FAILED":
                raise Permanent(f"TikTok: the post failed ({state.get('fail_reason') or 'no reason given'})")
            if status == "PUBLISH_COMPLETE":
                # TikTok spells the field this way.
                ids = state.get("publicaly_available_post_id") or []
                if ids:
                    post_id = str(ids[0])
                    username = str(self.ctx.options.get("username") or "")
                    url = f"https://www.tiktok.com/@{username}/video/{post_id}" if username else ""
                    return PublishResult(remote_id=post_id, url=url, response_excerpt=publish_id)
                return PublishResult(remote_id=f"publish:{publish_id}", response_excerpt="private post")
            if attempt < self.max_polls - 1:
                time.sleep(self.poll_delay)
        # Sent and accepted, still processing: never re-sent; list_recent matches it later.
        return PublishResult(remote_id=f"publish:{publish_id}", response_excerpt="processing")

    # --- reading back ---------------------------------------------------------------------------

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        out: list[RemotePost] = []
        cursor: int | None = None
        while len(out) < limit:
            body: dict[str, Any] = {"max_count": 20}
            if cursor is not None:
                body["cursor"] = cursor
            data = self.api("POST", "/v2/video/list/", params={"fields": VIDEO_FIELDS}, json=body)
            videos = data.get("videos") or []
            for v in videos:
                created = datetime.fromtimestamp(int(v.get("create_time") or 0), UTC)
                if created >= since:
                    out.append(
                        RemotePost(
                            str(v["id"]),
                            str(v.get("share_url") or ""),
                            str(v.get("title") or v.get("video_description") or ""),
                            created,
                        )
                    )
            oldest = min((int(v.get("create_time") or 0) for v in videos), default=0)
            if not data.get("has_more") or not videos or oldest < since.timestamp():
                break
            cursor = int(data.get("cursor") or 0)
        return out[:limit]

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        ids = [r for r in remote_ids if not r.startswith("publish:")]
        out = []
        for start in range(0, len(ids), 20):  # video/query takes up to 20 ids
            data = self.api(
                "POST",
                "/v2/video/query/",
                params={"fields": "id,view_count,like_count,comment_count,share_count"},
                json={"filters": {"video_ids": ids[start : start + 20]}},
            )
            out += [
                PostMetrics(
                    remote_id=str(v["id"]),
                    video_views=v.get("view_count"),
                    impressions=v.get("view_count"),
                    likes=v.get("like_count"),
                    comments=v.get("comment_count"),
                    shares=v.get("share_count"),
                )
                for v in data.get("videos") or []
            ]
        return out

    def fetch_account_metrics(self) -> AccountMetrics:
        user = self.api("GET", "/v2/user/info/", params={"fields": USER_FIELDS})["user"]
        return AccountMetrics(
            followers=user.get("follower_count"),
            following=user.get("following_count"),
            posts=user.get("video_count"),
            extra={"likes": int(user["likes_count"])} if isinstance(user.get("likes_count"), int) else {},
        )
