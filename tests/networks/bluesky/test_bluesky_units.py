"""Bluesky connector pieces that need no server: record keys, facets, limits, error mapping, the
inbox cursor. Error answers are shaped like the PDS's own (XRPC `{"error", "message"}` bodies and
`ratelimit-*` headers, as seen from @atproto/pds); the full behaviour runs in tests/peers/bluesky."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tamtam.networks.base import (
    Ambiguous,
    ChannelContext,
    NeedsUser,
    Permanent,
    PublishRequest,
    RetryAfter,
)
from tamtam.networks.bluesky import rkeys
from tamtam.networks.bluesky.connector import BlueskyConnector, connect, post_url, split_uri
from tamtam.networks.bluesky.inbox import InboxCursor
from tamtam.networks.bluesky.richtext import build_facets, facet_text, text_as_published, too_long
from tamtam.networks.registry import get

DID = "did:plc:abcdefghijklmnopqrstuvwx"

# --- record keys ---------------------------------------------------------------------------------


def test_the_record_key_is_the_same_tid_for_the_same_idempotency_key() -> None:
    key = "7f9c2ba4-e88f-4d2a-9c1b-2d3e4f5a6b7c"

    rkey = rkeys.rkey_for(key)

    assert rkey == rkeys.rkey_for(key)
    assert rkeys.is_tid(rkey)
    assert rkeys.rkey_for(f"{key}:first_comment") != rkey
    assert len({rkeys.rkey_for(f"key-{n}") for n in range(10_000)}) == 10_000


def test_the_record_key_time_stays_in_a_plausible_past_window() -> None:
    for n in range(200):
        micros = rkeys.decode_tid(rkeys.rkey_for(f"k{n}")) >> 10
        when = datetime.fromtimestamp(micros / 1_000_000, UTC)
        assert datetime(2023, 1, 1, tzinfo=UTC) <= when < datetime(2024, 3, 1, tzinfo=UTC)


def test_a_tid_encodes_and_decodes_back() -> None:
    for value in (0, 1, 12345678901234, (1 << 63) - 1):
        assert rkeys.decode_tid(rkeys.encode_tid(value)) == value
    with pytest.raises(ValueError, match="63 bits"):
        rkeys.encode_tid(1 << 63)
    with pytest.raises(ValueError, match="not a TID"):
        rkeys.decode_tid("abc-def")
    with pytest.raises(ValueError, match="non-empty"):
        rkeys.rkey_for("")


def test_the_idempotency_key_comes_back_only_from_the_record_it_was_derived_for() -> None:
    key = "abc"
    rkey = rkeys.rkey_for(key)

    assert rkeys.key_of(rkey, {rkeys.KEY_FIELD: key}) == key
    assert rkeys.key_of(rkeys.rkey_for("other"), {rkeys.KEY_FIELD: key}) == ""  # copied into another record
    assert rkeys.key_of(rkey, {}) == ""  # a post written elsewhere than tamtam


# --- text, facets and limits -----------------------------------------------------------------------


def test_facets_are_located_by_utf8_bytes_not_characters() -> None:
    text = "Été ☀️ chez @alice.test : https://exemple.fr/été #rentrée"
    facets = build_facets(text, lambda handle: "did:plc:alice" if handle == "alice.test" else None)

    found = [(f["features"][0]["$type"].split("#")[1], facet_text(text, f)) for f in facets]
    assert found == [
        ("mention", "@alice.test"),
        ("link", "https://exemple.fr/été"),
        ("tag", "#rentrée"),
    ]
    mention = facets[0]
    assert mention["index"]["byteStart"] == len("Été ☀️ chez ".encode())
    assert mention["index"]["byteStart"] != text.index("@")  # characters and bytes differ here
    assert mention["features"][0]["did"] == "did:plc:alice"
    assert facets[2]["features"][0]["tag"] == "rentrée"


def test_a_mention_that_does_not_resolve_stays_plain_text() -> None:
    assert build_facets("Bonjour @nobody.test", lambda handle: None) == []


def test_the_text_limit_counts_graphemes() -> None:
    family = "👨‍👩‍👧‍👦"  # 7 code points, 25 UTF-8 bytes, one grapheme
    assert too_long(family * 300) == ""
    assert too_long(family * 301) == "the text is 301 characters (graphemes); Bluesky allows 300"
    assert too_long("e\u0301" * 300) == ""  # e + combining acute: one grapheme each


def test_the_link_goes_after_the_text_unless_the_text_has_it() -> None:
    assert text_as_published("Lisez", "https://a.fr") == "Lisez\nhttps://a.fr"
    assert text_as_published("Lisez https://a.fr ici", "https://a.fr") == "Lisez https://a.fr ici"
    assert text_as_published("", "https://a.fr") == "https://a.fr"


def test_post_addresses() -> None:
    uri = f"at://{DID}/app.bsky.feed.post/3kczomgevpskr"
    assert split_uri(uri) == (DID, "app.bsky.feed.post", "3kczomgevpskr")
    assert post_url(uri) == f"https://bsky.app/profile/{DID}/post/3kczomgevpskr"
    with pytest.raises(Permanent, match="not a post address"):
        split_uri("https://bsky.app/profile/x/post/y")


def test_the_connector_is_registered_with_idempotent_publishing() -> None:
    cls = get("bluesky")
    assert cls is BlueskyConnector
    assert {"idempotent_publish", "thread", "first_comment", "list_recent"} <= set(cls.capabilities)


# --- errors, against answers shaped like the PDS's ---------------------------------------------------


def jwt(exp: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part({'sub': DID, 'exp': int(exp)})}.c2ln"


def session(exp: float | None = None) -> str:
    exp = exp or time.time() + 7200
    return ":::".join(["brand.test", DID, jwt(exp), jwt(exp + 86400), "https://pds.example"])


Handler = Callable[[httpx.Request], httpx.Response]


def connector(handler: Handler, saved: list[dict[str, Any]] | None = None) -> BlueskyConnector:
    ctx = ChannelContext(
        channel_id=1,
        handle="brand.test",
        credentials={"identifier": "brand.test", "app_password": "aaaa-bbbb-cccc-dddd", "session": session()},
        options={"api_base": "https://pds.example"},
        external_id=DID,
        persist_credentials=saved.append if saved is not None else None,
    )
    return BlueskyConnector(ctx, transport=httpx.MockTransport(handler))


def xrpc(status: int, error: str, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "message": message}, headers=headers)


def new_session_body() -> dict[str, Any]:
    exp = time.time() + 7200
    return {"did": DID, "handle": "brand.test", "accessJwt": jwt(exp), "refreshJwt": jwt(exp + 86400)}


def test_a_429_waits_until_the_rate_limit_resets_and_keeps_the_headers() -> None:
    reset = int(time.time()) + 120
    headers = {"ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)}
    bsky = connector(lambda r: xrpc(429, "RateLimitExceeded", "Rate Limit Exceeded", **headers))

    with pytest.raises(RetryAfter, match="Bluesky: Rate Limit Exceeded") as caught:
        bsky.publish(PublishRequest(text="Bonjour", idempotency_key="k1"))

    assert 100 <= caught.value.seconds <= 121
    assert caught.value.status_code == 429
    assert bsky.last_rate is not None
    assert (bsky.last_rate.limit, bsky.last_rate.remaining) == (5000, 0)
    assert bsky.last_rate.reset_at == datetime.fromtimestamp(reset, UTC)


def test_rate_headers_of_a_successful_answer_are_kept() -> None:
    headers = {"ratelimit-limit": "3000", "ratelimit-remaining": "2999", "ratelimit-reset": "1900000000"}
    body = {"did": DID, "handle": "brand.test", "followersCount": 3, "followsCount": 1, "postsCount": 9}
    bsky = connector(lambda r: httpx.Response(200, json=body, headers=headers))

    metrics = bsky.fetch_account_metrics()

    assert (metrics.followers, metrics.following, metrics.posts) == (3, 1, 9)
    assert bsky.last_rate is not None
    assert (bsky.last_rate.limit, bsky.last_rate.remaining) == (3000, 2999)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_retried_later(status: int) -> None:
    bsky = connector(lambda r: xrpc(status, "InternalServerError", "Internal Server Error"))
    with pytest.raises(RetryAfter, match="Internal Server Error") as caught:
        bsky.fetch_account_metrics()
    assert caught.value.status_code == status


def test_a_refused_record_is_permanent_with_the_networks_words() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("resolveHandle"):
            return xrpc(400, "InvalidRequest", "Unable to resolve handle")
        return xrpc(
            400, "InvalidRequest", "Invalid app.bsky.feed.post record: Record/text must not be longer"
        )

    with pytest.raises(Permanent, match=r"Invalid app\.bsky\.feed\.post record") as caught:
        connector(handler).publish(PublishRequest(text="Bonjour @x.test", idempotency_key="k1"))
    assert caught.value.status_code == 400


def test_an_expired_session_logs_in_again_and_hands_over_the_new_one() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path.rsplit("/", 1)[-1])
        if request.url.path.endswith("createSession"):
            return httpx.Response(200, json=new_session_body())
        if len(calls) == 1:
            return xrpc(400, "ExpiredToken", "Token has expired")
        return httpx.Response(200, json={"did": DID, "handle": "brand.test"})

    saved: list[dict[str, Any]] = []
    assert connector(handler, saved).check_connection() == "brand.test"
    assert calls == [
        "app.bsky.actor.getProfile",
        "com.atproto.server.createSession",
        "app.bsky.actor.getProfile",
    ]
    [stored] = saved
    assert stored["session"] != session()
    assert stored["app_password"] == "aaaa-bbbb-cccc-dddd"  # kept: the refresh token is not all we have


def test_a_revoked_app_password_needs_the_user() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createSession"):
            return xrpc(401, "AuthenticationRequired", "Invalid identifier or password")
        return xrpc(400, "ExpiredToken", "Token has been revoked")

    with pytest.raises(NeedsUser, match="Invalid identifier or password"):
        connector(handler).check_connection()


def test_connect_with_a_wrong_app_password_needs_the_user() -> None:
    transport = httpx.MockTransport(
        lambda r: xrpc(401, "AuthenticationRequired", "Invalid identifier or password")
    )
    with pytest.raises(NeedsUser, match="Invalid identifier or password"):
        connect("brand.test", "wrong", "https://pds.example", transport=transport)
    with pytest.raises(NeedsUser, match="both required"):
        connect("brand.test", " ", "https://pds.example", transport=transport)


def test_connect_returns_the_did_the_handle_and_the_credentials() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=new_session_body()))
    did, handle, credentials = connect(
        "@brand.test", "aaaa-bbbb-cccc-dddd", "https://pds.example", transport=transport
    )
    assert (did, handle) == (DID, "brand.test")
    assert credentials["identifier"] == "brand.test"
    assert credentials["session"].split(":::")[:2] == ["brand.test", DID]


def test_a_timeout_after_sending_a_post_is_ambiguous() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createRecord"):
            raise httpx.ReadTimeout("timed out", request=request)
        if request.url.path.endswith("getRecord"):
            raise httpx.ConnectError("unreachable", request=request)
        return httpx.Response(200, json={})

    with pytest.raises(Ambiguous, match="the post may exist"):
        connector(handler).publish(PublishRequest(text="Bonjour", idempotency_key="k1"))


def test_a_timeout_after_sending_finds_the_post_if_it_was_written() -> None:
    key = "k-written"
    uri = f"at://{DID}/app.bsky.feed.post/{rkeys.rkey_for(key)}"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createRecord"):
            raise httpx.ReadTimeout("timed out", request=request)
        record = {"$type": "app.bsky.feed.post", "text": "Bonjour", "createdAt": "2026-01-01T00:00:00Z"}
        return httpx.Response(
            200, json={"uri": uri, "cid": "bafyx", "value": {**record, rkeys.KEY_FIELD: key}}
        )

    result = connector(handler).publish(PublishRequest(text="Bonjour", idempotency_key=key))
    assert result.remote_id == uri


def test_an_rkey_held_by_another_record_is_not_overwritten() -> None:
    key = "k-collision"
    uri = f"at://{DID}/app.bsky.feed.post/{rkeys.rkey_for(key)}"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createRecord"):
            return xrpc(500, "InternalServerError", "Internal Server Error")
        value = {"$type": "app.bsky.feed.post", "text": "Autre", "createdAt": "2026-01-01T00:00:00Z"}
        return httpx.Response(200, json={"uri": uri, "cid": "bafyx", "value": value})

    with pytest.raises(Permanent, match="already holds another post"):
        connector(handler).publish(PublishRequest(text="Bonjour", idempotency_key=key))


def test_a_failure_before_sending_is_retried_and_a_slow_read_too() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(RetryAfter, match="cannot reach the server"):
        connector(refused).publish(PublishRequest(text="Bonjour", idempotency_key="k1"))
    with pytest.raises(RetryAfter, match="did not answer"):
        connector(slow).fetch_account_metrics()  # a read that timed out published nothing


# --- the inbox cursor --------------------------------------------------------------------------------


def note(uri: str, at: str) -> Any:
    return SimpleNamespace(uri=uri, indexed_at=at)


def test_the_inbox_cursor_skips_what_was_handed_over_including_ties() -> None:
    start = InboxCursor.parse("")
    batch = [note("at://a", "2026-12-02T08:00:00.000Z"), note("at://b", "2026-12-02T08:00:01.000Z")]
    assert not any(start.seen(n.indexed_at, n.uri) for n in batch)

    after = InboxCursor.parse(start.advanced(batch).dump())

    assert after.seen("2026-12-02T08:00:00.000Z", "at://a")
    assert after.seen("2026-12-02T08:00:01.000Z", "at://b")
    assert not after.seen("2026-12-02T08:00:01.000Z", "at://c")  # same instant, not handed over yet
    assert not after.seen("2026-12-02T08:00:02.000Z", "at://d")
    assert after.advanced([]).dump() == after.dump()


def test_an_unreadable_inbox_cursor_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unreadable inbox cursor"):
        InboxCursor.parse("not json")


class Notifications:
    """app.bsky.notification.listNotifications as the AppView pages it: newest first, its cursor
    moving towards older ones."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []  # oldest first

    def add(self, n: int) -> None:
        uri = f"at://did:plc:fan/app.bsky.feed.post/{rkeys.rkey_for(str(n))}"
        self.items.append(
            {
                "uri": uri,
                "cid": f"bafy{n}",
                "author": {"did": "did:plc:fan", "handle": "fan.test"},
                "reason": "mention",
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": f"n{n}",
                    "createdAt": "2026-12-02T08:00:00Z",
                },
                "isRead": False,
                "indexedAt": f"2026-12-02T08:{n // 60:02d}:{n % 60:02d}.000Z",
            }
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        # The AppView's cursor is the sort time of the last item handed (not an offset), so items
        # arriving meanwhile do not shift the pages being read.
        before = request.url.params.get("cursor")
        older = [i for i in reversed(self.items) if before is None or i["indexedAt"] < before]
        size = int(request.url.params.get("limit") or 50)
        page = older[:size]
        body: dict[str, Any] = {"notifications": page}
        if len(older) > size:
            body["cursor"] = page[-1]["indexedAt"]
        return httpx.Response(200, json=body)


def test_an_inbox_longer_than_one_call_is_read_to_the_end_without_gaps_or_repeats() -> None:
    api = Notifications()
    for n in range(12):
        api.add(n)
    bsky = connector(api)

    first = bsky.fetch_inbox(limit=1)  # one per page: the call stops after its page bound
    api.add(12)  # arrives while the backlog is still being read
    second = bsky.fetch_inbox(first.cursor, limit=1)
    third = bsky.fetch_inbox(second.cursor, limit=1)
    fourth = bsky.fetch_inbox(third.cursor, limit=1)

    texts = [[i.text for i in page.items] for page in (first, second, third, fourth)]
    assert texts == [[f"n{n}" for n in range(2, 12)], ["n0", "n1"], ["n12"], []]
    assert [p.has_more for p in (first, second, third, fourth)] == [True, True, False, False]


# --- link cards -------------------------------------------------------------------------------------


def test_a_link_card_carries_the_pages_title_description_and_thumbnail() -> None:
    # Bluesky builds no preview: the post's external embed is the card readers see.
    page = (
        '<html><head><meta property="og:title" content="Nouvelle collection">'
        '<meta property="og:description" content="Douze bougies">'
        '<meta property="og:image" content="https://maison.example/c.jpg"></head></html>'
    )
    blob = {"$type": "blob", "ref": {"$link": "bafkreib2"}, "mimeType": "image/jpeg", "size": 6}
    records: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "maison.example":
            if request.url.path == "/c.jpg":
                return httpx.Response(200, content=b"\xff\xd8jpeg", headers={"content-type": "image/jpeg"})
            return httpx.Response(200, text=page, headers={"content-type": "text/html"})
        if request.url.path.endswith("uploadBlob"):
            assert request.content == b"\xff\xd8jpeg"
            return httpx.Response(200, json={"blob": blob})
        if request.url.path.endswith("createRecord"):
            records.append(json.loads(request.content)["record"])
            return httpx.Response(200, json={"uri": f"at://{DID}/app.bsky.feed.post/3abc", "cid": "bafyc"})
        return httpx.Response(404, json={"error": "NotFound", "message": "no route"})

    connector(handler).publish(
        PublishRequest(text="À voir", idempotency_key="k-card", link="https://maison.example/collection")
    )
    (record,) = records
    assert record["embed"]["$type"] == "app.bsky.embed.external"
    external = record["embed"]["external"]
    assert (external["uri"], external["title"], external["description"]) == (
        "https://maison.example/collection",
        "Nouvelle collection",
        "Douze bougies",
    )
    assert external["thumb"]["ref"] == {"$link": "bafkreib2"}


def test_a_page_that_cannot_be_read_still_gives_a_card_titled_with_its_host() -> None:
    records: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createRecord"):
            records.append(json.loads(request.content)["record"])
            return httpx.Response(200, json={"uri": f"at://{DID}/app.bsky.feed.post/3abd", "cid": "bafyd"})
        if request.url.host == "down.example":
            raise httpx.ConnectError("unreachable", request=request)
        return httpx.Response(404, json={"error": "NotFound", "message": "no route"})

    connector(handler).publish(
        PublishRequest(text="Lien", idempotency_key="k-d", link="https://down.example/x")
    )
    external = records[0]["embed"]["external"]
    external.pop("$type", None)  # the SDK's serialisation may name the object's type
    assert external == {
        "uri": "https://down.example/x",
        "title": "down.example",
        "description": "",
    }
