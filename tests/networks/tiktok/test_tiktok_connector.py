"""TikTok connector against an in-process transport answering like TikTok for Developers' documented
responses (Content Posting API: creator_info, video/content init, chunked upload, status/fetch;
Display API: video/list, video/query, user/info; OAuth v2), error bodies included
(`..._recorded_shape`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from django.conf import settings

from tamtam.networks import oauth, registry
from tamtam.networks.base import (
    Ambiguous,
    Capability,
    ChannelContext,
    Connector,
    MediaItem,
    NeedsUser,
    Permanent,
    PublishRequest,
    RetryAfter,
)
from tamtam.networks.tiktok.connector import MIN_CHUNK, TikTokConnector, chunk_plan
from tamtam.networks.tiktok.oauth import SPEC

HOST = "open.tiktokapis.com"
OK = {"code": "ok", "message": "", "log_id": "20261202080000ABCDEF"}
CREATOR = {
    "data": {
        "creator_avatar_url": "https://p16.tiktokcdn.com/a.jpeg",
        "creator_username": "atelier",
        "creator_nickname": "L'Atelier",
        "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
        "comment_disabled": False,
        "duet_disabled": False,
        "stitch_disabled": True,
        "max_video_post_duration_sec": 300,
    },
    "error": OK,
}
Answer = dict[str, Any] | Callable[[httpx.Request], httpx.Response]


class TikTok:
    def __init__(self, routes: dict[tuple[str, str], Answer]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get((request.method, f"{request.url.host}{request.url.path}"))
        if answer is None:
            return httpx.Response(
                404, json={"error": {"code": "not_found", "message": "no route", "log_id": "x"}}
            )
        return answer(request) if callable(answer) else httpx.Response(200, json=answer)

    def body(self, path: str) -> Any:
        return next(json.loads(r.content) for r in self.requests if r.url.path == path)


def statuses(*states: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(states)
    return lambda r: httpx.Response(
        200, json={"data": queue.pop(0) if len(queue) > 1 else queue[0], "error": OK}
    )


def connector(api: TikTok, saved: list | None = None, **options: Any) -> TikTokConnector:
    ctx = ChannelContext(
        1,
        "@atelier",
        {"access_token": "act.1", "refresh_token": "rft.1"},
        {"open_id": "oid", "username": "atelier", **options},
        "oid",
        saved.append if saved is not None else None,
    )
    c = TikTokConnector(ctx, transport=httpx.MockTransport(api.handler))
    c.poll_delay = 0.0
    return c


def video(tmp_path: Path, size: int) -> MediaItem:
    path = tmp_path / "clip.mp4"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"\x00" * (size % 256))
    return MediaItem(str(path), "video/mp4", size)


COMPLETE = {
    "status": "PUBLISH_COMPLETE",
    "publicaly_available_post_id": [7311122233344455566],
    "uploaded_bytes": 0,
}


def test_it_is_registered_with_pkce_and_token_lifetimes() -> None:
    assert registry.get("tiktok") is TikTokConnector
    assert SPEC.pkce
    assert (SPEC.access_token_days, SPEC.refresh_token_days) == (1, 365)
    assert not {Capability.DELETE, Capability.FETCH_INBOX, Capability.REPLY} & TikTokConnector.capabilities


def test_chunk_plan_follows_the_media_transfer_rules() -> None:
    assert chunk_plan(1_000_000) == (1_000_000, 1)  # under 5 MB: one chunk, the whole file
    assert chunk_plan(25 * 1024 * 1024, 10 * 1024 * 1024) == (10 * 1024 * 1024, 2)  # last chunk takes 15 MB
    assert chunk_plan(MIN_CHUNK) == (10 * 1024 * 1024, 1)


def test_direct_post_of_a_video_in_chunks_then_status_recorded_shape(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("tamtam.networks.tiktok.connector.CHUNK", MIN_CHUNK)
    size = MIN_CHUNK * 2 + 1000
    upload = "open-upload.tiktokapis.com/video/"
    api = TikTok(
        {
            ("POST", f"{HOST}/v2/post/publish/creator_info/query/"): CREATOR,
            ("POST", f"{HOST}/v2/post/publish/video/init/"): {
                "data": {
                    "publish_id": "v_pub_file~v2-1.7311",
                    "upload_url": f"https://{upload}?upload_id=1&upload_token=t",
                },
                "error": OK,
            },
            # 206 for a part, 201 once the last byte is in (TikTok's media transfer guide).
            ("PUT", upload): lambda r: httpx.Response(
                201 if r.headers["content-range"].endswith(f"{size - 1}/{size}") else 206
            ),
            ("POST", f"{HOST}/v2/post/publish/status/fetch/"): statuses(
                {"status": "PROCESSING_UPLOAD", "uploaded_bytes": size}, COMPLETE
            ),
        }
    )
    result = connector(api).publish(
        PublishRequest(text="Tournage #atelier", idempotency_key="k", media=[video(tmp_path, size)])
    )
    assert result.remote_id == "7311122233344455566"
    assert result.url == "https://www.tiktok.com/@atelier/video/7311122233344455566"
    init = api.body("/v2/post/publish/video/init/")
    assert init["post_info"] == {
        "title": "Tournage #atelier",
        "privacy_level": "PUBLIC_TO_EVERYONE",
        "disable_comment": False,
        "disable_duet": False,
        "disable_stitch": True,
    }
    assert init["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": size,
        "chunk_size": MIN_CHUNK,
        "total_chunk_count": 2,
    }
    puts = [r for r in api.requests if r.method == "PUT"]
    assert [r.headers["content-range"] for r in puts] == [
        f"bytes 0-{MIN_CHUNK - 1}/{size}",
        f"bytes {MIN_CHUNK}-{size - 1}/{size}",
    ]
    assert sum(len(r.content) for r in puts) == size
    assert "authorization" not in puts[0].headers  # the upload URL carries its own token
    assert api.body("/v2/post/publish/status/fetch/") == {"publish_id": "v_pub_file~v2-1.7311"}


def test_pull_from_url_and_photo_posts_recorded_shape(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BASE_URL = "https://social.example.org"
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    (root / "v.mp4").write_bytes(b"v")
    (root / "a.jpg").write_bytes(b"a")
    (root / "b.jpg").write_bytes(b"b")
    api = TikTok(
        {
            ("POST", f"{HOST}/v2/post/publish/creator_info/query/"): CREATOR,
            ("POST", f"{HOST}/v2/post/publish/video/init/"): {
                "data": {"publish_id": "v_pub_url~v2.1"},
                "error": OK,
            },
            ("POST", f"{HOST}/v2/post/publish/content/init/"): {
                "data": {"publish_id": "p_pub_url~v2.2"},
                "error": OK,
            },
            ("POST", f"{HOST}/v2/post/publish/status/fetch/"): statuses(COMPLETE),
        }
    )
    c = connector(api, pull_from_url=True)
    c.publish(
        PublishRequest(text="v", idempotency_key="k", media=[MediaItem(str(root / "v.mp4"), "video/mp4", 1)])
    )
    assert api.body("/v2/post/publish/video/init/")["source_info"] == {
        "source": "PULL_FROM_URL",
        "video_url": "https://social.example.org/media/v.mp4",
    }
    c.publish(
        PublishRequest(
            text="Deux photos",
            idempotency_key="k2",
            media=[
                MediaItem(str(root / "a.jpg"), "image/jpeg", 1),
                MediaItem(str(root / "b.jpg"), "image/jpeg", 1),
            ],
        )
    )
    photo = api.body("/v2/post/publish/content/init/")
    assert (photo["media_type"], photo["post_mode"]) == ("PHOTO", "DIRECT_POST")
    assert photo["source_info"]["photo_images"] == [
        "https://social.example.org/media/a.jpg",
        "https://social.example.org/media/b.jpg",
    ]
    assert photo["post_info"]["description"] == "Deux photos"


def test_a_private_only_creator_is_refused_with_the_allowed_levels_recorded_shape(tmp_path: Path) -> None:
    private = {"data": {**CREATOR["data"], "privacy_level_options": ["SELF_ONLY"]}, "error": OK}
    api = TikTok({("POST", f"{HOST}/v2/post/publish/creator_info/query/"): private})
    with pytest.raises(Permanent, match="SELF_ONLY"):
        connector(api).publish(PublishRequest(text="x", idempotency_key="k", media=[video(tmp_path, 10)]))


def test_a_failed_post_says_tiktoks_reason_and_a_slow_one_keeps_its_publish_id_recorded_shape(
    tmp_path: Path,
) -> None:
    routes: dict = {
        ("POST", f"{HOST}/v2/post/publish/creator_info/query/"): CREATOR,
        ("POST", f"{HOST}/v2/post/publish/video/init/"): {
            "data": {
                "publish_id": "v_pub_file~v2-1.9",
                "upload_url": "https://open-upload.tiktokapis.com/video/?u=1",
            },
            "error": OK,
        },
        ("PUT", "open-upload.tiktokapis.com/video/"): lambda r: httpx.Response(201),
        ("POST", f"{HOST}/v2/post/publish/status/fetch/"): statuses(
            {"status": "FAILED", "fail_reason": "file_format_check_failed"}
        ),
    }
    with pytest.raises(Permanent, match="file_format_check_failed"):
        connector(TikTok(routes)).publish(
            PublishRequest(text="x", idempotency_key="k", media=[video(tmp_path, 10)])
        )
    routes[("POST", f"{HOST}/v2/post/publish/status/fetch/")] = statuses({"status": "PROCESSING_DOWNLOAD"})
    c = connector(TikTok(routes))
    c.max_polls = 3
    result = c.publish(PublishRequest(text="x", idempotency_key="k", media=[video(tmp_path, 10)]))
    assert result.remote_id == "publish:v_pub_file~v2-1.9"


def test_list_recent_follows_the_cursor_and_metrics_parse_recorded_shape() -> None:
    pages = iter(
        [
            {
                "data": {
                    "videos": [
                        {
                            "id": "7311",
                            "title": "Un",
                            "create_time": 1764600000,
                            "share_url": "https://www.tiktok.com/@atelier/video/7311",
                            "view_count": 10,
                            "like_count": 1,
                            "comment_count": 0,
                            "share_count": 0,
                        }
                    ],
                    "cursor": 1764600000000,
                    "has_more": True,
                },
                "error": OK,
            },
            {
                "data": {
                    "videos": [{"id": "7300", "title": "Vieux", "create_time": 1700000000}],
                    "cursor": 0,
                    "has_more": False,
                },
                "error": OK,
            },
        ]
    )
    api = TikTok(
        {
            ("POST", f"{HOST}/v2/video/list/"): lambda r: httpx.Response(200, json=next(pages)),
            ("POST", f"{HOST}/v2/video/query/"): {
                "data": {
                    "videos": [
                        {
                            "id": "7311",
                            "view_count": 1520,
                            "like_count": 210,
                            "comment_count": 14,
                            "share_count": 9,
                        }
                    ]
                },
                "error": OK,
            },
            ("GET", f"{HOST}/v2/user/info/"): {
                "data": {
                    "user": {
                        "open_id": "oid",
                        "follower_count": 3400,
                        "following_count": 12,
                        "likes_count": 9000,
                        "video_count": 41,
                    }
                },
                "error": OK,
            },
        }
    )
    c = connector(api)
    posts = c.list_recent(datetime(2025, 1, 1, tzinfo=UTC))
    assert [p.remote_id for p in posts] == ["7311"]
    assert json.loads(api.requests[1].content) == {"max_count": 20, "cursor": 1764600000000}
    assert "view_count" in api.requests[0].url.params["fields"]
    (m,) = c.fetch_post_metrics(["7311", "publish:v_pub_file~x"])
    assert (m.video_views, m.likes, m.comments, m.shares) == (1520, 210, 14, 9)
    assert json.loads(api.requests[-1].content) == {"filters": {"video_ids": ["7311"]}}
    account = c.fetch_account_metrics()
    assert (account.followers, account.following, account.posts, account.extra) == (
        3400,
        12,
        41,
        {"likes": 9000},
    )


def test_identify_recorded_shape() -> None:
    api = TikTok(
        {
            ("GET", f"{HOST}/v2/user/info/"): {
                "data": {
                    "user": {
                        "open_id": "-000abc",
                        "union_id": "u1",
                        "avatar_url": "https://p16/a.jpeg",
                        "display_name": "L'Atelier",
                        "username": "atelier",
                    }
                },
                "error": OK,
            }
        }
    )
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host=HOST).mock(side_effect=api.handler)
        identity = TikTokConnector.identify({"access_token": "act.1"}, {})
    assert (identity.external_id, identity.handle, identity.name) == ("-000abc", "@atelier", "L'Atelier")


def test_an_expired_token_is_refreshed_once_with_client_key_then_succeeds_recorded_shape(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TAMTAM_TIKTOK_CLIENT_ID", "awkey")
    monkeypatch.setenv("TAMTAM_TIKTOK_CLIENT_SECRET", "shh")
    answers = iter(
        [
            httpx.Response(
                401,
                json={
                    "data": {},
                    "error": {
                        "code": "access_token_invalid",
                        "message": "The access token is invalid or not found in the request.",
                        "log_id": "1",
                    },
                },
            ),
            httpx.Response(
                200, json={"data": {"user": {"open_id": "oid", "follower_count": 1}}, "error": OK}
            ),
        ]
    )
    api = TikTok(
        {
            ("GET", f"{HOST}/v2/user/info/"): lambda r: next(answers),
            ("POST", f"{HOST}/v2/oauth/token/"): {
                "access_token": "act.2",
                "expires_in": 86400,
                "open_id": "oid",
                "refresh_expires_in": 31535999,
                "refresh_token": "rft.2",
                "scope": "user.info.basic,video.publish",
                "token_type": "Bearer",
            },
        }
    )
    saved: list[dict] = []
    assert connector(api, saved=saved).fetch_account_metrics().followers == 1
    token_form = dict(httpx.QueryParams(api.requests[1].content.decode()))
    assert token_form == {
        "client_key": "awkey",
        "client_secret": "shh",
        "grant_type": "refresh_token",
        "refresh_token": "rft.1",
    }
    assert api.requests[2].headers["authorization"] == "Bearer act.2"
    assert (saved[-1]["access_token"], saved[-1]["refresh_token"]) == ("act.2", "rft.2")


def tiktok_error(status: int, code: str, message: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda r: httpx.Response(
        status, json={"data": {}, "error": {"code": code, "message": message, "log_id": "L"}}
    )


def failing(answer) -> TikTokConnector:  # type: ignore[no-untyped-def]
    c = connector(TikTok({("POST", f"{HOST}/v2/post/publish/creator_info/query/"): answer}))
    c.ctx.credentials.pop("refresh_token")
    return c


def test_errors_map_to_the_contract_with_tiktoks_message_recorded_shape(tmp_path: Path) -> None:
    request = PublishRequest(text="x", idempotency_key="k", media=[video(tmp_path, 10)])
    with pytest.raises(RetryAfter) as err:
        failing(tiktok_error(429, "rate_limit_exceeded", "API rate limit exceeded")).publish(request)
    assert err.value.seconds == 60
    with pytest.raises(RetryAfter) as cap:
        failing(
            tiktok_error(403, "spam_risk_too_many_posts", "The daily post cap from the API is reached")
        ).publish(request)
    assert cap.value.seconds == 3600
    with pytest.raises(NeedsUser, match="scope"):
        failing(tiktok_error(401, "scope_not_authorized", "The user did not authorize the scope")).publish(
            request
        )
    with pytest.raises(Permanent, match="privacy_level_option_mismatch"):
        failing(tiktok_error(400, "privacy_level_option_mismatch", "privacy level mismatch")).publish(request)
    with pytest.raises(RetryAfter):
        failing(lambda r: httpx.Response(503, text="upstream")).publish(request)

    def slow(r: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=r)

    with pytest.raises(Ambiguous):
        failing(slow).publish(request)


def test_revoke_sends_client_key_and_the_token(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TAMTAM_TIKTOK_CLIENT_ID", "awkey")
    monkeypatch.setenv("TAMTAM_TIKTOK_CLIENT_SECRET", "shh")
    api = TikTok({("POST", f"{HOST}/v2/oauth/revoke/"): {}})
    connector(api).revoke()
    assert dict(httpx.QueryParams(api.requests[0].content.decode()))["token"] == "act.1"


def test_every_declared_capability_has_its_method() -> None:
    names = {
        Capability.LIST_RECENT: "list_recent",
        Capability.FETCH_METRICS: "fetch_post_metrics",
        Capability.REVOKE: "revoke",
    }
    for capability, name in names.items():
        assert capability in TikTokConnector.capabilities
        assert getattr(TikTokConnector, name) is not getattr(Connector, name)
    assert settings.MEDIA_URL == "/media/"


def test_the_authorize_url_and_the_code_exchange_name_the_client_client_key(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # TikTok reads `client_key` and ignores `client_id` (Login Kit for Web: authorize and token).
    monkeypatch.setenv("TAMTAM_TIKTOK_CLIENT_ID", "awkey")
    monkeypatch.setenv("TAMTAM_TIKTOK_CLIENT_SECRET", "shh")
    url = oauth.authorization_url(
        SPEC,
        redirect_uri="https://social.example.org/oauth/callback/tiktok/",
        state="st",
        code_verifier="v" * 64,
    )
    query = dict(httpx.QueryParams(httpx.URL(url).query.decode()))
    assert query["client_key"] == "awkey"
    assert "client_id" not in query
    assert query["scope"].split(",")[0] == "user.info.basic"
    assert query["code_challenge_method"] == "S256"
    with respx.mock() as mock:
        token = mock.post(SPEC.token_url).respond(
            200,
            json={
                "access_token": "act.1",
                "expires_in": 86400,
                "open_id": "oid",
                "refresh_expires_in": 31536000,
                "refresh_token": "rft.1",
                "scope": "user.info.basic,video.publish",
                "token_type": "Bearer",
            },
        )
        credentials = oauth.exchange_code(
            SPEC,
            code="c0de",
            redirect_uri="https://social.example.org/oauth/callback/tiktok/",
            code_verifier="v" * 64,
        )
    form = dict(httpx.QueryParams(token.calls.last.request.content.decode()))
    assert (form["client_key"], form["client_secret"], form["code_verifier"]) == ("awkey", "shh", "v" * 64)
    assert "client_id" not in form
    assert (credentials["access_token"], credentials["refresh_token"]) == ("act.1", "rft.1")
    assert credentials["refresh_expires_at"]


@pytest.mark.parametrize(
    ("media", "words"),
    [
        ([("a.png", "image/png")], "JPEG and WebP photos only"),
        ([("a.gif", "image/gif")], "JPEG and WebP photos only"),
        ([("v.mp4", "video/mp4"), ("a.jpg", "image/jpeg")], "not both"),
        ([("v.mp4", "video/mp4"), ("w.mp4", "video/mp4")], "not both"),
        ([(f"{n}.jpg", "image/jpeg") for n in range(36)], "at most 35 photos"),
    ],
)
def test_media_tiktok_refuses_are_refused_before_any_call(
    tmp_path: Path, media: list[tuple[str, str]], words: str
) -> None:
    api = TikTok({})
    items = [MediaItem(str(tmp_path / name), kind, 1) for name, kind in media]
    with pytest.raises(Permanent, match=words):
        connector(api).publish(PublishRequest(text="x", idempotency_key="k", media=items))
    assert api.requests == []
