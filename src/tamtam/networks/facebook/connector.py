"""Facebook Pages through the Graph API: posts (text, link, photos with alt text, video), first comment,
delete, recent posts, comments and Messenger conversations as inbox, reply, like, hide, insights.

Tokens: the OAuth flow gives a user token. `identify` upgrades it to a long-lived one (60 days,
`fb_exchange_token`), lists the person's Pages (`me/accounts`) and keeps the chosen Page's token: a
Page token derived from a long-lived user token does not expire. Every Page action uses the Page token;
only `me/*` calls use the user token. Facebook has no refresh token: an invalidated token (code 190)
means reconnecting.

Node types and edges follow Meta's specs (`Page`, `PagePost`, `Comment`, `InsightsResult`); the tests
check every field and parameter used here against them.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from tamtam.networks import oauth
from tamtam.networks.base import (
    AccountMetrics,
    Author,
    Capability,
    ChannelContext,
    Identity,
    InboxItem,
    InboxKind,
    InboxPage,
    NeedsUser,
    Permanent,
    PostMetrics,
    PublishRequest,
    PublishResult,
    RemotePost,
)
from tamtam.networks.facebook.limits import LIMITS
from tamtam.networks.facebook.oauth import SPEC
from tamtam.networks.http import UPLOAD_TIMEOUT
from tamtam.networks.meta.graph import GRAPH_VERSION, GraphConnector, newer, parse_time, since_param
from tamtam.networks.registry import register

BASE = f"https://graph.facebook.com/{GRAPH_VERSION}"
PAGE_FIELDS = "id,name,access_token,category,username,link"
POST_FIELDS = "id,message,created_time,permalink_url"
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},permalink_url,is_hidden"
POST_COUNTS = "id,shares,comments.summary(true).limit(0),reactions.summary(true).limit(0)"
POST_INSIGHTS = (
    "post_impressions,post_impressions_unique,post_engaged_users,post_clicks,post_reactions_by_type_total"
)
PAGE_INSIGHTS = "page_impressions,page_post_engagements"
INBOX_POSTS = 10  # recent posts whose comments are read on each inbox fetch
DM_PREFIX = "dm:"  # remote ids of Messenger messages: dm:<psid>:<message id> (reply needs the psid)


def _insight_values(body: Any) -> dict[str, int]:
    """InsightsResult list → {metric name: latest value}; dict values (by type) are summed."""
    out: dict[str, int] = {}
    for result in body.get("data", []) if isinstance(body, dict) else []:
        values = result.get("values") or []
        if not values:
            continue
        value = values[-1].get("value")
        if isinstance(value, dict):
            out[str(result.get("name"))] = sum(int(v) for v in value.values() if isinstance(v, int | float))
            for key, count in value.items():
                if isinstance(count, int | float):
                    out[f"{result.get('name')}.{key}"] = int(count)
        elif isinstance(value, int | float):
            out[str(result.get("name"))] = int(value)
    return out


@register
class FacebookConnector(GraphConnector):
    network: ClassVar[str] = "facebook"
    label: ClassVar[str] = "Facebook"
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
            Capability.DIRECT_MESSAGES,
            Capability.LIKE,
            Capability.HIDE,
            Capability.FETCH_METRICS,
            Capability.VIDEO,
            Capability.REVOKE,
        }
    )

    # --- connecting ---------------------------------------------------------------------------

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        """The chosen Page (options `page_id`, else the first one). Upgrades `credentials` in place:
        the long-lived user token and the Page token are stored by the caller with the channel."""
        connector = cls(_context(credentials, options))
        try:
            connector.upgrade_user_token()
            pages = connector.pages(
                "/me/accounts", params={"fields": PAGE_FIELDS}, token=connector.user_token()
            )
        finally:
            connector.close()
        if not pages:
            raise NeedsUser("Facebook: this account manages no Page, or did not grant access to one")
        wanted = str(options.get("page_id") or "")
        page = next((p for p in pages if p.get("id") == wanted), pages[0])
        credentials.update(connector.ctx.credentials)
        credentials["page_access_token"] = str(page.get("access_token") or "")
        return Identity(
            external_id=str(page["id"]),
            handle=str(page.get("name") or page["id"]),
            name=str(page.get("name") or ""),
            options={
                "page_id": str(page["id"]),
                "pages": [{"id": str(p["id"]), "name": str(p.get("name") or "")} for p in pages],
            },
        )

    def upgrade_user_token(self) -> None:
        """Short-lived (1-2 h) user token → long-lived (60 days), once."""
        if self.ctx.credentials.get("long_lived"):
            return
        client_id, client_secret = oauth.client_credentials(SPEC.network)
        if not client_id or not client_secret:
            return  # tests and manual tokens: keep what we were given
        body = self.json(
            "GET",
            "/oauth/access_token",
            auth=False,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": client_id,
                "client_secret": client_secret,
                "fb_exchange_token": self.user_token(),
            },
        )
        fresh = oauth.credentials_from_token(SPEC, body)
        fresh["long_lived"] = True
        self.update_credentials(fresh)

    def user_token(self) -> str:
        return str(self.ctx.credentials.get("access_token") or "")

    def page_id(self) -> str:
        return str(self.ctx.options.get("page_id") or self.ctx.external_id)

    def page_token(self) -> str:
        token = str(self.ctx.credentials.get("page_access_token") or "")
        if token:
            return token
        body = self.graph(
            "GET", f"/{self.page_id()}", token=self.user_token(), params={"fields": "access_token"}
        )
        token = str(body.get("access_token") or "")
        if not token:
            raise NeedsUser("Facebook: no Page token for this Page; reconnect with a Page admin account")
        self.update_credentials({"page_access_token": token})
        return token

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.page_token()}"}

    def can_refresh(self) -> bool:
        return False  # Facebook has no refresh tokens; an invalid token means reconnecting

    def check_connection(self) -> str:
        body = self.graph("GET", f"/{self.page_id()}", params={"fields": "id,name"})
        return str(body.get("name") or self.ctx.handle)

    def revoke(self) -> None:
        # Already revoked or expired is what disconnecting wanted anyway.
        with contextlib.suppress(NeedsUser, Permanent):
            self.graph("DELETE", "/me/permissions", token=self.user_token())

    # --- publishing -------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        if request.reply_to_remote_id:
            return self._comment(request.reply_to_remote_id, request.text)
        videos = [m for m in request.media if m.content_type.startswith("video/")]
        if videos:
            return self._video(request)
        data: dict[str, str] = {"message": request.text}
        if request.link:
            data["link"] = request.link
        photos = [m for m in request.media if m.content_type.startswith("image/")]
        if photos:
            ids = [self._upload_photo(m.path, m.content_type, m.alt_text) for m in photos]
            data["attached_media"] = json.dumps([{"media_fbid": i} for i in ids])
        body = self.json("POST", f"/{self.page_id()}/feed", data=data)
        post_id = str(body["id"])
        return PublishResult(
            remote_id=post_id, url=f"https://www.facebook.com/{post_id}", response_excerpt=post_id
        )

    def _upload_photo(self, path: str, content_type: str, alt_text: str) -> str:
        data = {"published": "false"}
        if alt_text:
            data["alt_text_custom"] = alt_text
        with Path(path).open("rb") as handle:
            body = self.json(
                "POST",
                f"/{self.page_id()}/photos",
                data=data,
                files={"source": (Path(path).name, handle, content_type)},
                timeout=UPLOAD_TIMEOUT,
            )
        return str(body["id"])

    def _video(self, request: PublishRequest) -> PublishResult:
        video = next(m for m in request.media if m.content_type.startswith("video/"))
        content_type = video.content_type or mimetypes.guess_type(video.path)[0] or "video/mp4"
        with Path(video.path).open("rb") as handle:
            body = self.json(
                "POST",
                f"/{self.page_id()}/videos",
                data={"description": request.text},
                files={"source": (Path(video.path).name, handle, content_type)},
                timeout=UPLOAD_TIMEOUT,
            )
        video_id = str(body["id"])
        return PublishResult(
            remote_id=video_id, url=f"https://www.facebook.com/{self.page_id()}/videos/{video_id}"
        )

    def _comment(self, parent_id: str, text: str) -> PublishResult:
        body = self.json("POST", f"/{parent_id}/comments", data={"message": text})
        comment_id = str(body["id"])
        return PublishResult(remote_id=comment_id, url=f"https://www.facebook.com/{comment_id}")

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        if parent_remote_id.startswith(DM_PREFIX):
            psid = parent_remote_id[len(DM_PREFIX) :].split(":", 1)[0]
            body = self.json(
                "POST",
                f"/{self.page_id()}/messages",
                data={
                    "recipient": json.dumps({"id": psid}),
                    "message": json.dumps({"text": request.text}),
                    "messaging_type": "RESPONSE",
                },
            )
            return PublishResult(remote_id=f"{DM_PREFIX}{psid}:{body.get('message_id', '')}")
        return self._comment(parent_remote_id, request.text)

    def delete(self, remote_id: str) -> None:
        self.json("DELETE", f"/{remote_id}")

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        items = self.pages(
            f"/{self.page_id()}/published_posts",
            params={"fields": POST_FIELDS, "limit": min(limit, 100), "since": int(since.timestamp())},
            max_pages=max(1, limit // 100 + 1),
        )
        return [
            RemotePost(
                remote_id=str(p["id"]),
                url=str(p.get("permalink_url") or f"https://www.facebook.com/{p['id']}"),
                text=str(p.get("message") or ""),
                created_at=parse_time(p.get("created_time")),
            )
            for p in items[:limit]
        ]

    # --- community ----------------------------------------------------------------------------

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """Comments on our recent posts and, with `pages_messaging`, Messenger messages. The cursor is
        the time of the newest item seen: a second fetch with it returns only newer ones."""
        posts = self.graph(
            "GET", f"/{self.page_id()}/published_posts", params={"fields": "id", "limit": INBOX_POSTS}
        ).get("data", [])
        items: list[InboxItem] = []
        since = since_param(cursor)
        for post in posts:
            params: dict[str, Any] = {
                "fields": COMMENT_FIELDS,
                "filter": "stream",
                "order": "reverse_chronological",
            }
            if since:
                params["since"] = since
            for c in self.graph("GET", f"/{post['id']}/comments", params=params).get("data", []):
                created = parse_time(c.get("created_time"))
                if not newer(cursor, created) or (c.get("from") or {}).get("id") == self.page_id():
                    continue
                parent = str((c.get("parent") or {}).get("id") or post["id"])
                items.append(
                    InboxItem(
                        remote_id=str(c["id"]),
                        kind=InboxKind.REPLY if parent != post["id"] else InboxKind.COMMENT,
                        text=str(c.get("message") or ""),
                        author=Author(
                            remote_id=str((c.get("from") or {}).get("id") or ""),
                            name=str((c.get("from") or {}).get("name") or ""),
                        ),
                        created_at=created,
                        url=str(c.get("permalink_url") or ""),
                        parent_remote_id=parent,
                        root_remote_id=str(post["id"]),
                        raw={"is_hidden": bool(c.get("is_hidden"))},
                    )
                )
        if "pages_messaging" in str(self.ctx.credentials.get("scope") or ""):
            items.extend(self._messages(cursor))
        items.sort(key=lambda i: i.created_at)
        items = items[:limit]
        newest = max((i.created_at for i in items), default=None)
        next_cursor = newest.isoformat() if newest else cursor
        return InboxPage(items=items, cursor=next_cursor, has_more=False)

    def _messages(self, cursor: str) -> list[InboxItem]:
        body = self.graph(
            "GET",
            f"/{self.page_id()}/conversations",
            params={
                "platform": "messenger",
                "fields": "id,updated_time,messages.limit(20){id,message,created_time,from}",
            },
        )
        out = []
        for conversation in body.get("data", []):
            for m in (conversation.get("messages") or {}).get("data", []):
                sender = m.get("from") or {}
                created = parse_time(m.get("created_time"))
                if sender.get("id") == self.page_id() or not newer(cursor, created):
                    continue
                out.append(
                    InboxItem(
                        remote_id=f"{DM_PREFIX}{sender.get('id', '')}:{m['id']}",
                        kind=InboxKind.DM,
                        text=str(m.get("message") or ""),
                        author=Author(
                            remote_id=str(sender.get("id") or ""), name=str(sender.get("name") or "")
                        ),
                        created_at=created,
                        conversation_key=str(conversation["id"]),
                    )
                )
        return out

    def like(self, remote_id: str) -> None:
        self.json("POST", f"/{remote_id}/likes")

    def hide(self, remote_id: str, hidden: bool = True) -> None:
        self.json("POST", f"/{remote_id}", data={"is_hidden": "true" if hidden else "false"})

    # --- metrics -------------------------------------------------------------------------------

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        out = []
        for remote_id in remote_ids:
            counts = self.graph("GET", f"/{remote_id}", params={"fields": POST_COUNTS})
            insights = _insight_values(
                self.graph(
                    "GET", f"/{remote_id}/insights", params={"metric": POST_INSIGHTS, "period": "lifetime"}
                )
            )
            extra = {k: v for k, v in insights.items() if k.startswith("post_reactions_by_type_total.")}
            if "post_engaged_users" in insights:
                extra["engaged_users"] = insights["post_engaged_users"]
            out.append(
                PostMetrics(
                    remote_id=remote_id,
                    impressions=insights.get("post_impressions"),
                    reach=insights.get("post_impressions_unique"),
                    likes=((counts.get("reactions") or {}).get("summary") or {}).get("total_count"),
                    comments=((counts.get("comments") or {}).get("summary") or {}).get("total_count"),
                    shares=(counts.get("shares") or {}).get("count", 0 if "id" in counts else None),
                    clicks=insights.get("post_clicks"),
                    extra=extra,
                )
            )
        return out

    def fetch_account_metrics(self) -> AccountMetrics:
        page = self.graph("GET", f"/{self.page_id()}", params={"fields": "followers_count,fan_count"})
        insights = _insight_values(
            self.graph(
                "GET", f"/{self.page_id()}/insights", params={"metric": PAGE_INSIGHTS, "period": "day"}
            )
        )
        extra = {"fans": int(page["fan_count"])} if isinstance(page.get("fan_count"), int) else {}
        if "page_post_engagements" in insights:
            extra["post_engagements"] = insights["page_post_engagements"]
        return AccountMetrics(
            followers=page.get("followers_count"), impressions=insights.get("page_impressions"), extra=extra
        )


def _context(credentials: dict[str, Any], options: dict[str, Any]) -> ChannelContext:
    return ChannelContext(channel_id=0, handle="", credentials=dict(credentials), options=dict(options))
