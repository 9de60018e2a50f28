"""Pinterest connector: every request it builds and every response fixture it parses (the OAuth token
endpoint included) is validated against Pinterest's official OpenAPI document
(../shared/specs/pinterest-v5.openapi.json)."""

from __future__ import annotations

import base64
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
    MediaItem,
    NeedsUser,
    Permanent,
    PublishRequest,
    RetryAfter,
)
from tamtam.networks.pinterest.connector import PinterestConnector


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
SpecMock, jsonr, load_spec = _oh.SpecMock, _oh.jsonr, _oh.load_spec
BOARD, PIN, ACCOUNT = "549755885175", "813744226420795884", "2783136121146311751"
RATE = {"x-ratelimit-limit": "1000", "x-ratelimit-remaining": "998", "x-ratelimit-reset": "60"}


def pin(pid: str = PIN, **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "created_at": "2026-12-01T10:00:00Z",
        "link": "https://ex.com/a",
        "title": "Nouvelle collection",
        "description": "Découvrez-la",
        "alt_text": None,
        "board_id": BOARD,
        "board_section_id": None,
        "board_owner": {"username": "tamtambrand"},
        "dominant_color": "#6E7874",
        "is_owner": True,
        "media": {"media_type": "image"},
        **extra,
    }


ACCOUNT_BODY = {
    "account_type": "BUSINESS",
    "id": ACCOUNT,
    "profile_image": "https://i.pinimg.com/a.jpg",
    "website_url": "https://ex.com",
    "username": "tamtambrand",
    "about": "",
    "business_name": "Tamtam",
    "board_count": 3,
    "pin_count": 339,
    "follower_count": 10,
    "following_count": 347,
    "monthly_views": 163,
}


@pytest.fixture
def api() -> Any:
    mock = SpecMock(load_spec("pinterest-v5.openapi.json"))
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=mock)
        yield mock
    mock.check()


@pytest.fixture
def persisted() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def pi(persisted: list[dict[str, Any]]) -> PinterestConnector:
    connector = PinterestConnector(
        ChannelContext(
            channel_id=1,
            handle="tamtambrand",
            external_id=ACCOUNT,
            credentials={"access_token": "pina_old", "refresh_token": "pinr_1"},
            options={"board_id": BOARD},
            persist_credentials=persisted.append,
        )
    )
    connector.sleep = lambda _s: None  # type: ignore[method-assign]
    return connector


def image(tmp_path: Path, name: str = "p.jpg", ctype: str = "image/jpeg", alt: str = "") -> MediaItem:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8jpeg" + name.encode())
    return MediaItem(str(path), ctype, 10, alt)


def test_pinterest_is_registered() -> None:
    assert registry.get("pinterest") is PinterestConnector


def test_pinterest_image_pin_with_title_link_and_alt_text_matches_openapi_spec(
    api: Any, pi: PinterestConnector, tmp_path: Path
) -> None:
    api.add("POST", "/v5/pins", jsonr(201, pin(), RATE))
    item = image(tmp_path, alt="Un pull bleu sur une chaise")
    result = pi.publish(
        PublishRequest(
            text="Nouvelle collection\nDécouvrez-la",
            idempotency_key="k",
            link="https://ex.com/a",
            media=[item],
        )
    )
    assert result.remote_id == PIN
    assert result.url == f"https://www.pinterest.com/pin/{PIN}/"
    body = json.loads(api.sent("POST", "/v5/pins")[0].content)
    assert body == {
        "board_id": BOARD,
        "title": "Nouvelle collection",
        "description": "Découvrez-la",
        "link": "https://ex.com/a",
        "alt_text": "Un pull bleu sur une chaise",
        "media_source": {
            "source_type": "image_base64",
            "content_type": "image/jpeg",
            "data": base64.b64encode(Path(item.path).read_bytes()).decode(),
        },
    }
    assert pi.last_rate is not None
    assert pi.last_rate.remaining == 998


def test_pinterest_carousel_of_images_matches_openapi_spec(
    api: Any, pi: PinterestConnector, tmp_path: Path
) -> None:
    api.add("POST", "/v5/pins", jsonr(201, pin()))
    media = [image(tmp_path, f"p{n}.png", "image/png") for n in range(3)]
    pi.publish(PublishRequest(text="Trois vues", idempotency_key="k", media=media))
    source = json.loads(api.sent("POST", "/v5/pins")[0].content)["media_source"]
    assert source["source_type"] == "multiple_image_base64"
    assert [i["content_type"] for i in source["items"]] == ["image/png"] * 3


def test_pinterest_video_pin_registers_uploads_and_waits_matches_openapi_spec(
    api: Any, pi: PinterestConnector, tmp_path: Path
) -> None:
    upload_url = "https://pinterest-media-upload.s3-accelerate.amazonaws.com/"
    api.add(
        "POST",
        "/v5/media",
        jsonr(
            201,
            {
                "media_id": "12345",
                "media_type": "video",
                "upload_url": upload_url,
                "upload_parameters": {
                    "x-amz-date": "20261201T185143Z",
                    "x-amz-signature": "abc",
                    "key": "uploads/11/aa/22/3:video:1",
                    "policy": "eyJl==",
                    "x-amz-credential": "ASIA/20261201/us-east-1/s3/aws4_request",
                    "Content-Type": "multipart/form-data",
                    "x-amz-algorithm": "AWS4-HMAC-SHA256",
                },
            },
        ),
    )
    api.add("POST", "/", httpx.Response(204), validate=False)  # Amazon S3, not Pinterest's API
    api.add(
        "GET",
        "/v5/media/12345",
        [
            jsonr(200, {"media_id": "12345", "media_type": "video", "status": "processing"}),
            jsonr(200, {"media_id": "12345", "media_type": "video", "status": "succeeded"}),
        ],
    )
    api.add("POST", "/v5/pins", jsonr(201, pin(media={"media_type": "video"})))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00mp4")
    pi.publish(
        PublishRequest(text="Vidéo", idempotency_key="k", media=[MediaItem(str(video), "video/mp4", 4)])
    )
    s3 = next(c for c in api.calls if c.url.host == "pinterest-media-upload.s3-accelerate.amazonaws.com")
    assert "authorization" not in s3.headers
    assert b'name="key"\r\n\r\nuploads/11/aa/22/3:video:1' in s3.content
    source = json.loads(api.sent("POST", "/v5/pins")[0].content)["media_source"]
    assert source == {"source_type": "video_id", "media_id": "12345", "cover_image_key_frame_time": 0}


def test_pinterest_refuses_text_only_and_unsupported_images(pi: PinterestConnector, tmp_path: Path) -> None:
    with pytest.raises(Permanent, match="needs an image or a video"):
        pi.publish(PublishRequest(text="juste du texte", idempotency_key="k"))
    with pytest.raises(Permanent, match="only JPEG and PNG"):
        pi.publish(
            PublishRequest(text="a", idempotency_key="k", media=[image(tmp_path, "a.webp", "image/webp")])
        )


def test_pinterest_delete_and_already_deleted_matches_openapi_spec(api: Any, pi: PinterestConnector) -> None:
    api.add(
        "DELETE",
        f"/v5/pins/{PIN}",
        [httpx.Response(204), jsonr(404, {"code": 50, "message": "Pin not found."})],
    )
    pi.delete(PIN)
    pi.delete(PIN)


def test_pinterest_429_waits_for_the_reset_matches_openapi_spec(
    api: Any, pi: PinterestConnector, tmp_path: Path
) -> None:
    api.add(
        "POST",
        "/v5/pins",
        jsonr(
            429,
            {"code": 8, "message": "You have exceeded your rate limit. Try again later."},
            {"x-ratelimit-limit": "1000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "42"},
        ),
    )
    with pytest.raises(RetryAfter) as caught:
        pi.publish(PublishRequest(text="a", idempotency_key="k", media=[image(tmp_path)]))
    assert 40 <= caught.value.seconds <= 42
    assert caught.value.message == "Pinterest: You have exceeded your rate limit. Try again later."


def test_pinterest_401_refreshes_then_the_retry_succeeds_matches_openapi_spec(
    api: Any, pi: PinterestConnector, persisted: list[dict[str, Any]], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("TAMTAM_PINTEREST_CLIENT_ID", "1484362")
    monkeypatch.setenv("TAMTAM_PINTEREST_CLIENT_SECRET", "s3cr3t")
    api.add(
        "POST", "/v5/pins", [jsonr(401, {"code": 2, "message": "Authentication failed."}), jsonr(201, pin())]
    )
    api.add(
        "POST",
        "/v5/oauth/token",
        jsonr(
            200,
            {
                "access_token": "pina_new",
                "refresh_token": "pinr_2",
                "response_type": "refresh_token",
                "token_type": "bearer",
                "expires_in": 2592000,
                "refresh_token_expires_in": 5184000,
                "refresh_token_expires_at": 1770000000,
                "scope": "boards:read,pins:read,pins:write",
            },
        ),
    )
    pi.publish(PublishRequest(text="a", idempotency_key="k", media=[image(tmp_path)]))
    token = api.sent("POST", "/v5/oauth/token")[0]
    assert token.headers["authorization"].startswith("Basic ")
    assert parse_qs(token.content.decode()) == {"grant_type": ["refresh_token"], "refresh_token": ["pinr_1"]}
    assert api.sent("POST", "/v5/pins")[1].headers["authorization"] == "Bearer pina_new"
    assert persisted[-1]["refresh_token"] == "pinr_2"


def test_pinterest_refused_refresh_needs_the_user_matches_openapi_spec(
    api: Any, pi: PinterestConnector, tmp_path: Path
) -> None:
    api.add("POST", "/v5/pins", jsonr(401, {"code": 2, "message": "Authentication failed."}))
    api.add(
        "POST",
        "/v5/oauth/token",
        jsonr(400, {"code": 283, "message": "Refresh token has expired."}),
        validate=False,
    )
    with pytest.raises(NeedsUser, match="reconnect"):
        pi.publish(PublishRequest(text="a", idempotency_key="k", media=[image(tmp_path)]))


def test_pinterest_5xx_is_retried_matches_openapi_spec(
    api: Any, pi: PinterestConnector, tmp_path: Path
) -> None:
    api.add("POST", "/v5/pins", jsonr(503, {"code": 3, "message": "Service unavailable."}))
    with pytest.raises(RetryAfter):
        pi.publish(PublishRequest(text="a", idempotency_key="k", media=[image(tmp_path)]))


def test_pinterest_400_is_permanent_with_pinterests_words_matches_openapi_spec(
    api: Any, pi: PinterestConnector, tmp_path: Path
) -> None:
    api.add("POST", "/v5/pins", jsonr(400, {"code": 1, "message": "Invalid parameters. Board not found."}))
    with pytest.raises(Permanent) as caught:
        pi.publish(PublishRequest(text="a", idempotency_key="k", media=[image(tmp_path)]))
    assert caught.value.message == "Pinterest: Invalid parameters. Board not found."


def test_pinterest_read_timeout_on_create_is_ambiguous(
    api: Any, pi: PinterestConnector, tmp_path: Path
) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    api.add("POST", "/v5/pins", timeout)
    with pytest.raises(Ambiguous):
        pi.publish(PublishRequest(text="a", idempotency_key="k", media=[image(tmp_path)]))


def test_pinterest_identify_reads_the_account_and_its_boards_matches_openapi_spec(api: Any) -> None:
    api.add("GET", "/v5/user_account", jsonr(200, ACCOUNT_BODY))
    api.add(
        "GET",
        "/v5/boards",
        jsonr(
            200,
            {
                "items": [
                    {
                        "id": BOARD,
                        "name": "Collection",
                        "privacy": "PUBLIC",
                        "owner": {"username": "tamtambrand"},
                    },
                    {"id": "549755885176", "name": "Inspirations", "privacy": "PUBLIC"},
                ],
                "bookmark": None,
            },
        ),
    )
    identity = PinterestConnector.identify({"access_token": "pina_x"}, {})
    assert (identity.external_id, identity.handle, identity.name) == (ACCOUNT, "tamtambrand", "Tamtam")
    assert identity.options["board_id"] == BOARD
    assert [b["name"] for b in identity.options["boards"]] == ["Collection", "Inspirations"]
    with pytest.raises(Permanent, match="board_id: the account has no board 1"):
        PinterestConnector.identify({"access_token": "pina_x"}, {"board_id": "1"})


def test_pinterest_list_recent_reads_the_boards_pins_matches_openapi_spec(
    api: Any, pi: PinterestConnector
) -> None:
    api.add(
        "GET",
        f"/v5/boards/{BOARD}/pins",
        jsonr(
            200,
            {
                "items": [
                    pin(),
                    pin("813744226420795880", created_at="2026-10-01T10:00:00Z"),
                ],
                "bookmark": None,
            },
        ),
    )
    posts = pi.list_recent(datetime(2026, 11, 30, tzinfo=UTC))
    assert [(p.remote_id, p.text) for p in posts] == [(PIN, "Nouvelle collection\nDécouvrez-la")]
    assert posts[0].created_at == datetime(2026, 12, 1, 10, tzinfo=UTC)


def test_pinterest_pin_and_account_analytics_matches_openapi_spec(api: Any, pi: PinterestConnector) -> None:
    metrics = {
        "90d": {"pin_click": 7, "impression": 240, "clickthrough": 3},
        "lifetime_metrics": {
            "pin_click": 80,
            "impression": 1240,
            "clickthrough": 30,
            "save": 50,
            "reaction": 9,
            "comment": 4,
        },
    }
    api.add("GET", f"/v5/pins/{PIN}", jsonr(200, pin(pin_metrics=metrics)))
    api.add("GET", "/v5/user_account", jsonr(200, ACCOUNT_BODY))
    api.add(
        "GET",
        "/v5/user_account/analytics",
        jsonr(
            200,
            {
                "all": {
                    "daily_metrics": [],
                    "summary_metrics": {"IMPRESSION": 5400, "ENGAGEMENT": 310},
                }
            },
        ),
    )
    [m] = pi.fetch_post_metrics([PIN])
    assert (m.impressions, m.saves, m.clicks, m.comments, m.likes) == (1240, 50, 30, 4, 9)
    assert m.extra == {"pin_click": 80}
    assert api.sent("GET", f"/v5/pins/{PIN}")[0].url.params["pin_metrics"] == "true"
    account = pi.fetch_account_metrics()
    params = api.sent("GET", "/v5/user_account/analytics")[0].url.params
    assert params["end_date"] == datetime.now(UTC).date().isoformat()
    assert (account.followers, account.following, account.posts, account.impressions) == (10, 347, 339, 5400)
    assert account.extra == {"monthly_views": 163, "engagements_30d": 310}


def test_pinterest_revoke_matches_openapi_spec(api: Any, pi: PinterestConnector) -> None:
    api.add("POST", "/v5/oauth/token/revoke", httpx.Response(200))
    pi.revoke()
    assert parse_qs(api.sent("POST", "/v5/oauth/token/revoke")[0].content.decode())["token"] == ["pinr_1"]


def test_pinterest_every_declared_capability_is_implemented_matches_openapi_spec(
    api: Any, pi: PinterestConnector, tmp_path: Path
) -> None:
    api.add("POST", "/v5/pins", jsonr(201, pin()))
    api.add("DELETE", r"/v5/pins/\d+", httpx.Response(204))
    api.add("GET", f"/v5/boards/{BOARD}/pins", jsonr(200, {"items": []}))
    api.add("GET", r"/v5/pins/\d+", jsonr(200, pin()))
    api.add(
        "POST",
        "/v5/media",
        jsonr(
            201,
            {
                "media_id": "1",
                "media_type": "video",
                "upload_url": "https://up.example/",
                "upload_parameters": {},
            },
        ),
    )
    api.add("POST", "/", httpx.Response(204), validate=False)
    api.add("GET", "/v5/media/1", jsonr(200, {"media_id": "1", "media_type": "video", "status": "succeeded"}))
    api.add("POST", "/v5/oauth/token/revoke", httpx.Response(200))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00")
    calls = {
        Capability.PUBLISH: lambda: pi.publish(
            PublishRequest(text="a", idempotency_key="k", media=[image(tmp_path)])
        ),
        Capability.VIDEO: lambda: pi.publish(
            PublishRequest(text="a", idempotency_key="k", media=[MediaItem(str(video), "video/mp4", 1)])
        ),
        Capability.DELETE: lambda: pi.delete(PIN),
        Capability.LIST_RECENT: lambda: pi.list_recent(datetime.now(UTC)),
        Capability.FETCH_METRICS: lambda: pi.fetch_post_metrics([PIN]),
        Capability.REVOKE: pi.revoke,
    }
    assert set(PinterestConnector.capabilities) == set(calls)
    for capability, call in calls.items():
        try:
            call()
        except Permanent as exc:  # pragma: no cover
            pytest.fail(f"{capability} is declared but raised: {exc}")
