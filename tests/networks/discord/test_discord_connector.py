"""Discord connector (webhook and bot modes): every request it builds and every response fixture it
parses is validated against Discord's official OpenAPI document (../shared/specs/discord.openapi.json)."""

from __future__ import annotations

import json
import logging
import time
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
from tamtam.networks.discord.connector import WEBHOOK_CAPABILITIES, DiscordConnector


def _openapi_helper() -> Any:
    import importlib.util
    import sys

    name = "tamtam_tests_openapi_httpx"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "x" / "openapi_httpx.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


_oh = _openapi_helper()
SpecMock, jsonr, load_spec, example = _oh.SpecMock, _oh.jsonr, _oh.load_spec, _oh.example
SPEC = "discord.openapi.json"
HOOK_ID, HOOK_TOKEN = (
    "1180000000000000001",
    "aBcDeFgHiJkLmNoPqRsTuVwXyZ_0123456789-abcdefghijklmnopqrstuvwxyzABCDEFGH",
)
CHANNEL, GUILD, BOT, ALICE = (
    "1180000000000000100",
    "1180000000000000200",
    "1180000000000000300",
    "1180000000000000400",
)
MSG = "1180000000000001000"


def user(uid: str, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": uid,
        "username": name,
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": name.title(),
        "primary_guild": None,
        **({"bot": True} if bot else {}),
    }


def message(
    mid: str = MSG, content: str = "Hello", author: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": 0,
        "content": content,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "timestamp": "2026-12-01T10:00:00.000000+00:00",
        "edited_timestamp": None,
        "flags": 0,
        "components": [],
        "id": mid,
        "channel_id": CHANNEL,
        "author": author or user(BOT, "tamtam", bot=True),
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        **extra,
    }


RATE = {
    "x-ratelimit-limit": "5",
    "x-ratelimit-remaining": "4",
    "x-ratelimit-reset": "1764669605.123",
    "x-ratelimit-reset-after": "2.5",
    "x-ratelimit-bucket": "abcd1234",
}


@pytest.fixture
def api() -> Any:
    mock = SpecMock(load_spec(SPEC), multipart_payload_json=True)
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=mock)
        yield mock
    mock.check()


@pytest.fixture
def hook() -> DiscordConnector:
    return DiscordConnector(
        ChannelContext(
            channel_id=1,
            handle="tamtam",
            external_id=CHANNEL,
            credentials={"webhook_id": HOOK_ID, "webhook_token": HOOK_TOKEN},
            options={"mode": "webhook", "channel_id": CHANNEL, "guild_id": GUILD},
        )
    )


@pytest.fixture
def bot() -> DiscordConnector:
    return DiscordConnector(
        ChannelContext(
            channel_id=2,
            handle="#annonces",
            external_id=CHANNEL,
            credentials={"bot_token": "MTE4.bot.token"},
            options={"mode": "bot", "channel_id": CHANNEL, "guild_id": GUILD, "bot_user_id": BOT},
        )
    )


WEBHOOK = f"/api/v10/webhooks/{HOOK_ID}/{HOOK_TOKEN}"
MESSAGES = f"/api/v10/channels/{CHANNEL}/messages"


def test_discord_is_registered() -> None:
    assert registry.get("discord") is DiscordConnector


def test_discord_connect_form_picks_the_mode() -> None:
    creds, options = DiscordConnector.connect_form(
        {"webhook_url": f"https://discord.com/api/webhooks/{HOOK_ID}/{HOOK_TOKEN}"}
    )
    assert creds == {"webhook_id": HOOK_ID, "webhook_token": HOOK_TOKEN}
    assert options == {"mode": "webhook"}
    creds, options = DiscordConnector.connect_form({"bot_token": "t", "channel_id": CHANNEL})
    assert (creds, options) == ({"bot_token": "t"}, {"mode": "bot", "channel_id": CHANNEL})
    with pytest.raises(Permanent, match="webhook_url: expected"):
        DiscordConnector.connect_form({"webhook_url": "https://example.com/hook"})
    with pytest.raises(Permanent, match="a bot token and a channel id"):
        DiscordConnector.connect_form({"bot_token": "t"})


def test_discord_webhook_publish_waits_for_the_message_matches_openapi_spec(
    api: Any, hook: DiscordConnector
) -> None:
    api.add("POST", WEBHOOK, jsonr(200, message(content="Hello\nhttps://ex.com", webhook_id=HOOK_ID), RATE))
    result = hook.publish(PublishRequest(text="Hello", idempotency_key="k", link="https://ex.com"))
    assert result.remote_id == MSG
    assert result.url == f"https://discord.com/channels/{GUILD}/{CHANNEL}/{MSG}"
    request = api.sent("POST", WEBHOOK)[0]
    assert request.url.params["wait"] == "true"
    assert json.loads(request.content) == {
        "content": "Hello\nhttps://ex.com",
        "allowed_mentions": {"parse": []},
    }
    assert "authorization" not in request.headers  # the webhook token is the credential


def test_discord_webhook_attachments_carry_alt_text_matches_openapi_spec(
    api: Any, hook: DiscordConnector, tmp_path: Path
) -> None:
    api.add("POST", WEBHOOK, jsonr(200, message(webhook_id=HOOK_ID)))
    media = []
    for n, (ctype, alt) in enumerate([("image/png", "Le port au matin"), ("video/mp4", "")]):
        path = tmp_path / f"f{n}.{ctype.split('/')[1]}"
        path.write_bytes(b"data")
        media.append(MediaItem(str(path), ctype, 4, alt))
    hook.publish(PublishRequest(text="Deux fichiers", idempotency_key="k", media=media))
    content = api.sent("POST", WEBHOOK)[0].content
    payload = json.loads(content.split(b'name="payload_json"\r\n\r\n')[1].split(b"\r\n--")[0])
    assert payload["attachments"] == [
        {"id": "0", "filename": "f0.png", "description": "Le port au matin"},
        {"id": "1", "filename": "f1.mp4"},
    ]
    assert b'name="files[0]"; filename="f0.png"' in content
    assert b'name="files[1]"; filename="f1.mp4"' in content


def test_discord_webhook_delete_uses_the_webhook_message_endpoint_matches_openapi_spec(
    api: Any, hook: DiscordConnector
) -> None:
    api.add("DELETE", f"{WEBHOOK}/messages/{MSG}", httpx.Response(204))
    hook.delete(MSG)
    assert len(api.sent("DELETE", f"{WEBHOOK}/messages/{MSG}")) == 1


def test_discord_webhook_declares_only_what_a_webhook_can(
    hook: DiscordConnector, bot: DiscordConnector
) -> None:
    assert {c for c in Capability if hook.can(c)} == WEBHOOK_CAPABILITIES
    assert {c for c in Capability if bot.can(c)} == DiscordConnector.capabilities
    with pytest.raises(Permanent, match="a webhook cannot reply"):
        hook.publish(PublishRequest(text="a", idempotency_key="k", reply_to_remote_id=MSG))


def test_discord_webhook_token_never_reaches_the_log(api: Any, hook: DiscordConnector, caplog: Any) -> None:
    api.add("POST", WEBHOOK, jsonr(200, message(webhook_id=HOOK_ID)))
    with caplog.at_level(logging.INFO, logger="httpx"):
        hook.publish(PublishRequest(text="a", idempotency_key="k"))
    assert caplog.records
    assert HOOK_TOKEN not in caplog.text
    assert f"/webhooks/{HOOK_ID}/<token>" in caplog.text


def test_discord_identify_a_webhook_matches_openapi_spec(api: Any) -> None:
    api.add(
        "GET",
        WEBHOOK,
        jsonr(
            200,
            example(
                SPEC,
                "GuildIncomingWebhookResponse",
                id=HOOK_ID,
                type=1,
                name="Tamtam",
                channel_id=CHANNEL,
                guild_id=GUILD,
                token=HOOK_TOKEN,
            ),
        ),
    )
    identity = DiscordConnector.identify(
        {"webhook_id": HOOK_ID, "webhook_token": HOOK_TOKEN}, {"mode": "webhook"}
    )
    assert (identity.external_id, identity.handle) == (CHANNEL, "Tamtam")
    assert identity.options["guild_id"] == GUILD


def test_discord_identify_a_bot_channel_matches_openapi_spec(api: Any) -> None:
    api.add(
        "GET",
        "/api/v10/users/@me",
        jsonr(200, {**user(BOT, "tamtam", bot=True), "mfa_enabled": False, "locale": "fr"}),
    )
    api.add(
        "GET",
        f"/api/v10/channels/{CHANNEL}",
        jsonr(
            200,
            example(
                SPEC,
                "GuildChannelResponse",
                id=CHANNEL,
                type=0,
                name="annonces",
                guild_id=GUILD,
            ),
        ),
    )
    identity = DiscordConnector.identify({"bot_token": "t"}, {"mode": "bot", "channel_id": CHANNEL})
    assert (identity.external_id, identity.handle) == (CHANNEL, "#annonces")
    assert identity.options["bot_user_id"] == BOT
    assert api.sent("GET", "/api/v10/users/@me")[0].headers["authorization"] == "Bot t"


def test_discord_bot_publish_reply_and_delete_matches_openapi_spec(api: Any, bot: DiscordConnector) -> None:
    api.add("POST", MESSAGES, jsonr(200, message("1180000000000001001", "suite")))
    result = bot.publish(PublishRequest(text="suite", idempotency_key="k", reply_to_remote_id=MSG))
    assert result.remote_id == "1180000000000001001"
    assert json.loads(api.sent("POST", MESSAGES)[0].content)["message_reference"] == {
        "message_id": MSG,
        "fail_if_not_exists": False,
    }
    api.add(
        "DELETE",
        f"{MESSAGES}/{MSG}",
        [
            httpx.Response(204),
            jsonr(404, {"message": "Unknown Message", "code": 10008}),
        ],
    )
    bot.delete(MSG)
    bot.delete(MSG)  # already gone


def test_discord_429_waits_retry_after_from_the_body_matches_openapi_spec(
    api: Any, bot: DiscordConnector
) -> None:
    api.add(
        "POST",
        MESSAGES,
        jsonr(
            429,
            {"message": "You are being rate limited.", "retry_after": 1.337, "global": False, "code": 20028},
            {**RATE, "x-ratelimit-remaining": "0", "retry-after": "2", "x-ratelimit-scope": "user"},
        ),
    )
    with pytest.raises(RetryAfter) as caught:
        bot.publish(PublishRequest(text="a", idempotency_key="k"))
    assert caught.value.seconds == pytest.approx(1.337)
    assert caught.value.message == "Discord: You are being rate limited."


def test_discord_rate_headers_use_reset_after_matches_openapi_spec(api: Any, bot: DiscordConnector) -> None:
    api.add("POST", MESSAGES, jsonr(200, message(), RATE))
    before = time.time()
    bot.publish(PublishRequest(text="a", idempotency_key="k"))
    assert bot.last_rate is not None
    assert (bot.last_rate.limit, bot.last_rate.remaining) == (5, 4)
    assert bot.last_rate.reset_at is not None
    assert before + 2 <= bot.last_rate.reset_at.timestamp() <= time.time() + 3


def test_discord_401_needs_the_user_without_a_refresh_matches_openapi_spec(
    api: Any, bot: DiscordConnector
) -> None:
    api.add("POST", MESSAGES, jsonr(401, {"message": "401: Unauthorized", "code": 0}))
    with pytest.raises(NeedsUser, match="Discord: 401: Unauthorized"):
        bot.publish(PublishRequest(text="a", idempotency_key="k"))
    assert len(api.sent("POST", MESSAGES)) == 1  # bot tokens do not refresh


def test_discord_missing_access_and_unknown_webhook_need_the_user_matches_openapi_spec(
    api: Any, bot: DiscordConnector, hook: DiscordConnector
) -> None:
    api.add("POST", MESSAGES, jsonr(403, {"message": "Missing Access", "code": 50001}))
    with pytest.raises(NeedsUser, match="Missing Access"):
        bot.publish(PublishRequest(text="a", idempotency_key="k"))
    api.add("POST", WEBHOOK, jsonr(404, {"message": "Unknown Webhook", "code": 10015}))
    with pytest.raises(NeedsUser, match="Unknown Webhook"):
        hook.publish(PublishRequest(text="a", idempotency_key="k"))


def test_discord_5xx_is_retried_matches_openapi_spec(api: Any, bot: DiscordConnector) -> None:
    api.add("POST", MESSAGES, httpx.Response(502, text="<html>Bad Gateway</html>"), validate=False)
    with pytest.raises(RetryAfter):
        bot.publish(PublishRequest(text="a", idempotency_key="k"))


def test_discord_400_is_permanent_with_discords_words_matches_openapi_spec(
    api: Any, bot: DiscordConnector
) -> None:
    api.add(
        "POST",
        MESSAGES,
        jsonr(
            400,
            {
                "message": "Invalid Form Body",
                "code": 50035,
                "errors": {
                    "content": {"_errors": [{"code": 50035, "message": "Must be 2000 or fewer in length."}]}
                },
            },
        ),
    )
    with pytest.raises(Permanent) as caught:
        bot.publish(PublishRequest(text="x" * 2001, idempotency_key="k"))
    assert caught.value.message == "Discord: Invalid Form Body (content: Must be 2000 or fewer in length.)"


def test_discord_read_timeout_on_post_is_ambiguous(api: Any, bot: DiscordConnector) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    api.add("POST", MESSAGES, timeout)
    with pytest.raises(Ambiguous):
        bot.publish(PublishRequest(text="a", idempotency_key="k"))


def channel_history(request: httpx.Request) -> httpx.Response:
    if request.url.params.get("after") == "1180000000000001003":
        return jsonr(200, [])
    ours = message(MSG, "Nouvelle collection")
    return jsonr(
        200,
        [
            message(
                "1180000000000001003",
                f"<@{BOT}> vous livrez en Belgique ?",
                user("1180000000000000500", "bob"),
                mentions=[user(BOT, "tamtam", bot=True)],
            ),
            message(
                "1180000000000001002",
                "Superbe !",
                user(ALICE, "alice"),
                type=19,
                message_reference={"type": 0, "channel_id": CHANNEL, "message_id": MSG},
                referenced_message=ours,
            ),
            ours,
        ],
    )


def test_discord_inbox_reads_others_after_a_snowflake_cursor_matches_openapi_spec(
    api: Any, bot: DiscordConnector
) -> None:
    api.add("GET", MESSAGES, channel_history)
    page = bot.fetch_inbox()
    assert [(i.remote_id, i.kind, i.parent_remote_id) for i in page.items] == [
        ("1180000000000001002", InboxKind.REPLY, MSG),
        ("1180000000000001003", InboxKind.MENTION, ""),
    ]
    assert page.items[0].author.name == "Alice"
    assert page.cursor == "1180000000000001003"
    again = bot.fetch_inbox(page.cursor)
    assert again.items == []
    assert again.cursor == page.cursor
    assert api.sent("GET", MESSAGES)[1].url.params["after"] == page.cursor


def test_discord_list_recent_keeps_our_own_messages_matches_openapi_spec(
    api: Any, bot: DiscordConnector
) -> None:
    api.add("GET", MESSAGES, channel_history)
    posts = bot.list_recent(datetime(2026, 12, 1, tzinfo=UTC))
    assert [(p.remote_id, p.text) for p in posts] == [(MSG, "Nouvelle collection")]
    assert posts[0].created_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_discord_reaction_as_like_and_reaction_metrics_matches_openapi_spec(
    api: Any, bot: DiscordConnector
) -> None:
    api.add("PUT", rf"{MESSAGES}/{MSG}/reactions/[^/]+/@me", httpx.Response(204))
    bot.like(MSG)
    assert api.sent("PUT", rf"{MESSAGES}/{MSG}/reactions/[^/]+/@me")[0].url.raw_path.endswith(
        b"/%F0%9F%91%8D/@me"
    )

    def reaction(name: str, count: int) -> dict[str, Any]:
        return {
            "emoji": {"id": None, "name": name},
            "count": count,
            "count_details": {"burst": 0, "normal": count},
            "burst_colors": [],
            "me_burst": False,
            "me": False,
        }

    api.add("GET", f"{MESSAGES}/{MSG}", jsonr(200, message(reactions=[reaction("👍", 7), reaction("🔥", 2)])))
    [metrics] = bot.fetch_post_metrics([MSG])
    assert metrics.likes == 9
    assert metrics.extra == {"👍": 7, "🔥": 2}


def test_discord_server_member_count_matches_openapi_spec(api: Any, bot: DiscordConnector) -> None:
    api.add(
        "GET",
        f"/api/v10/guilds/{GUILD}",
        jsonr(
            200,
            example(
                SPEC,
                "GuildWithCountsResponse",
                id=GUILD,
                name="Tamtam",
                approximate_member_count=812,
                approximate_presence_count=95,
            ),
        ),
    )
    account = bot.fetch_account_metrics()
    assert account.followers == 812
    assert account.extra == {"online": 95}
    assert api.sent("GET", f"/api/v10/guilds/{GUILD}")[0].url.params["with_counts"] == "true"


def test_discord_every_declared_capability_is_implemented_matches_openapi_spec(
    api: Any, bot: DiscordConnector, tmp_path: Path
) -> None:
    api.add("POST", MESSAGES, jsonr(200, message()))
    api.add("DELETE", rf"{MESSAGES}/\d+", httpx.Response(204))
    api.add("GET", MESSAGES, channel_history)
    api.add("GET", f"{MESSAGES}/{MSG}", jsonr(200, message()))
    api.add("PUT", rf"{MESSAGES}/{MSG}/reactions/[^/]+/@me", httpx.Response(204))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00")
    request = PublishRequest
    calls = {
        Capability.PUBLISH: lambda: bot.publish(request(text="a", idempotency_key="k")),
        Capability.THREAD: lambda: bot.publish(
            request(text="a", idempotency_key="k", reply_to_remote_id=MSG)
        ),
        Capability.FIRST_COMMENT: lambda: bot.publish(
            request(text="a", idempotency_key="k", reply_to_remote_id=MSG)
        ),
        Capability.REPLY: lambda: bot.reply(MSG, request(text="a", idempotency_key="k")),
        Capability.VIDEO: lambda: bot.publish(
            request(text="", idempotency_key="k", media=[MediaItem(str(video), "video/mp4", 1)])
        ),
        Capability.DELETE: lambda: bot.delete(MSG),
        Capability.LIST_RECENT: lambda: bot.list_recent(datetime.now(UTC)),
        Capability.FETCH_INBOX: bot.fetch_inbox,
        Capability.FETCH_METRICS: lambda: bot.fetch_post_metrics([MSG]),
        Capability.LIKE: lambda: bot.like(MSG),
    }
    assert set(DiscordConnector.capabilities) == set(calls)
    for capability, call in calls.items():
        try:
            call()
        except Permanent as exc:  # pragma: no cover
            pytest.fail(f"{capability} is declared but raised: {exc}")
