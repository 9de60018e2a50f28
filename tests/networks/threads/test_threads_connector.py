"""Threads connector. Threads' objects are not in ../shared/specs/meta-graph/, so answers are shaped
like the Threads API reference's examples (`..._recorded_shape`), and the fields we ask for and read are
checked against the field lists that reference documents (transcribed below, with their page)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import respx
from django.conf import settings

from tamtam.networks import registry
from tamtam.networks.base import (
    Ambiguous,
    Capability,
    ChannelContext,
    Connector,
    InboxKind,
    MediaItem,
    NeedsUser,
    Permanent,
    PublishRequest,
    RetryAfter,
)
from tamtam.networks.meta.specs import GraphRecorder, Route, split_fields
from tamtam.networks.threads import connector as threads_module
from tamtam.networks.threads.connector import ThreadsConnector

USER = "7311"
# Threads API reference, "Media" (Threads Media object) and "Reply management" (reply fields).
MEDIA_DOC = {
    "id",
    "media_product_type",
    "media_type",
    "media_url",
    "permalink",
    "owner",
    "username",
    "text",
    "timestamp",
    "shortcode",
    "thumbnail_url",
    "children",
    "is_quote_post",
    "quoted_post",
    "reposted_post",
    "alt_text",
    "link_attachment_url",
    "gif_url",
    "topic_tag",
    "has_replies",
    "root_post",
    "replied_to",
    "is_reply",
    "is_reply_owned_by_me",
    "hide_status",
    "reply_audience",
}
# "Threads User" (profile) and "Media container" status fields, "Publishing quota".
USER_DOC = {"id", "username", "name", "threads_profile_picture_url", "threads_biography"}
CONTAINER_DOC = {"id", "status", "error_message"}
QUOTA_DOC = {"quota_usage", "config", "reply_quota_usage", "reply_config"}
QUOTA = {
    "data": [
        {
            "quota_usage": 4,
            "config": {"quota_total": 250, "quota_duration": 86400},
            "reply_quota_usage": 1,
            "reply_config": {"quota_total": 1000, "quota_duration": 86400},
        }
    ]
}


@pytest.fixture(autouse=True)
def public_base(settings) -> None:  # type: ignore[no-untyped-def]
    settings.BASE_URL = "https://social.example.org"


def documented(rec: GraphRecorder) -> list[str]:
    """Requested and returned fields that the Threads reference does not document."""
    problems = []
    for request in rec.requests:
        fields = request.url.params.get("fields")
        if not fields:
            continue
        doc = (
            QUOTA_DOC
            if "publishing_limit" in request.url.path
            else USER_DOC
            if request.url.path.endswith("/me")
            else CONTAINER_DOC | MEDIA_DOC
        )
        problems += [
            f"{request.url.path}: {name}" for name, _inner in split_fields(fields) if name not in doc
        ]
    return problems


def connector(rec: GraphRecorder) -> ThreadsConnector:
    ctx = ChannelContext(
        1, "@atelier", {"access_token": "tok"}, {"user_id": USER, "username": "atelier"}, USER
    )
    c = ThreadsConnector(ctx, transport=httpx.MockTransport(rec.handler))
    c.poll_delay = 0.0
    return c


def form(request: httpx.Request) -> dict[str, str]:
    return dict(httpx.QueryParams(request.content.decode()))


def publish_routes(status=None, quota=QUOTA) -> list[Route]:  # type: ignore[no-untyped-def]
    ids = iter([f"c{i}" for i in range(1, 9)])
    return [
        Route("GET", f"/{USER}/threads_publishing_limit", None, "", quota),
        Route("POST", f"/{USER}/threads", None, "", lambda r: httpx.Response(200, json={"id": next(ids)})),
        Route("GET", r"/c\d", None, "", status or {"status": "FINISHED", "id": "c"}),
        Route("POST", f"/{USER}/threads_publish", None, "", {"id": "t500"}),
        Route(
            "GET", "/t500", None, "", {"permalink": "https://www.threads.net/@atelier/post/Abc", "id": "t500"}
        ),
    ]


def media(name: str, content_type: str = "image/jpeg", alt: str = "") -> MediaItem:
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(b"x")
    return MediaItem(str(root / name), content_type, 1, alt)


def test_it_is_registered() -> None:
    assert registry.get("threads") is ThreadsConnector


def test_publish_text_with_a_link_recorded_shape() -> None:
    rec = GraphRecorder(None, publish_routes())
    result = connector(rec).publish(
        PublishRequest(text="Bonjour", idempotency_key="k", link="https://ex.com")
    )
    assert (result.remote_id, result.url) == ("t500", "https://www.threads.net/@atelier/post/Abc")
    assert form(rec.requests[1]) == {
        "media_type": "TEXT",
        "text": "Bonjour",
        "link_attachment": "https://ex.com",
    }
    assert form(rec.requests[3]) == {"creation_id": "c1"}
    assert rec.requests[2].url.params["fields"] == "status,error_message"
    assert documented(rec) == []
    assert rec.problems == []


def test_a_thread_step_and_a_first_comment_are_replies_recorded_shape() -> None:
    rec = GraphRecorder(None, publish_routes())
    connector(rec).publish(PublishRequest(text="2/2", idempotency_key="k", reply_to_remote_id="t499"))
    assert form(rec.requests[1])["reply_to_id"] == "t499"


def test_publish_image_with_alt_text_and_a_carousel_recorded_shape() -> None:
    rec = GraphRecorder(None, publish_routes())
    c = connector(rec)
    c.publish(PublishRequest(text="Photo", idempotency_key="k", media=[media("a.jpg", alt="Un vase")]))
    assert form(rec.requests[1]) == {
        "media_type": "IMAGE",
        "image_url": "https://social.example.org/media/a.jpg",
        "alt_text": "Un vase",
        "text": "Photo",
    }
    rec.requests.clear()
    c.publish(
        PublishRequest(
            text="Trois",
            idempotency_key="k2",
            media=[media("a.jpg"), media("b.png", "image/png"), media("v.mp4", "video/mp4")],
        )
    )
    created = [form(r) for r in rec.requests if r.method == "POST" and r.url.path.endswith("/threads")]
    assert [c.get("media_type") for c in created] == ["IMAGE", "IMAGE", "VIDEO", "CAROUSEL"]
    assert all(c.get("is_carousel_item") == "true" for c in created[:3])
    assert created[3]["children"] == "c2,c3,c4"
    assert documented(rec) == []


def test_a_video_container_in_error_is_permanent_with_its_message_recorded_shape() -> None:
    status = {"status": "ERROR", "error_message": "FAILED_PROCESSING_VIDEO", "id": "c1"}
    rec = GraphRecorder(None, publish_routes(status=status))
    with pytest.raises(Permanent, match="FAILED_PROCESSING_VIDEO"):
        connector(rec).publish(
            PublishRequest(text="v", idempotency_key="k", media=[media("v.mp4", "video/mp4")])
        )


def test_the_publishing_quota_is_read_and_a_full_one_waits_recorded_shape() -> None:
    full = {
        "data": [
            {
                "quota_usage": 250,
                "config": {"quota_total": 250},
                "reply_quota_usage": 3,
                "reply_config": {"quota_total": 1000},
            }
        ]
    }
    rec = GraphRecorder(None, publish_routes(quota=full))
    c = connector(rec)
    assert c.publishing_quota() == {
        "posts_used": 250,
        "posts_total": 250,
        "replies_used": 3,
        "replies_total": 1000,
    }
    with pytest.raises(RetryAfter, match="250 of 250 posts"):
        c.publish(PublishRequest(text="x", idempotency_key="k"))
    # Replies have their own quota: a reply still goes out.
    assert (
        c.publish(PublishRequest(text="r", idempotency_key="k", reply_to_remote_id="t1")).remote_id == "t500"
    )


def test_delete_list_recent_and_hide_recorded_shape() -> None:
    threads = {
        "data": [
            {
                "id": "t1",
                "text": "Hello",
                "timestamp": "2026-12-01T08:00:00+0000",
                "permalink": "https://www.threads.net/@atelier/post/1",
                "media_type": "TEXT_POST",
                "username": "atelier",
            }
        ],
        "paging": {"cursors": {"before": "b", "after": "a"}},
    }
    rec = GraphRecorder(
        None,
        [
            Route("DELETE", "/t1", None, "", {"success": True}),
            Route("GET", f"/{USER}/threads", None, "", threads),
            Route("POST", "/r9/manage_reply", None, "", {"success": True}),
        ],
    )
    c = connector(rec)
    c.delete("t1")
    (post,) = c.list_recent(datetime(2026, 12, 1, tzinfo=UTC))
    assert (post.remote_id, post.created_at) == ("t1", datetime(2026, 12, 1, 8, tzinfo=UTC))
    c.hide("r9")
    assert form(rec.requests[-1]) == {"hide": "true"}
    assert documented(rec) == []


def test_inbox_replies_mentions_and_cursor_recorded_shape() -> None:
    conversation = {
        "data": [
            {
                "id": "r1",
                "text": "Magnifique",
                "timestamp": "2026-12-01T09:00:00+0000",
                "username": "lea",
                "replied_to": {"id": "t1"},
                "root_post": {"id": "t1"},
                "is_reply": True,
                "hide_status": "NOT_HUSHED",
            },
            {
                "id": "r2",
                "text": "Merci !",
                "timestamp": "2026-12-01T09:05:00+0000",
                "username": "atelier",
                "replied_to": {"id": "r1"},
                "root_post": {"id": "t1"},
                "is_reply": True,
            },
            {
                "id": "r3",
                "text": "D'accord",
                "timestamp": "2026-12-01T09:10:00+0000",
                "username": "tom",
                "replied_to": {"id": "r2"},
                "root_post": {"id": "t1"},
                "is_reply": True,
            },
        ]
    }
    mentions = {
        "data": [
            {
                "id": "m1",
                "text": "@atelier bravo",
                "timestamp": "2026-12-01T10:00:00+0000",
                "username": "anna",
                "permalink": "https://www.threads.net/@anna/post/9",
            }
        ]
    }
    rec = GraphRecorder(
        None,
        [
            Route("GET", f"/{USER}/threads", None, "", {"data": [{"id": "t1"}]}),
            Route("GET", "/t1/conversation", None, "", conversation),
            Route("GET", f"/{USER}/mentions", None, "", mentions),
        ],
    )
    c = connector(rec)
    page = c.fetch_inbox()
    assert [(i.remote_id, i.kind, i.parent_remote_id) for i in page.items] == [
        ("r1", InboxKind.COMMENT, "t1"),
        ("r3", InboxKind.REPLY, "r2"),
        ("m1", InboxKind.MENTION, ""),
    ]
    assert c.fetch_inbox(page.cursor).items == []
    assert documented(rec) == []


def test_metrics_and_search_recorded_shape() -> None:
    post_insights = {
        "data": [
            {
                "name": "views",
                "period": "lifetime",
                "values": [{"value": 900}],
                "id": "t1/insights/views/lifetime",
            },
            {"name": "likes", "period": "lifetime", "values": [{"value": 40}], "id": "x"},
            {"name": "replies", "period": "lifetime", "values": [{"value": 6}], "id": "x"},
            {"name": "reposts", "period": "lifetime", "values": [{"value": 3}], "id": "x"},
            {"name": "quotes", "period": "lifetime", "values": [{"value": 1}], "id": "x"},
        ]
    }
    user_insights = {
        "data": [
            {
                "name": "views",
                "period": "day",
                "values": [
                    {"value": 10, "end_time": "2026-11-30T08:00:00+0000"},
                    {"value": 15, "end_time": "2026-12-01T08:00:00+0000"},
                ],
            },
            {"name": "followers_count", "period": "day", "total_value": {"value": 2048}},
        ]
    }
    found = {
        "data": [
            {
                "id": "s1",
                "text": "céramique",
                "timestamp": "2026-12-01T07:00:00+0000",
                "username": "potier",
                "permalink": "https://www.threads.net/@potier/post/s1",
            }
        ],
        "paging": {
            "cursors": {"after": "QVFI"},
            "next": "https://graph.threads.net/v1.0/keyword_search?after=QVFI",
        },
    }
    rec = GraphRecorder(
        None,
        [
            Route("GET", "/t1/insights", None, "", post_insights),
            Route("GET", f"/{USER}/threads_insights", None, "", user_insights),
            Route("GET", "/keyword_search", None, "", found),
        ],
    )
    c = connector(rec)
    (m,) = c.fetch_post_metrics(["t1"])
    assert (m.impressions, m.likes, m.comments, m.shares) == (900, 40, 6, 4)
    account = c.fetch_account_metrics()
    assert (account.followers, account.impressions) == (2048, 25)
    page = c.search("céramique")
    assert [(p.remote_id, p.author.handle) for p in page.items] == [("s1", "potier")]
    assert (page.cursor, page.has_more) == ("QVFI", True)
    assert rec.requests[-1].url.params["q"] == "céramique"
    assert documented(rec) == []


def test_identify_upgrades_to_a_long_lived_token_recorded_shape(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TAMTAM_THREADS_CLIENT_ID", "app")
    monkeypatch.setenv("TAMTAM_THREADS_CLIENT_SECRET", "shh")
    rec = GraphRecorder(
        None,
        [
            Route(
                "GET",
                "/access_token",
                None,
                "",
                {"access_token": "long", "token_type": "bearer", "expires_in": 5184000},
            ),
            Route("GET", "/me", None, "", {"id": USER, "username": "atelier", "name": "L'Atelier"}),
        ],
    )
    credentials = {"access_token": "short"}
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="graph.threads.net").mock(side_effect=rec.handler)
        identity = ThreadsConnector.identify(credentials, {})
    assert (identity.external_id, identity.handle) == (USER, "@atelier")
    assert rec.requests[0].url.params["grant_type"] == "th_exchange_token"
    assert credentials["access_token"] == "long"
    assert credentials["long_lived"] is True
    assert rec.requests[1].headers["authorization"] == "Bearer long"
    assert documented(rec) == []


def test_refresh_renews_and_persists_the_token_recorded_shape() -> None:
    saved: list[dict] = []
    rec = GraphRecorder(
        None,
        [
            Route(
                "GET",
                "/refresh_access_token",
                None,
                "",
                {"access_token": "renewed", "token_type": "bearer", "expires_in": 5184000},
            )
        ],
    )
    ctx = ChannelContext(
        1, "@a", {"access_token": "old", "long_lived": True}, {"user_id": USER}, USER, saved.append
    )
    ThreadsConnector(ctx, transport=httpx.MockTransport(rec.handler)).refresh()
    assert rec.requests[0].url.params["grant_type"] == "th_refresh_token"
    assert saved[-1]["access_token"] == "renewed"


def error(status: int, code: int, message: str):  # type: ignore[no-untyped-def]
    body = {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A1"}}
    return lambda request: httpx.Response(status, json=body)


def failing(answer) -> ThreadsConnector:  # type: ignore[no-untyped-def]
    return connector(
        GraphRecorder(None, [Route("GET", f"/{USER}/threads_publishing_limit", None, "", answer)])
    )


def test_errors_map_to_the_contract_recorded_shape() -> None:
    request = PublishRequest(text="x", idempotency_key="k")
    with pytest.raises(NeedsUser, match="Session has expired"):
        failing(error(401, 190, "Error validating access token: Session has expired")).publish(request)
    with pytest.raises(RetryAfter):
        failing(error(400, 4, "Application request limit reached")).publish(request)
    with pytest.raises(Permanent, match="Param text must be at most 500 characters long"):
        failing(error(400, 100, "Param text must be at most 500 characters long")).publish(request)
    with pytest.raises(RetryAfter):
        failing(
            lambda r: httpx.Response(500, json={"error": {"message": "Please retry", "code": 1}})
        ).publish(request)

    def timeout(r: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=r)

    rec = GraphRecorder(None, [*publish_routes()[:1], Route("POST", f"/{USER}/threads", None, "", timeout)])
    with pytest.raises(Ambiguous):
        connector(rec).publish(request)


def test_every_declared_capability_has_its_method() -> None:
    names = {
        Capability.DELETE: "delete",
        Capability.LIST_RECENT: "list_recent",
        Capability.FETCH_INBOX: "fetch_inbox",
        Capability.HIDE: "hide",
        Capability.FETCH_METRICS: "fetch_post_metrics",
        Capability.SEARCH: "search",
    }
    for capability, name in names.items():
        assert capability in ThreadsConnector.capabilities
        assert getattr(ThreadsConnector, name) is not getattr(Connector, name)
    assert threads_module.SPEC.access_token_days == 60
