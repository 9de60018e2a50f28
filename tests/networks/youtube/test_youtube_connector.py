"""YouTube connector through google-api-python-client, on googleapiclient's HttpMockSequence with
responses shaped like recorded Data API answers. Every request (method, path, query parameters and
their enums/types, JSON body) and every response body is checked against the YouTube Data API v3
discovery document shipped inside google-api-python-client."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import googleapiclient
import httpx
import pytest
import respx
from googleapiclient.http import HttpMockSequence

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
from tamtam.networks.youtube.connector import YouTubeConnector, quota_reset

DISCOVERY = json.loads(
    (Path(googleapiclient.__file__).parent / "discovery_cache/documents/youtube.v3.json").read_text(
        encoding="utf-8"
    )
)
ROOT = DISCOVERY["rootUrl"].rstrip("/")
SESSION = "https://youtube.googleapis.com/upload/youtube/v3/videos?uploadType=resumable&upload_id=ADPycdvS8"
CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
VIDEO = "dQw4w9WgXcQ"
TOKEN_URL = "https://oauth2.googleapis.com/token"


# --- the discovery-document checker ---------------------------------------------------------------


def _methods() -> list[tuple[str, str, dict[str, Any]]]:
    found = []

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                found.append((method["httpMethod"], f"/{method['path']}", method))
                for protocol in (method.get("mediaUpload") or {}).get("protocols", {}).values():
                    found.append((method["httpMethod"], protocol["path"], method))
            walk(resource.get("resources", {}))

    walk(DISCOVERY["resources"])
    return found


METHODS = _methods()


def check_value(value: Any, schema: dict[str, Any], where: str, errors: list[str]) -> None:
    if "$ref" in schema:
        schema = DISCOVERY["schemas"][schema["$ref"]]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if not isinstance(value, dict):
            errors.append(f"{where}: expected an object, got {value!r}")
            return
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                check_value(item, props[key], f"{where}.{key}", errors)
            elif extra:
                check_value(item, extra, f"{where}.{key}", errors)
            else:
                errors.append(f"{where}: {key!r} is not a property of {schema.get('id', 'this object')}")
    elif kind == "array":
        if not isinstance(value, list):
            errors.append(f"{where}: expected an array")
            return
        for n, item in enumerate(value):
            check_value(item, schema.get("items", {}), f"{where}[{n}]", errors)
    elif kind == "string":
        # int64/uint64 are strings in Google's JSON
        if not isinstance(value, str):
            errors.append(f"{where}: expected a string, got {value!r}")
        elif "enum" in schema and value not in schema["enum"]:
            errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    elif kind == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
        errors.append(f"{where}: expected an integer, got {value!r}")
    elif kind == "boolean" and not isinstance(value, bool):
        errors.append(f"{where}: expected a boolean, got {value!r}")


def check_call(
    uri: str, method: str, body: Any, response: tuple[dict[str, str], str], errors: list[str]
) -> None:
    url = urlsplit(uri)
    if uri.startswith(SESSION.split("?", maxsplit=1)[0]) and "upload_id" in url.query:
        if method != "PUT":
            errors.append(f"the resumable session takes PUT, got {method}")
        return  # the upload session URI is Google's, given by the initiation answer
    if f"{url.scheme}://{url.netloc}" != ROOT:
        errors.append(f"{uri}: not the API's root {ROOT}")
    match = next((m for verb, path, m in METHODS if verb == method and path == url.path), None)
    if match is None:
        errors.append(f"{method} {url.path}: no such method in the discovery document")
        return
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    known = {**DISCOVERY["parameters"], **match.get("parameters", {})}
    for name, value in params.items():
        if name not in known:
            errors.append(f"{match['id']}: unknown parameter {name!r}")
            continue
        spec = known[name]
        if "enum" in spec and value not in spec["enum"]:
            errors.append(f"{match['id']}: {name}={value!r} is not one of {spec['enum']}")
        if spec.get("type") == "integer" and not value.lstrip("-").isdigit():
            errors.append(f"{match['id']}: {name}={value!r} is not an integer")
        if spec.get("type") == "boolean" and value not in ("true", "false"):
            errors.append(f"{match['id']}: {name}={value!r} is not a boolean")
    for name, spec in match.get("parameters", {}).items():
        if spec.get("required") and name not in params:
            errors.append(f"{match['id']}: required parameter {name!r} missing")
    if match.get("request") and body:
        check_value(json.loads(body), match["request"], f"{match['id']} body", errors)
    headers, content = response
    if match.get("response") and content and headers.get("status", "200").startswith("2"):
        check_value(json.loads(content), match["response"], f"{match['id']} response", errors)


class CheckedMock(HttpMockSequence):
    """HttpMockSequence that keeps its answers to check each call against the discovery document."""

    def __init__(self, iterable: list[Any]) -> None:
        super().__init__(list(iterable))
        self.answers = list(iterable)
        self.errors: list[str] = []

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **kw: Any) -> Any:
        answer = self.answers[len(self.request_sequence)]
        if isinstance(answer, BaseException):
            self.request_sequence.append((uri, method, body, headers))
            self._iterable.pop(0)
            raise answer
        check_call(
            uri,
            method,
            body if isinstance(body, str | bytes) and method != "PUT" else None,
            answer,
            self.errors,
        )
        return super().request(uri, method, body, headers, **kw)

    def calls(self) -> list[tuple[str, str, Any, Any]]:
        return list(self.request_sequence)


@pytest.fixture
def http(monkeypatch: Any) -> Any:
    """`http.set([...answers])` gives the connector its responses; the calls are checked at teardown."""

    class Holder:
        mock: CheckedMock | None = None

        def set(self, answers: list[Any]) -> CheckedMock:
            self.mock = CheckedMock(answers)
            return self.mock

    holder = Holder()
    monkeypatch.setattr(YouTubeConnector, "new_http", staticmethod(lambda: holder.mock))
    yield holder
    if holder.mock is not None:
        assert not holder.mock.errors, "\n".join(holder.mock.errors)
        assert not holder.mock._iterable, f"{len(holder.mock._iterable)} answers were never asked for"


def ok(body: dict[str, Any], **headers: str) -> tuple[dict[str, str], str]:
    return ({"status": "200", "content-type": "application/json; charset=UTF-8", **headers}, json.dumps(body))


def google_error(
    status: int, reason: str, message: str, domain: str = "youtube.quota"
) -> tuple[dict[str, str], str]:
    return (
        {"status": str(status), "content-type": "application/json; charset=UTF-8"},
        json.dumps(
            {
                "error": {
                    "code": status,
                    "message": message,
                    "errors": [{"message": message, "domain": domain, "reason": reason}],
                }
            }
        ),
    )


NO_CONTENT = ({"status": "204"}, "")


@pytest.fixture
def persisted() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def yt(persisted: list[dict[str, Any]]) -> YouTubeConnector:
    return YouTubeConnector(
        ChannelContext(
            channel_id=1,
            handle="@tamtam",
            external_id=CHANNEL,
            credentials={"access_token": "ya29.old", "refresh_token": "1//rt"},
            options={
                "uploads_playlist": "UU_x5XG1OV2P6uZZ5FSM9Ttw",
                "privacy": "unlisted",
                "tags": ["tamtam"],
            },
            persist_credentials=persisted.append,
        )
    )


def video_file(tmp_path: Path) -> MediaItem:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    return MediaItem(str(path), "video/mp4", path.stat().st_size)


UPLOADED = {
    "kind": "youtube#video",
    "etag": "abc",
    "id": VIDEO,
    "snippet": {
        "publishedAt": "2026-12-01T10:00:00Z",
        "channelId": CHANNEL,
        "title": "Nouvelle collection",
        "description": "Découvrez-la #mode",
        "tags": ["mode", "tamtam"],
        "categoryId": "22",
        "liveBroadcastContent": "none",
        "channelTitle": "Tamtam",
    },
    "status": {
        "uploadStatus": "uploaded",
        "privacyStatus": "unlisted",
        "license": "youtube",
        "embeddable": True,
        "publicStatsViewable": True,
        "selfDeclaredMadeForKids": False,
    },
}


def test_youtube_is_registered() -> None:
    assert registry.get("youtube") is YouTubeConnector


def test_youtube_resumable_upload_with_title_description_tags_privacy_matches_discovery(
    http: Any, yt: YouTubeConnector, tmp_path: Path
) -> None:
    mock = http.set([({"status": "200", "location": SESSION}, ""), ok(UPLOADED)])
    result = yt.publish(
        PublishRequest(
            text="Nouvelle collection\nDécouvrez-la #mode", idempotency_key="k", media=[video_file(tmp_path)]
        )
    )
    assert result.remote_id == VIDEO
    assert result.url == f"https://www.youtube.com/watch?v={VIDEO}"
    (init_uri, _init_method, init_body, init_headers), (put_uri, put_method, _b, _h) = mock.calls()
    assert urlsplit(init_uri).path == "/upload/youtube/v3/videos"
    assert parse_qs(urlsplit(init_uri).query)["uploadType"] == ["resumable"]
    assert init_headers["authorization"] == "Bearer ya29.old"
    assert json.loads(init_body) == {
        "snippet": {
            "title": "Nouvelle collection",
            "description": "Découvrez-la #mode",
            "tags": ["mode", "tamtam"],
            "categoryId": "22",
        },
        "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": False},
    }
    assert (put_uri, put_method) == (SESSION, "PUT")


def test_youtube_refuses_a_text_only_post_there_is_no_community_post_api(yt: YouTubeConnector) -> None:
    with pytest.raises(Permanent, match="needs a video; the Data API offers no community"):
        yt.publish(PublishRequest(text="Juste du texte", idempotency_key="k"))


def test_youtube_first_comment_and_reply_matches_discovery(http: Any, yt: YouTubeConnector) -> None:
    thread = {
        "kind": "youtube#commentThread",
        "etag": "e",
        "id": "UgzDE2tasfmrYLyNkGt4AaABAg",
        "snippet": {
            "channelId": CHANNEL,
            "videoId": VIDEO,
            "canReply": True,
            "totalReplyCount": 0,
            "isPublic": True,
            "topLevelComment": {
                "kind": "youtube#comment",
                "etag": "e",
                "id": "UgzDE2tasfmrYLyNkGt4AaABAg",
                "snippet": {"textOriginal": "Lien en commentaire", "videoId": VIDEO},
            },
        },
    }
    reply = {
        "kind": "youtube#comment",
        "etag": "e",
        "id": "UgzDE2tasfmrYLyNkGt4AaABAg.9xYz",
        "snippet": {"textOriginal": "Merci !", "parentId": "UgzDE2tasfmrYLyNkGt4AaABAg"},
    }
    mock = http.set([ok(thread), ok(reply)])
    first = yt.publish(
        PublishRequest(text="Lien en commentaire", idempotency_key="k", reply_to_remote_id=VIDEO)
    )
    assert first.remote_id == "UgzDE2tasfmrYLyNkGt4AaABAg"
    answered = yt.reply("UgzDE2tasfmrYLyNkGt4AaABAg", PublishRequest(text="Merci !", idempotency_key="r"))
    assert answered.remote_id == "UgzDE2tasfmrYLyNkGt4AaABAg.9xYz"
    (_u1, _m1, body1, _h1), (uri2, _m2, body2, _h2) = mock.calls()
    assert json.loads(body1)["snippet"] == {
        "videoId": VIDEO,
        "topLevelComment": {"snippet": {"textOriginal": "Lien en commentaire"}},
    }
    assert urlsplit(uri2).path == "/youtube/v3/comments"
    assert json.loads(body2) == {
        "snippet": {"parentId": "UgzDE2tasfmrYLyNkGt4AaABAg", "textOriginal": "Merci !"}
    }


def test_youtube_delete_video_comment_and_already_deleted_matches_discovery(
    http: Any, yt: YouTubeConnector
) -> None:
    mock = http.set(
        [
            NO_CONTENT,
            NO_CONTENT,
            google_error(
                404,
                "videoNotFound",
                "The video identified by the <code>id</code> parameter could not be found.",
                "youtube.video",
            ),
        ]
    )
    yt.delete(VIDEO)
    yt.delete("UgzDE2tasfmrYLyNkGt4AaABAg.9xYz")
    yt.delete(VIDEO)  # already gone
    paths = [(urlsplit(u).path, m) for u, m, _b, _h in mock.calls()]
    assert paths == [
        ("/youtube/v3/videos", "DELETE"),
        ("/youtube/v3/comments", "DELETE"),
        ("/youtube/v3/videos", "DELETE"),
    ]


def test_youtube_hide_holds_the_comment_for_review_and_unhide_publishes_it_matches_discovery(
    http: Any, yt: YouTubeConnector
) -> None:
    mock = http.set([NO_CONTENT, NO_CONTENT])
    yt.hide("UgzAbc")
    yt.hide("UgzAbc", hidden=False)
    statuses = [parse_qs(urlsplit(u).query)["moderationStatus"] for u, _m, _b, _h in mock.calls()]
    assert statuses == [["heldForReview"], ["published"]]


def test_youtube_quota_exceeded_waits_for_the_pacific_midnight_reset_matches_discovery(
    http: Any, yt: YouTubeConnector, tmp_path: Path
) -> None:
    http.set(
        [
            google_error(
                403,
                "quotaExceeded",
                "The request cannot be completed because you have exceeded your "
                '<a href="/youtube/v3/getting-started#quota">quota</a>.',
            )
        ]
    )
    with pytest.raises(RetryAfter) as caught:
        yt.publish(PublishRequest(text="a", idempotency_key="k", media=[video_file(tmp_path)]))
    expected = (quota_reset() - datetime.now(UTC)).total_seconds()
    assert abs(caught.value.seconds - expected) < 5
    assert caught.value.message.startswith(
        "YouTube: The request cannot be completed because you have exceeded"
    )
    assert yt.last_rate is not None
    assert yt.last_rate.remaining == 0
    assert yt.last_rate.reset_at == quota_reset()


def test_youtube_checker_catches_what_the_discovery_document_forbids() -> None:
    errors: list[str] = []
    check_value(
        {"snippet": {"titel": "x"}, "status": {"privacyStatus": "secret"}}, {"$ref": "Video"}, "Video", errors
    )
    check_call(
        f"{ROOT}/youtube/v3/comments/setModerationStatus?id=1&moderationStatus=hidden",
        "POST",
        None,
        NO_CONTENT,
        errors,
    )
    check_call(f"{ROOT}/youtube/v3/tweets", "POST", None, NO_CONTENT, errors)
    assert errors == [
        "Video.snippet: 'titel' is not a property of VideoSnippet",
        "Video.status.privacyStatus: 'secret' is not one of ['public', 'unlisted', 'private']",
        "youtube.comments.setModerationStatus: moderationStatus='hidden' is not one of "
        "['published', 'heldForReview', 'likelySpam', 'rejected']",
        "POST /youtube/v3/tweets: no such method in the discovery document",
    ]


def test_youtube_quota_resets_at_midnight_pacific() -> None:
    assert quota_reset(datetime(2026, 12, 2, 7, 30, tzinfo=UTC)) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert quota_reset(datetime(2026, 7, 2, 8, 30, tzinfo=UTC)) == datetime(2026, 7, 3, 7, 0, tzinfo=UTC)


def test_youtube_401_refreshes_once_then_the_retry_succeeds_matches_discovery(
    http: Any, yt: YouTubeConnector, persisted: list[dict[str, Any]], monkeypatch: Any
) -> None:
    monkeypatch.setenv("TAMTAM_YOUTUBE_CLIENT_ID", "123.apps.googleusercontent.com")
    monkeypatch.setenv("TAMTAM_YOUTUBE_CLIENT_SECRET", "GOCSPX-secret")
    mock = http.set(
        [
            google_error(401, "authError", "Request had invalid authentication credentials.", "global"),
            NO_CONTENT,
        ]
    )
    with respx.mock() as router:
        token = router.post(TOKEN_URL).mock(
            return_value=httpx.Response(
                200,
                json={
                    "access_token": "ya29.new",
                    "expires_in": 3599,
                    "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                    "token_type": "Bearer",
                },
            )
        )
        yt.delete(VIDEO)
    assert parse_qs(token.calls[0].request.content.decode())["client_secret"] == ["GOCSPX-secret"]
    assert mock.calls()[1][3]["authorization"] == "Bearer ya29.new"
    assert persisted[-1]["access_token"] == "ya29.new"
    assert persisted[-1]["refresh_token"] == "1//rt"  # Google sends none on refresh: ours is kept


def test_youtube_refused_refresh_needs_the_user_with_googles_words(http: Any, yt: YouTubeConnector) -> None:
    http.set([google_error(401, "authError", "Request had invalid authentication credentials.", "global")])
    with respx.mock() as router:
        router.post(TOKEN_URL).mock(
            return_value=httpx.Response(
                400,
                json={
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        )
        with pytest.raises(NeedsUser, match="Token has been expired or revoked"):
            yt.delete(VIDEO)


def test_youtube_5xx_is_retried_and_400_is_permanent_with_googles_message_matches_discovery(
    http: Any, yt: YouTubeConnector
) -> None:
    http.set(
        [
            google_error(503, "backendError", "Backend Error", "global"),
            google_error(400, "invalidTextValue", "The comment text is invalid.", "youtube.comment"),
        ]
    )
    with pytest.raises(RetryAfter):
        yt.reply("UgzAbc", PublishRequest(text="a", idempotency_key="k"))
    with pytest.raises(Permanent) as caught:
        yt.reply("UgzAbc", PublishRequest(text="a", idempotency_key="k"))
    assert caught.value.message == "YouTube: The comment text is invalid."


def test_youtube_timeout_on_the_last_upload_chunk_is_ambiguous(
    http: Any, yt: YouTubeConnector, tmp_path: Path
) -> None:
    http.set([({"status": "200", "location": SESSION}, ""), TimeoutError("timed out")])
    with pytest.raises(Ambiguous, match="the video may exist"):
        yt.publish(PublishRequest(text="a", idempotency_key="k", media=[video_file(tmp_path)]))


def test_youtube_timeout_on_a_comment_is_ambiguous(http: Any, yt: YouTubeConnector) -> None:
    http.set([TimeoutError("timed out")])
    with pytest.raises(Ambiguous):
        yt.reply(VIDEO, PublishRequest(text="a", idempotency_key="k"))


CHANNEL_BODY = {
    "kind": "youtube#channelListResponse",
    "etag": "e",
    "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
    "items": [
        {
            "kind": "youtube#channel",
            "etag": "e",
            "id": CHANNEL,
            "snippet": {
                "title": "Tamtam",
                "description": "",
                "customUrl": "@tamtam",
                "publishedAt": "2020-01-01T00:00:00Z",
            },
            "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": "UU_x5XG1OV2P6uZZ5FSM9Ttw"}},
            "statistics": {
                "viewCount": "120345",
                "subscriberCount": "1530",
                "hiddenSubscriberCount": False,
                "videoCount": "87",
            },
        }
    ],
}


def test_youtube_identify_reads_the_channel_matches_discovery(http: Any) -> None:
    mock = http.set([ok(CHANNEL_BODY)])
    identity = YouTubeConnector.identify({"access_token": "ya29.fresh"}, {})
    assert (identity.external_id, identity.handle, identity.name) == (CHANNEL, "@tamtam", "Tamtam")
    assert identity.options["uploads_playlist"] == "UU_x5XG1OV2P6uZZ5FSM9Ttw"
    assert parse_qs(urlsplit(mock.calls()[0][0]).query)["mine"] == ["true"]


def test_youtube_identify_without_a_channel_needs_the_user(http: Any) -> None:
    http.set(
        [
            ok(
                {
                    "kind": "youtube#channelListResponse",
                    "etag": "e",
                    "pageInfo": {"totalResults": 0, "resultsPerPage": 5},
                }
            )
        ]
    )
    with pytest.raises(NeedsUser, match="no YouTube channel"):
        YouTubeConnector.identify({"access_token": "ya29.fresh"}, {})


def test_youtube_list_recent_reads_the_uploads_playlist_matches_discovery(
    http: Any, yt: YouTubeConnector
) -> None:
    item = {
        "kind": "youtube#playlistItem",
        "etag": "e",
        "id": "VVV4",
        "snippet": {
            "publishedAt": "2026-12-01T10:00:05Z",
            "title": "Nouvelle collection",
            "description": "Découvrez-la",
            "resourceId": {"kind": "youtube#video", "videoId": VIDEO},
            "channelId": CHANNEL,
        },
        "contentDetails": {"videoId": VIDEO, "videoPublishedAt": "2026-12-01T10:00:00Z"},
    }
    old = {
        **item,
        "id": "VVV3",
        "contentDetails": {"videoId": "aaaaaaaaaaa", "videoPublishedAt": "2026-01-01T10:00:00Z"},
    }
    http.set(
        [
            ok(
                {
                    "kind": "youtube#playlistItemListResponse",
                    "etag": "e",
                    "items": [item, old],
                    "pageInfo": {"totalResults": 2, "resultsPerPage": 50},
                }
            )
        ]
    )
    posts = yt.list_recent(datetime(2026, 11, 30, tzinfo=UTC))
    assert [(p.remote_id, p.text) for p in posts] == [(VIDEO, "Nouvelle collection\nDécouvrez-la")]


def comment(cid: str, text: str, when: str, author: str = "UCalice", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "youtube#comment",
        "etag": "e",
        "id": cid,
        "snippet": {
            "channelId": CHANNEL,
            "videoId": VIDEO,
            "textDisplay": text,
            "textOriginal": text,
            "authorDisplayName": "@alice" if author == "UCalice" else "@tamtam",
            "authorProfileImageUrl": "https://yt3.ggpht.com/a.jpg",
            "authorChannelUrl": f"http://www.youtube.com/channel/{author}",
            "authorChannelId": {"value": author},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 2,
            "publishedAt": when,
            "updatedAt": when,
            **extra,
        },
    }


def threads_page() -> tuple[dict[str, str], str]:
    thread = {
        "kind": "youtube#commentThread",
        "etag": "e",
        "id": "UgT1",
        "snippet": {
            "channelId": CHANNEL,
            "videoId": VIDEO,
            "canReply": True,
            "totalReplyCount": 2,
            "isPublic": True,
            "topLevelComment": comment("UgT1", "Superbe vidéo", "2026-12-01T11:00:00Z"),
        },
        "replies": {
            "comments": [
                comment("UgT1.r1", "Merci Alice !", "2026-12-01T11:05:00Z", author=CHANNEL, parentId="UgT1"),
                comment("UgT1.r2", "Avec plaisir", "2026-12-01T11:10:00Z", parentId="UgT1"),
            ]
        },
    }
    return ok(
        {
            "kind": "youtube#commentThreadListResponse",
            "etag": "e",
            "items": [thread],
            "pageInfo": {"totalResults": 1, "resultsPerPage": 100},
        }
    )


def test_youtube_inbox_reads_comment_threads_after_a_cursor_matches_discovery(
    http: Any, yt: YouTubeConnector
) -> None:
    mock = http.set([threads_page(), threads_page()])
    page = yt.fetch_inbox()
    assert [(i.remote_id, i.kind, i.parent_remote_id) for i in page.items] == [
        ("UgT1", InboxKind.COMMENT, VIDEO),
        ("UgT1.r2", InboxKind.REPLY, "UgT1"),
    ]
    assert page.items[0].author.handle == "@alice"
    assert page.items[0].root_remote_id == VIDEO
    assert page.cursor == "2026-12-01T11:10:00+00:00"
    again = yt.fetch_inbox(page.cursor)
    assert again.items == []
    assert again.cursor == page.cursor
    query = parse_qs(urlsplit(mock.calls()[0][0]).query)
    assert query["allThreadsRelatedToChannelId"] == [CHANNEL]
    assert query["order"] == ["time"]


def test_youtube_video_and_channel_statistics_matches_discovery(http: Any, yt: YouTubeConnector) -> None:
    http.set(
        [
            ok(
                {
                    "kind": "youtube#videoListResponse",
                    "etag": "e",
                    "items": [
                        {
                            "kind": "youtube#video",
                            "etag": "e",
                            "id": VIDEO,
                            "statistics": {
                                "viewCount": "1520",
                                "likeCount": "87",
                                "favoriteCount": "0",
                                "commentCount": "12",
                            },
                        }
                    ],
                    "pageInfo": {"totalResults": 1, "resultsPerPage": 1},
                }
            ),
            ok(CHANNEL_BODY),
        ]
    )
    [m] = yt.fetch_post_metrics([VIDEO])
    assert (m.video_views, m.likes, m.comments, m.extra) == (1520, 87, 12, {"favorites": 0})
    account = yt.fetch_account_metrics()
    assert (account.followers, account.posts, account.extra) == (1530, 87, {"views": 120345})


def test_youtube_search_with_a_page_token_matches_discovery(http: Any, yt: YouTubeConnector) -> None:
    result = {
        "kind": "youtube#searchResult",
        "etag": "e",
        "id": {"kind": "youtube#video", "videoId": VIDEO},
        "snippet": {
            "publishedAt": "2026-12-01T09:00:00Z",
            "channelId": "UCbob",
            "title": "Test tamtam",
            "description": "avis",
            "channelTitle": "Bob",
            "liveBroadcastContent": "none",
        },
    }
    mock = http.set(
        [
            ok(
                {
                    "kind": "youtube#searchListResponse",
                    "etag": "e",
                    "nextPageToken": "CAUQAA",
                    "regionCode": "FR",
                    "pageInfo": {"totalResults": 2, "resultsPerPage": 1},
                    "items": [result],
                }
            ),
            ok(
                {
                    "kind": "youtube#searchListResponse",
                    "etag": "e",
                    "pageInfo": {"totalResults": 2, "resultsPerPage": 1},
                    "items": [],
                }
            ),
        ]
    )
    first = yt.search("tamtam")
    assert [(p.remote_id, p.author.handle, p.text) for p in first.items] == [
        (VIDEO, "Bob", "Test tamtam\navis")
    ]
    assert first.cursor == "CAUQAA"
    assert first.has_more
    second = yt.search("tamtam", first.cursor)
    assert second.items == []
    assert parse_qs(urlsplit(mock.calls()[1][0]).query)["pageToken"] == ["CAUQAA"]


def test_youtube_revoke_posts_the_token_to_google() -> None:
    connector = YouTubeConnector(
        ChannelContext(channel_id=1, handle="@t", credentials={"refresh_token": "1//rt"}, options={})
    )
    with respx.mock() as router:
        route = router.post("https://oauth2.googleapis.com/revoke").mock(return_value=httpx.Response(200))
        connector.revoke()
    assert parse_qs(route.calls[0].request.content.decode())["token"] == ["1//rt"]


def test_youtube_every_declared_capability_is_implemented_matches_discovery(
    http: Any, yt: YouTubeConnector, tmp_path: Path
) -> None:
    http.set(
        [
            ({"status": "200", "location": SESSION}, ""),
            ok(UPLOADED),  # publish
            ({"status": "200", "location": SESSION}, ""),
            ok(UPLOADED),  # video
            NO_CONTENT,  # delete
            ok({"kind": "youtube#comment", "etag": "e", "id": "UgR"}),  # reply
            ok({"kind": "youtube#commentThread", "etag": "e", "id": "UgT"}),  # first comment
            ok({"kind": "youtube#playlistItemListResponse", "etag": "e", "items": []}),  # list recent
            threads_page(),  # inbox
            NO_CONTENT,  # hide
            ok({"kind": "youtube#videoListResponse", "etag": "e", "items": []}),  # metrics
            ok({"kind": "youtube#searchListResponse", "etag": "e", "items": []}),  # search
        ]
    )
    request = PublishRequest
    calls = {
        Capability.PUBLISH: lambda: yt.publish(
            request(text="a", idempotency_key="k", media=[video_file(tmp_path)])
        ),
        Capability.VIDEO: lambda: yt.publish(
            request(text="a", idempotency_key="k", media=[video_file(tmp_path)])
        ),
        Capability.DELETE: lambda: yt.delete(VIDEO),
        Capability.REPLY: lambda: yt.reply("UgT1", request(text="a", idempotency_key="k")),
        Capability.FIRST_COMMENT: lambda: yt.publish(
            request(text="a", idempotency_key="k", reply_to_remote_id=VIDEO)
        ),
        Capability.LIST_RECENT: lambda: yt.list_recent(datetime.now(UTC)),
        Capability.FETCH_INBOX: yt.fetch_inbox,
        Capability.HIDE: lambda: yt.hide("UgT1"),
        Capability.FETCH_METRICS: lambda: yt.fetch_post_metrics([VIDEO]),
        Capability.SEARCH: lambda: yt.search("q"),
    }
    assert set(YouTubeConnector.capabilities) == set(calls) | {Capability.REVOKE}  # revoke: the test above
    for capability, call in calls.items():
        try:
            call()
        except Permanent as exc:  # pragma: no cover
            pytest.fail(f"{capability} is declared but raised: {exc}")
