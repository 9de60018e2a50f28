"""LinkedIn (Marketing/Community Management "versioned" REST APIs): posts as a member or an
organisation, with article links, images (one or several), video; first comment and replies; likes;
comments on our posts as inbox; organisation share statistics and follower counts.

Every /rest call carries `LinkedIn-Version` (YYYYMM) and `X-Restli-Protocol-Version: 2.0.0`. The id
of a created post comes in the `x-restli-id` header. Commentary is "little text": its reserved
characters are escaped with a backslash, and `#word` becomes LinkedIn's hashtag template.

The author is the member (`urn:li:person:…`, w_member_social) or an organisation the member
administers (`urn:li:organization:…`, w_organization_social): `identify` returns the member and lists
the organisations (organizationAcls) in the channel's options; options `author_urn` picks one.

Rate limits: LinkedIn answers 429 without Retry-After and resets its daily quotas at midnight UTC, so a
429 waits until then unless the answer says otherwise.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from tamtam.networks import linkpreview, oauth
from tamtam.networks.base import (
    AccountMetrics,
    Author,
    Capability,
    ChannelContext,
    ConnectorError,
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
    RemotePost,
    RetryAfter,
)
from tamtam.networks.http import UPLOAD_TIMEOUT, HttpConnector
from tamtam.networks.linkedin.limits import LIMITS
from tamtam.networks.linkedin.oauth import SPEC
from tamtam.networks.registry import register

BASE = "https://api.linkedin.com"
VERSION = "202411"
RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
INBOX_POSTS = 10


def escape_little_text(text: str) -> str:
    """Plain text → LinkedIn "little text": reserved characters escaped, hashtags as templates."""
    out, last = [], 0
    for match in HASHTAG.finditer(text):
        out.append(RESERVED.sub(r"\\\1", text[last : match.start()]))
        out.append("{hashtag|\\#|" + RESERVED.sub(r"\\\1", match.group(1)) + "}")
        last = match.end()
    out.append(RESERVED.sub(r"\\\1", text[last:]))
    return "".join(out)


def unescape_little_text(text: str) -> str:
    text = re.sub(r"\{hashtag\|\\#\|([^}]*)\}", r"#\1", text)
    return re.sub(r"\\(.)", r"\1", text)


def seconds_to_midnight_utc(now: datetime | None = None) -> float:
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - now).total_seconds())


def _ms(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def _activity_of(comment_urn: str) -> str:
    """urn:li:comment:(urn:li:activity:123,456) → urn:li:activity:123 (the object a reply is under)."""
    found = re.match(r"urn:li:comment:\((urn:li:[a-zA-Z]+:[^,]+),", comment_urn)
    return found.group(1) if found else ""


@register
class LinkedInConnector(HttpConnector):
    network: ClassVar[str] = "linkedin"
    label: ClassVar[str] = "LinkedIn"
    base_url: ClassVar[str] = BASE
    limits = LIMITS
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.LIST_RECENT,
            Capability.FIRST_COMMENT,
            Capability.REPLY,
            Capability.FETCH_INBOX,
            Capability.LIKE,
            Capability.FETCH_METRICS,
            Capability.VIDEO,
            Capability.REVOKE,
        }
    )

    def author(self) -> str:
        return str(self.ctx.options.get("author_urn") or self.ctx.external_id)

    def is_organization(self) -> bool:
        return self.author().startswith("urn:li:organization:")

    def rest_headers(self) -> dict[str, str]:
        return {"LinkedIn-Version": VERSION, "X-Restli-Protocol-Version": "2.0.0"}

    def rest(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.rest_headers(), **kwargs.pop("headers", {})}
        return self.call(method, path, headers=headers, **kwargs)

    def rest_json(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.rest_headers(), **kwargs.pop("headers", {})}
        return self.json(method, path, headers=headers, **kwargs)

    # --- errors and tokens ----------------------------------------------------------------------

    def classify(self, response: httpx.Response) -> ConnectorError:
        if response.status_code == 429 and "retry-after" not in response.headers:
            return RetryAfter(
                f"{self.label}: {self.error_message(response)}",
                seconds_to_midnight_utc(),
                status_code=429,
                response_excerpt=response.text[:500],
            )
        return super().classify(response)

    def refresh(self) -> None:
        self.update_credentials(oauth.refresh_token(SPEC, self.ctx.credentials, transport=self._transport))

    def revoke(self) -> None:
        oauth.revoke_token(SPEC, self.ctx.credentials, transport=self._transport)

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        connector = cls(ChannelContext(0, "", dict(credentials), dict(options)))
        try:
            me = connector.json("GET", "/v2/userinfo")
            organizations = connector.organizations()
        finally:
            connector.close()
        member = f"urn:li:person:{me['sub']}"
        name = str(me.get("name") or " ".join(filter(None, [me.get("given_name"), me.get("family_name")])))
        chosen = str(options.get("author_urn") or member)
        org = next((o for o in organizations if o["urn"] == chosen), None)
        kept = {
            "member_urn": member,
            "author_urn": org["urn"] if org else member,
            "organizations": organizations,
        }
        if org:
            return Identity(external_id=org["urn"], handle=org["name"], name=org["name"], options=kept)
        return Identity(external_id=member, handle=name or member, name=name, options=kept)

    def organizations(self) -> list[dict[str, str]]:
        """Organisations this member administers (empty without the organisation scopes)."""
        try:
            body = self.rest_json(
                "GET",
                "/rest/organizationAcls",
                params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
            )
        except (NeedsUser, Permanent):
            return []  # the app or the member has no organisation access: member posts only
        out = []
        for element in body.get("elements", [])[:20]:
            urn = str(element.get("organization") or "")
            if not urn:
                continue
            name = urn
            with contextlib.suppress(NeedsUser, Permanent, RetryAfter):
                org = self.rest_json("GET", f"/rest/organizations/{urn.rsplit(':', 1)[-1]}")
                name = str(org.get("localizedName") or urn)
            out.append({"urn": urn, "name": name})
        return out

    def check_connection(self) -> str:
        me = self.json("GET", "/v2/userinfo")
        return str(me.get("name") or self.ctx.handle)

    # --- publishing -------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        if request.reply_to_remote_id:
            return self._comment(request.reply_to_remote_id, request.text)
        body: dict[str, Any] = {
            "author": self.author(),
            "commentary": escape_little_text(request.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        videos = [m for m in request.media if m.content_type.startswith("video/")]
        images = [m for m in request.media if m.content_type.startswith("image/")]
        if videos:
            body["content"] = {"media": {"id": self._upload_video(videos[0]), "title": request.text[:200]}}
        elif len(images) == 1:
            body["content"] = {"media": {"id": self._upload_image(images[0]), "altText": images[0].alt_text}}
        elif images:
            body["content"] = {
                "multiImage": {
                    "images": [{"id": self._upload_image(m), "altText": m.alt_text} for m in images]
                }
            }
        elif request.link:
            body["content"] = {"article": self._article(request.link)}
        response = self.rest("POST", "/rest/posts", json=body)
        urn = response.headers.get("x-restli-id", "")
        if not urn:
            raise Permanent("LinkedIn: the post was accepted but no id came back (x-restli-id)")
        return PublishResult(
            remote_id=urn,
            url=f"https://www.linkedin.com/feed/update/{urn}/",
            status_code=response.status_code,
        )

    def _article(self, link: str) -> dict[str, str]:
        """LinkedIn shows an API post's article with the title, description and thumbnail it is given
        (it does not read the page itself): read them from the page, best effort."""
        card = linkpreview.fetch(link, transport=self._transport)
        article = {"source": link, "title": card.title or link}
        if card.description:
            article["description"] = card.description
        if card.image_url:
            image = linkpreview.fetch_image(
                card.image_url, self.limits.media.max_image_bytes, transport=self._transport
            )
            if image is not None and image.content_type in self.limits.media.image_types:
                article["thumbnail"] = self._upload_image_bytes(image.data, image.content_type)
        return article

    def _upload_image(self, item: MediaItem) -> str:
        return self._upload_image_bytes(Path(item.path).read_bytes(), item.content_type)

    def _upload_image_bytes(self, data: bytes, content_type: str) -> str:
        init = self.rest_json(
            "POST",
            "/rest/images",
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": self.author()}},
        )["value"]
        self.call(
            "PUT",
            init["uploadUrl"],
            content=data,
            timeout=UPLOAD_TIMEOUT,
            headers={"Content-Type": content_type},
        )
        return str(init["image"])

    def _upload_video(self, item: MediaItem) -> str:
        size = Path(item.path).stat().st_size
        init = self.rest_json(
            "POST",
            "/rest/videos",
            params={"action": "initializeUpload"},
            json={
                "initializeUploadRequest": {
                    "owner": self.author(),
                    "fileSizeBytes": size,
                    "uploadCaptions": False,
                    "uploadThumbnail": False,
                }
            },
        )["value"]
        etags = []
        with Path(item.path).open("rb") as handle:
            for part in init["uploadInstructions"]:
                handle.seek(int(part["firstByte"]))
                chunk = handle.read(int(part["lastByte"]) - int(part["firstByte"]) + 1)
                uploaded = self.call(
                    "PUT",
                    part["uploadUrl"],
                    content=chunk,
                    timeout=UPLOAD_TIMEOUT,
                    headers={"Content-Type": "application/octet-stream"},
                )
                etags.append(uploaded.headers.get("etag", "").strip('"'))
        self.rest(
            "POST",
            "/rest/videos",
            params={"action": "finalizeUpload"},
            json={
                "finalizeUploadRequest": {
                    "video": init["video"],
                    "uploadToken": init.get("uploadToken", ""),
                    "uploadedPartIds": etags,
                }
            },
        )
        return str(init["video"])

    def _comment(self, parent: str, text: str) -> PublishResult:
        body: dict[str, Any] = {"actor": self.author(), "message": {"text": text}}
        if parent.startswith("urn:li:comment:"):
            body["object"] = _activity_of(parent)
            body["parentComment"] = parent
        else:
            body["object"] = parent
        response = self.rest("POST", f"/rest/socialActions/{quote(parent, safe='')}/comments", json=body)
        data = response.json() if response.content else {}
        urn = str(data.get("commentUrn") or response.headers.get("x-restli-id") or data.get("id") or "")
        return PublishResult(remote_id=urn, status_code=response.status_code)

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        return self._comment(parent_remote_id, request.text)

    def delete(self, remote_id: str) -> None:
        self.rest("DELETE", f"/rest/posts/{quote(remote_id, safe='')}")

    def like(self, remote_id: str) -> None:
        self.rest(
            "POST",
            "/rest/reactions",
            params={"actor": self.author()},
            json={"root": remote_id, "reactionType": "LIKE"},
        )

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        body = self.rest_json(
            "GET",
            "/rest/posts",
            params={
                "author": self.author(),
                "q": "author",
                "count": min(limit, 100),
                "sortBy": "LAST_MODIFIED",
            },
        )
        out = []
        for post in body.get("elements", []):
            created = _ms(post.get("publishedAt") or post.get("createdAt"))
            if created < since:
                continue
            urn = str(post["id"])
            out.append(
                RemotePost(
                    urn,
                    f"https://www.linkedin.com/feed/update/{urn}/",
                    unescape_little_text(str(post.get("commentary") or "")),
                    created,
                )
            )
        return out[:limit]

    # --- inbox and metrics ----------------------------------------------------------------------

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """Comments and replies on our recent posts; the cursor is the newest comment's time."""
        after = datetime.fromisoformat(cursor) if cursor else None
        posts = self.list_recent(datetime(2000, 1, 1, tzinfo=UTC), INBOX_POSTS)
        items: list[InboxItem] = []
        for post in posts:
            body = self.rest_json("GET", f"/rest/socialActions/{quote(post.remote_id, safe='')}/comments")
            for c in body.get("elements", []):
                created = _ms((c.get("created") or {}).get("time"))
                actor = str(c.get("actor") or (c.get("created") or {}).get("actor") or "")
                if actor == self.author() or (after is not None and created <= after):
                    continue
                parent = str(c.get("parentComment") or post.remote_id)
                items.append(
                    InboxItem(
                        remote_id=str(c.get("commentUrn") or c.get("id")),
                        kind=InboxKind.REPLY if c.get("parentComment") else InboxKind.COMMENT,
                        text=str((c.get("message") or {}).get("text") or ""),
                        author=Author(remote_id=actor),
                        created_at=created,
                        url=post.url,
                        parent_remote_id=parent,
                        root_remote_id=post.remote_id,
                    )
                )
        items.sort(key=lambda i: i.created_at)
        items = items[:limit]
        newest = max((i.created_at for i in items), default=None)
        return InboxPage(items=items, cursor=newest.isoformat() if newest else cursor)

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        if self.is_organization() and remote_ids:
            shares = [r for r in remote_ids if ":share:" in r]
            ugc = [r for r in remote_ids if ":share:" not in r]
            params = {"q": "organizationalEntity", "organizationalEntity": self.author()}
            # Rest.li 2.0 list syntax, with each URN encoded inside the List(...).
            query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
            if shares:
                query += "&shares=List(" + ",".join(quote(s, safe="") for s in shares) + ")"
            if ugc:
                query += "&ugcPosts=List(" + ",".join(quote(u, safe="") for u in ugc) + ")"
            body = self.rest_json("GET", f"/rest/organizationalEntityShareStatistics?{query}")
            out = []
            for element in body.get("elements", []):
                stats = element.get("totalShareStatistics") or {}
                out.append(
                    PostMetrics(
                        remote_id=str(element.get("share") or element.get("ugcPost") or ""),
                        impressions=stats.get("impressionCount"),
                        reach=stats.get("uniqueImpressionsCount"),
                        likes=stats.get("likeCount"),
                        comments=stats.get("commentCount"),
                        shares=stats.get("shareCount"),
                        clicks=stats.get("clickCount"),
                    )
                )
            return out
        out = []
        for remote_id in remote_ids:
            meta = self.rest_json("GET", f"/rest/socialMetadata/{quote(remote_id, safe='')}")
            reactions = meta.get("reactionSummaries") or {}
            extra = {f"reactions.{k}": int(v.get("count", 0)) for k, v in reactions.items()}
            out.append(
                PostMetrics(
                    remote_id=remote_id,
                    likes=sum(extra.values()),
                    comments=(meta.get("commentSummary") or {}).get("count"),
                    extra=extra,
                )
            )
        return out

    def fetch_account_metrics(self) -> AccountMetrics:
        if not self.is_organization():
            raise Permanent("LinkedIn gives follower counts for organisation pages only")
        body = self.rest_json(
            "GET",
            f"/rest/networkSizes/{quote(self.author(), safe='')}",
            params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
        )
        return AccountMetrics(followers=body.get("firstDegreeSize"))
