"""Reddit (OAuth API on oauth.reddit.com over httpx): posts to the subreddit of the channel's options,
comments (first comment, replies), delete, votes as likes, the inbox (comment and post replies,
username mentions, private messages), metrics, search.

A Reddit post needs a title: it is the first line of the text (cut at 300 characters on a word);
the rest is the body of a self post. With a link and no body the post is a link post; with a link
and a body it is a self post whose body ends with the link, so no words are dropped. Images go
through Reddit's media lease (an upload to Reddit's S3 bucket, then `kind=image`, or a gallery for
several); Reddit's API has no alt-text field for them. Video posts need a poster image and the
websocket Reddit answers on: not offered.

Reddit wants a descriptive User-Agent on every call (`<platform>:<app id>:<version> (by /u/<name>)`)
and answers rate limits in `x-ratelimit-used`, `-remaining` (a float) and `-reset` (seconds).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from django.utils.translation import gettext_lazy

from tamtam.networks import oauth
from tamtam.networks.base import (
    AccountMetrics,
    Ambiguous,
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
from tamtam.networks.http import UPLOAD_TIMEOUT, HttpConnector, excerpt
from tamtam.networks.reddit.limits import LIMITS, RULES
from tamtam.networks.reddit.oauth import SPEC
from tamtam.networks.registry import register

TITLE_MAX = RULES.title_max_chars or 300
RATELIMIT_WAIT = re.compile(r"(\d+)\s*(second|minute|hour)", re.IGNORECASE)
SUBREDDIT = re.compile(r"^(?:/?r/)?([A-Za-z0-9_]{2,21})/?$")


def split_title(text: str) -> tuple[str, str]:
    """(title, body): the first line, cut on a word at Reddit's 300; the rest (and any cut tail)."""
    first, _sep, rest = text.strip().partition("\n")
    first = first.strip()
    if len(first) <= TITLE_MAX:
        return first, rest.strip()
    cut = first.rfind(" ", 0, TITLE_MAX - 1)
    cut = cut if cut > TITLE_MAX // 2 else TITLE_MAX - 1
    title = first[:cut].rstrip() + "…"
    return title, f"{first}\n{rest}".strip()  # the body keeps the whole first line


def _when(epoch: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(epoch), UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def _wait_seconds(message: str) -> float:
    match = RATELIMIT_WAIT.search(message)
    if not match:
        return 60.0
    unit = match[2].lower()
    return float(match[1]) * {"second": 1, "minute": 60, "hour": 3600}[unit]


@register
class RedditConnector(HttpConnector):
    network = "reddit"
    label = "Reddit"
    base_url = "https://oauth.reddit.com"
    limits = LIMITS
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.REPLY,
            Capability.FIRST_COMMENT,
            Capability.LIST_RECENT,
            Capability.FETCH_INBOX,
            Capability.DIRECT_MESSAGES,
            Capability.FETCH_METRICS,
            Capability.SEARCH,
            Capability.LIKE,
            Capability.REVOKE,
        }
    )
    setting_fields = (
        ConnectField(
            "subreddit",
            gettext_lazy("Subreddit"),
            placeholder="r/name",
            help_text=gettext_lazy("Where this channel posts: r/name, or u/yourname for your profile."),
        ),
        ConnectField(
            "search_subreddit",
            gettext_lazy("Listening: search in"),
            required=False,
            placeholder="r/name",
            help_text=gettext_lazy("Empty: all of Reddit."),
        ),
    )

    @classmethod
    def clean_settings(cls, values: dict[str, str], options: dict[str, Any]) -> dict[str, Any]:
        out = super().clean_settings(values, options)
        out["subreddit"] = cls.subreddit_name(out["subreddit"]) if out["subreddit"] else ""
        if out["search_subreddit"]:
            out["search_subreddit"] = cls.subreddit_name(out["search_subreddit"])
        return out

    def __init__(self, ctx: ChannelContext, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(ctx, transport=transport)
        self._assets: dict[str, str] = {}  # uploaded image URL → Reddit asset id (galleries need it)
        self._after = ""  # the last listing's `after`

    # --- connecting -------------------------------------------------------------------------------

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        connector = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
        try:
            me = connector.json("GET", "/api/v1/me", params={"raw_json": 1})
        finally:
            connector.close()
        if not isinstance(me, dict) or not me.get("name"):
            raise NeedsUser("Reddit: the account could not be read; reconnect")
        found = {"username": str(me["name"])}
        if options.get("subreddit"):
            found["subreddit"] = cls.subreddit_name(str(options["subreddit"]))
        return Identity(
            external_id=f"t2_{me['id']}", handle=f"u/{me['name']}", name=str(me["name"]), options=found
        )

    @staticmethod
    def subreddit_name(value: str) -> str:
        match = SUBREDDIT.match(value.strip())
        if not match:
            raise Permanent(f"Reddit: subreddit: {value!r} is not a subreddit name (r/name)")
        return match[1]

    def username(self) -> str:
        return str(self.ctx.options.get("username") or self.ctx.handle.removeprefix("u/"))

    def subreddit(self) -> str:
        value = str(self.ctx.options.get("subreddit") or "")
        if not value:
            raise Permanent("Reddit: no subreddit chosen for this channel; set one in its options")
        return self.subreddit_name(value)

    def auth_headers(self) -> dict[str, str]:
        # Reddit throttles generic agents: it asks for platform, app id, version and the account.
        agent = (
            f"python:tamtam:0.1 (self-hosted social media management; by /u/{self.username() or 'unknown'})"
        )
        return {**super().auth_headers(), "User-Agent": agent}

    def refresh(self) -> None:
        self.update_credentials(oauth.refresh_token(SPEC, self.ctx.credentials, transport=self._transport))

    def revoke(self) -> None:
        oauth.revoke_token(SPEC, self.ctx.credentials, transport=self._transport)

    # --- errors and rate limits -------------------------------------------------------------------

    def error_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return excerpt(response, 200).strip() or f"HTTP {response.status_code}"
        if isinstance(body, dict):
            errors = (body.get("json") or {}).get("errors") if isinstance(body.get("json"), dict) else None
            if errors:
                return self._errors_text(errors)
            if body.get("message") or body.get("error"):
                reason = body.get("reason") or body.get("explanation") or ""
                words = str(body.get("message") or body.get("error"))
                return f"{words} ({reason})" if reason else words
        return super().error_message(response)

    @staticmethod
    def _errors_text(errors: list[Any]) -> str:
        """[["SUBREDDIT_NOEXIST", "that subreddit doesn't exist", "sr"]] → "… doesn't exist (sr)"."""
        first = errors[0]
        if isinstance(first, list) and len(first) >= 2:
            return f"{first[1]} ({first[2]})" if len(first) > 2 and first[2] else str(first[1])
        return str(first)

    def parse_rate(self, response: httpx.Response) -> RateInfo | None:
        try:
            remaining = float(response.headers["x-ratelimit-remaining"])
            used = float(response.headers.get("x-ratelimit-used", "0"))
            reset = float(response.headers.get("x-ratelimit-reset", "0"))
        except (KeyError, ValueError):
            return None
        return RateInfo(
            limit=int(remaining + used),
            remaining=int(remaining),
            reset_at=datetime.now(UTC) + timedelta(seconds=reset),
        )

    def _thing_json(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        """A POST answering `{"json": {"errors": [...], "data": {...}}}`: errors arrive with a 200."""
        response = self.call("POST", path, data={**data, "api_type": "json"})
        try:
            body = response.json().get("json") or {}
        except (ValueError, AttributeError) as exc:
            raise Ambiguous(f"Reddit: unreadable answer (HTTP {response.status_code})") from exc
        errors = body.get("errors") or []
        if errors:
            message = f"Reddit: {self._errors_text(errors)}"
            code = errors[0][0] if isinstance(errors[0], list) and errors[0] else ""
            if code == "RATELIMIT":
                raise RetryAfter(message, _wait_seconds(message), status_code=response.status_code)
            if code in ("USER_REQUIRED", "SUBREDDIT_NOTALLOWED", "SUBREDDIT_NOTALLOWED_BANNED"):
                raise NeedsUser(message, status_code=response.status_code)
            raise Permanent(message, status_code=response.status_code, response_excerpt=excerpt(response))
        data_out: dict[str, Any] = body.get("data") or {}
        return data_out

    # --- publishing -------------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        if request.reply_to_remote_id:
            return self.comment(request.reply_to_remote_id, request.text)
        title, body = split_title(request.text)
        if not title:
            raise Permanent("Reddit: a post needs a title (the first line of the text)")
        if any(not m.content_type.startswith("image/") for m in request.media):
            raise Permanent("Reddit: tamtam posts images to Reddit, not videos or other files")
        common = {"sr": self.subreddit(), "title": title, "resubmit": "true", "sendreplies": "true"}
        if len(request.media) > 1:
            return self._gallery(common, request.media, body)
        if request.media:
            url = self._upload(request.media[0])
            self._thing_json("/api/submit", {**common, "kind": "image", "url": url})
            return self._find_submitted(title)
        if request.link and not body:
            data = self._thing_json("/api/submit", {**common, "kind": "link", "url": request.link})
        else:
            if request.link and request.link not in body:
                body = f"{body}\n\n{request.link}".strip()
            data = self._thing_json("/api/submit", {**common, "kind": "self", "text": body})
        return PublishResult(remote_id=str(data["name"]), url=str(data.get("url", "")))

    def comment(self, parent: str, text: str) -> PublishResult:
        data = self._thing_json("/api/comment", {"thing_id": parent, "text": text})
        things = data.get("things") or []
        if not things:
            raise Ambiguous("Reddit: the comment was sent but Reddit's answer has no comment in it")
        thing = things[0].get("data") or {}
        permalink = str(thing.get("permalink") or "")
        return PublishResult(
            remote_id=str(thing.get("name") or f"t1_{thing.get('id')}"),
            url=f"https://www.reddit.com{permalink}" if permalink else "",
        )

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """A comment under a post or comment; a private message answered in its thread (t4_)."""
        return self.comment(parent_remote_id, request.text)

    def _upload(self, item: MediaItem) -> str:
        """Reddit's media lease: ask for an S3 upload form, post the file there; the image's URL."""
        lease = self.json(
            "POST",
            "/api/media/asset.json",
            data={"filepath": Path(item.path).name, "mimetype": item.content_type},
        )
        args = lease.get("args") or {}
        fields = {f["name"]: f["value"] for f in args.get("fields") or []}
        action = (
            "https:" + str(args.get("action", "")) if str(args.get("action", "")).startswith("//") else ""
        )
        if not action or "key" not in fields:
            raise RetryAfter("Reddit: the media upload lease was incomplete", 60)
        try:
            self.call(
                "POST",
                action,
                auth=False,
                data=fields,
                files={"file": (Path(item.path).name, Path(item.path).read_bytes(), item.content_type)},
                timeout=UPLOAD_TIMEOUT,
            )
        except Ambiguous as exc:  # an unanswered upload publishes nothing: send it again
            raise RetryAfter("Reddit: the image upload got no answer", 30) from exc
        self._assets[f"{action}/{fields['key']}"] = str((lease.get("asset") or {}).get("asset_id", ""))
        return f"{action}/{fields['key']}"

    def _gallery(self, common: dict[str, str], media: list[MediaItem], body: str) -> PublishResult:
        urls = [self._upload(item) for item in media]
        payload = {
            "sr": common["sr"],
            "title": common["title"],
            "api_type": "json",
            "show_error_list": True,
            "sendreplies": True,
            "resubmit": True,
            "nsfw": False,
            "spoiler": False,
            "text": body,
            "items": [{"media_id": self._assets[url], "caption": "", "outbound_url": ""} for url in urls],
        }
        response = self.call("POST", "/api/submit_gallery_post.json", json=payload)
        result = response.json().get("json") or {}
        if result.get("errors"):
            raise Permanent(
                f"Reddit: {self._errors_text(result['errors'])}", status_code=response.status_code
            )
        data = result.get("data") or {}
        return PublishResult(remote_id=str(data["id"]), url=str(data.get("url", "")))

    def _find_submitted(self, title: str) -> PublishResult:
        """Image posts are answered with a websocket address, not the post: read it back by title."""
        for post in self._listing(f"/user/{self.username()}/submitted", {"limit": 5, "sort": "new"}):
            if post.get("title") == title:
                return PublishResult(
                    remote_id=str(post["name"]), url=f"https://www.reddit.com{post.get('permalink', '')}"
                )
        raise Ambiguous("Reddit: the image post was accepted but is not listed yet; reconcile will find it")

    def delete(self, remote_id: str) -> None:
        self.call("POST", "/api/del", data={"id": remote_id})  # Reddit answers {} even when already gone

    def like(self, remote_id: str) -> None:
        self.call("POST", "/api/vote", data={"id": remote_id, "dir": "1"})

    # --- reading back -----------------------------------------------------------------------------

    def _listing(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        body = self.json("GET", path, params={**params, "raw_json": 1})
        self._after = str((body.get("data") or {}).get("after") or "") if isinstance(body, dict) else ""
        children = (body.get("data") or {}).get("children") if isinstance(body, dict) else None
        return [c.get("data") or {} for c in children or []]

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        posts = self._listing(
            f"/user/{self.username()}/submitted", {"limit": max(1, min(100, limit)), "sort": "new"}
        )
        return [
            RemotePost(
                remote_id=str(p["name"]),
                url=f"https://www.reddit.com{p.get('permalink', '')}",
                text="\n".join(x for x in (p.get("title", ""), p.get("selftext", "")) if x),
                created_at=_when(p.get("created_utc")),
            )
            for p in posts
            if _when(p.get("created_utc")) >= since
        ]

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """The account's inbox, newer than the newest fullname seen (Reddit's `before`)."""
        params: dict[str, Any] = {"limit": max(1, min(100, limit))}
        if cursor:
            params["before"] = cursor
        things = self._listing("/message/inbox", params)
        items = [self._inbox_item(t) for t in things]
        newest = str(things[0]["name"]) if things else cursor
        return InboxPage(items=items, cursor=newest, has_more=len(things) >= params["limit"])

    def _inbox_item(self, thing: dict[str, Any]) -> InboxItem:
        subject = str(thing.get("subject", "")).lower()
        if not thing.get("was_comment"):
            kind = InboxKind.DM
        elif "mention" in subject:
            kind = InboxKind.MENTION
        elif subject == "post reply":
            kind = InboxKind.COMMENT
        else:
            kind = InboxKind.REPLY
        author = str(thing.get("author") or "")
        context = str(thing.get("context") or "")
        return InboxItem(
            remote_id=str(thing["name"]),
            kind=kind,
            text=str(thing.get("body", "")),
            author=Author(
                remote_id=author, handle=f"u/{author}", url=f"https://www.reddit.com/user/{author}"
            ),
            created_at=_when(thing.get("created_utc")),
            url=f"https://www.reddit.com{context}" if context else "",
            parent_remote_id=str(thing.get("parent_id") or "") if kind != InboxKind.MENTION else "",
            root_remote_id=str(thing.get("link_name") or "") if kind != InboxKind.DM else "",
            conversation_key=str(thing.get("first_message_name") or thing["name"])
            if kind == InboxKind.DM
            else "",
            raw={"subreddit": thing.get("subreddit") or ""},
        )

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        results = []
        for start in range(0, len(remote_ids), 100):
            for p in self._listing("/api/info", {"id": ",".join(remote_ids[start : start + 100])}):
                ratio = p.get("upvote_ratio")
                results.append(
                    PostMetrics(
                        remote_id=str(p["name"]),
                        likes=p.get("score"),
                        comments=p.get("num_comments"),
                        shares=p.get("num_crossposts"),
                        extra={"upvote_ratio_pct": round(float(ratio) * 100)} if ratio is not None else {},
                    )
                )
        return results

    def fetch_account_metrics(self) -> AccountMetrics:
        me = self.json("GET", "/api/v1/me", params={"raw_json": 1})
        profile = me.get("subreddit") or {}
        return AccountMetrics(
            followers=profile.get("subscribers"),
            extra={
                k: int(me[k])
                for k in ("total_karma", "link_karma", "comment_karma")
                if isinstance(me.get(k), int)
            },
        )

    def search(self, query: str, cursor: str = "", limit: int = 100) -> SearchPage:
        scope = str(self.ctx.options.get("search_subreddit") or "")
        path = f"/r/{self.subreddit_name(scope)}/search" if scope else "/search"
        params: dict[str, Any] = {"q": query, "sort": "new", "limit": max(1, min(100, limit)), "type": "link"}
        if scope:
            params["restrict_sr"] = "true"
        if cursor:
            params["after"] = cursor
        posts = self._listing(path, params)
        after = self._after
        items = [
            FoundPost(
                remote_id=str(p["name"]),
                text="\n".join(x for x in (p.get("title", ""), p.get("selftext", "")) if x),
                author=Author(remote_id=str(p.get("author", "")), handle=f"u/{p.get('author', '')}"),
                created_at=_when(p.get("created_utc")),
                url=f"https://www.reddit.com{p.get('permalink', '')}",
                likes=p.get("score"),
                replies=p.get("num_comments"),
                raw={"subreddit": p.get("subreddit", "")},
            )
            for p in posts
        ]
        return SearchPage(items=items, cursor=after, has_more=bool(after))
