"""Instagram professional accounts through the Graph API (Content Publishing API).

Publishing is two steps: a media container (`POST /{ig-user-id}/media`: an image, a reel, or a
carousel of children), then `POST /{ig-user-id}/media_publish` with its id. Video containers are
processed asynchronously: the container's `status_code` is polled until FINISHED. Instagram downloads
the media itself, from a public address (see `networks.meta.media`).

Two ways to connect: through the Facebook Page the account is linked to (Facebook Login, host
graph.facebook.com, the default) or with Instagram Login (host graph.instagram.com, options
`login=instagram`; its long-lived token is refreshed with `ig_refresh_token`).

Read back: recent media, comments and their replies (inbox), the media the account is tagged in
(mentions), hiding comments, insights, and the live publishing quota (`content_publishing_limit`:
checked before each publish so a full quota is a wait, not a refusal). Instagram's API cannot like.

Search (for listening) is Meta's Hashtag Search: `ig_hashtag_search` gives a hashtag's id, then
`/{hashtag-id}/recent_media` its public media of the last 24 hours. It exists only through Facebook
Login, needs the "Instagram Public Content Access" feature, counts 30 distinct hashtags per account
per 7 days, and does not name the authors of those media.
"""

from __future__ import annotations

import contextlib
import re
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
from tamtam.networks.instagram.limits import LIMITS
from tamtam.networks.instagram.oauth import SPEC
from tamtam.networks.meta.graph import GRAPH_VERSION, GraphConnector, newer, parse_time
from tamtam.networks.meta.media import public_media_url
from tamtam.networks.registry import register

FACEBOOK_HOST = f"https://graph.facebook.com/{GRAPH_VERSION}"
INSTAGRAM_HOST = f"https://graph.instagram.com/{GRAPH_VERSION}"
MEDIA_FIELDS = "id,caption,timestamp,permalink,media_type"
COMMENT_FIELDS = "id,text,timestamp,username,from,hidden,like_count,replies{id,text,timestamp,username,from}"
TAG_FIELDS = "id,caption,timestamp,permalink,username"
ACCOUNT_FIELDS = "followers_count,follows_count,media_count"
MEDIA_INSIGHTS = "reach,likes,comments,shares,saved,views"
HASHTAG_MEDIA_FIELDS = "id,caption,timestamp,permalink,media_type,like_count,comments_count"
# What a hashtag may hold once the spaces, hyphens and apostrophes of a phrase are taken out.
HASHTAG = re.compile(r"\w+")
INBOX_MEDIA = 10


@register
class InstagramConnector(GraphConnector):
    network: ClassVar[str] = "instagram"
    label: ClassVar[str] = "Instagram"
    base_url: ClassVar[str] = FACEBOOK_HOST
    limits = LIMITS
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.LIST_RECENT,
            Capability.FIRST_COMMENT,
            Capability.REPLY,
            Capability.FETCH_INBOX,
            Capability.HIDE,
            Capability.FETCH_METRICS,
            Capability.VIDEO,
            Capability.SEARCH,
        }
    )
    poll_delay: ClassVar[float] = 3.0

    def api_base(self) -> str:
        if self.ctx.options.get("api_base"):
            return str(self.ctx.options["api_base"])
        return INSTAGRAM_HOST if self.ctx.options.get("login") == "instagram" else FACEBOOK_HOST

    def ig_user(self) -> str:
        return str(self.ctx.options.get("ig_user_id") or self.ctx.external_id)

    # --- connecting ---------------------------------------------------------------------------

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        connector = cls(ChannelContext(0, "", dict(credentials), dict(options)))
        try:
            if options.get("login") == "instagram":
                me = connector.graph("GET", "/me", params={"fields": "id,username,name"})
                accounts = [
                    {"id": str(me["id"]), "username": me.get("username", ""), "name": me.get("name", "")}
                ]
                page_id = ""
            else:
                connector.upgrade_user_token()
                credentials.update(connector.ctx.credentials)
                pages = connector.pages(
                    "/me/accounts",
                    params={"fields": "id,name,instagram_business_account{id,username,name}"},
                )
                linked = [p for p in pages if p.get("instagram_business_account")]
                if not linked:
                    raise NeedsUser(
                        "Instagram: no professional Instagram account is linked to a Facebook Page you manage"
                    )
                accounts = [{**p["instagram_business_account"], "page_id": p["id"]} for p in linked]
                page_id = ""
        finally:
            connector.close()
        wanted = str(options.get("ig_user_id") or "")
        account = next((a for a in accounts if str(a.get("id")) == wanted), accounts[0])
        page_id = str(account.get("page_id") or page_id)
        username = str(account.get("username") or "")
        kept = {
            "ig_user_id": str(account["id"]),
            "username": username,
            "accounts": [{"id": str(a["id"]), "username": str(a.get("username") or "")} for a in accounts],
        }
        if page_id:
            kept["page_id"] = page_id
        if options.get("login"):
            kept["login"] = options["login"]
        return Identity(
            external_id=str(account["id"]),
            handle=f"@{username}",
            name=str(account.get("name") or ""),
            options=kept,
        )

    def upgrade_user_token(self) -> None:
        """Facebook Login's code exchange gives a short-lived (1-2 h) user token: swap it once for a
        long-lived one (60 days, `fb_exchange_token`), else the channel would die within hours."""
        if self.ctx.credentials.get("long_lived"):
            return
        client_id, client_secret = oauth.client_credentials(SPEC.network)
        if not client_id or not client_secret:
            return  # a pasted token (tests, manual set-up): kept as given
        body = self.json(
            "GET",
            SPEC.token_url,
            auth=False,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": client_id,
                "client_secret": client_secret,
                "fb_exchange_token": str(self.ctx.credentials.get("access_token") or ""),
            },
        )
        fresh = oauth.credentials_from_token(SPEC, body)
        fresh["long_lived"] = True
        self.update_credentials(fresh)

    def can_refresh(self) -> bool:
        return self.ctx.options.get("login") == "instagram" and bool(self.ctx.credentials.get("access_token"))

    def refresh(self) -> None:
        """Instagram Login: a long-lived token (60 days) is renewed while still valid; a Facebook
        Login token cannot be renewed this way (reconnect)."""
        if not self.can_refresh():
            raise NeedsUser("Instagram: the access token was refused; reconnect the account")
        body = self.json(
            "GET",
            f"{INSTAGRAM_HOST.rsplit('/', 1)[0]}/refresh_access_token",
            auth=False,
            params={"grant_type": "ig_refresh_token", "access_token": self.ctx.credentials["access_token"]},
        )
        self.update_credentials(oauth.credentials_from_token(SPEC, body))

    def check_connection(self) -> str:
        body = self.graph("GET", f"/{self.ig_user()}", params={"fields": "id,username"})
        return f"@{body.get('username') or self.ctx.handle}"

    # --- publishing -------------------------------------------------------------------------

    def publishing_quota(self) -> tuple[int, int]:
        """(posts used, posts allowed) in the moving 24 hours, as Instagram counts them now."""
        body = self.graph(
            "GET", f"/{self.ig_user()}/content_publishing_limit", params={"fields": "config,quota_usage"}
        )
        entry = (body.get("data") or [{}])[0]
        total = int((entry.get("config") or {}).get("quota_total") or LIMITS.daily_cap or 50)
        return int(entry.get("quota_usage") or 0), total

    def publish(self, request: PublishRequest) -> PublishResult:
        if request.reply_to_remote_id:
            body = self.json(
                "POST", f"/{request.reply_to_remote_id}/comments", data={"message": request.text}
            )
            return PublishResult(remote_id=str(body["id"]))
        if not request.media:
            raise Permanent("Instagram: a post needs an image or a video")
        used, total = self.publishing_quota()
        if used >= total:
            raise RetryAfter(f"Instagram: {used} of {total} posts published in the last 24 hours", 3600.0)
        if len(request.media) == 1:
            container = self._container(request.media[0], caption=request.text)
        else:
            children = [self._container(m, carousel_item=True) for m in request.media]
            container = str(
                self.json(
                    "POST",
                    f"/{self.ig_user()}/media",
                    data={"media_type": "CAROUSEL", "children": ",".join(children), "caption": request.text},
                )["id"]
            )
            self.wait_for_container(container, delay=self.poll_delay)
        media_id = str(
            self.json("POST", f"/{self.ig_user()}/media_publish", data={"creation_id": container})["id"]
        )
        permalink = ""
        # Published all the same if this fails; the link then comes with the next list_recent.
        with contextlib.suppress(RetryAfter, Permanent):
            permalink = str(
                self.graph("GET", f"/{media_id}", params={"fields": "permalink"}).get("permalink") or ""
            )
        return PublishResult(remote_id=media_id, url=permalink, response_excerpt=media_id)

    def _container(self, item: MediaItem, *, caption: str = "", carousel_item: bool = False) -> str:
        url = public_media_url(item, self.label)
        data: dict[str, str] = {}
        if item.content_type.startswith("video/"):
            data["media_type"] = "VIDEO" if carousel_item else "REELS"
            data["video_url"] = url
        else:
            data["image_url"] = url
            if item.alt_text:
                data["alt_text"] = item.alt_text
        if carousel_item:
            data["is_carousel_item"] = "true"
        elif caption:
            data["caption"] = caption
        container = str(self.json("POST", f"/{self.ig_user()}/media", data=data)["id"])
        if item.content_type.startswith("video/") or not carousel_item:
            self.wait_for_container(container, delay=self.poll_delay)
        return container

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        body = self.json("POST", f"/{parent_remote_id}/replies", data={"message": request.text})
        return PublishResult(remote_id=str(body["id"]))

    def delete(self, remote_id: str) -> None:
        self.json("DELETE", f"/{remote_id}")

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        items = self.pages(
            f"/{self.ig_user()}/media",
            params={"fields": MEDIA_FIELDS, "since": int(since.timestamp()), "limit": min(limit, 100)},
        )
        return [
            RemotePost(
                remote_id=str(m["id"]),
                url=str(m.get("permalink") or ""),
                text=str(m.get("caption") or ""),
                created_at=parse_time(m.get("timestamp")),
            )
            for m in items[:limit]
        ]

    # --- community ----------------------------------------------------------------------------

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """Comments and replies under our recent media, and media we are tagged in (mentions).
        The cursor is the time of the newest item seen."""
        own = str(self.ctx.options.get("username") or self.ctx.handle.lstrip("@"))
        media = self.graph("GET", f"/{self.ig_user()}/media", params={"fields": "id", "limit": INBOX_MEDIA})
        items: list[InboxItem] = []
        for m in media.get("data", []):
            for c in self.pages(f"/{m['id']}/comments", params={"fields": COMMENT_FIELDS}, max_pages=2):
                items += self._comment_items(c, str(m["id"]), own, cursor)
        tags = self.graph("GET", f"/{self.ig_user()}/tags", params={"fields": TAG_FIELDS, "limit": 25})
        for t in tags.get("data", []):
            created = parse_time(t.get("timestamp"))
            if newer(cursor, created):
                items.append(
                    InboxItem(
                        remote_id=str(t["id"]),
                        kind=InboxKind.MENTION,
                        text=str(t.get("caption") or ""),
                        author=Author(remote_id="", handle=str(t.get("username") or "")),
                        created_at=created,
                        url=str(t.get("permalink") or ""),
                    )
                )
        items.sort(key=lambda i: i.created_at)
        items = items[:limit]
        newest = max((i.created_at for i in items), default=None)
        return InboxPage(items=items, cursor=newest.isoformat() if newest else cursor)

    def _comment_items(self, c: dict[str, Any], media_id: str, own: str, cursor: str) -> list[InboxItem]:
        out = []
        for entry, parent, kind in [(c, media_id, InboxKind.COMMENT)] + [
            (r, str(c["id"]), InboxKind.REPLY) for r in (c.get("replies") or {}).get("data", [])
        ]:
            created = parse_time(entry.get("timestamp"))
            username = str(entry.get("username") or (entry.get("from") or {}).get("username") or "")
            if username == own or not newer(cursor, created):
                continue
            out.append(
                InboxItem(
                    remote_id=str(entry["id"]),
                    kind=kind,
                    text=str(entry.get("text") or ""),
                    author=Author(remote_id=str((entry.get("from") or {}).get("id") or ""), handle=username),
                    created_at=created,
                    parent_remote_id=parent,
                    root_remote_id=media_id,
                    raw={"hidden": bool(entry.get("hidden"))},
                )
            )
        return out

    def hide(self, remote_id: str, hidden: bool = True) -> None:
        self.json("POST", f"/{remote_id}", data={"hide": "true" if hidden else "false"})

    # --- metrics -------------------------------------------------------------------------------

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        out = []
        for remote_id in remote_ids:
            counts = self.graph("GET", f"/{remote_id}", params={"fields": "id,like_count,comments_count"})
            values: dict[str, int] = {}
            try:
                body = self.graph("GET", f"/{remote_id}/insights", params={"metric": MEDIA_INSIGHTS})
            except Permanent:
                body = {}  # e.g. media older than the account's switch to professional: counts only
            for result in body.get("data", []):
                latest = (result.get("values") or [{}])[-1].get("value")
                if isinstance(latest, int | float):
                    values[str(result.get("name"))] = int(latest)
            out.append(
                PostMetrics(
                    remote_id=remote_id,
                    reach=values.get("reach"),
                    likes=values.get("likes", counts.get("like_count")),
                    comments=values.get("comments", counts.get("comments_count")),
                    shares=values.get("shares"),
                    saves=values.get("saved"),
                    video_views=values.get("views"),
                    impressions=values.get("views"),
                )
            )
        return out

    # --- search (listening) --------------------------------------------------------------------

    def search(self, query: str, cursor: str = "", limit: int = 100) -> SearchPage:
        """The recent public media of one hashtag, newest first. `query` is a hashtag with or without
        its "#" (a phrase is searched as the hashtag people write for it: "service client" →
        #serviceclient); anything else finds nothing here. The cursor is "<hashtag id>:<after>", so
        the next page does not look the hashtag up again."""
        if self.ctx.options.get("login") == "instagram":
            raise Permanent(
                "Instagram: hashtag search is only available to accounts connected through Facebook Login"
            )
        hashtag_id, _sep, after = cursor.partition(":")
        if not hashtag_id:
            tag = re.sub("[\\s\\-'\u2019\"#]", "", query)
            if not HASHTAG.fullmatch(tag):
                return SearchPage(items=[])
            found = self.graph("GET", "/ig_hashtag_search", params={"user_id": self.ig_user(), "q": tag})
            ids = [str(h["id"]) for h in found.get("data", []) if h.get("id")]
            if not ids:
                return SearchPage(items=[])
            hashtag_id = ids[0]
        params: dict[str, Any] = {
            "user_id": self.ig_user(),
            "fields": HASHTAG_MEDIA_FIELDS,
            "limit": min(limit, 50),  # the edge's maximum page
        }
        if after:
            params["after"] = after
        body = self.graph("GET", f"/{hashtag_id}/recent_media", params=params)
        items = [
            FoundPost(
                remote_id=str(m["id"]),
                text=str(m.get("caption") or ""),
                # Hashtag media do not expose their owner: the mention has no author.
                author=Author(remote_id=""),
                created_at=parse_time(m.get("timestamp")),
                url=str(m.get("permalink") or ""),
                likes=m.get("like_count"),
                replies=m.get("comments_count"),
            )
            for m in body.get("data", [])
            if m.get("id")
        ]
        paging = body.get("paging") or {}
        next_after = (paging.get("cursors") or {}).get("after") or ""
        has_more = bool(paging.get("next") and next_after)
        return SearchPage(
            items=items, cursor=f"{hashtag_id}:{next_after}" if has_more else "", has_more=has_more
        )

    def fetch_account_metrics(self) -> AccountMetrics:
        body = self.graph("GET", f"/{self.ig_user()}", params={"fields": ACCOUNT_FIELDS})
        return AccountMetrics(
            followers=body.get("followers_count"),
            following=body.get("follows_count"),
            posts=body.get("media_count"),
        )
