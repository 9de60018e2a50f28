"""Matrix rooms through the Client-Server API (spec.matrix.org, v3 endpoints), over the shared HTTP
connector base: one channel is one room as one user.

Per channel: `options["api_base"]` is the homeserver ("https://matrix.org"), `room_id` the room
("!abc:matrix.org", resolved from an alias at connect), `user_id` who we are; the credentials an access
token (pasted, or obtained by a user/password login, then `issued_by_tamtam` so that disconnect logs
that device out; a pasted token belongs to someone's client and is never logged out).

Why the transaction id is the step's idempotency key: `PUT /rooms/{room}/send/{type}/{txnId}` with the
same token and txnId returns the event already sent instead of sending again (IDEMPOTENT_PUBLISH). Our
own events also carry it back as `unsigned.transaction_id`, which reconcile reads in `list_recent`.
Images are uploaded to the media repository and sent as `m.image` events (the alt text is their
`body`) that reference the text event (`m.reference`), so a delete can redact them along.
"""

from __future__ import annotations

import contextlib
import html
import json
import mimetypes
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx
from django.utils.translation import gettext_lazy as _

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
    RemotePost,
    RetryAfter,
    SearchPage,
)
from tamtam.networks.http import UPLOAD_TIMEOUT, HttpConnector
from tamtam.networks.matrix.limits import LIMITS
from tamtam.networks.registry import register

C = "/_matrix/client/v3"
LIKE_KEY = "👍"
URL_RE = re.compile(r"https?://[^\s<>\"]+")


def _q(value: str) -> str:
    return quote(value, safe="")


def txn_id(key: str) -> str:
    """A transaction id from an idempotency key: stable, and safe in a URL path segment."""
    return re.sub(r"[^A-Za-z0-9._~-]", "_", key)[:200] or "tamtam"


def formatted(text: str) -> str:
    """The HTML body (org.matrix.custom.html): escaped, links made clickable, line breaks kept."""
    out, last = [], 0
    for match in URL_RE.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        url = html.escape(match.group(0), quote=True)
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


def _ts(event: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(event.get("origin_server_ts", 0)) / 1000, UTC)


def normalise_homeserver(value: str) -> str:
    raw = (value or "").strip().rstrip("/")
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Permanent(f"Matrix: not a homeserver address: {value[:100]}")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise Permanent("Matrix: the homeserver address must start with https://")
    return f"{parts.scheme}://{parts.netloc}"


@register
class Matrix(HttpConnector):
    network = "matrix"
    label = "Matrix"
    capabilities: ClassVar = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.REPLY,
            Capability.LIST_RECENT,
            Capability.FETCH_INBOX,
            Capability.FETCH_METRICS,
            Capability.IDEMPOTENT_PUBLISH,
            Capability.FIRST_COMMENT,
            Capability.THREAD,
            Capability.LIKE,
            Capability.VIDEO,
            Capability.REVOKE,
            Capability.SEARCH,
        }
    )
    limits = LIMITS
    connect_fields = (
        ConnectField(
            "homeserver",
            _("Homeserver"),
            kind="url",
            placeholder="https://matrix.org",
            help_text=_("The address of the account's Matrix server."),
        ),
        ConnectField(
            "room",
            _("Room"),
            placeholder="#news:matrix.org",
            help_text=_("The room's address (#alias:server) or id (!id:server)."),
        ),
        ConnectField(
            "access_token",
            _("Access token"),
            kind="password",
            required=False,
            secret=True,
            help_text=_("From your Matrix client's settings; or leave empty and give the user and password."),
        ),
        ConnectField("user", _("User"), required=False, placeholder="@brand:matrix.org"),
        ConnectField(
            "password",
            _("Password"),
            kind="password",
            required=False,
            secret=True,
            help_text=_("Used once to sign in; only the resulting token is kept."),
        ),
    )

    # --- connect -------------------------------------------------------------------------------

    @classmethod
    def connect_form(cls, values: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Log in when no token is given, resolve the room alias and join the room."""
        base = normalise_homeserver(values.get("homeserver", ""))
        room = (values.get("room") or "").strip()
        if not room or room[0] not in "#!":
            raise Permanent("Matrix: the room must be an alias (#name:server) or an id (!id:server)")
        credentials: dict[str, Any] = {}
        token = (values.get("access_token") or "").strip()
        conn = cls(ChannelContext(channel_id=0, handle="", credentials={}, options={"api_base": base}))
        try:
            if token:
                credentials["access_token"] = token
            else:
                user, password = (values.get("user") or "").strip(), values.get("password") or ""
                if not user or not password:
                    raise Permanent("Matrix: give an access token, or the user and the password")
                answer = conn.json(
                    "POST",
                    f"{C}/login",
                    auth=False,
                    json={
                        "type": "m.login.password",
                        "identifier": {"type": "m.id.user", "user": user},
                        "password": password,
                        "initial_device_display_name": "tamtam",
                    },
                )
                credentials = {
                    "access_token": str(answer["access_token"]),
                    "device_id": str(answer.get("device_id") or ""),
                    "issued_by_tamtam": True,
                }
            conn.ctx.credentials = credentials
            joined = conn.json("POST", f"{C}/join/{_q(room)}", json={})
            room_id = str(joined["room_id"])
        finally:
            conn.close()
        options = {"api_base": base, "room_id": room_id, "room_alias": room if room.startswith("#") else ""}
        return credentials, options

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        conn = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
        try:
            me = conn.json("GET", f"{C}/account/whoami")
            room_id = str(options["room_id"])
            name = ""
            try:
                name = str(conn.json("GET", f"{C}/rooms/{_q(room_id)}/state/m.room.name").get("name") or "")
            except Permanent:
                name = ""  # a room without a name (404): its alias or id stands for it
        finally:
            conn.close()
        user_id = str(me["user_id"])
        label = str(options.get("room_alias") or room_id)
        return Identity(
            external_id=f"{user_id}|{room_id}",  # one channel per room and user
            handle=label,
            name=name or label,
            options={"user_id": user_id},
        )

    # --- what Matrix does differently -----------------------------------------------------------

    def error_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except (json.JSONDecodeError, ValueError):
            return super().error_message(response)
        if isinstance(body, dict) and body.get("error"):
            code = body.get("errcode")
            return f"{body['error']} ({code})" if code else str(body["error"])
        return super().error_message(response)

    def retry_delay(self, response: httpx.Response) -> float:
        try:
            body = response.json()
            if isinstance(body, dict) and body.get("retry_after_ms") is not None:
                return max(1.0, float(body["retry_after_ms"]) / 1000)
        except (json.JSONDecodeError, ValueError):
            pass
        return super().retry_delay(response)

    def can_refresh(self) -> bool:
        return False  # tokens are long-lived here; a 401 (M_UNKNOWN_TOKEN) asks for a reconnect

    def room(self) -> str:
        room = str(self.ctx.options.get("room_id") or "")
        if not room:
            raise NeedsUser("Matrix: the channel has no room; reconnect it")
        return room

    def user_id(self) -> str:
        user = str(self.ctx.options.get("user_id") or "")
        if not user:
            user = str(self.json("GET", f"{C}/account/whoami")["user_id"])
            self.ctx.options["user_id"] = user
        return user

    # --- publish -------------------------------------------------------------------------------

    def _send(self, event_type: str, content: dict[str, Any], txn: str) -> str:
        answer = self.json(
            "PUT", f"{C}/rooms/{_q(self.room())}/send/{_q(event_type)}/{_q(txn_id(txn))}", json=content
        )
        return str(answer["event_id"])

    def _upload(self, item: MediaItem) -> str:
        path = Path(item.path)
        content_type = item.content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        answer = self.json(
            "POST",
            "/_matrix/media/v3/upload",
            params={"filename": path.name},
            content=path.read_bytes(),
            headers={"Content-Type": content_type},
            timeout=UPLOAD_TIMEOUT,
        )
        return str(answer["content_uri"])

    def url_for(self, event_id: str) -> str:
        return f"https://matrix.to/#/{_q(self.room())}/{_q(event_id)}"

    def publish(self, request: PublishRequest) -> PublishResult:
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}" if text else request.link
        content: dict[str, Any] = {
            "msgtype": "m.text",
            "body": text,
            "format": "org.matrix.custom.html",
            "formatted_body": formatted(text),
        }
        if request.reply_to_remote_id:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": request.reply_to_remote_id}}
        event_id = self._send("m.room.message", content, request.idempotency_key)
        for index, item in enumerate(request.media):
            kind = "m.video" if item.content_type.startswith("video/") else "m.image"
            uri = self._upload(item)
            media_content = {
                "msgtype": kind,
                "body": item.alt_text or Path(item.path).name,
                "filename": Path(item.path).name,
                "url": uri,
                "info": {"mimetype": item.content_type, "size": item.size},
                "m.relates_to": {"rel_type": "m.reference", "event_id": event_id},
            }
            # Each attachment has its own transaction id derived from the step's: a retry re-sends none.
            self._send("m.room.message", media_content, f"{request.idempotency_key}.m{index}")
        return PublishResult(remote_id=event_id, url=self.url_for(event_id))

    def _redact(self, event_id: str) -> None:
        try:
            self.call(
                "PUT",
                f"{C}/rooms/{_q(self.room())}/redact/{_q(event_id)}/{_q(txn_id('redact.' + event_id))}",
                json={"reason": "deleted from tamtam"},
            )
        except Permanent as exc:
            if exc.status_code != 404:
                raise

    def delete(self, remote_id: str) -> None:
        """Redact the event and the attachments that reference it."""
        try:
            related = self.json(
                "GET", f"/_matrix/client/v1/rooms/{_q(self.room())}/relations/{_q(remote_id)}/m.reference"
            )
        except Permanent:
            related = {}
        for event in related.get("chunk") or []:
            self._redact(str(event["event_id"]))
        self._redact(remote_id)

    def like(self, remote_id: str) -> None:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": remote_id, "key": LIKE_KEY}}
        self._send("m.reaction", content, f"like.{remote_id}")

    # --- read back -----------------------------------------------------------------------------

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        found: list[RemotePost] = []
        event_filter = json.dumps({"senders": [self.user_id()], "types": ["m.room.message"]})
        params: dict[str, Any] = {"dir": "b", "limit": 100, "filter": event_filter}
        while len(found) < limit:
            page = self.json("GET", f"{C}/rooms/{_q(self.room())}/messages", params=params)
            for event in page.get("chunk") or []:
                if _ts(event) < since:
                    return found
                content = event.get("content") or {}
                if content.get("msgtype") != "m.text":
                    continue  # attachments and redacted events are not posts
                found.append(
                    RemotePost(
                        remote_id=str(event["event_id"]),
                        url=self.url_for(str(event["event_id"])),
                        text=str(content.get("body") or ""),
                        created_at=_ts(event),
                        idempotency_key=str((event.get("unsigned") or {}).get("transaction_id") or ""),
                    )
                )
            if not page.get("end") or not page.get("chunk"):
                break
            params["from"] = page["end"]
        return found[:limit]

    def _event(self, event_id: str) -> dict[str, Any]:
        return dict(self.json("GET", f"{C}/rooms/{_q(self.room())}/event/{_q(event_id)}"))

    def _parent(self, event: dict[str, Any]) -> str:
        relates = (event.get("content") or {}).get("m.relates_to") or {}
        return str((relates.get("m.in_reply_to") or {}).get("event_id") or "")

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """Messages from others in the room since `cursor` (the sync token): replies to our events
        are comments, replies to others' are replies, the rest mention us or are plain comments."""
        me, room = self.user_id(), self.room()
        room_filter = {
            "room": {
                "rooms": [room],
                "timeline": {"limit": min(limit, 100), "types": ["m.room.message"]},
                "state": {"lazy_load_members": True, "types": []},
                "ephemeral": {"types": []},
                "account_data": {"types": []},
            },
            "presence": {"types": []},
            "account_data": {"types": []},
        }
        params: dict[str, Any] = {"timeout": 0, "filter": json.dumps(room_filter)}
        if cursor:
            params["since"] = cursor
        body = self.json("GET", f"{C}/sync", params=params)
        timeline = ((body.get("rooms") or {}).get("join") or {}).get(room, {}).get("timeline") or {}
        items: list[InboxItem] = []
        senders: dict[str, dict[str, Any]] = {}
        for event in timeline.get("events") or []:
            content = event.get("content") or {}
            sender = str(event.get("sender") or "")
            if sender == me or event.get("type") != "m.room.message" or not content:
                continue
            parent = self._parent(event)
            root = ""
            if parent:
                parent_event = self._event(parent)
                kind = InboxKind.COMMENT if parent_event.get("sender") == me else InboxKind.REPLY
                root, up = parent, self._parent(parent_event)
                for _hop in range(10):  # a reply chain's top, bounded
                    if not up:
                        break
                    root, up = up, self._parent(self._event(up))
            else:
                mentioned = me in ((content.get("m.mentions") or {}).get("user_ids") or [])
                kind = (
                    InboxKind.MENTION
                    if mentioned or me in str(content.get("body", ""))
                    else InboxKind.COMMENT
                )
            if sender not in senders:
                try:
                    senders[sender] = self.json("GET", f"{C}/profile/{_q(sender)}")
                except Permanent:
                    senders[sender] = {}
            profile = senders[sender]
            items.append(
                InboxItem(
                    remote_id=str(event["event_id"]),
                    kind=kind,
                    text=str(content.get("body") or ""),
                    author=Author(
                        remote_id=sender, handle=sender, name=str(profile.get("displayname") or "")
                    ),
                    created_at=_ts(event),
                    url=self.url_for(str(event["event_id"])),
                    parent_remote_id=parent,
                    root_remote_id=root,
                    raw={"msgtype": str(content.get("msgtype") or "")},
                )
            )
        return InboxPage(
            items=items, cursor=str(body.get("next_batch") or cursor), has_more=bool(timeline.get("limited"))
        )

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        """Reactions per event (Matrix has no views or shares)."""
        metrics = []
        for remote_id in remote_ids:
            page = self.json(
                "GET",
                f"/_matrix/client/v1/rooms/{_q(self.room())}/relations/{_q(remote_id)}/m.annotation",
                params={"limit": 1000},
            )
            reactions = [e for e in page.get("chunk") or [] if e.get("type") == "m.reaction"]
            metrics.append(PostMetrics(remote_id=remote_id, likes=len(reactions)))
        return metrics

    def search(self, query: str, cursor: str = "", limit: int = 100) -> SearchPage:
        """Server-side search (`POST /search`, room events) over every room the account has joined,
        newest first: a community's other rooms are listened to as well. The homeserver decides what a
        match is (full-text words); `next_batch` is the cursor."""
        criteria: dict[str, Any] = {
            "search_term": query,
            "order_by": "recent",
            "keys": ["content.body"],
            "filter": {"limit": min(limit, 100), "types": ["m.room.message"]},
        }
        params = {"next_batch": cursor} if cursor else {}
        body = self.json(
            "POST", f"{C}/search", params=params, json={"search_categories": {"room_events": criteria}}
        )
        events = (body.get("search_categories") or {}).get("room_events") or {}
        me = self.user_id()
        items = []
        for hit in events.get("results") or []:
            event = hit.get("result") or {}
            content = event.get("content") or {}
            sender = str(event.get("sender") or "")
            if not event.get("event_id") or sender == me or not content.get("body"):
                continue  # our own posts are not mentions; redacted events have no body
            room = str(event.get("room_id") or "")
            items.append(
                FoundPost(
                    remote_id=str(event["event_id"]),
                    text=str(content["body"]),
                    author=Author(remote_id=sender, handle=sender),
                    created_at=_ts(event),
                    url=f"https://matrix.to/#/{_q(room)}/{_q(str(event['event_id']))}" if room else "",
                    raw={"room_id": room},
                )
            )
        next_batch = str(events.get("next_batch") or "")
        return SearchPage(items=items, cursor=next_batch, has_more=bool(next_batch))

    def fetch_account_metrics(self) -> AccountMetrics:
        """The room's joined members stand for followers."""
        joined = self.json("GET", f"{C}/rooms/{_q(self.room())}/joined_members").get("joined") or {}
        return AccountMetrics(followers=len(joined))

    def revoke(self) -> None:
        """Log out the device tamtam signed in with (a pasted token is someone's client: kept)."""
        if not self.ctx.credentials.get("issued_by_tamtam"):
            return
        # Already logged out, or the server is away: the credentials are forgotten anyway.
        with contextlib.suppress(NeedsUser, Permanent, RetryAfter):
            self.call("POST", f"{C}/logout", json={}, retry_on_401=False)
