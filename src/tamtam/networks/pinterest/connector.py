"""Pinterest (API v5 over httpx): Pins on the board of the channel's options, delete, the board's Pins
for reconcile, Pin analytics and the account's profile and analytics.

A Pin is an image (uploaded as base64: JPEG or PNG, what the API accepts from a file), a carousel of
2 to 5 images, or a video (registered with `POST /media`, uploaded to the form Pinterest gives,
processed, then pinned with its first frame as cover). The text's first line becomes the Pin's title
when there are several lines (100 characters at most), the rest its description; the link is the Pin's
destination. Alt text goes in `alt_text` (one per Pin: the first image's). Pinterest's API has no
comments, likes or search for other people's Pins: none are declared.
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy

from tamtam.networks import oauth
from tamtam.networks.base import (
    AccountMetrics,
    Ambiguous,
    Capability,
    ChannelContext,
    ConnectField,
    Identity,
    MediaItem,
    Permanent,
    PostMetrics,
    PublishRequest,
    PublishResult,
    RemotePost,
    RetryAfter,
)
from tamtam.networks.http import UPLOAD_TIMEOUT, HttpConnector, excerpt
from tamtam.networks.pinterest.limits import LIMITS, RULES
from tamtam.networks.pinterest.oauth import SPEC
from tamtam.networks.registry import register

BASE64_TYPES = {"image/jpeg", "image/png"}
TITLE_MAX = RULES.title_max_chars or 100
MAX_MEDIA_POLLS = 60


def split_title(text: str) -> tuple[str, str]:
    first, sep, rest = text.strip().partition("\n")
    if sep and len(first.strip()) <= TITLE_MAX:
        return first.strip(), rest.strip()
    return "", text.strip()


def _summary(body: Any) -> dict[str, float]:
    """{"all": {"summary_metrics": {...}, "lifetime_metrics": {...}}} → the counters."""
    if not isinstance(body, dict):
        return {}
    block: Any = body.get("all") or next(iter(body.values()), {})
    if not isinstance(block, dict):
        return {}
    found = block.get("lifetime_metrics") or block.get("summary_metrics") or {}
    return {k: v for k, v in found.items() if isinstance(v, int | float)}


@register
class PinterestConnector(HttpConnector):
    network = "pinterest"
    label = "Pinterest"
    base_url = "https://api.pinterest.com/v5"
    limits = LIMITS
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.LIST_RECENT,
            Capability.FETCH_METRICS,
            Capability.VIDEO,
            Capability.REVOKE,
        }
    )
    setting_fields = (
        ConnectField(
            "board_id",
            gettext_lazy("Board"),
            kind="choice",
            choices_from="boards",
            help_text=gettext_lazy("The board new Pins go to (the boards known when the account connected)."),
        ),
    )
    sleep = staticmethod(time.sleep)

    # --- connecting -------------------------------------------------------------------------------

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        """The account, and its boards: the channel keeps them so that a board can be chosen (the
        first one until then)."""
        connector = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
        try:
            account = connector.json("GET", "/user_account")
            boards = connector.json("GET", "/boards", params={"page_size": 100}).get("items") or []
        finally:
            connector.close()
        board_ids = [str(b["id"]) for b in boards]
        chosen = str(options.get("board_id") or (board_ids[0] if board_ids else ""))
        if options.get("board_id") and chosen not in board_ids:
            raise Permanent(f"Pinterest: board_id: the account has no board {chosen}")
        return Identity(
            external_id=str(account["id"]),
            handle=str(account.get("username", "")),
            name=str(account.get("business_name") or account.get("username") or ""),
            options={
                "username": str(account.get("username", "")),
                "account_type": str(account.get("account_type", "")),
                "board_id": chosen,
                "boards": [{"id": str(b["id"]), "name": str(b.get("name", ""))} for b in boards],
            },
        )

    def refresh(self) -> None:
        self.update_credentials(oauth.refresh_token(SPEC, self.ctx.credentials, transport=self._transport))

    def revoke(self) -> None:
        oauth.revoke_token(SPEC, self.ctx.credentials, transport=self._transport)

    def board_id(self) -> str:
        board = str(self.ctx.options.get("board_id") or "")
        if not board:
            raise Permanent("Pinterest: no board chosen for this channel; choose one in its options")
        return board

    def error_message(self, response: Any) -> str:
        try:
            body = response.json()
        except ValueError:
            return excerpt(response, 200).strip() or f"HTTP {response.status_code}"
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"])
        return super().error_message(response)

    # --- publishing -------------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        if not request.media:
            raise Permanent("Pinterest: a Pin needs an image or a video")
        if request.reply_to_remote_id:
            raise Permanent("Pinterest: Pins cannot be answered through the API")
        title, description = split_title(request.text)
        body: dict[str, Any] = {
            "board_id": self.board_id(),
            "media_source": self._media_source(request.media),
        }
        if title:
            body["title"] = title
        if description:
            body["description"] = description
        if request.link:
            body["link"] = request.link
        alt = next((m.alt_text for m in request.media if m.alt_text), "")
        if alt:
            body["alt_text"] = alt[:500]
        pin = self.json("POST", "/pins", json=body, timeout=UPLOAD_TIMEOUT)
        return PublishResult(remote_id=str(pin["id"]), url=f"https://www.pinterest.com/pin/{pin['id']}/")

    def _media_source(self, media: list[MediaItem]) -> dict[str, Any]:
        videos = [m for m in media if m.content_type.startswith("video/")]
        if videos:
            if len(media) > 1:
                raise Permanent("Pinterest: a video Pin holds one video and nothing else")
            return {
                "source_type": "video_id",
                "media_id": self._upload_video(videos[0]),
                "cover_image_key_frame_time": 0,
            }
        for item in media:
            if item.content_type not in BASE64_TYPES:
                raise Permanent(
                    f"Pinterest: {Path(item.path).name}: only JPEG and PNG images can be uploaded"
                )
        encoded = [
            {
                "content_type": m.content_type,
                "data": base64.b64encode(Path(m.path).read_bytes()).decode("ascii"),
            }
            for m in media
        ]
        if len(encoded) == 1:
            return {"source_type": "image_base64", **encoded[0]}
        return {"source_type": "multiple_image_base64", "items": encoded}

    def _upload_video(self, item: MediaItem) -> str:
        """Register, upload to the form Pinterest gives, wait until processed; the media id."""
        registered = self.json("POST", "/media", json={"media_type": "video"})
        media_id = str(registered["media_id"])
        try:
            self.call(
                "POST",
                str(registered["upload_url"]),
                auth=False,  # the upload form's own fields are the credential
                data=registered.get("upload_parameters") or {},
                files={"file": (Path(item.path).name, Path(item.path).read_bytes(), item.content_type)},
                timeout=UPLOAD_TIMEOUT,
            )
        except Ambiguous as exc:  # nothing is public until the Pin is created: send it again
            raise RetryAfter("Pinterest: the video upload got no answer", 30) from exc
        for _ in range(MAX_MEDIA_POLLS):
            status = self.json("GET", f"/media/{media_id}").get("status")
            if status == "succeeded":
                return media_id
            if status == "failed":
                raise Permanent("Pinterest: the video could not be processed")
            self.sleep(2)
        raise RetryAfter("Pinterest: the video is still processing", 60)

    def delete(self, remote_id: str) -> None:
        try:
            self.call("DELETE", f"/pins/{remote_id}")
        except Permanent as exc:
            if exc.status_code != 404:
                raise

    # --- reading back -----------------------------------------------------------------------------

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        body = self.json(
            "GET", f"/boards/{self.board_id()}/pins", params={"page_size": max(1, min(250, limit))}
        )
        posts = []
        for pin in body.get("items") or []:
            created = (
                datetime.fromisoformat(pin["created_at"]) if pin.get("created_at") else datetime.now(UTC)
            )
            if created.tzinfo is None:
                created = created.replace(tzinfo=UTC)  # Pinterest writes UTC without an offset
            if created < since:
                continue
            posts.append(
                RemotePost(
                    remote_id=str(pin["id"]),
                    url=f"https://www.pinterest.com/pin/{pin['id']}/",
                    text="\n".join(x for x in (pin.get("title"), pin.get("description")) if x),
                    created_at=created,
                )
            )
        return posts

    def _window(self, days: int) -> dict[str, str]:
        today = datetime.now(UTC).date()  # Pinterest's analytics days are UTC days
        return {"start_date": (today - timedelta(days=days)).isoformat(), "end_date": today.isoformat()}

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        """Lifetime counters from `GET /pins/{id}?pin_metrics=true`. (The analytics endpoints' metric
        list is a oneOf of two enums sharing IMPRESSION, SAVE…, so no request naming them can match
        Pinterest's own spec; the Pin's metrics are spec-valid and carry the same counters.)"""
        results = []
        for remote_id in remote_ids:
            pin = self.json("GET", f"/pins/{remote_id}", params={"pin_metrics": "true"})
            metrics = pin.get("pin_metrics") or {}
            m = metrics.get("lifetime_metrics") or metrics.get("90d") or {}

            def value(name: str, m: dict[str, Any] = m) -> int | None:
                return int(m[name]) if isinstance(m.get(name), int | float) else None

            extra = {
                k: v for k in ("pin_click", "profile_visit", "user_follow") if (v := value(k)) is not None
            }
            results.append(
                PostMetrics(
                    remote_id=remote_id,
                    impressions=value("impression"),
                    saves=value("save"),
                    clicks=value("clickthrough")
                    if value("clickthrough") is not None
                    else value("outbound_click"),
                    comments=value("comment"),
                    likes=value("reaction"),
                    video_views=value("video_views"),
                    extra=extra,
                )
            )
        return results

    def fetch_account_metrics(self) -> AccountMetrics:
        account = self.json("GET", "/user_account")
        analytics = self.json(
            "GET",
            "/user_account/analytics",
            params={**self._window(30), "metric_types": "IMPRESSION,ENGAGEMENT"},
        )
        summary = _summary(analytics)
        extra = (
            {"monthly_views": int(account["monthly_views"])}
            if account.get("monthly_views") is not None
            else {}
        )
        if "ENGAGEMENT" in summary:
            extra["engagements_30d"] = int(summary["ENGAGEMENT"])
        return AccountMetrics(
            followers=account.get("follower_count"),
            following=account.get("following_count"),
            posts=account.get("pin_count"),
            impressions=int(summary["IMPRESSION"]) if "IMPRESSION" in summary else None,
            extra=extra,
        )
