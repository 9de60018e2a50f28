"""X connector: every request it builds and every response fixture it parses is validated against X's
official OpenAPI document (../shared/specs/x-api-v2.openapi.json) with openapi-core."""

from __future__ import annotations

import base64
import json
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
from tamtam.networks.x.connector import CHUNK_BYTES, XConnector


def _openapi_helper() -> Any:
    import importlib.util
    import sys

    name = "tamtam_tests_openapi_httpx"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("openapi_httpx.py"))
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


_oh = _openapi_helper()
SpecMock, jsonr, load_spec = _oh.SpecMock, _oh.jsonr, _oh.load_spec

ME = "2244994945"
POST_ID = "1445880548472328192"


def user(uid: str = ME, username: str = "TamtamBrand", followers: int = 1234) -> dict[str, Any]:
    return {
        "id": uid,
        "name": "Tamtam Brand",
        "username": username,
        "profile_image_url": "https://pbs.twimg.com/profile_images/1/a_normal.jpg",
        "public_metrics": {
            "followers_count": followers,
            "following_count": 12,
            "post_count": 345,
            "listed_count": 7,
        },
    }


def post(pid: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "text": text,
        "edit_history_post_ids": [pid],
        "created_at": "2026-12-01T10:00:00.000Z",
        **extra,
    }


@pytest.fixture
def api() -> Any:
    mock = SpecMock(load_spec("x-api-v2.openapi.json"))
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=mock)
        yield mock
    mock.check()


@pytest.fixture
def persisted() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def x(persisted: list[dict[str, Any]]) -> XConnector:
    ctx = ChannelContext(
        channel_id=1,
        handle="@TamtamBrand",
        external_id=ME,
        credentials={
            "access_token": "old-access",
            "refresh_token": "refresh-1",
            "scope": "tweet.read dm.read",
        },
        options={"username": "TamtamBrand"},
        persist_credentials=persisted.append,
    )
    connector = XConnector(ctx)
    connector.sleep = lambda _s: None  # type: ignore[method-assign]
    return connector


def created(text: str = "Hello", pid: str = POST_ID, headers: dict[str, str] | None = None) -> httpx.Response:
    return jsonr(201, {"data": {"id": pid, "text": text, "edit_history_post_ids": [pid]}}, headers)


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def test_x_is_registered() -> None:
    assert registry.get("x") is XConnector


def test_x_publish_text_with_link_matches_openapi_spec(api: Any, x: XConnector) -> None:
    api.add("POST", "/2/tweets", created())
    result = x.publish(
        PublishRequest(text="Nouvelle collection", idempotency_key="k1", link="https://ex.com/a")
    )
    assert result.remote_id == POST_ID
    assert result.url == f"https://x.com/TamtamBrand/status/{POST_ID}"
    assert body(api.sent("POST", "/2/tweets")[0]) == {"text": "Nouvelle collection\nhttps://ex.com/a"}
    assert api.sent("POST", "/2/tweets")[0].headers["authorization"] == "Bearer old-access"


def test_x_publish_images_with_alt_text_matches_openapi_spec(api: Any, x: XConnector, tmp_path: Path) -> None:
    ids = iter(["1146654567674912769", "1146654567674912770"])
    api.add(
        "POST",
        "/2/media/upload",
        lambda _r: jsonr(
            200,
            {"data": {"id": (i := next(ids)), "media_key": f"3_{i}", "size": 4, "expires_after_secs": 86400}},
        ),
    )
    api.add("POST", "/2/media/metadata", lambda r: jsonr(200, {"data": {"id": body(r)["id"]}}))
    api.add("POST", "/2/tweets", created())
    media = []
    for n, alt in enumerate(["Une vue du port", ""]):
        path = tmp_path / f"p{n}.png"
        path.write_bytes(b"\x89PNG....")
        media.append(MediaItem(path=str(path), content_type="image/png", size=8, alt_text=alt))
    x.publish(PublishRequest(text="Deux photos", idempotency_key="k2", media=media))
    uploads = api.sent("POST", "/2/media/upload")
    assert len(uploads) == 2
    assert b'name="media_category"\r\n\r\ntweet_image' in uploads[0].content
    meta = api.sent("POST", "/2/media/metadata")
    assert [body(m) for m in meta] == [
        {"id": "1146654567674912769", "metadata": {"alt_text": {"text": "Une vue du port"}}}
    ]
    assert body(api.sent("POST", "/2/tweets")[0])["media"] == {
        "media_ids": ["1146654567674912769", "1146654567674912770"]
    }


def test_x_publish_video_in_chunks_waits_for_processing_matches_openapi_spec(
    api: Any, x: XConnector, tmp_path: Path
) -> None:
    mid = "1880028106020515840"
    api.add(
        "POST",
        "/2/media/upload/initialize",
        jsonr(200, {"data": {"id": mid, "media_key": f"7_{mid}", "expires_after_secs": 86400}}),
    )
    api.add("POST", f"/2/media/upload/{mid}/append", jsonr(200, {"data": {"expires_at": 1767225600}}))
    api.add(
        "POST",
        f"/2/media/upload/{mid}/finalize",
        jsonr(
            200,
            {
                "data": {
                    "id": mid,
                    "media_key": f"7_{mid}",
                    "size": 9,
                    "processing_info": {"state": "pending", "check_after_secs": 1},
                }
            },
        ),
    )
    api.add(
        "GET",
        "/2/media/upload",
        [
            jsonr(
                200,
                {
                    "data": {
                        "id": mid,
                        "processing_info": {
                            "state": "in_progress",
                            "check_after_secs": 2,
                            "progress_percent": 40,
                        },
                    }
                },
            ),
            jsonr(
                200, {"data": {"id": mid, "processing_info": {"state": "succeeded", "progress_percent": 100}}}
            ),
        ],
    )
    api.add("POST", "/2/tweets", created())
    video = tmp_path / "v.mp4"
    content = b"\x00" * (CHUNK_BYTES + 10)
    video.write_bytes(content)
    x.publish(
        PublishRequest(
            text="Vidéo", idempotency_key="k3", media=[MediaItem(str(video), "video/mp4", len(content))]
        )
    )
    assert body(api.sent("POST", "/2/media/upload/initialize")[0]) == {
        "media_type": "video/mp4",
        "total_bytes": len(content),
        "media_category": "tweet_video",
    }
    appends = [body(r) for r in api.sent("POST", f"/2/media/upload/{mid}/append")]
    assert [a["segment_index"] for a in appends] == [0, 1]
    assert b"".join(base64.b64decode(a["media"]) for a in appends) == content
    assert len(api.sent("GET", "/2/media/upload")) == 2
    assert body(api.sent("POST", "/2/tweets")[0])["media"] == {"media_ids": [mid]}


def test_x_failed_video_processing_is_permanent_matches_openapi_spec(
    api: Any, x: XConnector, tmp_path: Path
) -> None:
    mid = "1880028106020515841"
    api.add("POST", "/2/media/upload/initialize", jsonr(200, {"data": {"id": mid}}))
    api.add("POST", f"/2/media/upload/{mid}/append", jsonr(200, {"data": {}}))
    api.add(
        "POST",
        f"/2/media/upload/{mid}/finalize",
        jsonr(200, {"data": {"id": mid, "processing_info": {"state": "failed"}}}),
    )
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00" * 10)
    with pytest.raises(Permanent, match="X: the media could not be processed"):
        x.publish(
            PublishRequest(text="v", idempotency_key="k", media=[MediaItem(str(video), "video/mp4", 10)])
        )
    assert not api.sent("POST", "/2/tweets")


def test_x_thread_step_replies_to_the_previous_post_matches_openapi_spec(api: Any, x: XConnector) -> None:
    api.add("POST", "/2/tweets", created("2/2", pid="1445880548472328193"))
    result = x.publish(PublishRequest(text="2/2", idempotency_key="k4", reply_to_remote_id=POST_ID))
    assert result.remote_id == "1445880548472328193"
    assert body(api.sent("POST", "/2/tweets")[0]) == {
        "text": "2/2",
        "reply": {"in_reply_to_tweet_id": POST_ID},
    }


def test_x_delete_and_already_deleted_matches_openapi_spec(api: Any, x: XConnector) -> None:
    api.add("DELETE", f"/2/tweets/{POST_ID}", jsonr(200, {"data": {"deleted": True}}))
    x.delete(POST_ID)
    gone = "1445880548472328199"
    api.add(
        "DELETE",
        f"/2/tweets/{gone}",
        jsonr(
            404,
            {
                "title": "Not Found Error",
                "detail": "Could not find tweet.",
                "type": "https://api.x.com/2/problems/resource-not-found",
                "resource_type": "tweet",
                "resource_id": gone,
            },
            problem=True,
        ),
    )
    x.delete(gone)  # already gone: nothing to do


def test_x_429_on_the_daily_user_cap_waits_for_the_daily_reset_matches_openapi_spec(
    api: Any, x: XConnector
) -> None:
    now = int(time.time())
    api.add(
        "POST",
        "/2/tweets",
        jsonr(
            429,
            {
                "code": 429,
                "message": "Too Many Requests",
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
            },
            {
                "x-rate-limit-limit": "100",
                "x-rate-limit-remaining": "99",
                "x-rate-limit-reset": str(now + 900),
                "x-user-limit-24hour-limit": "17",
                "x-user-limit-24hour-remaining": "0",
                "x-user-limit-24hour-reset": str(now + 3 * 3600),
            },
        ),
    )
    with pytest.raises(RetryAfter) as caught:
        x.publish(PublishRequest(text="trop", idempotency_key="k"))
    assert 3 * 3600 - 5 <= caught.value.seconds <= 3 * 3600
    assert caught.value.message == "X: Too Many Requests"
    assert x.last_rate is not None
    assert x.last_rate.limit == 17
    assert x.last_rate.remaining == 0


def test_x_rate_headers_are_parsed_into_last_rate_matches_openapi_spec(api: Any, x: XConnector) -> None:
    reset = int(time.time()) + 600
    api.add(
        "POST",
        "/2/tweets",
        created(
            headers={
                "x-rate-limit-limit": "100",
                "x-rate-limit-remaining": "42",
                "x-rate-limit-reset": str(reset),
                "x-user-limit-24hour-limit": "17",
                "x-user-limit-24hour-remaining": "16",
                "x-user-limit-24hour-reset": str(reset + 80000),
            }
        ),
    )
    x.publish(PublishRequest(text="Hello", idempotency_key="k"))
    assert x.last_rate is not None
    assert (x.last_rate.limit, x.last_rate.remaining) == (17, 16)  # the daily cap is the nearer limit
    assert x.last_rate.reset_at == datetime.fromtimestamp(reset + 80000, UTC)


def test_x_401_refreshes_once_then_the_retry_succeeds_matches_openapi_spec(
    api: Any, x: XConnector, persisted: list[dict[str, Any]]
) -> None:
    api.add(
        "POST",
        "/2/tweets",
        [
            jsonr(
                401,
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                    "code": 401,
                    "message": "Unauthorized",
                },
            ),
            created(),
        ],
    )
    api.add(
        "POST",
        "/2/oauth2/token",
        jsonr(
            200,
            {
                "token_type": "bearer",
                "expires_in": 7200,
                "access_token": "new-access",
                "scope": "tweet.read tweet.write",
                "refresh_token": "refresh-2",
            },
        ),
        validate=False,  # the token endpoint is OAuth 2, outside the API's OpenAPI document
    )
    x.publish(PublishRequest(text="Hello", idempotency_key="k"))
    token_call = api.sent("POST", "/2/oauth2/token")[0]
    assert b"grant_type=refresh_token" in token_call.content
    assert b"refresh_token=refresh-1" in token_call.content
    retry = api.sent("POST", "/2/tweets")[1]
    assert retry.headers["authorization"] == "Bearer new-access"
    assert persisted[-1]["access_token"] == "new-access"
    assert persisted[-1]["refresh_token"] == "refresh-2"


def test_x_refused_refresh_needs_the_user_with_xs_words(api: Any, x: XConnector) -> None:
    api.add(
        "POST",
        "/2/tweets",
        jsonr(
            401, {"code": 401, "message": "Unauthorized", "title": "Unauthorized", "detail": "Unauthorized"}
        ),
    )
    api.add(
        "POST",
        "/2/oauth2/token",
        jsonr(
            400, {"error": "invalid_request", "error_description": "Value passed for the token was invalid."}
        ),
        validate=False,
    )
    with pytest.raises(NeedsUser, match="Value passed for the token was invalid"):
        x.publish(PublishRequest(text="Hello", idempotency_key="k"))
    assert len(api.sent("POST", "/2/tweets")) == 1


def test_x_5xx_is_retried_later_matches_openapi_spec(api: Any, x: XConnector) -> None:
    api.add(
        "POST",
        "/2/tweets",
        jsonr(503, {"code": 503, "message": "Service Unavailable"}, {"retry-after": "17"}),
    )
    with pytest.raises(RetryAfter) as caught:
        x.publish(PublishRequest(text="Hello", idempotency_key="k"))
    assert caught.value.seconds == 17


def test_x_400_is_permanent_with_xs_own_words_matches_openapi_spec(api: Any, x: XConnector) -> None:
    api.add(
        "POST",
        "/2/tweets",
        jsonr(
            400,
            {
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.x.com/2/problems/invalid-request",
                "errors": [{"parameters": {"text": ["x" * 300]}, "message": "Your Tweet text is too long."}],
            },
            problem=True,
        ),
    )
    with pytest.raises(Permanent) as caught:
        x.publish(PublishRequest(text="x" * 300, idempotency_key="k"))
    assert caught.value.message == (
        "X: One or more parameters to your request was invalid. Your Tweet text is too long."
    )


def test_x_duplicate_content_is_permanent_not_a_reconnect_matches_openapi_spec(
    api: Any, x: XConnector
) -> None:
    api.add(
        "POST",
        "/2/tweets",
        jsonr(
            403,
            {
                "code": 403,
                "message": "Forbidden",
                "title": "Forbidden",
                "detail": "You are not allowed to create a Tweet with duplicate content.",
            },
        ),
    )
    with pytest.raises(Permanent, match="duplicate content"):
        x.publish(PublishRequest(text="Hello", idempotency_key="k"))


def test_x_read_timeout_on_post_is_ambiguous(api: Any, x: XConnector) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    api.add("POST", "/2/tweets", timeout)
    with pytest.raises(Ambiguous, match="the post may exist"):
        x.publish(PublishRequest(text="Hello", idempotency_key="k"))


def test_x_identify_reads_the_account_matches_openapi_spec(api: Any) -> None:
    api.add("GET", "/2/users/me", jsonr(200, {"data": user()}))
    identity = XConnector.identify({"access_token": "fresh"}, {})
    assert (identity.external_id, identity.handle, identity.name) == (ME, "@TamtamBrand", "Tamtam Brand")
    assert identity.options == {"username": "TamtamBrand", "user_id": ME}
    assert api.sent("GET", "/2/users/me")[0].headers["authorization"] == "Bearer fresh"


def test_x_identify_with_a_refused_token_needs_the_user(api: Any) -> None:
    api.add(
        "GET",
        "/2/users/me",
        jsonr(
            401, {"code": 401, "message": "Unauthorized", "title": "Unauthorized", "detail": "Unauthorized"}
        ),
    )
    with pytest.raises(NeedsUser, match="X: Unauthorized"):
        XConnector.identify({"access_token": "bad"}, {})


def test_x_list_recent_reads_the_users_timeline_matches_openapi_spec(api: Any, x: XConnector) -> None:
    api.add(
        "GET",
        f"/2/users/{ME}/tweets",
        jsonr(
            200,
            {
                "data": [post(POST_ID, "Hello")],
                "meta": {"result_count": 1, "newest_id": POST_ID, "oldest_id": POST_ID},
            },
        ),
    )
    posts = x.list_recent(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), limit=3)
    assert [(p.remote_id, p.text) for p in posts] == [(POST_ID, "Hello")]
    assert posts[0].created_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    params = api.sent("GET", f"/2/users/{ME}/tweets")[0].url.params
    assert params["start_time"] == "2026-12-01T09:00:00Z"
    assert params["max_results"] == "5"


def mentions_page(request: httpx.Request) -> httpx.Response:
    if request.url.params.get("since_id") == "1600000000000000002":
        return jsonr(200, {"meta": {"result_count": 0}})
    return jsonr(
        200,
        {
            "data": [
                post(
                    "1600000000000000002",
                    "@TamtamBrand super !",
                    author_id="111",
                    conversation_id=POST_ID,
                    in_reply_to_user_id=ME,
                    referenced_tweets=[{"type": "replied_to", "id": POST_ID}],
                ),
                post(
                    "1600000000000000001",
                    "Vu chez @TamtamBrand",
                    author_id="222",
                    conversation_id="1600000000000000001",
                ),
            ],
            "includes": {"users": [user("111", "alice", 50), user("222", "bob", 9000)]},
            "meta": {
                "result_count": 2,
                "newest_id": "1600000000000000002",
                "oldest_id": "1600000000000000001",
            },
        },
    )


def dm_page(request: httpx.Request) -> httpx.Response:
    return jsonr(
        200,
        {
            "data": [
                {
                    "id": "1700000000000000003",
                    "event_type": "MessageCreate",
                    "text": "Merci",
                    "sender_id": ME,
                    "dm_conversation_id": f"111-{ME}",
                    "created_at": "2026-12-01T11:00:00.000Z",
                },
                {
                    "id": "1700000000000000002",
                    "event_type": "MessageCreate",
                    "text": "Une question ?",
                    "sender_id": "111",
                    "dm_conversation_id": f"111-{ME}",
                    "created_at": "2026-12-01T10:30:00.000Z",
                },
            ],
            "includes": {"users": [user("111", "alice", 50)]},
            "meta": {"result_count": 2},
        },
    )


def test_x_inbox_mentions_and_dms_with_a_cursor_matches_openapi_spec(api: Any, x: XConnector) -> None:
    api.add("GET", f"/2/users/{ME}/mentions", mentions_page)
    api.add("GET", "/2/dm_events", dm_page)
    page = x.fetch_inbox()
    kinds = [(i.remote_id, i.kind) for i in page.items]
    assert kinds == [
        ("1600000000000000002", InboxKind.COMMENT),
        ("1600000000000000001", InboxKind.MENTION),
        ("1700000000000000002", InboxKind.DM),
    ]
    reply = page.items[0]
    assert (reply.parent_remote_id, reply.root_remote_id, reply.author.handle, reply.author.followers) == (
        POST_ID,
        POST_ID,
        "@alice",
        50,
    )
    assert page.items[2].conversation_key == f"111-{ME}"
    again = x.fetch_inbox(page.cursor)
    assert again.items == []
    assert api.sent("GET", f"/2/users/{ME}/mentions")[1].url.params["since_id"] == "1600000000000000002"


def test_x_dm_reply_goes_to_the_conversation_matches_openapi_spec(api: Any, x: XConnector) -> None:
    api.add(
        "POST",
        r"/2/dm_conversations/[^/]+/messages",
        jsonr(201, {"data": {"dm_conversation_id": f"111-{ME}", "dm_event_id": "1700000000000000009"}}),
    )
    result = x.reply(f"dm:111-{ME}", PublishRequest(text="Bonjour", idempotency_key="r"))
    assert result.remote_id == "1700000000000000009"


def test_x_metrics_of_posts_and_account_matches_openapi_spec(api: Any, x: XConnector) -> None:
    api.add(
        "GET",
        "/2/tweets",
        jsonr(
            200,
            {
                "data": [
                    post(
                        POST_ID,
                        "Hello",
                        public_metrics={
                            "repost_count": 3,
                            "reply_count": 4,
                            "like_count": 50,
                            "quote_count": 1,
                            "bookmark_count": 2,
                            "impression_count": 900,
                        },
                        non_public_metrics={
                            "impression_count": 1000,
                            "url_link_clicks": 12,
                            "user_profile_clicks": 5,
                        },
                    )
                ]
            },
        ),
    )
    api.add("GET", "/2/users/me", jsonr(200, {"data": user()}))
    [m] = x.fetch_post_metrics([POST_ID])
    assert (m.impressions, m.likes, m.comments, m.shares, m.saves, m.clicks) == (1000, 50, 4, 3, 2, 12)
    assert m.extra == {"quotes": 1, "profile_clicks": 5}
    account = x.fetch_account_metrics()
    assert (account.followers, account.following, account.posts) == (1234, 12, 345)


def test_x_search_recent_pages_with_next_token_matches_openapi_spec(api: Any, x: XConnector) -> None:
    def search(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("next_token") == "b26v89c19zqg8o3fpzbkk":
            return jsonr(
                200,
                {
                    "data": [post("3", "tamtam encore", author_id="222")],
                    "includes": {"users": [user("222", "bob")]},
                    "meta": {"result_count": 1},
                },
            )
        return jsonr(
            200,
            {
                "data": [
                    post(
                        "2",
                        "j'adore tamtam",
                        author_id="111",
                        lang="fr",
                        public_metrics={
                            "repost_count": 1,
                            "reply_count": 0,
                            "like_count": 5,
                            "quote_count": 0,
                            "bookmark_count": 0,
                            "impression_count": 10,
                        },
                    )
                ],
                "includes": {"users": [user("111", "alice")]},
                "meta": {
                    "result_count": 1,
                    "newest_id": "2",
                    "oldest_id": "2",
                    "next_token": "b26v89c19zqg8o3fpzbkk",
                },
            },
        )

    api.add("GET", "/2/tweets/search/recent", search)
    first = x.search("tamtam lang:fr")
    assert [(p.remote_id, p.lang, p.likes, p.author.handle) for p in first.items] == [
        ("2", "fr", 5, "@alice")
    ]
    assert first.has_more
    assert first.cursor == "b26v89c19zqg8o3fpzbkk"
    second = x.search("tamtam lang:fr", first.cursor)
    assert [p.remote_id for p in second.items] == ["3"]
    assert not second.has_more


def test_x_like_and_hide_matches_openapi_spec(api: Any, x: XConnector) -> None:
    api.add("POST", f"/2/users/{ME}/likes", jsonr(200, {"data": {"liked": True}}))
    api.add("PUT", r"/2/tweets/\d+/hidden", jsonr(200, {"data": {"hidden": True}}))
    x.like("1600000000000000001")
    x.hide("1600000000000000002")
    assert body(api.sent("POST", f"/2/users/{ME}/likes")[0]) == {"tweet_id": "1600000000000000001"}
    assert body(api.sent("PUT", r"/2/tweets/\d+/hidden")[0]) == {"hidden": True}


def test_x_revoke_posts_the_token_to_xs_revoke_endpoint(api: Any, x: XConnector) -> None:
    api.add("POST", "/2/oauth2/revoke", jsonr(200, {"revoked": True}), validate=False)
    x.revoke()
    assert b"token=refresh-1" in api.sent("POST", "/2/oauth2/revoke")[0].content


def test_x_every_declared_capability_is_implemented_matches_openapi_spec(
    api: Any, x: XConnector, tmp_path: Path
) -> None:
    api.add("POST", "/2/tweets", created())
    api.add("DELETE", r"/2/tweets/\d+", jsonr(200, {"data": {"deleted": True}}))
    api.add("GET", f"/2/users/{ME}/tweets", jsonr(200, {"meta": {"result_count": 0}}))
    api.add("GET", f"/2/users/{ME}/mentions", mentions_page)
    api.add("GET", "/2/dm_events", dm_page)
    api.add("GET", "/2/tweets", jsonr(200, {"data": [post(POST_ID, "Hello")]}))
    api.add("GET", "/2/tweets/search/recent", jsonr(200, {"meta": {"result_count": 0}}))
    api.add("POST", f"/2/users/{ME}/likes", jsonr(200, {"data": {"liked": True}}))
    api.add("PUT", r"/2/tweets/\d+/hidden", jsonr(200, {"data": {"hidden": True}}))
    api.add("POST", "/2/oauth2/revoke", jsonr(200, {}), validate=False)
    mid = "1880028106020515840"
    api.add("POST", "/2/media/upload/initialize", jsonr(200, {"data": {"id": mid}}))
    api.add("POST", f"/2/media/upload/{mid}/append", jsonr(200, {"data": {}}))
    api.add("POST", f"/2/media/upload/{mid}/finalize", jsonr(200, {"data": {"id": mid}}))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00")
    calls = {
        Capability.PUBLISH: lambda: x.publish(PublishRequest(text="a", idempotency_key="k")),
        Capability.THREAD: lambda: x.publish(
            PublishRequest(text="a", idempotency_key="k", reply_to_remote_id=POST_ID)
        ),
        Capability.FIRST_COMMENT: lambda: x.publish(
            PublishRequest(text="a", idempotency_key="k", reply_to_remote_id=POST_ID)
        ),
        Capability.REPLY: lambda: x.reply(POST_ID, PublishRequest(text="a", idempotency_key="k")),
        Capability.VIDEO: lambda: x.publish(
            PublishRequest(text="a", idempotency_key="k", media=[MediaItem(str(video), "video/mp4", 1)])
        ),
        Capability.DELETE: lambda: x.delete(POST_ID),
        Capability.LIST_RECENT: lambda: x.list_recent(datetime.now(UTC)),
        Capability.FETCH_INBOX: x.fetch_inbox,
        Capability.DIRECT_MESSAGES: lambda: (
            [i for i in x.fetch_inbox().items if i.kind == InboxKind.DM] or 1 / 0
        ),
        Capability.FETCH_METRICS: lambda: x.fetch_post_metrics([POST_ID]),
        Capability.SEARCH: lambda: x.search("q"),
        Capability.LIKE: lambda: x.like(POST_ID),
        Capability.HIDE: lambda: x.hide(POST_ID),
        Capability.REVOKE: x.revoke,
    }
    assert set(XConnector.capabilities) == set(calls)
    for capability, call in calls.items():
        try:
            call()
        except Permanent as exc:  # pragma: no cover - the failure message says which
            pytest.fail(f"{capability} is declared but raised: {exc}")
