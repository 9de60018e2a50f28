"""Instagram connector (Graph API, professional accounts). No Graph server runs here: requests and
answers are checked against Meta's node specs (../shared/specs/meta-graph/: IGUser, IGMedia, IGComment)
by `GraphRecorder` (tests named `..._matches_graph_spec`). Media containers (`IGContainer`) and the
publishing limit answer are not among the shipped specs: their shapes follow Meta's reference pages
(`..._recorded_shape`)."""

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
from tamtam.networks.instagram.connector import InstagramConnector
from tamtam.networks.meta.specs import GraphRecorder, GraphSpec, Route

SPECS = Path(__file__).resolve().parents[3].parent / "shared" / "specs" / "meta-graph"
IG = "17841400000000001"
QUOTA = {"data": [{"quota_usage": 2, "config": {"quota_total": 50, "quota_duration": 86400}}]}


@pytest.fixture(scope="module")
def spec() -> GraphSpec:
    if not SPECS.exists():
        pytest.skip(f"{SPECS} is absent: Meta's Graph specs live in ../shared/specs beside the repo")
    return GraphSpec(SPECS)


@pytest.fixture(autouse=True)
def public_base(settings) -> None:  # type: ignore[no-untyped-def]
    settings.BASE_URL = "https://social.example.org"


def connector(rec: GraphRecorder, **options: str) -> InstagramConnector:
    ctx = ChannelContext(
        1, "@cafe", {"access_token": "tok"}, {"ig_user_id": IG, "username": "cafe", **options}, IG
    )
    c = InstagramConnector(ctx, transport=httpx.MockTransport(rec.handler))
    c.poll_delay = 0.0
    return c


def media(name: str, content_type: str = "image/jpeg", alt: str = "") -> MediaItem:
    root = Path(settings.MEDIA_ROOT) / "media" / "2026"
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    path.write_bytes(b"x" * 10)
    return MediaItem(str(path), content_type, 10, alt)


def container_status(*states: str):  # type: ignore[no-untyped-def]
    queue = list(states)

    def answer(request: httpx.Request) -> httpx.Response:
        state = queue.pop(0) if len(queue) > 1 else queue[0]
        return httpx.Response(200, json={"status_code": state, "id": request.url.path.rsplit("/", 1)[-1]})

    return answer


def publish_routes(container_answer=None, extra=()) -> list[Route]:  # type: ignore[no-untyped-def]
    ids = iter(["c1", "c2", "c3", "c4"])
    return [
        Route("GET", f"/{IG}/content_publishing_limit", "IGUser", "content_publishing_limit", QUOTA),
        Route(
            "POST", f"/{IG}/media", "IGUser", "media", lambda r: httpx.Response(200, json={"id": next(ids)})
        ),
        # IGContainer is not in the shipped specs (Meta's "IG Container" reference page shape).
        Route("GET", r"/c\d", None, "", container_answer or container_status("FINISHED")),
        Route("POST", f"/{IG}/media_publish", "IGUser", "media_publish", {"id": "m100"}),
        Route("GET", "/m100", "IGMedia", "", {"permalink": "https://www.instagram.com/p/Abc/", "id": "m100"}),
        *extra,
    ]


def form(request: httpx.Request) -> dict[str, str]:
    return dict(httpx.QueryParams(request.content.decode()))


def test_it_is_registered() -> None:
    assert registry.get("instagram") is InstagramConnector


def test_publish_an_image_with_alt_text_matches_graph_spec(spec: GraphSpec) -> None:
    rec = GraphRecorder(spec, publish_routes())
    result = connector(rec).publish(
        PublishRequest(text="Nouveau menu", idempotency_key="k", media=[media("a.jpg", alt="Une assiette")])
    )
    assert (result.remote_id, result.url) == ("m100", "https://www.instagram.com/p/Abc/")
    created = form(rec.requests[1])
    assert created == {
        "image_url": "https://social.example.org/media/media/2026/a.jpg",
        "alt_text": "Une assiette",
        "caption": "Nouveau menu",
    }
    assert form(rec.requests[3]) == {"creation_id": "c1"}
    assert rec.problems == []


def test_publish_a_carousel_with_a_video_child_matches_graph_spec(spec: GraphSpec) -> None:
    rec = GraphRecorder(spec, publish_routes())
    items = [media("a.jpg", alt="A"), media("b.mp4", "video/mp4")]
    connector(rec).publish(PublishRequest(text="Carrousel", idempotency_key="k", media=items))
    posts = [form(r) for r in rec.requests if r.method == "POST" and r.url.path.endswith("/media")]
    assert posts[0] == {"image_url": posts[0]["image_url"], "alt_text": "A", "is_carousel_item": "true"}
    assert posts[1]["media_type"] == "VIDEO"
    assert posts[1]["is_carousel_item"] == "true"
    assert posts[2] == {"media_type": "CAROUSEL", "children": "c1,c2", "caption": "Carrousel"}
    assert rec.problems == []


def test_a_reel_waits_for_the_container_to_finish_recorded_shape(spec: GraphSpec) -> None:
    rec = GraphRecorder(spec, publish_routes(container_status("IN_PROGRESS", "IN_PROGRESS", "FINISHED")))
    connector(rec).publish(
        PublishRequest(text="Reel", idempotency_key="k", media=[media("r.mp4", "video/mp4")])
    )
    assert form(rec.requests[1])["media_type"] == "REELS"
    assert sum(1 for r in rec.requests if r.url.path.endswith("/c1")) == 3
    assert rec.problems == []


def test_a_container_in_error_is_permanent_recorded_shape() -> None:
    rec = GraphRecorder(None, publish_routes(container_status("ERROR")))
    with pytest.raises(Permanent):
        connector(rec).publish(
            PublishRequest(text="x", idempotency_key="k", media=[media("r.mp4", "video/mp4")])
        )


def test_a_full_publishing_quota_is_a_wait_not_a_refusal_recorded_shape() -> None:
    full = {"data": [{"quota_usage": 50, "config": {"quota_total": 50, "quota_duration": 86400}}]}
    rec = GraphRecorder(None, [Route("GET", f"/{IG}/content_publishing_limit", None, "", full)])
    c = connector(rec)
    assert c.publishing_quota() == (50, 50)
    with pytest.raises(RetryAfter) as err:
        c.publish(PublishRequest(text="x", idempotency_key="k", media=[media("a.jpg")]))
    assert err.value.seconds == 3600
    assert "50 of 50" in err.value.message


def test_text_only_is_refused_and_a_private_base_url_is_explained(settings) -> None:  # type: ignore[no-untyped-def]
    rec = GraphRecorder(None, publish_routes())
    with pytest.raises(Permanent, match="needs an image"):
        connector(rec).publish(PublishRequest(text="x", idempotency_key="k"))
    settings.BASE_URL = "http://127.0.0.1:8000"
    with pytest.raises(Permanent, match="TAMTAM_BASE_URL"):
        connector(rec).publish(PublishRequest(text="x", idempotency_key="k", media=[media("a.jpg")]))


def test_first_comment_reply_hide_and_delete_match_graph_spec(spec: GraphSpec) -> None:
    rec = GraphRecorder(
        spec,
        [
            Route("POST", "/m100/comments", "IGMedia", "comments", {"id": "cm1"}),
            Route("POST", "/cm7/replies", "IGComment", "replies", {"id": "cm8"}),
            Route("POST", "/cm7", "IGComment", "", {"success": True}),
            Route("DELETE", "/m100", "IGMedia", "", {"success": True}),
        ],
    )
    c = connector(rec)
    assert (
        c.publish(PublishRequest(text="#menu", idempotency_key="k", reply_to_remote_id="m100")).remote_id
        == "cm1"
    )
    assert c.reply("cm7", PublishRequest(text="Merci", idempotency_key="r")).remote_id == "cm8"
    c.hide("cm7")
    assert form(rec.requests[2]) == {"hide": "true"}
    c.delete("m100")
    assert rec.problems == []


def test_list_recent_matches_graph_spec(spec: GraphSpec) -> None:
    body = {
        "data": [
            {
                "id": "m1",
                "caption": "Hello",
                "timestamp": "2026-12-01T09:00:00+0000",
                "permalink": "https://www.instagram.com/p/X/",
                "media_type": "IMAGE",
            }
        ],
        "paging": {"cursors": {"before": "b", "after": "a"}},
    }
    rec = GraphRecorder(spec, [Route("GET", f"/{IG}/media", "IGUser", "media", body)])
    (post,) = connector(rec).list_recent(datetime(2026, 12, 1, tzinfo=UTC))
    assert (post.remote_id, post.text, post.created_at) == (
        "m1",
        "Hello",
        datetime(2026, 12, 1, 9, tzinfo=UTC),
    )
    assert rec.problems == []


def test_inbox_comments_replies_mentions_and_cursor_matches_graph_spec(spec: GraphSpec) -> None:
    comments = {
        "data": [
            {
                "id": "cm1",
                "text": "Trop bon",
                "timestamp": "2026-12-01T10:00:00+0000",
                "username": "lea",
                "hidden": False,
                "like_count": 1,
                "replies": {
                    "data": [
                        {
                            "id": "cm2",
                            "text": "Merci Léa",
                            "timestamp": "2026-12-01T10:05:00+0000",
                            "username": "cafe",
                        },
                        {
                            "id": "cm3",
                            "text": "+1",
                            "timestamp": "2026-12-01T10:10:00+0000",
                            "username": "tom",
                        },
                    ]
                },
            },
        ]
    }
    tags = {
        "data": [
            {
                "id": "m9",
                "caption": "Au @cafe ce matin",
                "timestamp": "2026-12-01T11:00:00+0000",
                "permalink": "https://www.instagram.com/p/T/",
                "username": "anna",
            }
        ]
    }
    rec = GraphRecorder(
        spec,
        [
            Route("GET", f"/{IG}/media", "IGUser", "media", {"data": [{"id": "m1"}]}),
            Route("GET", "/m1/comments", "IGMedia", "comments", comments),
            Route("GET", f"/{IG}/tags", "IGUser", "tags", tags),
        ],
    )
    c = connector(rec)
    page = c.fetch_inbox()
    assert [(i.remote_id, i.kind, i.parent_remote_id, i.author.handle) for i in page.items] == [
        ("cm1", InboxKind.COMMENT, "m1", "lea"),
        ("cm3", InboxKind.REPLY, "cm1", "tom"),  # our own reply (cm2) is not inbox material
        ("m9", InboxKind.MENTION, "", "anna"),
    ]
    assert c.fetch_inbox(page.cursor).items == []
    assert rec.problems == []


def test_metrics_match_graph_spec(spec: GraphSpec) -> None:
    insights = {
        "data": [
            {"name": "reach", "period": "lifetime", "values": [{"value": 800}]},
            {"name": "likes", "period": "lifetime", "values": [{"value": 61}]},
            {"name": "comments", "period": "lifetime", "values": [{"value": 7}]},
            {"name": "shares", "period": "lifetime", "values": [{"value": 4}]},
            {"name": "saved", "period": "lifetime", "values": [{"value": 9}]},
            {"name": "views", "period": "lifetime", "values": [{"value": 1500}]},
        ]
    }
    rec = GraphRecorder(
        spec,
        [
            Route("GET", "/m1", "IGMedia", "", {"id": "m1", "like_count": 60, "comments_count": 7}),
            # InstagramInsightsResult is not in the shipped specs (Meta's "IG Media Insights" page shape).
            Route("GET", "/m1/insights", None, "insights", insights),
            Route(
                "GET",
                f"/{IG}",
                "IGUser",
                "",
                {"followers_count": 12000, "follows_count": 300, "media_count": 410},
            ),
        ],
    )
    c = connector(rec)
    (m,) = c.fetch_post_metrics(["m1"])
    assert (m.reach, m.likes, m.comments, m.shares, m.saves, m.video_views) == (800, 61, 7, 4, 9, 1500)
    account = c.fetch_account_metrics()
    assert (account.followers, account.following, account.posts) == (12000, 300, 410)
    assert rec.problems == []


def test_identify_through_facebook_pages_matches_graph_spec(spec: GraphSpec) -> None:
    accounts = {
        "data": [
            {"id": "1001", "name": "Café"},
            {
                "id": "1002",
                "name": "Bakery",
                "instagram_business_account": {"id": IG, "username": "cafe", "name": "Café"},
            },
        ]
    }
    rec = GraphRecorder(spec, [Route("GET", "/me/accounts", "Page", "", accounts, response_node="Page")])
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="graph.facebook.com").mock(side_effect=rec.handler)
        identity = InstagramConnector.identify({"access_token": "t"}, {})
    assert (identity.external_id, identity.handle) == (IG, "@cafe")
    assert identity.options["page_id"] == "1002"
    assert rec.problems == []


def test_identify_with_instagram_login_and_refresh_recorded_shape() -> None:
    rec = GraphRecorder(
        None,
        [
            Route("GET", "/me", None, "", {"id": IG, "username": "cafe", "name": "Café"}),
            Route(
                "GET",
                "/refresh_access_token",
                None,
                "",
                {"access_token": "new", "token_type": "bearer", "expires_in": 5183944},
            ),
        ],
    )
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="graph.instagram.com").mock(side_effect=rec.handler)
        identity = InstagramConnector.identify({"access_token": "t"}, {"login": "instagram"})
    assert identity.options["login"] == "instagram"
    saved: list[dict] = []
    ctx = ChannelContext(1, "@cafe", {"access_token": "old"}, identity.options, IG, saved.append)
    c = InstagramConnector(ctx, transport=httpx.MockTransport(rec.handler))
    c.refresh()
    assert rec.requests[-1].url.params["grant_type"] == "ig_refresh_token"
    assert saved[-1]["access_token"] == "new"
    assert saved[-1]["expires_at"]


def error(status: int, code: int, message: str, subcode: int | None = None):  # type: ignore[no-untyped-def]
    body = {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Ab12"}}
    if subcode:
        body["error"]["error_subcode"] = subcode
    return lambda request: httpx.Response(status, json=body)


def failing(answer) -> InstagramConnector:  # type: ignore[no-untyped-def]
    return connector(GraphRecorder(None, [Route("POST", "/m1/comments", None, "", answer)]))


def test_errors_map_to_the_contract_recorded_shape() -> None:
    request = PublishRequest(text="x", idempotency_key="k", reply_to_remote_id="m1")
    with pytest.raises(NeedsUser, match="Session has expired"):
        failing(error(400, 190, "Error validating access token: Session has expired", 463)).publish(request)
    with pytest.raises(RetryAfter) as err:
        failing(error(400, 4, "Application request limit reached")).publish(request)
    assert err.value.seconds == 600
    with pytest.raises(Permanent, match="The comment could not be posted"):
        failing(error(400, 100, "The comment could not be posted")).publish(request)
    with pytest.raises(RetryAfter):
        failing(lambda r: httpx.Response(502, text="Bad Gateway")).publish(request)
    with pytest.raises(RetryAfter) as not_ready:
        failing(error(400, 9007, "Media ID is not available", 2207027)).publish(request)
    assert not_ready.value.seconds == 30

    def timeout(r: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=r)

    with pytest.raises(Ambiguous):
        failing(timeout).publish(request)


def test_every_declared_capability_has_its_method() -> None:
    names = {
        Capability.DELETE: "delete",
        Capability.LIST_RECENT: "list_recent",
        Capability.FETCH_INBOX: "fetch_inbox",
        Capability.HIDE: "hide",
        Capability.FETCH_METRICS: "fetch_post_metrics",
        Capability.REPLY: "reply",
        Capability.SEARCH: "search",
    }
    for capability, name in names.items():
        assert capability in InstagramConnector.capabilities
        assert getattr(InstagramConnector, name) is not getattr(Connector, name)
    assert Capability.LIKE not in InstagramConnector.capabilities  # the API cannot like


def test_facebook_login_short_token_is_swapped_for_a_long_lived_one_recorded_shape(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Meta's Access Token Guide: web login gives a short-lived user token; `fb_exchange_token` turns it
    # into a 60-day one (answer shaped like its example, `expires_in` 5183944).
    monkeypatch.setenv("TAMTAM_INSTAGRAM_CLIENT_ID", "app-id")
    monkeypatch.setenv("TAMTAM_INSTAGRAM_CLIENT_SECRET", "app-secret")
    accounts = {
        "data": [
            {"id": "1002", "name": "Bakery", "instagram_business_account": {"id": IG, "username": "cafe"}}
        ]
    }
    credentials = {"access_token": "short", "expires_at": "soon"}
    with respx.mock() as mock:
        exchange = mock.get("https://graph.facebook.com/v21.0/oauth/access_token").respond(
            200, json={"access_token": "long", "token_type": "bearer", "expires_in": 5183944}
        )
        pages = mock.get("https://graph.facebook.com/v21.0/me/accounts").respond(200, json=accounts)
        identity = InstagramConnector.identify(credentials, {})
    assert identity.external_id == IG
    params = exchange.calls.last.request.url.params
    assert (params["grant_type"], params["fb_exchange_token"], params["client_id"]) == (
        "fb_exchange_token",
        "short",
        "app-id",
    )
    assert pages.calls.last.request.headers["authorization"] == "Bearer long"
    assert (credentials["access_token"], credentials["long_lived"]) == ("long", True)
    lifetime = datetime.fromisoformat(credentials["expires_at"]) - datetime.now(UTC)
    assert lifetime.days == 59  # 5,183,944 s: 60 days less a few hours, not the short token's hours


HASHTAG_ID = "17843853986012965"


def hashtag_routes(pages: list[dict]) -> list[Route]:  # type: ignore[type-arg]
    answers = iter(pages)
    # `ig_hashtag_search` (a root edge) and the IG Hashtag node are not among the shipped specs: their
    # shapes follow Meta's "IG Hashtag Search" and "IG Hashtag / recent_media" reference pages; the
    # media fields asked and read are checked against IGMedia by the test.
    return [
        Route("GET", "/ig_hashtag_search", None, "", {"data": [{"id": HASHTAG_ID}]}),
        Route(
            "GET", f"/{HASHTAG_ID}/recent_media", None, "", lambda r: httpx.Response(200, json=next(answers))
        ),
    ]


def test_hashtag_search_reads_recent_media_and_pages_without_a_second_lookup_recorded_shape(
    spec: GraphSpec,
) -> None:
    first = {
        "data": [
            {
                "id": "m9",
                "caption": "Meilleur brunch de Lyon #cafelumiere",
                "timestamp": "2026-12-02T09:30:00+0000",
                "permalink": "https://www.instagram.com/p/Zz9/",
                "media_type": "IMAGE",
                "like_count": 41,
                "comments_count": 3,
            }
        ],
        "paging": {"cursors": {"after": "QVFI"}, "next": "https://graph.facebook.com/next"},
    }
    last = {"data": [{"id": "m8", "caption": "#cafelumiere", "timestamp": "2026-12-02T08:00:00+0000"}]}
    rec = GraphRecorder(spec, hashtag_routes([first, last]))
    c = connector(rec)
    page = c.search("#CafeLumiere")
    (post,) = page.items
    assert (post.remote_id, post.url) == ("m9", "https://www.instagram.com/p/Zz9/")
    assert (post.likes, post.replies) == (41, 3)
    assert post.created_at == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    assert post.text == "Meilleur brunch de Lyon #cafelumiere"
    assert (page.cursor, page.has_more) == (f"{HASHTAG_ID}:QVFI", True)
    lookup, media_call = rec.requests
    assert dict(lookup.url.params) == {"user_id": IG, "q": "CafeLumiere"}
    assert dict(media_call.url.params)["user_id"] == IG
    assert spec.field_problems("IGMedia", dict(media_call.url.params)["fields"]) == []
    assert spec.response_problems("IGMedia", first) == []

    second = c.search("#CafeLumiere", cursor=page.cursor)
    assert [p.remote_id for p in second.items] == ["m8"]
    assert (second.cursor, second.has_more) == ("", False)
    assert len(rec.requests) == 3  # the next page reuses the hashtag id of the cursor
    assert dict(rec.requests[2].url.params)["after"] == "QVFI"
    assert rec.problems == []


def test_a_phrase_is_searched_as_its_hashtag_and_a_term_without_one_finds_nothing_recorded_shape() -> None:
    rec = GraphRecorder(None, hashtag_routes([{"data": []}]))
    c = connector(rec)
    assert c.search('"service client"').items == []
    assert dict(rec.requests[0].url.params)["q"] == "serviceclient"
    calls = len(rec.requests)
    assert c.search("lumen.fr/promo").items == []  # no hashtag can be written so: no call at all
    assert len(rec.requests) == calls


def test_hashtag_search_needs_facebook_login_and_an_unknown_hashtag_finds_nothing_recorded_shape() -> None:
    rec = GraphRecorder(None, [Route("GET", "/ig_hashtag_search", None, "", {"data": []})])
    assert connector(rec).search("#nowhere").items == []
    with pytest.raises(Permanent, match="Facebook Login"):
        connector(GraphRecorder(None, []), login="instagram").search("#cafelumiere")
