"""Reddit connector against respx fixtures shaped like Reddit's documented and recorded answers
(Listings of Things, `{"json": {"errors": [...], "data": ...}}` submit answers, x-ratelimit headers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

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
from tamtam.networks.reddit.connector import RedditConnector, split_title

API = "https://oauth.reddit.com"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
RATE = {"x-ratelimit-remaining": "598.0", "x-ratelimit-used": "2", "x-ratelimit-reset": "420"}


def listing(
    *things: tuple[str, dict[str, Any]], after: str | None = None, before: str | None = None
) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "before": before,
            "dist": len(things),
            "modhash": None,
            "geo_filter": "",
            "children": [{"kind": kind, "data": data} for kind, data in things],
        },
    }


def link(pid: str, title: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    return "t3", {
        "id": pid,
        "name": f"t3_{pid}",
        "title": title,
        "selftext": "",
        "author": "tamtam_brand",
        "subreddit": "tamtam",
        "permalink": f"/r/tamtam/comments/{pid}/slug/",
        "created_utc": 1796205600.0,
        "score": 1,
        "upvote_ratio": 1.0,
        "num_comments": 0,
        "num_crossposts": 0,
        **extra,
    }


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


@pytest.fixture
def api() -> Any:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def persisted() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def rd(persisted: list[dict[str, Any]]) -> RedditConnector:
    return RedditConnector(
        ChannelContext(
            channel_id=1,
            handle="u/tamtam_brand",
            external_id="t2_abc12",
            credentials={"access_token": "old", "refresh_token": "rt-1"},
            options={"username": "tamtam_brand", "subreddit": "r/tamtam"},
            persist_credentials=persisted.append,
        )
    )


def submitted(pid: str = "1h2k3l4", extra: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "json": {
                "errors": [],
                "data": {
                    "url": f"https://www.reddit.com/r/tamtam/comments/{pid}/slug/",
                    "drafts_count": 0,
                    "id": pid,
                    "name": f"t3_{pid}",
                    **(extra or {}),
                },
            }
        },
        headers=RATE,
    )


def test_reddit_is_registered() -> None:
    assert registry.get("reddit") is RedditConnector


def test_reddit_title_is_the_first_line_cut_on_a_word() -> None:
    assert split_title("Titre\nLe corps\ndu texte") == ("Titre", "Le corps\ndu texte")
    long = "mot " * 100
    title, body = split_title(long)
    assert len(title) <= 300
    assert title.endswith("…")
    assert body == long.strip()  # nothing lost: the body keeps the whole line


def test_reddit_self_post_with_a_descriptive_user_agent_recorded_shape(api: Any, rd: RedditConnector) -> None:
    route = api.post(f"{API}/api/submit").mock(return_value=submitted())
    result = rd.publish(PublishRequest(text="Nouvelle collection\nDécouvrez-la.", idempotency_key="k"))
    assert result.remote_id == "t3_1h2k3l4"
    assert result.url == "https://www.reddit.com/r/tamtam/comments/1h2k3l4/slug/"
    sent = route.calls[0].request
    assert form(sent) == {
        "sr": "tamtam",
        "title": "Nouvelle collection",
        "resubmit": "true",
        "sendreplies": "true",
        "kind": "self",
        "text": "Découvrez-la.",
        "api_type": "json",
    }
    assert sent.headers["user-agent"].startswith("python:tamtam:0.1 (")
    assert "by /u/tamtam_brand" in sent.headers["user-agent"]
    assert sent.headers["authorization"] == "Bearer old"


def test_reddit_link_post_and_link_with_body_recorded_shape(api: Any, rd: RedditConnector) -> None:
    route = api.post(f"{API}/api/submit").mock(return_value=submitted())
    rd.publish(PublishRequest(text="Notre article", idempotency_key="k", link="https://ex.com/a"))
    assert form(route.calls[0].request)["kind"] == "link"
    assert form(route.calls[0].request)["url"] == "https://ex.com/a"
    rd.publish(PublishRequest(text="Notre article\nÀ lire.", idempotency_key="k", link="https://ex.com/a"))
    second = form(route.calls[1].request)
    assert second["kind"] == "self"
    assert second["text"] == "À lire.\n\nhttps://ex.com/a"


def lease(name: str, key: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "args": {
                "action": "//reddit-uploaded-media.s3-accelerate.amazonaws.com",
                "fields": [
                    {"name": "acl", "value": "private"},
                    {"name": "key", "value": key},
                    {"name": "X-Amz-Credential", "value": "AKIA/20261201/us-west-2/s3/aws4_request"},
                    {"name": "policy", "value": "eyJ..."},
                    {"name": "Content-Type", "value": "image/png"},
                ],
            },
            "asset": {
                "asset_id": name,
                "processing_state": "incomplete",
                "payload": {"filepath": "p.png"},
                "websocket_url": f"wss://ws-0a.wss.redditmedia.com/rte_images/{name}?m=AQAA",
            },
        },
    )


S3 = "https://reddit-uploaded-media.s3-accelerate.amazonaws.com"
S3_OK = httpx.Response(
    201,
    text="<PostResponse><Location>https://reddit-uploaded-media.s3-accelerate.amazonaws.com/x</Location></PostResponse>",
)


def test_reddit_image_post_uploads_through_the_lease_then_reads_the_post_back_recorded_shape(
    api: Any, rd: RedditConnector, tmp_path: Path
) -> None:
    image = tmp_path / "p.png"
    image.write_bytes(b"\x89PNG")
    api.post(f"{API}/api/media/asset.json").mock(return_value=lease("abc123", "rte_images/abc123"))
    s3 = api.post(S3).mock(return_value=S3_OK)
    submit = api.post(f"{API}/api/submit").mock(
        return_value=httpx.Response(
            200,
            json={
                "json": {
                    "errors": [],
                    "data": {
                        "user_submitted_page": "https://www.reddit.com/user/tamtam_brand/submitted/",
                        "websocket_url": "wss://ws-078adc7cb2099a9df.wss.redditmedia.com/rte_images/abc123?m=AQAA",
                    },
                }
            },
        )
    )
    api.get(f"{API}/user/tamtam_brand/submitted").mock(
        return_value=httpx.Response(200, json=listing(link("9z8y", "Le port")))
    )
    result = rd.publish(
        PublishRequest(
            text="Le port", idempotency_key="k", media=[MediaItem(str(image), "image/png", 4, "alt")]
        )
    )
    assert result.remote_id == "t3_9z8y"
    assert "authorization" not in s3.calls[0].request.headers  # the S3 form is its own credential
    assert b'name="key"\r\n\r\nrte_images/abc123' in s3.calls[0].request.content
    assert form(submit.calls[0].request)["url"] == f"{S3}/rte_images/abc123"
    assert form(submit.calls[0].request)["kind"] == "image"


def test_reddit_several_images_make_a_gallery_recorded_shape(
    api: Any, rd: RedditConnector, tmp_path: Path
) -> None:
    media = []
    for n in range(2):
        image = tmp_path / f"p{n}.png"
        image.write_bytes(b"\x89PNG")
        media.append(MediaItem(str(image), "image/png", 4))
    api.post(f"{API}/api/media/asset.json").mock(
        side_effect=[lease("a1", "rte_images/a1"), lease("a2", "rte_images/a2")]
    )
    api.post(S3).mock(return_value=S3_OK)
    gallery = api.post(f"{API}/api/submit_gallery_post.json").mock(
        return_value=httpx.Response(
            200,
            json={
                "json": {
                    "errors": [],
                    "data": {"url": "https://www.reddit.com/gallery/1abcd", "id": "t3_1abcd"},
                }
            },
        )
    )
    result = rd.publish(PublishRequest(text="Deux vues\nDu port.", idempotency_key="k", media=media))
    assert result.remote_id == "t3_1abcd"
    payload = json.loads(gallery.calls[0].request.content)
    assert [i["media_id"] for i in payload["items"]] == ["a1", "a2"]
    assert (payload["sr"], payload["title"], payload["text"]) == ("tamtam", "Deux vues", "Du port.")


def test_reddit_first_comment_and_delete_recorded_shape(api: Any, rd: RedditConnector) -> None:
    route = api.post(f"{API}/api/comment").mock(
        return_value=httpx.Response(
            200,
            json={
                "json": {
                    "errors": [],
                    "data": {
                        "things": [
                            {
                                "kind": "t1",
                                "data": {
                                    "id": "kx1",
                                    "name": "t1_kx1",
                                    "parent_id": "t3_1h2k3l4",
                                    "body": "Lien en commentaire",
                                    "permalink": "/r/tamtam/comments/1h2k3l4/slug/kx1/",
                                    "link_id": "t3_1h2k3l4",
                                },
                            }
                        ],
                    },
                }
            },
        )
    )
    result = rd.publish(
        PublishRequest(text="Lien en commentaire", idempotency_key="k", reply_to_remote_id="t3_1h2k3l4")
    )
    assert result.remote_id == "t1_kx1"
    assert form(route.calls[0].request) == {
        "thing_id": "t3_1h2k3l4",
        "text": "Lien en commentaire",
        "api_type": "json",
    }
    deleted = api.post(f"{API}/api/del").mock(return_value=httpx.Response(200, json={}))
    rd.delete("t3_1h2k3l4")
    assert form(deleted.calls[0].request) == {"id": "t3_1h2k3l4"}


def test_reddit_submit_errors_in_a_200_are_permanent_with_reddits_words_recorded_shape(
    api: Any, rd: RedditConnector
) -> None:
    api.post(f"{API}/api/submit").mock(
        return_value=httpx.Response(
            200, json={"json": {"errors": [["SUBREDDIT_NOEXIST", "that subreddit doesn't exist", "sr"]]}}
        )
    )
    with pytest.raises(Permanent) as caught:
        rd.publish(PublishRequest(text="a", idempotency_key="k"))
    assert caught.value.message == "Reddit: that subreddit doesn't exist (sr)"


def test_reddit_ratelimit_error_waits_the_minutes_reddit_says_recorded_shape(
    api: Any, rd: RedditConnector
) -> None:
    api.post(f"{API}/api/submit").mock(
        return_value=httpx.Response(
            200,
            json={
                "json": {
                    "errors": [
                        [
                            "RATELIMIT",
                            "Looks like you've been doing that a lot. "
                            "Take a break for 9 minutes before trying again.",
                            "ratelimit",
                        ]
                    ]
                }
            },
        )
    )
    with pytest.raises(RetryAfter) as caught:
        rd.publish(PublishRequest(text="a", idempotency_key="k"))
    assert caught.value.seconds == 540


def test_reddit_429_uses_the_reset_header_recorded_shape(api: Any, rd: RedditConnector) -> None:
    api.post(f"{API}/api/submit").mock(
        return_value=httpx.Response(
            429,
            json={"message": "Too Many Requests", "error": 429},
            headers={"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "600", "x-ratelimit-reset": "37"},
        )
    )
    with pytest.raises(RetryAfter) as caught:
        rd.publish(PublishRequest(text="a", idempotency_key="k"))
    assert 35 <= caught.value.seconds <= 37
    assert caught.value.message == "Reddit: Too Many Requests"


def test_reddit_rate_headers_are_parsed_into_last_rate_recorded_shape(api: Any, rd: RedditConnector) -> None:
    api.post(f"{API}/api/submit").mock(return_value=submitted())
    rd.publish(PublishRequest(text="a", idempotency_key="k"))
    assert rd.last_rate is not None
    assert (rd.last_rate.limit, rd.last_rate.remaining) == (600, 598)
    assert rd.last_rate.reset_at is not None


def test_reddit_401_refreshes_with_basic_auth_then_succeeds_recorded_shape(
    api: Any, rd: RedditConnector, persisted: list[dict[str, Any]], monkeypatch: Any
) -> None:
    monkeypatch.setenv("TAMTAM_REDDIT_CLIENT_ID", "cid")
    monkeypatch.setenv("TAMTAM_REDDIT_CLIENT_SECRET", "csecret")
    route = api.post(f"{API}/api/submit").mock(
        side_effect=[
            httpx.Response(401, json={"message": "Unauthorized", "error": 401}),
            submitted(),
        ]
    )
    token = api.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            200,
            json={
                "access_token": "new",
                "token_type": "bearer",
                "expires_in": 86400,
                "scope": "submit identity",
            },
        )
    )
    rd.publish(PublishRequest(text="a", idempotency_key="k"))
    assert token.calls[0].request.headers["authorization"].startswith("Basic ")
    assert form(token.calls[0].request) == {"grant_type": "refresh_token", "refresh_token": "rt-1"}
    assert route.calls[1].request.headers["authorization"] == "Bearer new"
    assert persisted[-1]["refresh_token"] == "rt-1"  # Reddit does not send a new one: ours is kept


def test_reddit_refused_refresh_needs_the_user_recorded_shape(api: Any, rd: RedditConnector) -> None:
    api.post(f"{API}/api/submit").mock(
        return_value=httpx.Response(401, json={"message": "Unauthorized", "error": 401})
    )
    api.post(TOKEN_URL).mock(return_value=httpx.Response(400, json={"error": "invalid_grant"}))
    with pytest.raises(NeedsUser, match="invalid_grant"):
        rd.publish(PublishRequest(text="a", idempotency_key="k"))


def test_reddit_5xx_is_retried_recorded_shape(api: Any, rd: RedditConnector) -> None:
    api.post(f"{API}/api/submit").mock(
        return_value=httpx.Response(503, text="<html>all our servers are busy</html>")
    )
    with pytest.raises(RetryAfter):
        rd.publish(PublishRequest(text="a", idempotency_key="k"))


def test_reddit_400_is_permanent_recorded_shape(api: Any, rd: RedditConnector) -> None:
    api.post(f"{API}/api/submit").mock(
        return_value=httpx.Response(
            400,
            json={
                "message": "Bad Request",
                "error": 400,
                "reason": "BAD_SR_NAME",
            },
        )
    )
    with pytest.raises(Permanent, match=r"Reddit: Bad Request \(BAD_SR_NAME\)"):
        rd.publish(PublishRequest(text="a", idempotency_key="k"))


def test_reddit_read_timeout_on_submit_is_ambiguous(api: Any, rd: RedditConnector) -> None:
    api.post(f"{API}/api/submit").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(Ambiguous):
        rd.publish(PublishRequest(text="a", idempotency_key="k"))


ME = {
    "name": "tamtam_brand",
    "id": "abc12",
    "total_karma": 1520,
    "link_karma": 1200,
    "comment_karma": 320,
    "created_utc": 1600000000.0,
    "has_verified_email": True,
    "subreddit": {"display_name": "u_tamtam_brand", "subscribers": 87},
}


def test_reddit_identify_recorded_shape(api: Any) -> None:
    route = api.get(f"{API}/api/v1/me").mock(return_value=httpx.Response(200, json=ME))
    identity = RedditConnector.identify({"access_token": "fresh"}, {"subreddit": "r/Tamtam"})
    assert (identity.external_id, identity.handle) == ("t2_abc12", "u/tamtam_brand")
    assert identity.options == {"username": "tamtam_brand", "subreddit": "Tamtam"}
    assert route.calls[0].request.headers["authorization"] == "Bearer fresh"


def test_reddit_list_recent_reads_the_users_submissions_recorded_shape(api: Any, rd: RedditConnector) -> None:
    api.get(f"{API}/user/tamtam_brand/submitted").mock(
        return_value=httpx.Response(
            200,
            json=listing(
                link("new1", "Récent", selftext="corps"),
                link("old1", "Ancien", created_utc=1700000000.0),
            ),
        )
    )
    posts = rd.list_recent(datetime(2026, 11, 30, tzinfo=UTC))
    assert [(p.remote_id, p.text) for p in posts] == [("t3_new1", "Récent\ncorps")]


def inbox(request: httpx.Request) -> httpx.Response:
    if request.url.params.get("before") == "t1_c3":
        return httpx.Response(200, json=listing(before=None))
    common = {
        "created_utc": 1764670000.0,
        "subreddit": "tamtam",
        "new": True,
        "link_title": "Nouvelle collection",
    }
    return httpx.Response(
        200,
        json=listing(
            (
                "t1",
                {
                    "name": "t1_c3",
                    "id": "c3",
                    "author": "carol",
                    "body": "u/tamtam_brand regarde ça",
                    "was_comment": True,
                    "subject": "username mention",
                    "parent_id": "t3_other",
                    "link_name": "t3_other",
                    "context": "/r/x/comments/other/s/c3/?context=3",
                    **common,
                },
            ),
            (
                "t1",
                {
                    "name": "t1_c2",
                    "id": "c2",
                    "author": "bob",
                    "body": "Merci !",
                    "was_comment": True,
                    "subject": "comment reply",
                    "parent_id": "t1_kx1",
                    "link_name": "t3_1h2k3l4",
                    "context": "/r/tamtam/comments/1h2k3l4/s/c2/?context=3",
                    **common,
                },
            ),
            (
                "t1",
                {
                    "name": "t1_c1",
                    "id": "c1",
                    "author": "alice",
                    "body": "Superbe",
                    "was_comment": True,
                    "subject": "post reply",
                    "parent_id": "t3_1h2k3l4",
                    "link_name": "t3_1h2k3l4",
                    "context": "/r/tamtam/comments/1h2k3l4/s/c1/?context=3",
                    **common,
                },
            ),
            (
                "t4",
                {
                    "name": "t4_m1",
                    "id": "m1",
                    "author": "dave",
                    "body": "Une question privée",
                    "was_comment": False,
                    "subject": "Question",
                    "parent_id": None,
                    "first_message_name": None,
                    "context": "",
                    "created_utc": 1764660000.0,
                },
            ),
        ),
    )


def test_reddit_inbox_with_a_before_cursor_recorded_shape(api: Any, rd: RedditConnector) -> None:
    route = api.get(f"{API}/message/inbox").mock(side_effect=inbox)
    page = rd.fetch_inbox()
    assert [(i.remote_id, i.kind, i.parent_remote_id) for i in page.items] == [
        ("t1_c3", InboxKind.MENTION, ""),
        ("t1_c2", InboxKind.REPLY, "t1_kx1"),
        ("t1_c1", InboxKind.COMMENT, "t3_1h2k3l4"),
        ("t4_m1", InboxKind.DM, ""),
    ]
    assert page.items[1].root_remote_id == "t3_1h2k3l4"
    assert page.items[3].conversation_key == "t4_m1"
    assert page.cursor == "t1_c3"
    again = rd.fetch_inbox(page.cursor)
    assert again.items == []
    assert again.cursor == "t1_c3"
    assert route.calls[1].request.url.params["before"] == "t1_c3"


def test_reddit_vote_as_like_recorded_shape(api: Any, rd: RedditConnector) -> None:
    route = api.post(f"{API}/api/vote").mock(return_value=httpx.Response(200, json={}))
    rd.like("t1_c1")
    assert form(route.calls[0].request) == {"id": "t1_c1", "dir": "1"}


def test_reddit_metrics_of_posts_and_account_recorded_shape(api: Any, rd: RedditConnector) -> None:
    api.get(f"{API}/api/info").mock(
        return_value=httpx.Response(
            200,
            json=listing(
                link("1h2k3l4", "Nouvelle", score=42, upvote_ratio=0.93, num_comments=7, num_crossposts=1),
            ),
        )
    )
    api.get(f"{API}/api/v1/me").mock(return_value=httpx.Response(200, json=ME))
    [m] = rd.fetch_post_metrics(["t3_1h2k3l4"])
    assert (m.likes, m.comments, m.shares, m.extra) == (42, 7, 1, {"upvote_ratio_pct": 93})
    account = rd.fetch_account_metrics()
    assert account.followers == 87
    assert account.extra == {"total_karma": 1520, "link_karma": 1200, "comment_karma": 320}


def test_reddit_search_pages_with_after_recorded_shape(api: Any, rd: RedditConnector) -> None:
    def search(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("after") == "t3_s1":
            return httpx.Response(200, json=listing(link("s2", "tamtam encore")))
        return httpx.Response(
            200, json=listing(link("s1", "J'adore tamtam", author="eve", score=5), after="t3_s1")
        )

    route = api.get(f"{API}/search").mock(side_effect=search)
    first = rd.search("tamtam")
    assert [(p.remote_id, p.author.handle, p.likes) for p in first.items] == [("t3_s1", "u/eve", 5)]
    assert first.cursor == "t3_s1"
    assert first.has_more
    second = rd.search("tamtam", first.cursor)
    assert [p.remote_id for p in second.items] == ["t3_s2"]
    assert not second.has_more
    assert route.calls[0].request.url.params["sort"] == "new"


def test_reddit_every_declared_capability_is_implemented_recorded_shape(
    api: Any, rd: RedditConnector, monkeypatch: Any
) -> None:
    monkeypatch.setenv("TAMTAM_REDDIT_CLIENT_ID", "cid")
    api.post(f"{API}/api/submit").mock(return_value=submitted())
    api.post(f"{API}/api/comment").mock(
        return_value=httpx.Response(
            200,
            json={
                "json": {
                    "errors": [],
                    "data": {"things": [{"kind": "t1", "data": {"id": "kx1", "name": "t1_kx1"}}]},
                }
            },
        )
    )
    api.post(f"{API}/api/del").mock(return_value=httpx.Response(200, json={}))
    api.post(f"{API}/api/vote").mock(return_value=httpx.Response(200, json={}))
    api.get(f"{API}/user/tamtam_brand/submitted").mock(return_value=httpx.Response(200, json=listing()))
    api.get(f"{API}/message/inbox").mock(side_effect=inbox)
    api.get(f"{API}/api/info").mock(return_value=httpx.Response(200, json=listing(link("a", "b"))))
    api.get(f"{API}/search").mock(return_value=httpx.Response(200, json=listing()))
    api.post("https://www.reddit.com/api/v1/revoke_token").mock(return_value=httpx.Response(204))
    request = PublishRequest
    calls = {
        Capability.PUBLISH: lambda: rd.publish(request(text="a", idempotency_key="k")),
        Capability.FIRST_COMMENT: lambda: rd.publish(
            request(text="a", idempotency_key="k", reply_to_remote_id="t3_a")
        ),
        Capability.REPLY: lambda: rd.reply("t1_c1", request(text="a", idempotency_key="k")),
        Capability.DELETE: lambda: rd.delete("t3_a"),
        Capability.LIST_RECENT: lambda: rd.list_recent(datetime.now(UTC)),
        Capability.FETCH_INBOX: rd.fetch_inbox,
        Capability.DIRECT_MESSAGES: lambda: (
            [i for i in rd.fetch_inbox().items if i.kind == InboxKind.DM] or 1 / 0
        ),
        Capability.FETCH_METRICS: lambda: rd.fetch_post_metrics(["t3_a"]),
        Capability.SEARCH: lambda: rd.search("q"),
        Capability.LIKE: lambda: rd.like("t3_a"),
        Capability.REVOKE: rd.revoke,
    }
    assert set(RedditConnector.capabilities) == set(calls)
    for capability, call in calls.items():
        try:
            call()
        except Permanent as exc:  # pragma: no cover
            pytest.fail(f"{capability} is declared but raised: {exc}")
