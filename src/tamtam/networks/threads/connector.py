"""Threads (graph.threads.net, Meta's Threads API).

Publishing is two steps, as on Instagram: a container (`POST /{user-id}/threads` with `media_type`
TEXT, IMAGE, VIDEO or CAROUSEL; `reply_to_id` for a reply, which is how threads and first comments
are built, one step each), then `POST /{user-id}/threads_publish`. Containers are polled on `status`
until FINISHED. Threads downloads media from a public address (`networks.meta.media`).

Read back: the account's threads, replies to our posts (`/{id}/conversation`) and mentions as inbox,
hiding replies (`manage_reply`), post and account insights, keyword search (`keyword_search`, with the
`threads_keyword_search` permission), and the publishing quota (`threads_publishing_limit`: 250 posts
and 1,000 replies per 24 h), checked before each publish so a full quota is a wait.

Tokens: the code exchange gives a short-lived token, upgraded to a 60-day one (`th_exchange_token`) at
identify; `refresh()` renews a long-lived token (`th_refresh_token`) while it is still valid.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, ClassVar

from tamtam.networks import oauth
from tamtam.networks.base import (
    AccountMetrics,
    Author,
    Capability,
    ChannelContext,
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
    RemotePost,
    RetryAfter,
    SearchPage,
)
from tamtam.networks.meta.graph import GraphConnector, newer, parse_time
from tamtam.networks.meta.media import public_media_url
from tamtam.networks.registry import register
from tamtam.networks.threads.limits import LIMITS
from tamtam.networks.threads.oauth import SPEC

HOST = "https://graph.threads.net"
BASE = f"{HOST}/v1.0"
PROFILE_FIELDS = "id,username,name,threads_profile_picture_url,threads_biography"
POST_FIELDS = "id,text,timestamp,permalink,media_type,username"
REPLY_FIELDS = "id,text,timestamp,permalink,username,replied_to,root_post,is_reply,hide_status"
POST_INSIGHTS = "views,likes,replies,reposts,quotes,shares"
USER_INSIGHTS = "views,likes,replies,reposts,quotes,followers_count"
INBOX_POSTS = 10


def _metric_values(body: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for result in body.get("data", []) if isinstance(body, dict) else []:
        name = str(result.get("name"))
        total = (result.get("total_value") or {}).get("value")
        if isinstance(total, int | float):
            out[name] = int(total)
            continue
        values = [
            v.get("value") for v in result.get("values") or [] if isinstance(v.get("value"), int | float)
        ]
        if values:
            # Time series (per day): the window's sum; lifetime metrics have a single value.
            out[name] = int(sum(values))
    return out


@register
class ThreadsConnector(GraphConnector):
    network: ClassVar[str] = "threads"
    label: ClassVar[str] = "Threads"
    base_url: ClassVar[str] = BASE
    limits = LIMITS
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.THREAD,
            Capability.FIRST_COMMENT,
            Capability.DELETE,
            Capability.LIST_RECENT,
            Capability.REPLY,
            Capability.FETCH_INBOX,
            Capability.HIDE,
            Capability.FETCH_METRICS,
            Capability.SEARCH,
            Capability.VIDEO,
        }
    )
    poll_delay: ClassVar[float] = 3.0

    def user(self) -> str:
        return str(self.ctx.options.get("user_id") or self.ctx.external_id or "me")

    # --- connecting ---------------------------------------------------------------------------

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        """Who the account is. Upgrades `credentials` in place to a long-lived token (the caller stores
        that dict with the channel)."""
        connector = cls(ChannelContext(0, "", dict(credentials), dict(options)))
        try:
            connector.upgrade_token()
            me = connector.graph("GET", "/me", params={"fields": PROFILE_FIELDS})
        finally:
            connector.close()
        credentials.update(connector.ctx.credentials)
        username = str(me.get("username") or "")
        return Identity(
            external_id=str(me["id"]),
            handle=f"@{username}",
            name=str(me.get("name") or ""),
            options={"user_id": str(me["id"]), "username": username},
        )

    def upgrade_token(self) -> None:
        if self.ctx.credentials.get("long_lived"):
            return
        _client_id, client_secret = oauth.client_credentials(SPEC.network)
        if not client_secret:
            return  # tokens made by hand in the developer console are already long-lived
        body = self.json(
            "GET",
            f"{HOST}/access_token",
            auth=False,
            params={
                "grant_type": "th_exchange_token",
                "client_secret": client_secret,
                "access_token": self.ctx.credentials.get("access_token", ""),
            },
        )
        fresh = oauth.credentials_from_token(SPEC, body)
        fresh["long_lived"] = True
        self.update_credentials(fresh)

    def can_refresh(self) -> bool:
        return bool(self.ctx.credentials.get("access_token"))

    def refresh(self) -> None:
        """Renew the long-lived token (valid 60 days; renewable once it is a day old, before it dies)."""
        try:
            body = self.json(
                "GET",
                f"{HOST}/refresh_access_token",
                auth=False,
                params={
                    "grant_type": "th_refresh_token",
                    "access_token": self.ctx.credentials["access_token"],
                },
            )
        except Permanent as exc:
            raise NeedsUser(f"{exc.message}; reconnect the account") from exc
        fresh = oauth.credentials_from_token(SPEC, body)
        fresh["long_lived"] = True
        self.update_credentials(fresh)

    def check_connection(self) -> str:
        return f"@{self.graph('GET', '/me', params={'fields': 'id,username'}).get('username') or ''}"

    # --- publishing -------------------------------------------------------------------------

    def publishing_quota(self) -> dict[str, int]:
        body = self.graph(
            "GET",
            f"/{self.user()}/threads_publishing_limit",
            params={"fields": "quota_usage,config,reply_quota_usage,reply_config"},
        )
        entry = (body.get("data") or [{}])[0]
        return {
            "posts_used": int(entry.get("quota_usage") or 0),
            "posts_total": int((entry.get("config") or {}).get("quota_total") or LIMITS.daily_cap or 250),
            "replies_used": int(entry.get("reply_quota_usage") or 0),
            "replies_total": int((entry.get("reply_config") or {}).get("quota_total") or 1000),
        }

    def publish(self, request: PublishRequest) -> PublishResult:
        quota = self.publishing_quota()
        kind = "replies" if request.reply_to_remote_id else "posts"
        if quota[f"{kind}_used"] >= quota[f"{kind}_total"]:
            raise RetryAfter(
                f"Threads: {quota[f'{kind}_used']} of {quota[f'{kind}_total']} {kind} in the last 24 hours",
                3600.0,
            )
        common: dict[str, str] = {}
        if request.reply_to_remote_id:
            common["reply_to_id"] = request.reply_to_remote_id
        if not request.media:
            data = {"media_type": "TEXT", "text": request.text, **common}
            if request.link:
                data["link_attachment"] = request.link
            container = self._create(data)
        elif len(request.media) == 1:
            container = self._create({**self._media_fields(request.media[0]), "text": request.text, **common})
        else:
            children = [
                self._create({**self._media_fields(m), "is_carousel_item": "true"}) for m in request.media
            ]
            container = self._create(
                {"media_type": "CAROUSEL", "children": ",".join(children), "text": request.text, **common}
            )
        media_id = str(
            self.json("POST", f"/{self.user()}/threads_publish", data={"creation_id": container})["id"]
        )
        permalink = ""
        # Published all the same if this fails; list_recent brings the link later.
        with contextlib.suppress(RetryAfter, Permanent):
            permalink = str(
                self.graph("GET", f"/{media_id}", params={"fields": "permalink"}).get("permalink") or ""
            )
        return PublishResult(remote_id=media_id, url=permalink, response_excerpt=media_id)

    def _media_fields(self, item: MediaItem) -> dict[str, str]:
        url = public_media_url(item, self.label)
        video = item.content_type.startswith("video/")
        fields = {"media_type": "VIDEO" if video else "IMAGE", "video_url" if video else "image_url": url}
        if item.alt_text:
            fields["alt_text"] = item.alt_text
        return fields

    def _create(self, data: dict[str, str]) -> str:
        container = str(self.json("POST", f"/{self.user()}/threads", data=data)["id"])
        self.wait_for_container(
            container, fields="status,error_message", status_field="status", delay=self.poll_delay
        )
        return container

    def delete(self, remote_id: str) -> None:
        self.json("DELETE", f"/{remote_id}")

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        items = self.pages(
            f"/{self.user()}/threads",
            params={"fields": POST_FIELDS, "since": int(since.timestamp()), "limit": min(limit, 100)},
        )
        return [
            RemotePost(
                remote_id=str(t["id"]),
                url=str(t.get("permalink") or ""),
                text=str(t.get("text") or ""),
                created_at=parse_time(t.get("timestamp")),
            )
            for t in items[:limit]
        ]

    # --- community ----------------------------------------------------------------------------

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        own = str(self.ctx.options.get("username") or self.ctx.handle.lstrip("@"))
        posts = self.graph("GET", f"/{self.user()}/threads", params={"fields": "id", "limit": INBOX_POSTS})
        items: list[InboxItem] = []
        for post in posts.get("data", []):
            conversation = self.graph(
                "GET", f"/{post['id']}/conversation", params={"fields": REPLY_FIELDS, "reverse": "false"}
            )
            for r in conversation.get("data", []):
                created = parse_time(r.get("timestamp"))
                if r.get("username") == own or not newer(cursor, created):
                    continue
                parent = str((r.get("replied_to") or {}).get("id") or post["id"])
                items.append(
                    InboxItem(
                        remote_id=str(r["id"]),
                        kind=InboxKind.COMMENT if parent == post["id"] else InboxKind.REPLY,
                        text=str(r.get("text") or ""),
                        author=Author(remote_id="", handle=str(r.get("username") or "")),
                        created_at=created,
                        url=str(r.get("permalink") or ""),
                        parent_remote_id=parent,
                        root_remote_id=str((r.get("root_post") or {}).get("id") or post["id"]),
                        raw={"hide_status": str(r.get("hide_status") or "")},
                    )
                )
        mentions = self.graph("GET", f"/{self.user()}/mentions", params={"fields": POST_FIELDS, "limit": 25})
        for m in mentions.get("data", []):
            created = parse_time(m.get("timestamp"))
            if newer(cursor, created):
                items.append(
                    InboxItem(
                        remote_id=str(m["id"]),
                        kind=InboxKind.MENTION,
                        text=str(m.get("text") or ""),
                        author=Author(remote_id="", handle=str(m.get("username") or "")),
                        created_at=created,
                        url=str(m.get("permalink") or ""),
                    )
                )
        items.sort(key=lambda i: i.created_at)
        items = items[:limit]
        newest = max((i.created_at for i in items), default=None)
        return InboxPage(items=items, cursor=newest.isoformat() if newest else cursor)

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        request.reply_to_remote_id = parent_remote_id
        return self.publish(request)

    def hide(self, remote_id: str, hidden: bool = True) -> None:
        self.json("POST", f"/{remote_id}/manage_reply", data={"hide": "true" if hidden else "false"})

    # --- metrics and search ---------------------------------------------------------------------

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        out = []
        for remote_id in remote_ids:
            values = _metric_values(
                self.graph("GET", f"/{remote_id}/insights", params={"metric": POST_INSIGHTS})
            )
            reposts, quotes, shares = values.get("reposts"), values.get("quotes"), values.get("shares")
            out.append(
                PostMetrics(
                    remote_id=remote_id,
                    impressions=values.get("views"),
                    likes=values.get("likes"),
                    comments=values.get("replies"),
                    shares=None if reposts is None else reposts + (quotes or 0),
                    extra={k: v for k, v in {"quotes": quotes, "shares": shares}.items() if v is not None},
                )
            )
        return out

    def fetch_account_metrics(self) -> AccountMetrics:
        values = _metric_values(
            self.graph("GET", f"/{self.user()}/threads_insights", params={"metric": USER_INSIGHTS})
        )
        return AccountMetrics(
            followers=values.get("followers_count"),
            impressions=values.get("views"),
            extra={k: values[k] for k in ("likes", "replies", "reposts", "quotes") if k in values},
        )

    def search(self, query: str, cursor: str = "", limit: int = 100) -> SearchPage:
        params: dict[str, Any] = {
            "q": query,
            "search_type": "RECENT",
            "fields": POST_FIELDS,
            "limit": min(limit, 100),
        }
        if cursor:
            params["after"] = cursor
        body = self.graph("GET", "/keyword_search", params=params)
        items = [
            FoundPost(
                remote_id=str(t["id"]),
                text=str(t.get("text") or ""),
                author=Author(remote_id="", handle=str(t.get("username") or "")),
                created_at=parse_time(t.get("timestamp")),
                url=str(t.get("permalink") or ""),
            )
            for t in body.get("data", [])
        ]
        after = ((body.get("paging") or {}).get("cursors") or {}).get("after") or ""
        has_more = bool((body.get("paging") or {}).get("next"))
        return SearchPage(items=items, cursor=str(after) if has_more else "", has_more=has_more)
