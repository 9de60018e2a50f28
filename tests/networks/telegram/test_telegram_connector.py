"""Telegram connector against respx fixtures shaped like the Bot API's documented answers
(`{"ok": true, "result": …}`, `{"ok": false, "error_code": …, "description": …, "parameters": …}`)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from tamtam.networks import registry
from tamtam.networks.base import (
    Ambiguous,
    Capability,
    ChannelContext,
    InboxKind,
    MediaItem,
    NeedsUser,
    Permanent,
    PublishRequest,
    RetryAfter,
)
from tamtam.networks.telegram.connector import TelegramConnector

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
API = f"https://api.telegram.org/bot{TOKEN}"
CHANNEL = -1001234567890
GROUP = -1009876543210


def ok(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": result})


def fail(code: int, description: str, **parameters: Any) -> httpx.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return httpx.Response(code, json=body)


def channel_message(mid: int, text: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "message_id": mid,
        "sender_chat": {"id": CHANNEL, "title": "Tamtam News", "username": "tamtamnews", "type": "channel"},
        "chat": {"id": CHANNEL, "title": "Tamtam News", "username": "tamtamnews", "type": "channel"},
        "date": 1764669600,
        **({"text": text} if text else {}),
        **extra,
    }


@pytest.fixture
def api() -> Any:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


@pytest.fixture
def tg() -> TelegramConnector:
    return TelegramConnector(
        ChannelContext(
            channel_id=1,
            handle="@tamtamnews",
            external_id=str(CHANNEL),
            credentials={"bot_token": TOKEN},
            options={"chat_id": str(CHANNEL), "chat_username": "tamtamnews", "linked_chat_id": str(GROUP)},
        )
    )


def sent(route: Any, n: int = 0) -> dict[str, Any]:
    return json.loads(route.calls[n].request.content)


def test_telegram_is_registered() -> None:
    assert registry.get("telegram") is TelegramConnector


def test_telegram_connect_form_checks_the_token_and_chat() -> None:
    creds, options = TelegramConnector.connect_form({"bot_token": TOKEN, "chat": "https://t.me/tamtamnews"})
    assert creds == {"bot_token": TOKEN}
    assert options == {"chat_id": "@tamtamnews"}
    with pytest.raises(Permanent, match="bot_token"):
        TelegramConnector.connect_form({"bot_token": "nope", "chat": "@tamtamnews"})
    with pytest.raises(Permanent, match="chat: expected"):
        TelegramConnector.connect_form({"bot_token": TOKEN, "chat": "tamtam news"})


def test_telegram_publish_text_as_escaped_html_with_link_preview_recorded_shape(
    api: Any, tg: TelegramConnector
) -> None:
    route = api.post("/sendMessage").mock(return_value=ok(channel_message(42, "Tom & Jerry <3")))
    result = tg.publish(PublishRequest(text="Tom & Jerry <3", idempotency_key="k", link="https://ex.com/a"))
    assert result.remote_id == "42"
    assert result.url == "https://t.me/tamtamnews/42"
    assert sent(route) == {
        "chat_id": str(CHANNEL),
        "parse_mode": "HTML",
        "text": "Tom &amp; Jerry &lt;3\nhttps://ex.com/a",
        "link_preview_options": {"is_disabled": False, "url": "https://ex.com/a"},
    }


def test_telegram_first_comment_replies_to_the_post_recorded_shape(api: Any, tg: TelegramConnector) -> None:
    route = api.post("/sendMessage").mock(return_value=ok(channel_message(43, "suite")))
    tg.publish(PublishRequest(text="suite", idempotency_key="k", reply_to_remote_id="42"))
    assert sent(route)["reply_parameters"] == {"message_id": 42}


def test_telegram_one_photo_goes_with_sendphoto_and_its_caption_recorded_shape(
    api: Any, tg: TelegramConnector, tmp_path: Path
) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8jpeg")
    route = api.post("/sendPhoto").mock(return_value=ok(channel_message(44, caption="Le port")))
    result = tg.publish(
        PublishRequest(
            text="Le port", idempotency_key="k", media=[MediaItem(str(photo), "image/jpeg", 6, "alt")]
        )
    )
    assert result.remote_id == "44"
    content = route.calls[0].request.content
    assert b'name="photo"; filename="p.jpg"' in content
    assert b'name="caption"\r\n\r\nLe port' in content
    assert b"alt" not in content.replace(b"filename", b"")  # no alt-text field exists at Telegram


def test_telegram_video_goes_with_sendvideo_recorded_shape(
    api: Any, tg: TelegramConnector, tmp_path: Path
) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00mp4")
    route = api.post("/sendVideo").mock(return_value=ok(channel_message(45, caption="")))
    tg.publish(PublishRequest(text="", idempotency_key="k", media=[MediaItem(str(video), "video/mp4", 4)]))
    assert b'name="video"; filename="v.mp4"' in route.calls[0].request.content


def test_telegram_album_uses_sendmediagroup_and_delete_removes_every_message_recorded_shape(
    api: Any, tg: TelegramConnector, tmp_path: Path
) -> None:
    media = []
    for n in range(3):
        path = tmp_path / f"p{n}.png"
        path.write_bytes(b"\x89PNG")
        media.append(MediaItem(str(path), "image/png", 4))
    route = api.post("/sendMediaGroup").mock(
        return_value=ok(
            [
                channel_message(50, caption="Album", media_group_id="1"),
                channel_message(51),
                channel_message(52),
            ]
        )
    )
    result = tg.publish(PublishRequest(text="Album", idempotency_key="k", media=media))
    assert result.remote_id == "50,51,52"
    assert result.url == "https://t.me/tamtamnews/50"
    content = route.calls[0].request.content
    album = json.loads(content.split(b'name="media"\r\n\r\n')[1].split(b"\r\n--")[0])
    assert album == [
        {"type": "photo", "media": "attach://file0", "caption": "Album", "parse_mode": "HTML"},
        {"type": "photo", "media": "attach://file1"},
        {"type": "photo", "media": "attach://file2"},
    ]
    deleted = api.post("/deleteMessages").mock(return_value=ok(True))
    tg.delete(result.remote_id)
    assert sent(deleted) == {"chat_id": str(CHANNEL), "message_ids": [50, 51, 52]}


def test_telegram_too_long_caption_is_refused_before_sending(tg: TelegramConnector, tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"j")
    with pytest.raises(Permanent, match="caption of at most 1024"):
        tg.publish(
            PublishRequest(
                text="x" * 1025, idempotency_key="k", media=[MediaItem(str(photo), "image/jpeg", 1)]
            )
        )


def test_telegram_delete_and_already_deleted_recorded_shape(api: Any, tg: TelegramConnector) -> None:
    api.post("/deleteMessage").mock(
        side_effect=[ok(True), fail(400, "Bad Request: message to delete not found")]
    )
    tg.delete("42")
    tg.delete("42")  # already gone


def test_telegram_429_waits_retry_after_from_parameters_recorded_shape(
    api: Any, tg: TelegramConnector
) -> None:
    api.post("/sendMessage").mock(return_value=fail(429, "Too Many Requests: retry after 35", retry_after=35))
    with pytest.raises(RetryAfter) as caught:
        tg.publish(PublishRequest(text="a", idempotency_key="k"))
    assert caught.value.seconds == 35
    assert caught.value.message == "Telegram: Too Many Requests: retry after 35"
    assert tg.last_rate is not None
    assert tg.last_rate.remaining == 0
    assert tg.last_rate.reset_at is not None


def test_telegram_refused_token_needs_the_user_without_a_refresh_recorded_shape(
    api: Any, tg: TelegramConnector
) -> None:
    route = api.post("/sendMessage").mock(return_value=fail(401, "Unauthorized"))
    with pytest.raises(NeedsUser, match="Telegram: Unauthorized"):
        tg.publish(PublishRequest(text="a", idempotency_key="k"))
    assert route.call_count == 1  # a bot token cannot be refreshed


def test_telegram_bot_removed_from_the_channel_needs_the_user_recorded_shape(
    api: Any, tg: TelegramConnector
) -> None:
    api.post("/sendMessage").mock(return_value=fail(403, "Forbidden: bot was kicked from the channel chat"))
    with pytest.raises(NeedsUser, match="bot was kicked"):
        tg.publish(PublishRequest(text="a", idempotency_key="k"))


def test_telegram_5xx_is_retried_recorded_shape(api: Any, tg: TelegramConnector) -> None:
    api.post("/sendMessage").mock(return_value=fail(502, "Bad Gateway"))
    with pytest.raises(RetryAfter):
        tg.publish(PublishRequest(text="a", idempotency_key="k"))


def test_telegram_400_is_permanent_with_telegrams_words_recorded_shape(
    api: Any, tg: TelegramConnector
) -> None:
    api.post("/sendMessage").mock(
        return_value=fail(
            400, 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0'
        )
    )
    with pytest.raises(Permanent) as caught:
        tg.publish(PublishRequest(text="a", idempotency_key="k"))
    assert caught.value.message.startswith("Telegram: Bad Request: can't parse entities")


def test_telegram_read_timeout_on_send_is_ambiguous(api: Any, tg: TelegramConnector) -> None:
    api.post("/sendMessage").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(Ambiguous):
        tg.publish(PublishRequest(text="a", idempotency_key="k"))


def test_telegram_token_never_reaches_the_log(api: Any, tg: TelegramConnector, caplog: Any) -> None:
    api.post("/sendMessage").mock(return_value=ok(channel_message(42, "a")))
    with caplog.at_level(logging.INFO, logger="httpx"):
        tg.publish(PublishRequest(text="a", idempotency_key="k"))
    assert caplog.records
    assert TOKEN not in caplog.text
    assert "/bot<token>/sendMessage" in caplog.text


def test_telegram_identify_reads_the_bot_and_the_channel_recorded_shape(api: Any) -> None:
    bot = {
        "id": 123456789,
        "is_bot": True,
        "first_name": "Tamtam",
        "username": "tamtam_bot",
        "can_join_groups": True,
    }
    api.post("/getMe").mock(return_value=ok(bot))
    api.post("/getChat").mock(
        return_value=ok(
            {
                "id": CHANNEL,
                "type": "channel",
                "title": "Tamtam News",
                "username": "tamtamnews",
                "linked_chat_id": GROUP,
            }
        )
    )
    member = api.post("/getChatMember").mock(
        return_value=ok(
            {
                "status": "administrator",
                "user": bot,
                "can_post_messages": True,
                "can_edit_messages": True,
                "can_delete_messages": True,
                "can_be_edited": False,
                "is_anonymous": False,
            }
        )
    )
    identity = TelegramConnector.identify({"bot_token": TOKEN}, {"chat_id": "@tamtamnews"})
    assert (identity.external_id, identity.handle, identity.name) == (
        str(CHANNEL),
        "@tamtamnews",
        "Tamtam News",
    )
    assert identity.options["linked_chat_id"] == str(GROUP)
    assert identity.options["bot_username"] == "tamtam_bot"
    assert sent(member) == {"chat_id": CHANNEL, "user_id": 123456789}


def test_telegram_identify_refuses_a_bot_that_cannot_post_recorded_shape(api: Any) -> None:
    bot = {"id": 123456789, "is_bot": True, "first_name": "Tamtam", "username": "tamtam_bot"}
    api.post("/getMe").mock(return_value=ok(bot))
    api.post("/getChat").mock(return_value=ok({"id": CHANNEL, "type": "channel", "title": "Tamtam News"}))
    api.post("/getChatMember").mock(return_value=ok({"status": "member", "user": bot}))
    with pytest.raises(NeedsUser, match="must be an administrator"):
        TelegramConnector.identify({"bot_token": TOKEN}, {"chat_id": str(CHANNEL)})


def updates(request: httpx.Request) -> httpx.Response:
    offset = json.loads(request.content).get("offset")
    if offset == 904:
        return ok([])
    alice = {"id": 111, "is_bot": False, "first_name": "Alice", "last_name": "Martin", "username": "alice"}
    forwarded = {
        "message_id": 7,
        "chat": {"id": GROUP, "type": "supergroup", "title": "Tamtam chat"},
        "date": 1764669601,
        "is_automatic_forward": True,
        "text": "Nouvelle collection",
        "forward_origin": {
            "type": "channel",
            "chat": {"id": CHANNEL, "type": "channel"},
            "message_id": 42,
            "date": 1764669600,
        },
    }
    return ok(
        [
            {"update_id": 901, "message": forwarded},
            {
                "update_id": 902,
                "message": {
                    "message_id": 8,
                    "from": alice,
                    "chat": {"id": GROUP, "type": "supergroup", "title": "Tamtam chat"},
                    "date": 1764669700,
                    "text": "Superbe !",
                    "reply_to_message": forwarded,
                    "message_thread_id": 7,
                },
            },
            {
                "update_id": 903,
                "message": {
                    "message_id": 3,
                    "from": alice,
                    "chat": {"id": 111, "type": "private", "first_name": "Alice"},
                    "date": 1764669800,
                    "text": "Bonjour, une question",
                },
            },
        ]
    )


def test_telegram_inbox_comments_and_dms_with_an_offset_cursor_recorded_shape(
    api: Any, tg: TelegramConnector
) -> None:
    route = api.post("/getUpdates").mock(side_effect=updates)
    page = tg.fetch_inbox()
    assert [(i.remote_id, i.kind, i.parent_remote_id) for i in page.items] == [
        (f"{GROUP}:8", InboxKind.COMMENT, "42"),
        ("111:3", InboxKind.DM, ""),
    ]
    assert page.items[0].author.name == "Alice Martin"
    assert page.items[0].created_at == datetime.fromtimestamp(1764669700, UTC)
    assert page.cursor == "903"
    again = tg.fetch_inbox(page.cursor)
    assert again.items == []
    assert again.cursor == "903"
    assert sent(route, 1)["offset"] == 904


def test_telegram_reply_to_a_dm_goes_to_that_chat_recorded_shape(api: Any, tg: TelegramConnector) -> None:
    route = api.post("/sendMessage").mock(
        return_value=ok({"message_id": 4, "chat": {"id": 111, "type": "private"}, "date": 1, "text": "ok"})
    )
    tg.reply("111:3", PublishRequest(text="Avec plaisir", idempotency_key="r"))
    assert sent(route)["chat_id"] == "111"
    assert sent(route)["reply_parameters"] == {"message_id": 3}


def test_telegram_metrics_member_count_and_unexposed_post_counters_recorded_shape(
    api: Any, tg: TelegramConnector
) -> None:
    api.post("/getChatMemberCount").mock(return_value=ok(1523))
    assert tg.fetch_account_metrics().followers == 1523
    [metrics] = tg.fetch_post_metrics(["42"])
    assert metrics.remote_id == "42"
    assert metrics.likes is None  # the Bot API does not tell bots


def test_telegram_like_sets_a_reaction_recorded_shape(api: Any, tg: TelegramConnector) -> None:
    route = api.post("/setMessageReaction").mock(return_value=ok(True))
    tg.like(f"{GROUP}:8")
    assert sent(route) == {
        "chat_id": str(GROUP),
        "message_id": 8,
        "reaction": [{"type": "emoji", "emoji": "👍"}],
    }


def test_telegram_every_declared_capability_is_implemented_recorded_shape(
    api: Any, tg: TelegramConnector, tmp_path: Path
) -> None:
    api.post("/sendMessage").mock(return_value=ok(channel_message(42, "a")))
    api.post("/sendVideo").mock(return_value=ok(channel_message(45)))
    api.post("/deleteMessage").mock(return_value=ok(True))
    api.post("/getUpdates").mock(side_effect=updates)
    api.post("/getChatMemberCount").mock(return_value=ok(3))
    api.post("/setMessageReaction").mock(return_value=ok(True))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00")
    request = PublishRequest
    calls = {
        Capability.PUBLISH: lambda: tg.publish(request(text="a", idempotency_key="k")),
        Capability.THREAD: lambda: tg.publish(
            request(text="a", idempotency_key="k", reply_to_remote_id="42")
        ),
        Capability.REPLY: lambda: tg.reply("111:3", request(text="a", idempotency_key="k")),
        Capability.VIDEO: lambda: tg.publish(
            request(text="", idempotency_key="k", media=[MediaItem(str(video), "video/mp4", 1)])
        ),
        Capability.DELETE: lambda: tg.delete("42"),
        Capability.FETCH_INBOX: tg.fetch_inbox,
        Capability.DIRECT_MESSAGES: lambda: (
            [i for i in tg.fetch_inbox().items if i.kind == InboxKind.DM] or 1 / 0
        ),
        Capability.FETCH_METRICS: tg.fetch_account_metrics,
        Capability.LIKE: lambda: tg.like("42"),
    }
    assert set(TelegramConnector.capabilities) == set(calls)
    for capability, call in calls.items():
        try:
            call()
        except Permanent as exc:  # pragma: no cover
            pytest.fail(f"{capability} is declared but raised: {exc}")
