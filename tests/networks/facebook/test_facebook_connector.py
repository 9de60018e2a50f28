"""Facebook Pages connector. No Graph server runs here: every request the connector sends and every
answer it parses is checked against Meta's own node specs (../shared/specs/meta-graph/: fields, edges
and their parameters) by `GraphRecorder`; tests that do so are named `..._matches_graph_spec`. Error
bodies and throttling headers are shaped like Meta's documented ones (`..._recorded_shape`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
from tamtam.networks.facebook.connector import FacebookConnector
from tamtam.networks.meta.specs import GraphRecorder, GraphSpec, Route

SPECS = Path(__file__).resolve().parents[3].parent / "shared" / "specs" / "meta-graph"
PAGE = "1001"
POST = "1001_2002"


@pytest.fixture(scope="module")
def spec() -> GraphSpec:
    if not SPECS.exists():
        pytest.skip(f"{SPECS} is absent: Meta's Graph specs live in ../shared/specs beside the repo")
    return GraphSpec(SPECS)


def connector(recorder: GraphRecorder, **credentials: str) -> FacebookConnector:
    ctx = ChannelContext(
        channel_id=1,
        handle="Café Lumière",
        credentials={"access_token": "user-token", "page_access_token": "page-token", **credentials},
        options={"page_id": PAGE},
        external_id=PAGE,
    )
    return FacebookConnector(ctx, transport=httpx.MockTransport(recorder.handler))


def graph_error(
    status: int, code: int, message: str, subcode: int | None = None, headers: dict | None = None
):
    body = {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf123"}}
    if subcode:
        body["error"]["error_subcode"] = subcode
    return lambda request: httpx.Response(status, json=body, headers=headers or {})


def image(tmp_path: Path, name: str = "a.jpg") -> MediaItem:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff" + b"0" * 100)
    return MediaItem(path=str(path), content_type="image/jpeg", size=103, alt_text=f"alt of {name}")


def test_it_is_registered_with_its_capabilities() -> None:
    assert registry.get("facebook") is FacebookConnector
    assert {Capability.PUBLISH, Capability.HIDE, Capability.DIRECT_MESSAGES} <= FacebookConnector.capabilities


def test_publish_text_and_link_matches_graph_spec(spec: GraphSpec) -> None:
    rec = GraphRecorder(spec, [Route("POST", f"/{PAGE}/feed", "Page", "feed", {"id": POST})])
    result = connector(rec).publish(
        PublishRequest(text="Bonjour", idempotency_key="k", link="https://ex.com/a")
    )
    assert result.remote_id == POST
    assert result.url == f"https://www.facebook.com/{POST}"
    sent = dict(httpx.QueryParams(rec.requests[0].content.decode()))
    assert sent == {"message": "Bonjour", "link": "https://ex.com/a"}
    assert rec.requests[0].headers["authorization"] == "Bearer page-token"
    assert rec.problems == []


def test_publish_photos_with_alt_text_matches_graph_spec(spec: GraphSpec, tmp_path: Path) -> None:
    ids = iter(["p1", "p2"])
    rec = GraphRecorder(
        spec,
        [
            Route(
                "POST",
                f"/{PAGE}/photos",
                "Page",
                "photos",
                lambda r: httpx.Response(200, json={"id": next(ids)}),
            ),
            Route("POST", f"/{PAGE}/feed", "Page", "feed", {"id": POST}),
        ],
    )
    media = [image(tmp_path, "a.jpg"), image(tmp_path, "b.jpg")]
    connector(rec).publish(PublishRequest(text="Two photos", idempotency_key="k", media=media))
    first = rec.requests[0].content
    assert b'name="published"\r\n\r\nfalse' in first
    assert b'name="alt_text_custom"\r\n\r\nalt of a.jpg' in first
    assert b'name="source"; filename="a.jpg"' in first
    feed = dict(httpx.QueryParams(rec.requests[2].content.decode()))
    assert json.loads(feed["attached_media"]) == [{"media_fbid": "p1"}, {"media_fbid": "p2"}]
    assert rec.problems == []


def test_publish_video_matches_graph_spec(spec: GraphSpec, tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    rec = GraphRecorder(spec, [Route("POST", f"/{PAGE}/videos", "Page", "videos", {"id": "v9"})])
    result = connector(rec).publish(
        PublishRequest(text="Film", idempotency_key="k", media=[MediaItem(str(video), "video/mp4", 12)])
    )
    assert result.remote_id == "v9"
    assert b'name="description"\r\n\r\nFilm' in rec.requests[0].content
    assert rec.problems == []


def test_first_comment_and_reply_and_delete_match_graph_spec(spec: GraphSpec) -> None:
    rec = GraphRecorder(
        spec,
        [
            Route("POST", f"/{POST}/comments", "PagePost", "comments", {"id": f"{POST}_c1"}),
            Route("POST", r"/2002_c5/comments", "Comment", "comments", {"id": "2002_c6"}),
            Route("DELETE", f"/{POST}", "PagePost", "", {"success": True}),
        ],
    )
    c = connector(rec)
    first = c.publish(
        PublishRequest(text="Lien en commentaire", idempotency_key="k", reply_to_remote_id=POST)
    )
    assert first.remote_id == f"{POST}_c1"
    assert c.reply("2002_c5", PublishRequest(text="Merci !", idempotency_key="r")).remote_id == "2002_c6"
    c.delete(POST)
    assert rec.problems == []


def test_list_recent_matches_graph_spec(spec: GraphSpec) -> None:
    body = {
        "data": [
            {
                "id": POST,
                "message": "Hello",
                "created_time": "2026-12-01T10:00:00+0000",
                "permalink_url": "https://www.facebook.com/1001/posts/2002",
            }
        ],
        "paging": {"cursors": {"before": "b", "after": "a"}},
    }
    rec = GraphRecorder(spec, [Route("GET", f"/{PAGE}/published_posts", "Page", "published_posts", body)])
    posts = connector(rec).list_recent(datetime(2026, 12, 1, tzinfo=UTC))
    assert [(p.remote_id, p.text, p.created_at) for p in posts] == [
        (POST, "Hello", datetime(2026, 12, 1, 10, tzinfo=UTC))
    ]
    assert rec.requests[0].url.params["since"] == str(int(datetime(2026, 12, 1, tzinfo=UTC).timestamp()))
    assert rec.problems == []


def comments_route(data: list[dict]) -> Route:
    return Route(
        "GET", f"/{POST}/comments", "PagePost", "comments", {"data": data, "paging": {"cursors": {}}}
    )


COMMENTS = [
    {
        "id": "2002_c2",
        "message": "Super !",
        "created_time": "2026-12-01T11:00:00+0000",
        "from": {"id": "u7", "name": "Léa"},
        "permalink_url": "https://www.facebook.com/c2",
        "is_hidden": False,
    },
    {
        "id": "2002_c3",
        "message": "Merci",
        "created_time": "2026-12-01T12:00:00+0000",
        "from": {"id": "u8", "name": "Tom"},
        "parent": {"id": "2002_c2"},
        "is_hidden": False,
    },
    {
        "id": "2002_c4",
        "message": "Our own answer",
        "created_time": "2026-12-01T12:30:00+0000",
        "from": {"id": PAGE, "name": "Café"},
    },
]


def test_inbox_comments_and_cursor_matches_graph_spec(spec: GraphSpec) -> None:
    rec = GraphRecorder(
        spec,
        [
            Route("GET", f"/{PAGE}/published_posts", "Page", "published_posts", {"data": [{"id": POST}]}),
            comments_route(COMMENTS),
        ],
    )
    c = connector(rec)
    page = c.fetch_inbox()
    assert [(i.remote_id, i.kind, i.parent_remote_id, i.author.name) for i in page.items] == [
        ("2002_c2", InboxKind.COMMENT, POST, "Léa"),
        ("2002_c3", InboxKind.REPLY, "2002_c2", "Tom"),
    ]  # the Page's own comment is not inbox material
    again = c.fetch_inbox(page.cursor)
    assert again.items == []
    assert again.cursor == page.cursor
    since = rec.requests[-1].url.params["since"]
    assert int(since) == int(datetime(2026, 12, 1, 12, tzinfo=UTC).timestamp())
    assert rec.problems == []


def test_inbox_includes_messenger_messages_with_the_permission_recorded_shape(spec: GraphSpec) -> None:
    conversations = {
        "data": [
            {
                "id": "t_1",
                "updated_time": "2026-12-01T13:00:00+0000",
                "messages": {
                    "data": [
                        {
                            "id": "m_1",
                            "message": "Vous êtes ouverts ?",
                            "created_time": "2026-12-01T13:00:00+0000",
                            "from": {"id": "psid9", "name": "Anna"},
                        },
                    ]
                },
            }
        ]
    }
    rec = GraphRecorder(
        spec,
        [
            Route("GET", f"/{PAGE}/published_posts", "Page", "published_posts", {"data": []}),
            # UnifiedThread is not among the shipped specs: the shape follows Meta's Conversations API page.
            Route("GET", f"/{PAGE}/conversations", None, "conversations", conversations),
            Route(
                "POST",
                f"/{PAGE}/messages",
                "Page",
                "messages",
                {"recipient_id": "psid9", "message_id": "m_2"},
            ),
        ],
    )
    c = connector(rec, scope="pages_show_list,pages_messaging")
    (dm,) = c.fetch_inbox().items
    assert (dm.kind, dm.conversation_key, dm.text) == (InboxKind.DM, "t_1", "Vous êtes ouverts ?")
    reply = c.reply(dm.remote_id, PublishRequest(text="Oui, jusqu'à 19 h", idempotency_key="r"))
    assert reply.remote_id == "dm:psid9:m_2"
    sent = dict(httpx.QueryParams(rec.requests[-1].content.decode()))
    assert json.loads(sent["recipient"]) == {"id": "psid9"}
    assert sent["messaging_type"] == "RESPONSE"
    assert rec.problems == []


def test_like_and_hide_match_graph_spec(spec: GraphSpec) -> None:
    rec = GraphRecorder(
        spec,
        [
            Route("POST", "/2002_c2/likes", "Comment", "likes", {"success": True}),
            Route("POST", "/2002_c2", "Comment", "", {"success": True}),
        ],
    )
    c = connector(rec)
    c.like("2002_c2")
    c.hide("2002_c2")
    assert dict(httpx.QueryParams(rec.requests[1].content.decode())) == {"is_hidden": "true"}
    assert rec.problems == []


def test_post_and_page_metrics_match_graph_spec(spec: GraphSpec) -> None:
    insights = {
        "data": [
            {"name": "post_impressions", "period": "lifetime", "values": [{"value": 1234}], "id": "x/i"},
            {
                "name": "post_impressions_unique",
                "period": "lifetime",
                "values": [{"value": 900}],
                "id": "x/u",
            },
            {"name": "post_engaged_users", "period": "lifetime", "values": [{"value": 77}], "id": "x/e"},
            {"name": "post_clicks", "period": "lifetime", "values": [{"value": 31}], "id": "x/c"},
            {
                "name": "post_reactions_by_type_total",
                "period": "lifetime",
                "values": [{"value": {"like": 40, "love": 5}}],
                "id": "x/r",
            },
        ]
    }
    counts = {
        "id": POST,
        "shares": {"count": 3},
        "comments": {"data": [], "summary": {"total_count": 12}},
        "reactions": {"data": [], "summary": {"total_count": 45}},
    }
    rec = GraphRecorder(
        spec,
        [
            Route("GET", f"/{POST}", "PagePost", "", counts),
            Route("GET", f"/{POST}/insights", "PagePost", "insights", insights),
            Route("GET", f"/{PAGE}", "Page", "", {"id": PAGE, "followers_count": 5100, "fan_count": 4900}),
            Route(
                "GET",
                f"/{PAGE}/insights",
                "Page",
                "insights",
                {
                    "data": [
                        {
                            "name": "page_impressions",
                            "period": "day",
                            "values": [{"value": 10}, {"value": 321}],
                            "id": "p/i",
                        },
                    ]
                },
            ),
        ],
    )
    c = connector(rec)
    (m,) = c.fetch_post_metrics([POST])
    assert (m.impressions, m.reach, m.likes, m.comments, m.shares, m.clicks) == (1234, 900, 45, 12, 3, 31)
    assert m.extra == {
        "post_reactions_by_type_total.like": 40,
        "post_reactions_by_type_total.love": 5,
        "engaged_users": 77,
    }
    account = c.fetch_account_metrics()
    assert (account.followers, account.impressions, account.extra["fans"]) == (5100, 321, 4900)
    assert rec.problems == []


def test_identify_lists_pages_and_keeps_the_chosen_page_token_matches_graph_spec(spec: GraphSpec) -> None:
    accounts = {
        "data": [
            {"id": "1001", "name": "Café Lumière", "access_token": "pt-1", "category": "Café"},
            {"id": "1002", "name": "Boulangerie", "access_token": "pt-2", "category": "Bakery"},
        ],
        "paging": {"cursors": {"before": "b", "after": "a"}},
    }
    rec = GraphRecorder(spec, [Route("GET", "/me/accounts", "Page", "", accounts, response_node="Page")])
    credentials = {"access_token": "user-token"}
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="graph.facebook.com").mock(side_effect=rec.handler)
        identity = FacebookConnector.identify(credentials, {"page_id": "1002"})
    assert (identity.external_id, identity.handle) == ("1002", "Boulangerie")
    assert identity.options["pages"] == [
        {"id": "1001", "name": "Café Lumière"},
        {"id": "1002", "name": "Boulangerie"},
    ]
    assert credentials["page_access_token"] == "pt-2"
    # `me/accounts` lists Page nodes: the fields asked are checked against Page.
    assert spec.field_problems("Page", rec.requests[0].url.params["fields"]) == []


def test_page_token_is_fetched_from_the_user_token_once_and_persisted(spec: GraphSpec) -> None:
    saved: list[dict] = []
    rec = GraphRecorder(
        spec,
        [
            Route("GET", f"/{PAGE}", "Page", "", {"id": PAGE, "access_token": "fresh-page-token"}),
            Route("POST", f"/{PAGE}/feed", "Page", "feed", {"id": POST}),
        ],
    )
    ctx = ChannelContext(1, "x", {"access_token": "user-token"}, {"page_id": PAGE}, PAGE, saved.append)
    c = FacebookConnector(ctx, transport=httpx.MockTransport(rec.handler))
    c.publish(PublishRequest(text="a", idempotency_key="1"))
    c.publish(PublishRequest(text="b", idempotency_key="2"))
    assert rec.requests[0].headers["authorization"] == "Bearer user-token"
    assert [r.url.path for r in rec.requests].count(f"/v21.0/{PAGE}") == 1
    assert saved[-1]["page_access_token"] == "fresh-page-token"
    assert rec.problems == []


# --- errors (bodies and headers shaped like Meta's "Handling errors" / "Rate limiting" pages) -------


def one(route_answer) -> FacebookConnector:  # type: ignore[no-untyped-def]
    rec = GraphRecorder(None, [Route("POST", f"/{PAGE}/feed", None, "feed", route_answer)])
    return connector(rec)


def test_expired_token_is_needs_user_with_metas_message_recorded_shape() -> None:
    c = one(graph_error(400, 190, "Error validating access token: Session has expired on Tuesday.", 463))
    with pytest.raises(NeedsUser) as err:
        c.publish(PublishRequest(text="x", idempotency_key="k"))
    assert "Session has expired" in err.value.message


def test_page_throttling_waits_the_business_use_case_estimate_recorded_shape() -> None:
    buc = json.dumps(
        {
            PAGE: [
                {
                    "type": "pages",
                    "call_count": 100,
                    "total_cputime": 20,
                    "total_time": 30,
                    "estimated_time_to_regain_access": 7,
                }
            ]
        }
    )
    c = one(graph_error(400, 32, "Page request limit reached", headers={"x-business-use-case-usage": buc}))
    with pytest.raises(RetryAfter) as err:
        c.publish(PublishRequest(text="x", idempotency_key="k"))
    assert err.value.seconds == 7 * 60
    assert c.last_rate is not None
    assert c.last_rate.remaining == 0


@pytest.mark.parametrize("code", [4, 17, 613, 80001])
def test_app_and_user_throttling_is_retry_after_recorded_shape(code: int) -> None:
    usage = json.dumps({"call_count": 100, "total_cputime": 12, "total_time": 40})
    c = one(graph_error(400, code, "(#4) Application request limit reached", headers={"x-app-usage": usage}))
    with pytest.raises(RetryAfter) as err:
        c.publish(PublishRequest(text="x", idempotency_key="k"))
    assert err.value.seconds == 600
    assert "limit reached" in err.value.message


def test_permission_error_is_needs_user_recorded_shape() -> None:
    c = one(graph_error(403, 200, "(#200) The user hasn't authorized the application to perform this action"))
    with pytest.raises(NeedsUser):
        c.publish(PublishRequest(text="x", idempotency_key="k"))


def test_invalid_parameter_is_permanent_with_metas_message_recorded_shape() -> None:
    c = one(graph_error(400, 100, "(#100) Invalid parameter: link is not a valid URL"))
    with pytest.raises(Permanent) as err:
        c.publish(PublishRequest(text="x", idempotency_key="k"))
    assert err.value.message == "Facebook: (#100) Invalid parameter: link is not a valid URL"


def test_server_errors_and_transient_errors_are_retry_after_recorded_shape() -> None:
    with pytest.raises(RetryAfter):
        one(lambda r: httpx.Response(503, text="Service Unavailable")).publish(PublishRequest("x", "k"))
    with pytest.raises(RetryAfter):
        one(
            graph_error(500, 2, "An unexpected error has occurred. Please retry your request later.")
        ).publish(PublishRequest("x", "k"))


def test_read_timeout_on_a_post_is_ambiguous() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    with pytest.raises(Ambiguous):
        one(slow).publish(PublishRequest("x", "k"))


def test_revoke_deletes_the_permissions_and_ignores_an_already_dead_token() -> None:
    rec = GraphRecorder(None, [Route("DELETE", "/me/permissions", None, "", {"success": True})])
    connector(rec).revoke()
    assert rec.requests[0].headers["authorization"] == "Bearer user-token"
    dead = GraphRecorder(
        None, [Route("DELETE", "/me/permissions", None, "", graph_error(400, 190, "expired"))]
    )
    connector(dead).revoke()  # no exception


def test_every_declared_capability_has_its_method() -> None:
    methods = {
        Capability.DELETE: "delete",
        Capability.LIST_RECENT: "list_recent",
        Capability.FETCH_INBOX: "fetch_inbox",
        Capability.LIKE: "like",
        Capability.HIDE: "hide",
        Capability.FETCH_METRICS: "fetch_post_metrics",
        Capability.REVOKE: "revoke",
        Capability.REPLY: "reply",
    }
    from tamtam.networks.base import Connector

    for capability, name in methods.items():
        if capability in FacebookConnector.capabilities:
            assert getattr(FacebookConnector, name) is not getattr(Connector, name), name


def test_timestamps_are_aware_utc() -> None:
    from tamtam.networks.meta.graph import parse_time

    assert parse_time("2026-12-01T10:00:00+0000") == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert parse_time("2026-12-01T10:00:00+0200") == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert parse_time("2026-12-01T10:00:00+0000") - timedelta(hours=1) < parse_time(
        "2026-12-01T10:30:00+0000"
    )


def test_the_spec_checker_catches_unknown_fields_edges_and_parameters(spec: GraphSpec) -> None:
    # The checker itself must be able to fail, or the `_matches_graph_spec` tests prove nothing.
    assert spec.field_problems("PagePost", "id,mesage") == ["PagePost has no field or edge 'mesage'"]
    assert spec.field_problems("IGMedia", "id,comments{id,txt}") == ["IGComment has no field or edge 'txt'"]
    assert spec.edge_problems("Page", "POST", "feed", {"messsage"}) == [
        "Page POST /feed: no parameter 'messsage'"
    ]
    assert spec.edge_problems("PagePost", "POST", "share", set()) == ["PagePost has no POST /share"]
    assert spec.response_problems("Comment", {"data": [{"id": "1", "body": "x"}]}) == [
        "Comment has no field 'body'"
    ]
