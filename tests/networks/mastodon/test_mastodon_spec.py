"""The Mastodon connector's requests and the response fixtures it parses, validated with openapi-core
against the Mastodon OpenAPI document in ../shared/specs (community-generated from Mastodon's own
documentation): every test here is named `..._matches_openapi_spec`. Skips when ../shared is absent."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from tamtam.networks.base import (
    ChannelContext,
    InboxKind,
    MediaItem,
    NeedsUser,
    Permanent,
    PublishRequest,
    RetryAfter,
)
from tamtam.networks.mastodon import oauth as mastodon_oauth
from tamtam.networks.mastodon.connector import Mastodon
from tamtam.networks.oauth import exchange_code


def _openapi_helper() -> Any:
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
SpecMock, jsonr, load_spec = _oh.SpecMock, _oh.jsonr, _oh.load_spec
SPEC_FILE = "mastodon.openapi.json"
BASE = "https://mastodon.example"
ME = "109302"
NOW = "2026-12-01T10:00:00.000Z"


def account(uid: str = ME, username: str = "brand", followers: int = 12) -> dict[str, Any]:
    return {
        "id": uid,
        "username": username,
        "acct": username,
        "display_name": username.title(),
        "locked": False,
        "bot": False,
        "group": False,
        "indexable": True,
        "created_at": NOW,
        "note": "",
        "url": f"{BASE}/@{username}",
        "uri": f"{BASE}/users/{username}",
        "avatar": f"{BASE}/a.png",
        "avatar_static": f"{BASE}/a.png",
        "header": f"{BASE}/h.png",
        "header_static": f"{BASE}/h.png",
        "followers_count": followers,
        "following_count": 3,
        "statuses_count": 40,
        "emojis": [],
        "fields": [],
    }


def credential_account() -> dict[str, Any]:
    return {
        **account(),
        "source": {
            "privacy": "public",
            "sensitive": False,
            "language": "en",
            "note": "",
            "fields": [],
            "follow_requests_count": 0,
            "indexable": True,
        },
        "role": {"id": "-99", "name": "", "color": "", "permissions": "0", "highlighted": False},
    }


def status(sid: str, text: str = "hello", by: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    who = by or account()
    return {
        "id": sid,
        "uri": f"{BASE}/users/{who['username']}/statuses/{sid}",
        "url": f"{BASE}/@{who['username']}/{sid}",
        "created_at": NOW,
        "account": who,
        "content": f"<p>{text}</p>",
        "visibility": "public",
        "sensitive": False,
        "spoiler_text": "",
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "reblogs_count": 2,
        "favourites_count": 5,
        "replies_count": 1,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        **extra,
    }


def _media_form_schema() -> dict[str, Any]:
    document = _oh.raw_spec(SPEC_FILE)
    body = document["paths"]["/api/v2/media"]["post"]["requestBody"]
    return dict(body["content"]["multipart/form-data"]["schema"])


@pytest.fixture
def api() -> Any:
    mock = SpecMock(load_spec(SPEC_FILE), host_url=BASE)
    mock.add("GET", "/api/v1/accounts/verify_credentials", jsonr(200, credential_account()))
    return mock


def connector(mock: Any, **options: Any) -> Mastodon:
    ctx = ChannelContext(
        channel_id=1,
        handle="@brand",
        credentials={"access_token": "tok"},
        options={"api_base": BASE, "account_id": ME, **options},
    )
    return Mastodon(ctx, transport=httpx.MockTransport(mock))


def test_publish_with_image_alt_text_content_warning_and_idempotency_key_matches_openapi_spec(api, tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    media_answer = jsonr(
        200, {"id": "22348641", "type": "image", "url": f"{BASE}/m/1.png", "description": "A candle"}
    )
    # openapi-core reads a multipart file part as bytes, which OpenAPI 3.1's `type: string` refuses:
    # the parts are checked against the spec's property list here, the answer by openapi-core.
    api.add("POST", "/api/v2/media", media_answer, validate=False)
    api.add("POST", "/api/v1/statuses", jsonr(200, status("103254962155278888", "New candles")))
    conn = connector(api, spoiler_text="Candles", visibility="unlisted", language="en")
    result = conn.publish(
        PublishRequest(
            text="New candles",
            idempotency_key="post-9-step-0",
            link="https://example.org/c",
            media=[MediaItem(path=str(image), content_type="image/png", size=72, alt_text="A candle")],
            reply_to_remote_id="103254962155270000",
        )
    )
    # The spec's oneOf (TextStatus | MediaStatus | PollStatus) cannot tell text-with-media apart: such
    # a body is valid under both TextStatus and MediaStatus. That one ambiguity is accepted, nothing else.
    ambiguous = [e for e in api.errors if "is valid under each of" in e and "MediaStatus" in e]
    api.errors = [e for e in api.errors if e not in ambiguous]
    api.check()
    assert len(ambiguous) == 1
    [upload] = api.sent("POST", "/api/v2/media")
    parts = _oh.parse_multipart(upload)
    schema = _media_form_schema()
    assert set(parts) <= set(schema["properties"])
    assert set(schema["required"]) <= set(parts)
    api.app.validate_response(_oh._Request(upload, BASE), _oh._Response(media_answer))
    assert result.remote_id == "103254962155278888"
    assert result.url == f"{BASE}/@brand/103254962155278888"
    assert parts["description"] == b"A candle"
    assert parts["file"].startswith(b"\x89PNG")
    [post] = api.sent("POST", "/api/v1/statuses")
    assert post.headers["idempotency-key"] == "post-9-step-0"
    body = json.loads(post.content)
    assert body == {
        "status": "New candles\n\nhttps://example.org/c",
        "visibility": "unlisted",
        "spoiler_text": "Candles",
        "sensitive": True,
        "language": "en",
        "in_reply_to_id": "103254962155270000",
        "media_ids": ["22348641"],
    }


def test_refusals_rate_limits_and_revoked_tokens_map_to_the_contract_matches_openapi_spec(api):
    reset = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    api.add(
        "POST",
        "/api/v1/statuses",
        [
            jsonr(422, {"error": "Validation failed: Text character limit of 500 exceeded"}),
            jsonr(
                429,
                {"error": "Too many requests"},
                {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
            ),
            jsonr(401, {"error": "The access token was revoked"}),
        ],
    )
    conn = connector(api)
    with pytest.raises(Permanent) as refused:
        conn.publish(PublishRequest(text="x" * 501, idempotency_key="a"))
    assert refused.value.message == "Mastodon: Validation failed: Text character limit of 500 exceeded"
    with pytest.raises(RetryAfter) as limited:
        conn.publish(PublishRequest(text="x", idempotency_key="b"))
    assert 200 < limited.value.seconds <= 300
    assert conn.last_rate is not None
    assert (conn.last_rate.limit, conn.last_rate.remaining) == (300, 0)
    with pytest.raises(NeedsUser) as revoked:
        conn.publish(PublishRequest(text="x", idempotency_key="c"))
    assert "The access token was revoked" in revoked.value.message
    api.check()


def test_inbox_reads_mentions_comments_and_direct_messages_with_a_cursor_matches_openapi_spec(api):
    fan = account("200", "fan", followers=99)
    comment = status("301", "@brand nice", by=fan, in_reply_to_id="300", in_reply_to_account_id=ME)
    mention = status("302", "look at @brand", by=fan)
    dm = status("303", "@brand a question", by=fan, visibility="direct")

    def note(nid: str, st: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": nid,
            "type": "mention",
            "group_key": f"ungrouped-{nid}",
            "created_at": NOW,
            "account": fan,
            "status": st,
        }

    api.add(
        "GET",
        "/api/v1/notifications",
        jsonr(200, [note("9003", dm), note("9002", mention), note("9001", comment)]),
    )
    api.add(
        "GET", "/api/v1/statuses/301/context", jsonr(200, {"ancestors": [status("300")], "descendants": []})
    )
    api.add(
        "GET",
        "/api/v1/conversations",
        jsonr(200, [{"id": "418450", "unread": True, "accounts": [fan], "last_status": dm}]),
    )
    page = connector(api).fetch_inbox(cursor="9000")
    api.check()
    [call] = api.sent("GET", "/api/v1/notifications")
    assert parse_qs(call.url.query.decode()) == {"types[]": ["mention"], "limit": ["40"], "min_id": ["9000"]}
    assert [i.remote_id for i in page.items] == ["301", "302", "303"]
    first, second, third = page.items
    assert (first.kind, first.parent_remote_id, first.root_remote_id) == (InboxKind.COMMENT, "300", "300")
    assert first.text == "@brand nice"
    assert (first.author.handle, first.author.followers) == ("@fan", 99)
    assert second.kind == InboxKind.MENTION
    assert (third.kind, third.conversation_key) == (InboxKind.DM, "418450")
    assert page.cursor == "9003"


def test_metrics_search_and_recent_posts_matches_openapi_spec(api):
    api.add("GET", r"/api/v1/statuses/\d+", jsonr(200, status("500")))
    api.add(
        "GET",
        "/api/v2/search",
        jsonr(200, {"accounts": [], "hashtags": [], "statuses": [status("501", "candles")]}),
    )
    api.add("GET", "/api/v1/timelines/tag/candles", jsonr(200, [status("502", "#candles")]))
    api.add(
        "GET", f"/api/v1/accounts/{ME}/statuses", [jsonr(200, [status("503"), status("504")]), jsonr(200, [])]
    )
    conn = connector(api)
    [metrics] = conn.fetch_post_metrics(["500"])
    assert (metrics.likes, metrics.shares, metrics.comments) == (5, 2, 1)
    account_metrics = conn.fetch_account_metrics()
    assert (account_metrics.followers, account_metrics.following, account_metrics.posts) == (12, 3, 40)
    words = conn.search("candles")
    assert [p.remote_id for p in words.items] == ["501"]
    assert words.cursor == "1"
    tag = conn.search("#candles")
    assert [p.remote_id for p in tag.items] == ["502"]
    recent = conn.list_recent(datetime(2026, 1, 1, tzinfo=UTC))
    assert [p.remote_id for p in recent] == ["503", "504"]
    api.check()
    [search] = api.sent("GET", "/api/v2/search")
    assert parse_qs(search.url.query.decode())["type"] == ["statuses"]


def test_app_registration_and_code_exchange_matches_openapi_spec():
    mock = SpecMock(load_spec(SPEC_FILE), host_url=BASE)
    mock.add(
        "POST",
        "/api/v1/apps",
        jsonr(
            200,
            {
                "id": "563419",
                "name": "tamtam",
                "website": mastodon_oauth.WEBSITE,
                "scopes": ["read", "write"],
                "redirect_uri": "https://tamtam.example/oauth/callback/mastodon/",
                "redirect_uris": ["https://tamtam.example/oauth/callback/mastodon/"],
                "client_id": "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
                "client_secret": "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw",
                "vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpa",
            },
        ),
    )
    token_answer = jsonr(
        200,
        {
            "access_token": "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0",
            "token_type": "Bearer",
            "scope": "read write",
            "created_at": 1573979017,
        },
    )
    # RFC 6749 §4.1.3 says the token request is form-encoded (Mastodon's Doorkeeper takes it so); the
    # spec lists only a JSON body: the form's fields are checked below, the answer by openapi-core.
    mock.add("POST", "/oauth/token", token_answer, validate=False)
    transport = httpx.MockTransport(mock)
    client_id, secret = mastodon_oauth.register_app(
        BASE, "https://tamtam.example/oauth/callback/mastodon/", ("read", "write"), transport=transport
    )
    assert client_id.startswith("TWhM")
    credentials = exchange_code(
        mastodon_oauth.SPEC,
        code="abc",
        redirect_uri="https://tamtam.example/oauth/callback/mastodon/",
        code_verifier="v" * 64,
        token_url=BASE + mastodon_oauth.SPEC.token_url,
        client=(client_id, secret),
        transport=transport,
    )
    mock.check()
    assert credentials["access_token"].startswith("ZA-")
    assert credentials["expires_at"] == ""  # Mastodon tokens do not expire
    [token] = mock.sent("POST", "/oauth/token")
    mock.app.validate_response(_oh._Request(token, BASE), _oh._Response(token_answer))
    token_body = _oh.raw_spec(SPEC_FILE)["paths"]["/oauth/token"]["post"]["requestBody"]["content"]
    token_fields = token_body["application/json"]["schema"]["properties"]
    assert set(parse_qs(token.content.decode())) <= set(token_fields)
    form = parse_qs(token.content.decode())
    assert form["grant_type"] == ["authorization_code"]
    assert form["code_verifier"] == ["v" * 64]
    assert form["client_secret"] == [secret]
