"""Telegram (Bot API over httpx): a bot posts to a channel or group it administers.

Connect with a bot token (from @BotFather) and the chat: `@channelusername` or a numeric id
(`-100…`). The bot must be an administrator allowed to post. Text goes out with `parse_mode=HTML`
(our plain text is escaped, so `<`, `>` and `&` stay as typed); media go as `sendPhoto`/`sendVideo`,
several as an album (`sendMediaGroup`), whose remote id is the album's message ids joined by commas
(delete removes them all). Telegram has no alt-text field: alt text is not sent.

Inbox: `getUpdates` with an offset cursor: private messages to the bot (DMs) and messages in the
channel's linked discussion group (comments: replies to the automatic forward of a channel post).
getUpdates and a webhook exclude each other, and each update is handed out once per bot: a bot used
by tamtam should not also be read by another program.

The token is part of every Bot API URL: a logging filter removes it from httpx's request log lines.
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

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
    RetryAfter,
)
from tamtam.networks.http import UPLOAD_TIMEOUT, HttpConnector, excerpt
from tamtam.networks.registry import register
from tamtam.networks.telegram.limits import LIMITS, RULES


def _(message: str) -> str:
    """A lazy translation typed as the `str` ConnectField declares (rendered in the request's language)."""
    return cast(str, gettext_lazy(message))


TOKEN_IN_URL = re.compile(r"/bot[0-9]+:[A-Za-z0-9_-]+")
CHAT = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-?[0-9]+)$")
# Bot API error texts that mean "a person must fix the bot's place in the chat", not bad content.
NEEDS_USER_WORDS = (
    "chat not found",
    "bot was kicked",
    "not enough rights",
    "bot is not a member",
    "need administrator rights",
    "have no rights to send",
)


class _RedactBotToken(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/bot" in message:
            record.msg, record.args = TOKEN_IN_URL.sub("/bot<token>", message), None
        return True


logging.getLogger("httpx").addFilter(_RedactBotToken())


def _when(epoch: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


@register
class TelegramConnector(HttpConnector):
    network = "telegram"
    label = "Telegram"
    base_url = "https://api.telegram.org"
    limits = LIMITS
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.REPLY,
            Capability.THREAD,
            Capability.FETCH_INBOX,
            Capability.DIRECT_MESSAGES,
            Capability.FETCH_METRICS,
            Capability.LIKE,
            Capability.VIDEO,
        }
    )
    connect_fields = (
        ConnectField(
            "bot_token",
            _("Bot token"),
            kind="password",
            secret=True,
            help_text=_("From @BotFather: /newbot, then copy the token."),
        ),
        ConnectField(
            "chat",
            _("Channel or group"),
            placeholder="@mychannel",
            help_text=_(
                "The channel's @username, or its numeric id (-100…). The bot must be an "
                "administrator allowed to post."
            ),
        ),
    )

    # --- connecting -------------------------------------------------------------------------------

    @classmethod
    def connect_form(cls, values: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
        token = values.get("bot_token", "").strip()
        chat = values.get("chat", "").strip()
        if chat.startswith("https://t.me/"):
            chat = "@" + chat.removeprefix("https://t.me/").strip("/")
        if not re.fullmatch(r"[0-9]+:[A-Za-z0-9_-]{30,}", token):
            raise Permanent(
                "Telegram: bot_token: expected the token @BotFather gave (digits, a colon, 35 characters)"
            )
        if not CHAT.match(chat):
            raise Permanent(
                "Telegram: chat: expected @channelusername or a numeric chat id such as -1001234567890"
            )
        return {"bot_token": token}, {"chat_id": chat}

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        connector = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
        try:
            bot = connector.bot("getMe")
            chat = connector.bot("getChat", chat_id=connector.chat_id())
            if chat.get("type") == "channel":
                member = connector.bot("getChatMember", chat_id=chat["id"], user_id=bot["id"])
                if member.get("status") not in ("administrator", "creator") or not member.get(
                    "can_post_messages", member.get("status") == "creator"
                ):
                    raise NeedsUser(
                        f"Telegram: @{bot.get('username')} must be an administrator of the channel "
                        "with the right to post messages"
                    )
        finally:
            connector.close()
        username = chat.get("username")
        return Identity(
            external_id=str(chat["id"]),
            handle=f"@{username}" if username else str(chat.get("title", chat["id"])),
            name=str(chat.get("title", "")),
            options={
                "chat_id": str(chat["id"]),
                "chat_username": username or "",
                "chat_type": chat.get("type", ""),
                "linked_chat_id": str(chat.get("linked_chat_id", "")),
                "bot_username": bot.get("username", ""),
                "bot_id": str(bot["id"]),
            },
        )

    def chat_id(self) -> str:
        return str(self.ctx.options.get("chat_id") or self.ctx.external_id)

    def check_connection(self) -> str:
        chat = self.bot("getChat", chat_id=self.chat_id())
        return f"@{chat['username']}" if chat.get("username") else str(chat.get("title", ""))

    # --- the Bot API call -------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {}  # the token is in the path

    def can_refresh(self) -> bool:
        return False  # a bot token does not expire; a refused one must be replaced by a person

    def bot(self, method: str, *, files: dict[str, Any] | None = None, **params: Any) -> Any:
        """Call one Bot API method; its `result`."""
        token = self.ctx.credentials.get("bot_token", "")
        if not token:
            raise NeedsUser("Telegram: no bot token; reconnect the channel")
        url = f"/bot{token}/{method}"
        if files:
            # multipart: non-file fields as strings, structured ones as JSON (the Bot API's rule)
            data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items() if v is not None}
            response = self.call("POST", url, data=data, files=files, timeout=UPLOAD_TIMEOUT)
        else:
            response = self.call("POST", url, json={k: v for k, v in params.items() if v is not None})
        try:
            body = response.json()
        except ValueError as exc:
            raise RetryAfter(f"Telegram: unreadable answer to {method}", 30) from exc
        if not body.get("ok"):
            raise Permanent(f"Telegram: {body.get('description') or 'the request was refused'}")
        return body.get("result")

    def _body(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def error_message(self, response: httpx.Response) -> str:
        return str(self._body(response).get("description") or excerpt(response, 200) or response.status_code)

    def classify(self, response: httpx.Response) -> ConnectorError:
        body = self._body(response)
        message = f"Telegram: {self.error_message(response)}"
        kwargs: dict[str, Any] = {"status_code": response.status_code, "response_excerpt": excerpt(response)}
        code = int(body.get("error_code") or response.status_code)
        parameters = body.get("parameters") or {}
        if code == 429 or "retry_after" in parameters:
            return RetryAfter(message, float(parameters.get("retry_after") or 30), **kwargs)
        if code in (401, 403) or any(w in message.lower() for w in NEEDS_USER_WORDS):
            return NeedsUser(message, **kwargs)
        if "migrate_to_chat_id" in parameters:
            return NeedsUser(
                f"{message} (the group became a supergroup: reconnect with chat id "
                f"{parameters['migrate_to_chat_id']})",
                **kwargs,
            )
        if code >= 500:
            return RetryAfter(message, 30, **kwargs)
        return Permanent(message, **kwargs)

    def parse_rate(self, response: httpx.Response) -> RateInfo | None:
        """No rate headers: a 429 says how long to wait in `parameters.retry_after`."""
        if response.status_code != 429:
            return None
        seconds = (self._body(response).get("parameters") or {}).get("retry_after")
        if seconds is None:
            return None
        return RateInfo(remaining=0, reset_at=datetime.now(UTC) + timedelta(seconds=float(seconds)))

    # --- publishing -------------------------------------------------------------------------------

    def message_url(self, message_id: Any) -> str:
        username = self.ctx.options.get("chat_username") or ""
        chat = self.chat_id()
        if not username and chat.startswith("@"):
            username = chat[1:]
        if username:
            return f"https://t.me/{username}/{message_id}"
        if chat.startswith("-100"):
            return f"https://t.me/c/{chat[4:]}/{message_id}"
        return ""

    @staticmethod
    def _first_id(remote_id: str) -> int:
        return int(remote_id.split(",", maxsplit=1)[0].rsplit(":", maxsplit=1)[-1])

    def publish(self, request: PublishRequest) -> PublishResult:
        return self._send(self.chat_id(), request)

    def _send(self, chat_id: str, request: PublishRequest) -> PublishResult:
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n{request.link}".strip()
        common: dict[str, Any] = {"chat_id": chat_id, "parse_mode": "HTML"}
        if request.reply_to_remote_id:
            common["reply_parameters"] = {"message_id": self._first_id(request.reply_to_remote_id)}
        escaped = html.escape(text, quote=False)
        if not request.media:
            if not text:
                raise Permanent("Telegram: a message needs text")
            preview: dict[str, Any] = {"is_disabled": False}
            if request.link:
                preview["url"] = request.link
            result = self.bot("sendMessage", text=escaped, link_preview_options=preview, **common)
            ids = [result["message_id"]]
        else:
            limit = RULES.media_caption_max_chars or 1024
            if LIMITS.count(text) > limit:
                raise Permanent(f"Telegram: with media the text is a caption of at most {limit} characters")
            ids = self._send_media(request.media, escaped, common)
        remote_id = ",".join(str(i) for i in ids)
        return PublishResult(remote_id=remote_id, url=self.message_url(ids[0]))

    def _send_media(self, media: list[MediaItem], caption: str, common: dict[str, Any]) -> list[int]:
        def kind(item: MediaItem) -> str:
            return "video" if item.content_type.startswith("video/") else "photo"

        if len(media) == 1:
            item = media[0]
            method = "sendVideo" if kind(item) == "video" else "sendPhoto"
            files = {kind(item): (Path(item.path).name, Path(item.path).read_bytes(), item.content_type)}
            result = self.bot(method, files=files, caption=caption or None, **common)
            return [int(result["message_id"])]
        files = {}
        album = []
        for n, item in enumerate(media):
            files[f"file{n}"] = (Path(item.path).name, Path(item.path).read_bytes(), item.content_type)
            entry: dict[str, Any] = {"type": kind(item), "media": f"attach://file{n}"}
            if n == 0 and caption:  # the album's caption is the first item's
                entry.update(caption=caption, parse_mode="HTML")
            album.append(entry)
        params = {k: v for k, v in common.items() if k != "parse_mode"}
        result = self.bot("sendMediaGroup", files=files, media=album, **params)
        return [int(m["message_id"]) for m in result]

    def delete(self, remote_id: str) -> None:
        chat, ids = self._split(remote_id)
        try:
            if len(ids) == 1:
                self.bot("deleteMessage", chat_id=chat, message_id=ids[0])
            else:
                self.bot("deleteMessages", chat_id=chat, message_ids=ids)
        except Permanent as exc:
            if "message to delete not found" not in exc.message.lower():
                raise

    def _split(self, remote_id: str) -> tuple[str, list[int]]:
        """ "12" or "12,13" (our chat) or "<chat>:<id>" (an inbox item elsewhere)."""
        chat, _sep, ids = remote_id.rpartition(":")
        return chat or self.chat_id(), [int(i) for i in ids.split(",") if i]

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        chat, ids = self._split(parent_remote_id)
        request.reply_to_remote_id = str(ids[0])
        return self._send(chat, request)

    def like(self, remote_id: str) -> None:
        chat, ids = self._split(remote_id)
        self.bot(
            "setMessageReaction", chat_id=chat, message_id=ids[0], reaction=[{"type": "emoji", "emoji": "👍"}]
        )

    # --- reading back -----------------------------------------------------------------------------

    def fetch_inbox(self, cursor: str = "", limit: int = 100) -> InboxPage:
        offset = int(cursor) + 1 if cursor.strip().isdigit() else None
        updates = self.bot(
            "getUpdates",
            offset=offset,
            limit=max(1, min(100, limit)),
            timeout=0,
            allowed_updates=["message", "edited_message"],
        )
        linked = str(self.ctx.options.get("linked_chat_id") or "")
        items = []
        last = cursor
        for update in updates or []:
            last = str(update["update_id"])
            message = update.get("message") or update.get("edited_message")
            if not isinstance(message, dict):
                continue
            item = self._inbox_item(message, linked)
            if item is not None:
                items.append(item)
        return InboxPage(items=items, cursor=last, has_more=len(updates or []) >= limit)

    def _inbox_item(self, message: dict[str, Any], linked: str) -> InboxItem | None:
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        if message.get("is_automatic_forward") or sender.get("is_bot"):
            return None  # our own channel post mirrored into the group, or a bot
        chat_id = str(chat.get("id", ""))
        if chat.get("type") == "private":
            kind, parent, root = InboxKind.DM, "", ""
        elif linked and chat_id == linked:
            replied = message.get("reply_to_message") or {}
            origin = replied.get("forward_origin") or {}
            channel_post = origin.get("message_id") or replied.get("forward_from_message_id")
            if channel_post and replied.get("is_automatic_forward"):
                kind, parent, root = InboxKind.COMMENT, str(channel_post), str(channel_post)
            elif replied:
                kind, parent, root = InboxKind.REPLY, f"{chat_id}:{replied['message_id']}", ""
            else:
                kind, parent, root = InboxKind.COMMENT, "", ""
        else:
            return None  # another chat the bot is in: not this channel's community
        name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)
        return InboxItem(
            remote_id=f"{chat_id}:{message['message_id']}",
            kind=kind,
            text=str(message.get("text") or message.get("caption") or ""),
            author=Author(
                remote_id=str(sender.get("id", "")),
                handle=f"@{sender['username']}" if sender.get("username") else "",
                name=name,
                url=f"https://t.me/{sender['username']}" if sender.get("username") else "",
            ),
            created_at=_when(message.get("date")),
            parent_remote_id=parent,
            root_remote_id=root,
            conversation_key=chat_id if kind == InboxKind.DM else "",
        )

    def fetch_post_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        """The Bot API gives bots no view or reaction counts of channel posts: every counter is None
        (unknown), which analytics shows as "not exposed" rather than zero."""
        return [PostMetrics(remote_id=r) for r in remote_ids]

    def fetch_account_metrics(self) -> AccountMetrics:
        return AccountMetrics(followers=int(self.bot("getChatMemberCount", chat_id=self.chat_id())))
