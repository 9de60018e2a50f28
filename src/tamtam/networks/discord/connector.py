"""Discord (HTTP API v10 over httpx), in one of two modes chosen when connecting:

- **webhook**: a channel webhook URL (Server settings → Integrations → Webhooks). Posts with
  `?wait=true` so Discord answers with the message (its id), attachments as multipart
  (`payload_json` + `files[n]`, alt text as the attachment's `description`), delete through the
  webhook's message endpoint. A webhook cannot read the channel, reply or react.
- **bot**: a bot token and a channel id. Everything a webhook does, plus replies
  (`message_reference`), list recent messages (reconcile), the inbox (messages from others after a
  snowflake cursor), reactions as likes, reaction counts, and the server's member count.

Rate limits come from `x-ratelimit-*` headers (`reset-after` in seconds, float) and a 429's JSON
`retry_after`. Webhook URLs carry their token in the path: a logging filter removes it from httpx's
request log lines.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, cast
from urllib.parse import quote

import httpx
from django.utils.translation import gettext_lazy

from tamtam.networks.base import (
    AccountMetrics,
    Author,
    Capability,
    ChannelContext,
    ConnectField,
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
    RateInfo,
    RemotePost,
)
from tamtam.networks.discord.limits import LIMITS
from tamtam.networks.http import UPLOAD_TIMEOUT, HttpConnector, _int, excerpt
from tamtam.networks.registry import register


def _(message: str) -> str:
    """A lazy translation typed as the `str` ConnectField declares."""
    return cast(str, gettext_lazy(message))


WEBHOOK_URL = re.compile(
    r"^https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/(\d+)/([A-Za-z0-9_-]+)/?$"
)
TOKEN_IN_URL = re.compile(r"/webhooks/(\d+)/[A-Za-z0-9_-]+")
# Discord's JSON error codes that mean "a person must fix the connection" whatever the HTTP status.
NEEDS_USER_CODES = {10003, 10015, 50001, 50013, 40001}
UNKNOWN_MESSAGE = 10008
LIKE_EMOJI = "👍"
WEBHOOK_CAPABILITIES = frozenset({Capability.PUBLISH, Capability.DELETE, Capability.VIDEO})


class _RedactWebhookToken(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/webhooks/" in message:
            record.msg, record.args = TOKEN_IN_URL.sub(r"/webhooks/\1/<token>", message), None
        return True


logging.getLogger("httpx").addFilter(_RedactWebhookToken())


def snowflake_time(snowflake: str) -> datetime:
    """A Discord id encodes its creation instant (ms since 2015-01-01)."""
    return datetime.fromtimestamp(((int(snowflake) >> 22) + 1420070400000) / 1000, UTC)


def snowflake_at(when: datetime) -> str:
    return str(max(0, int(when.timestamp() * 1000) - 1420070400000) << 22)


def _first_form_error(errors: Any, path: str = "") -> str:
    """Discord's nested `errors` of a 50035 → "content: Must be 2000 or fewer in length."."""
    if isinstance(errors, dict):
        if isinstance(errors.get("_errors"), list) and errors["_errors"]:
            return (
                f"{path}: {errors['_errors'][0].get('message', '')}"
                if path
                else errors["_errors"][0].get("message", "")
            )
        for key, value in errors.items():
            found = _first_form_error(value, f"{path}.{key}" if path else str(key))
            if found:
                return found
    return ""


@register
class DiscordConnector(HttpConnector):
    network = "discord"
    label = "Discord"
    base_url = "https://discord.com/api/v10"
    limits = LIMITS
    # The bot mode's list; a webhook channel answers `can()` from WEBHOOK_CAPABILITIES.
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.REPLY,
            Capability.THREAD,
            Capability.FIRST_COMMENT,
            Capability.LIST_RECENT,
            Capability.FETCH_INBOX,
            Capability.FETCH_METRICS,
            Capability.LIKE,
            Capability.VIDEO,
        }
    )
    rate_headers: ClassVar[tuple[str, str, str]] = (
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    )
    connect_fields = (
        ConnectField(
            "webhook_url",
            _("Webhook URL"),
            kind="password",
            required=False,
            secret=True,
            help_text=_("Webhook mode: Server settings → Integrations → Webhooks → Copy webhook URL."),
        ),
        ConnectField(
            "bot_token",
            _("Bot token"),
            kind="password",
            required=False,
            secret=True,
            help_text=_("Bot mode: Developer portal → your application → Bot → Reset token."),
        ),
        ConnectField(
            "channel_id",
            _("Channel id"),
            required=False,
            help_text=_("Bot mode: right-click the channel → Copy channel ID (developer mode on)."),
        ),
    )

    # --- connecting -------------------------------------------------------------------------------

    @classmethod
    def connect_form(cls, values: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
        webhook = values.get("webhook_url", "").strip()
        token = values.get("bot_token", "").strip()
        channel = values.get("channel_id", "").strip()
        if webhook:
            match = WEBHOOK_URL.match(webhook)
            if not match:
                raise Permanent(
                    "Discord: webhook_url: expected https://discord.com/api/webhooks/<id>/<token>"
                )
            return {"webhook_id": match[1], "webhook_token": match[2]}, {"mode": "webhook"}
        if token and channel:
            if not channel.isdigit():
                raise Permanent("Discord: channel_id: expected the channel's numeric id")
            return {"bot_token": token}, {"mode": "bot", "channel_id": channel}
        raise Permanent("Discord: give a webhook URL, or a bot token and a channel id")

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        connector = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
        try:
            if connector.mode == "webhook":
                hook = connector.json("GET", connector.webhook_path())
                return Identity(
                    external_id=str(hook["channel_id"]),
                    handle=str(hook.get("name") or "webhook"),
                    name=str(hook.get("name") or ""),
                    options={
                        "mode": "webhook",
                        "channel_id": str(hook["channel_id"]),
                        "guild_id": str(hook.get("guild_id") or ""),
                        "webhook_name": str(hook.get("name") or ""),
                    },
                )
            me = connector.json("GET", "/users/@me")
            channel = connector.json("GET", f"/channels/{connector.channel_id()}")
        finally:
            connector.close()
        return Identity(
            external_id=str(channel["id"]),
            handle=f"#{channel.get('name', channel['id'])}",
            name=str(channel.get("name", "")),
            options={
                "mode": "bot",
                "channel_id": str(channel["id"]),
                "guild_id": str(channel.get("guild_id") or ""),
                "bot_user_id": str(me["id"]),
                "bot_username": str(me.get("username", "")),
            },
        )

    @property
    def mode(self) -> str:
        if self.ctx.options.get("mode") in ("webhook", "bot"):
            return str(self.ctx.options["mode"])
        return "webhook" if self.ctx.credentials.get("webhook_token") else "bot"

    def can(self, capability: Capability) -> bool:
        if self.mode == "webhook":
            return capability in WEBHOOK_CAPABILITIES
        return super().can(capability)

    def channel_id(self) -> str:
        return str(self.ctx.options.get("channel_id") or self.ctx.external_id)

    def webhook_path(self) -> str:
        return (
            f"/webhooks/{self.ctx.credentials.get('webhook_id')}/{self.ctx.credentials.get('webhook_token')}"
        )

    def auth_headers(self) -> dict[str, str]:
        token = self.ctx.credentials.get("bot_token")
        return {"Authorization": f"Bot {token}"} if token and self.mode == "bot" else {}

    def can_refresh(self) -> bool:
        return False  # bot tokens and webhook tokens do not expire; a refused one needs a person

    def _need_bot(self, what: str) -> None:
        if self.mode != "bot":
            raise Permanent(f"Discord: a webhook cannot {what}; connect the channel with a bot for that")

    # --- errors and rate limits -------------------------------------------------------------------

    def _body(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def error_message(self, response: httpx.Response) -> str:
        body = self._body(response)
        message = str(body.get("message") or excerpt(response, 200) or f"HTTP {response.status_code}")
        detail = _first_form_error(body.get("errors"))
        return f"{message} ({detail})" if detail else message

    def classify(self, response: httpx.Response) -> ConnectorError:
        error = super().classify(response)
        code = self._body(response).get("code")
        if isinstance(code, int) and code in NEEDS_USER_CODES and not isinstance(error, NeedsUser):
            return NeedsUser(
                error.message, status_code=error.status_code, response_excerpt=error.response_excerpt
            )
        return error

    def retry_delay(self, response: httpx.Response) -> float:
        body = self._body(response)
        if isinstance(body.get("retry_after"), int | float):
            return float(body["retry_after"])
        after = response.headers.get("x-ratelimit-reset-after")
        if after:
            try:
                return float(after)
            except ValueError:
                pass
        return super().retry_delay(response)

    def parse_rate(self, response: httpx.Response) -> RateInfo | None:
        limit = _int(response.headers.get("x-ratelimit-limit"))
        remaining = _int(response.headers.get("x-ratelimit-remaining"))
        if limit is None and remaining is None:
            return None
        reset_at = None
        after = response.headers.get("x-ratelimit-reset-after")
        reset = response.headers.get("x-ratelimit-reset")
        try:
            if after:  # relative: immune to clock skew between us and Discord
                reset_at = datetime.now(UTC) + timedelta(seconds=float(after))
            elif reset:
                reset_at = datetime.fromtimestamp(float(reset), UTC)
        except ValueError:
            reset_at = None
        return RateInfo(limit=limit, remaining=remaining, reset_at=reset_at)

    # --- publishing -------------------------------------------------------------------------------

    def message_url(self, message_id: str, channel_id: str = "") -> str:
        guild = self.ctx.options.get("guild_id") or "@me"
        return f"https://discord.com/channels/{guild}/{channel_id or self.channel_id()}/{message_id}"

    def publish(self, request: PublishRequest) -> PublishResult:
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n{request.link}".strip()
        payload: dict[str, Any] = {"content": text, "allowed_mentions": {"parse": []}}
        if request.reply_to_remote_id:
            self._need_bot("reply")
            payload["message_reference"] = {
                "message_id": request.reply_to_remote_id,
                "fail_if_not_exists": False,
            }
        if not text and not request.media:
            raise Permanent("Discord: a message needs text or a file")
        if self.mode == "webhook":
            url, params = self.webhook_path(), {"wait": "true"}
        else:
            url, params = f"/channels/{self.channel_id()}/messages", {}
        if request.media:
            payload["attachments"] = [
                {
                    "id": str(n),  # the spec types it a snowflake string
                    "filename": Path(m.path).name,
                    **({"description": m.alt_text[:1024]} if m.alt_text else {}),
                }
                for n, m in enumerate(request.media)
            ]
            files = self._files(request.media)
            response = self.call(
                "POST",
                url,
                params=params,
                data={"payload_json": json.dumps(payload)},
                files=files,
                timeout=UPLOAD_TIMEOUT,
            )
        else:
            response = self.call("POST", url, params=params, json=payload)
        message = self._body(response)
        if "id" not in message:
            raise Permanent(f"Discord: no message in the answer (HTTP {response.status_code})")
        return PublishResult(
            remote_id=str(message["id"]),
            url=self.message_url(str(message["id"]), str(message.get("channel_id") or "")),
            status_code=response.status_code,
            response_excerpt=excerpt(response),
        )

    @staticmethod
    def _files(media: list[MediaItem]) -> list[tuple[str, tuple[str, bytes, str]]]:
        return [
            (f"files[{n}]", (Path(m.path).name, Path(m.path).read_bytes(), m.content_type))
            for n, m in enumerate(media)
        ]

    def delete(self, remote_id: str) -> None:
        if self.mode == "webhook":
            url = f"{self.webhook_path()}/messages/{remote_id}"
        else:
            url = f"/channels/{self.channel_id()}/messages/{remote_id}"
        try:
            self.call("DELETE", url)
        except Permanent as exc:
            if exc.status_code != 404:  # Unknown Message: already gone
                raise

    def like(self, remote_id: str) -> None:
        self._need_bot("react")
        self.call(
            "PUT", f"/channels/{self.channel_id()}/messages/{remote_id}/reactions/{quote(LIKE_EMOJI)}/@me"
        )

    # --- reading back (bot mode) ------------------------------------------------------------------

    def _messages(self, **params: Any) -> list[dict[str, Any]]:
        self._need_bot("read the channel")
        body = self.json("GET", f"/channels/{self.channel_id()}/messages", params=params)
        messages = body if isinstance(body, list) else []
        return sorted(messages, key=lambda m: int(m["id"]))

    def _ours(self, message: dict[str, Any]) -> bool:
        author = message.get("author") or {}
        return str(author.get("id")) == str(self.ctx.options.get("bot_user_id") or "") or bool(
            message.get("webhook_id")
            and str(message.get("webhook_id")) == str(self.ctx.credentials.get("webhook_id") or "")
        )

    def list_recent(self, since: datetime, limit: int = 100) -> list[RemotePost]:
        messages = self._messages(after=snowflake_at(since), limit=max(1, min(100, limit)))
        return [
            RemotePost(
                remote_id=str(m["id"]),
                url=self.message_url(str(m["id"])),
                text=str(m.get("content", "")),
                created_at=datetime.fromisoformat(m["timestamp"])
                if m.get("timestamp")
                else snowflake_time(m["id"]),
            )
            for m in messages
            if self._ours(m)
        ]

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        """Messages from others in the channel, after the newest message id seen (the cursor)."""
        params: dict[str, Any] = {"limit": max(1, min(100, limit))}
        if cursor.isdigit():
            params["after"] = cursor
        messages = self._messages(**params)
        bot_id = str(self.ctx.options.get("bot_user_id") or "")
        items = []
        for m in messages:
            if self._ours(m) or (m.get("author") or {}).get("bot"):
                continue
            referenced = m.get("referenced_message") or {}
            to_us = bool(referenced) and self._ours(referenced)
            mentioned = any(str(u.get("id")) == bot_id for u in m.get("mentions") or [])
            author = m.get("author") or {}
            avatar = author.get("avatar")
            items.append(
                InboxItem(
                    remote_id=str(m["id"]),
                    kind=InboxKind.REPLY if to_us else InboxKind.MENTION if mentioned else InboxKind.COMMENT,
                    text=str(m.get("content", "")),
                    author=Author(
                        remote_id=str(author.get("id", "")),
                        handle=str(author.get("username", "")),
                        name=str(author.get("global_name") or author.get("username") or ""),
                        avatar_url=f"https://cdn.discordapp.com/avatars/{author.get('id')}/{avatar}.png"
                        if avatar
                        else "",
                    ),
                    created_at=datetime.fromisoformat(m["timestamp"])
                    if m.get("timestamp")
                    else snowflake_time(m["id"]),
                    url=self.message_url(str(m["id"])),
                    parent_remote_id=str(referenced.get("id", "")) if referenced else "",
                    root_remote_id=str(referenced.get("id", "")) if to_us else "",
                )
            )
        newest = str(messages[-1]["id"]) if messages else cursor
        return InboxPage(items=items, cursor=newest, has_more=len(messages) >= params["limit"])

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        """Reactions are Discord's only per-message counter a bot can read."""
        self._need_bot("read reactions")
        results = []
        for remote_id in remote_ids:
            message = self.json("GET", f"/channels/{self.channel_id()}/messages/{remote_id}")
            reactions = message.get("reactions") or []
            total = sum(int(r.get("count") or 0) for r in reactions)
            results.append(
                PostMetrics(
                    remote_id=remote_id,
                    likes=total,
                    extra={
                        str((r.get("emoji") or {}).get("name")): int(r.get("count") or 0) for r in reactions
                    },
                )
            )
        return results

    def fetch_account_metrics(self) -> AccountMetrics:
        self._need_bot("read the server")
        guild = self.ctx.options.get("guild_id")
        if not guild:
            raise Permanent("Discord: the channel's server is unknown; reconnect the channel")
        body = self.json("GET", f"/guilds/{guild}", params={"with_counts": "true"})
        return AccountMetrics(
            followers=body.get("approximate_member_count"),
            extra={"online": int(body["approximate_presence_count"])}
            if "approximate_presence_count" in body
            else {},
        )
