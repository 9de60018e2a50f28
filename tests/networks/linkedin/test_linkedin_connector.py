"""LinkedIn connector against an in-process transport answering like LinkedIn's documented responses
(Microsoft Learn: Posts API, Images API, Videos API, Comments, Reactions, Organization Share
Statistics, Network Sizes, organizationAcls, OAuth), including its error bodies and 429s
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
from tamtam.networks.linkedin.connector import (
    VERSION,
    LinkedInConnector,
    escape_little_text,
    seconds_to_midnight_utc,
    unescape_little_text,
)
from tamtam.networks.linkedin.oauth import SPEC

ORG = "urn:li:organization:2414183"
MEMBER = "urn:li:person:8675309"
Answer = dict[str, Any] | Callable[[httpx.Request], httpx.Response]


class LinkedIn:
    def __init__(self, routes: dict[tuple[str, str], Answer]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, f"{request.url.host}{request.url.raw_path.decode().split('?')[0]}")
        answer = self.routes.get(key)
        if answer is None:
            return httpx.Response(404, json={"message": f"no route {key}", "status": 404})
        return answer(request) if callable(answer) else httpx.Response(200, json=answer)

    def sent(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def created(urn: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(201, headers={"x-restli-id": urn})


def connector(
    api: LinkedIn, author: str = ORG, saved: list | None = None, **credentials: str
) -> LinkedInConnector:
    ctx = ChannelContext(
        1,
        "Acme",
        {"access_token": "at", **credentials},
        {"author_urn": author},
        author,
        saved.append if saved is not None else None,
    )
    return LinkedInConnector(ctx, transport=httpx.MockTransport(api.handler))


API = "api.linkedin.com"


def test_it_is_registered_and_warns_before_the_60_and_365_day_expiries() -> None:
    assert registry.get("linkedin") is LinkedInConnector
    assert (SPEC.access_token_days, SPEC.refresh_token_days) == (60, 365)


def test_commentary_escapes_little_text_and_keeps_hashtags() -> None:
    text = "Prix (HT) : 10 € *net* @Acme [promo] <b> #Lancement _x_ ~ | {} \\"
    escaped = escape_little_text(text)
    assert escaped == (
        "Prix \\(HT\\) : 10 € \\*net\\* \\@Acme \\[promo\\] \\<b\\> "
        "{hashtag|\\#|Lancement} \\_x\\_ \\~ \\| \\{\\} \\\\"
    )
    assert unescape_little_text(escaped) == text


def test_publish_text_as_an_organisation_with_versioned_headers_recorded_shape() -> None:
    api = LinkedIn({("POST", f"{API}/rest/posts"): created("urn:li:share:7001")})
    result = connector(api).publish(PublishRequest(text="Bonjour #Lyon", idempotency_key="k"))
    assert result.remote_id == "urn:li:share:7001"
    assert result.url == "https://www.linkedin.com/feed/update/urn:li:share:7001/"
    request = api.requests[0]
    assert request.headers["LinkedIn-Version"] == VERSION
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert request.headers["Authorization"] == "Bearer at"
    body = api.sent()
    assert body["author"] == ORG
    assert body["commentary"] == "Bonjour {hashtag|\\#|Lyon}"
    assert body["lifecycleState"] == "PUBLISHED"
    assert body["distribution"]["feedDistribution"] == "MAIN_FEED"
    assert "content" not in body


def test_publish_an_article_link_as_a_member_recorded_shape() -> None:
    api = LinkedIn({("POST", f"{API}/rest/posts"): created("urn:li:share:7002")})
    connector(api, author=MEMBER).publish(
        PublishRequest(text="À lire", idempotency_key="k", link="https://ex.com/a")
    )
    body = api.sent()
    assert body["author"] == MEMBER
    assert body["content"] == {"article": {"source": "https://ex.com/a", "title": "https://ex.com/a"}}


def test_an_article_carries_the_pages_title_description_and_thumbnail_recorded_shape() -> None:
    # LinkedIn shows an API article with what the post gives it: the page's Open Graph card is read.
    page = (
        '<html><head><meta property="og:title" content="Lin &amp; Lumière">'
        '<meta property="og:description" content="Douze bougies"><meta property="og:image" content="/c.jpg">'
        "</head></html>"
    )
    routes: dict = {
        ("POST", f"{API}/rest/posts"): created("urn:li:share:7003"),
        ("GET", "ex.com/a"): lambda r: httpx.Response(200, text=page, headers={"content-type": "text/html"}),
        ("GET", "ex.com/c.jpg"): lambda r: httpx.Response(
            200, content=b"\xff\xd8jpeg", headers={"content-type": "image/jpeg"}
        ),
    }
    image_routes(routes, 1)
    api = LinkedIn(routes)
    connector(api, author=MEMBER).publish(
        PublishRequest(text="À lire", idempotency_key="k", link="https://ex.com/a")
    )
    assert api.sent()["content"] == {
        "article": {
            "source": "https://ex.com/a",
            "title": "Lin & Lumière",
            "description": "Douze bougies",
            "thumbnail": "urn:li:image:C4E10AQ0",
        }
    }
    upload = next(r for r in api.requests if r.method == "PUT")
    assert upload.content == b"\xff\xd8jpeg"


def image_routes(api_routes: dict, count: int) -> None:
    urns = iter([f"urn:li:image:C4E10AQ{i}" for i in range(count)])

    def init(request: httpx.Request) -> httpx.Response:
        urn = next(urns)
        return httpx.Response(
            200,
            json={
                "value": {
                    "uploadUrlExpiresAt": 1733100000000,
                    "uploadUrl": f"https://www.linkedin.com/dms-uploads/{urn[-1]}/uploadedImage/0",
                    "image": urn,
                }
            },
        )

    api_routes[("POST", f"{API}/rest/images")] = init
    for i in range(count):
        api_routes[("PUT", f"www.linkedin.com/dms-uploads/{i}/uploadedImage/0")] = lambda r: httpx.Response(
            201
        )


def img(tmp_path: Path, name: str, alt: str) -> MediaItem:
    (tmp_path / name).write_bytes(b"\x89PNG" + b"0" * 20)
    return MediaItem(str(tmp_path / name), "image/png", 24, alt)


def test_publish_one_image_then_several_with_alt_text_recorded_shape(tmp_path: Path) -> None:
    routes: dict = {("POST", f"{API}/rest/posts"): created("urn:li:share:7003")}
    image_routes(routes, 3)
    api = LinkedIn(routes)
    c = connector(api)
    c.publish(PublishRequest(text="Une", idempotency_key="k", media=[img(tmp_path, "a.png", "Logo")]))
    init = json.loads(api.requests[0].content)
    assert api.requests[0].url.params["action"] == "initializeUpload"
    assert init == {"initializeUploadRequest": {"owner": ORG}}
    assert api.requests[1].method == "PUT"
    assert api.requests[1].content.startswith(b"\x89PNG")
    assert api.sent()["content"] == {"media": {"id": "urn:li:image:C4E10AQ0", "altText": "Logo"}}
    c.publish(
        PublishRequest(
            text="Deux",
            idempotency_key="k2",
            media=[img(tmp_path, "b.png", "B"), img(tmp_path, "c.png", "C")],
        )
    )
    assert api.sent()["content"] == {
        "multiImage": {
            "images": [
                {"id": "urn:li:image:C4E10AQ1", "altText": "B"},
                {"id": "urn:li:image:C4E10AQ2", "altText": "C"},
            ]
        }
    }


def test_publish_a_video_in_parts_then_finalize_recorded_shape(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"A" * 10 + b"B" * 6)
    parts = [(0, 9), (10, 15)]

    def init(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "value": {
                    "uploadUrlsExpireAt": 1733100000000,
                    "video": "urn:li:video:C5F10AQ",
                    "uploadInstructions": [
                        {
                            "uploadUrl": f"https://www.linkedin.com/dms-uploads/v/{i}",
                            "firstByte": a,
                            "lastByte": b,
                        }
                        for i, (a, b) in enumerate(parts)
                    ],
                    "uploadToken": "",
                }
            },
        )

    routes: dict = {
        ("POST", f"{API}/rest/videos"): lambda r: (
            init(r) if r.url.params["action"] == "initializeUpload" else httpx.Response(200)
        ),
        ("PUT", "www.linkedin.com/dms-uploads/v/0"): lambda r: httpx.Response(
            200, headers={"etag": '"etag-0"'}
        ),
        ("PUT", "www.linkedin.com/dms-uploads/v/1"): lambda r: httpx.Response(
            200, headers={"etag": '"etag-1"'}
        ),
        ("POST", f"{API}/rest/posts"): created("urn:li:ugcPost:7004"),
    }
    api = LinkedIn(routes)
    connector(api).publish(
        PublishRequest(text="Film", idempotency_key="k", media=[MediaItem(str(video), "video/mp4", 16)])
    )
    assert json.loads(api.requests[0].content)["initializeUploadRequest"]["fileSizeBytes"] == 16
    assert [r.content for r in api.requests if r.method == "PUT"] == [b"A" * 10, b"B" * 6]
    finalize = json.loads(api.requests[3].content)
    assert finalize == {
        "finalizeUploadRequest": {
            "video": "urn:li:video:C5F10AQ",
            "uploadToken": "",
            "uploadedPartIds": ["etag-0", "etag-1"],
        }
    }
    assert api.sent()["content"]["media"]["id"] == "urn:li:video:C5F10AQ"


def test_first_comment_reply_like_and_delete_recorded_shape() -> None:
    post = "urn:li:share:7001"
    comment = "urn:li:comment:(urn:li:activity:6999,123)"
    enc_post, enc_comment = (
        "urn%3Ali%3Ashare%3A7001",
        "urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A6999%2C123%29",
    )

    def comment_created(urn: str) -> Callable[[httpx.Request], httpx.Response]:
        return lambda r: httpx.Response(
            201, headers={"x-restli-id": urn}, json={"commentUrn": urn, "id": "1"}
        )

    api = LinkedIn(
        {
            ("POST", f"{API}/rest/socialActions/{enc_post}/comments"): comment_created(
                "urn:li:comment:(urn:li:activity:6999,200)"
            ),
            ("POST", f"{API}/rest/socialActions/{enc_comment}/comments"): comment_created(
                "urn:li:comment:(urn:li:activity:6999,201)"
            ),
            ("POST", f"{API}/rest/reactions"): lambda r: httpx.Response(201),
            ("DELETE", f"{API}/rest/posts/{enc_post}"): lambda r: httpx.Response(204),
        }
    )
    c = connector(api)
    first = c.publish(
        PublishRequest(text="Le lien : https://ex.com", idempotency_key="k", reply_to_remote_id=post)
    )
    assert first.remote_id.endswith(",200)")
    assert api.sent() == {"actor": ORG, "message": {"text": "Le lien : https://ex.com"}, "object": post}
    c.reply(comment, PublishRequest(text="Merci", idempotency_key="r"))
    assert api.sent() == {
        "actor": ORG,
        "message": {"text": "Merci"},
        "object": "urn:li:activity:6999",
        "parentComment": comment,
    }
    c.like(post)
    assert api.requests[-1].url.params["actor"] == ORG
    assert api.sent() == {"root": post, "reactionType": "LIKE"}
    c.delete(post)
    assert api.requests[-1].method == "DELETE"


POSTS = {
    "elements": [
        {
            "id": "urn:li:share:7001",
            "author": ORG,
            "commentary": "Bonjour {hashtag|\\#|Lyon}",
            "createdAt": 1733040000000,
            "publishedAt": 1733040000000,
            "lifecycleState": "PUBLISHED",
        },
        {
            "id": "urn:li:share:6001",
            "author": ORG,
            "commentary": "Vieux",
            "createdAt": 1700000000000,
            "publishedAt": 1700000000000,
            "lifecycleState": "PUBLISHED",
        },
    ],
    "paging": {"start": 0, "count": 10, "links": []},
}


def test_list_recent_parses_posts_recorded_shape() -> None:
    api = LinkedIn({("GET", f"{API}/rest/posts"): POSTS})
    (post,) = connector(api).list_recent(datetime(2024, 12, 1, tzinfo=UTC))
    assert (post.remote_id, post.text) == ("urn:li:share:7001", "Bonjour #Lyon")
    assert post.created_at == datetime.fromtimestamp(1733040000, UTC)
    assert api.requests[0].url.params["q"] == "author"
    assert api.requests[0].url.params["author"] == ORG


def test_inbox_comments_and_cursor_recorded_shape() -> None:
    comments = {
        "elements": [
            {
                "id": "123",
                "commentUrn": "urn:li:comment:(urn:li:activity:6999,123)",
                "actor": "urn:li:person:a1",
                "message": {"text": "Bravo"},
                "created": {"time": 1733043600000, "actor": "urn:li:person:a1"},
                "object": "urn:li:activity:6999",
            },
            {
                "id": "124",
                "commentUrn": "urn:li:comment:(urn:li:activity:6999,124)",
                "actor": ORG,
                "message": {"text": "Merci"},
                "created": {"time": 1733043700000},
                "parentComment": "urn:li:comment:(urn:li:activity:6999,123)",
            },
            {
                "id": "125",
                "commentUrn": "urn:li:comment:(urn:li:activity:6999,125)",
                "actor": "urn:li:person:a2",
                "message": {"text": "+1"},
                "created": {"time": 1733043800000},
                "parentComment": "urn:li:comment:(urn:li:activity:6999,123)",
            },
        ],
        "paging": {"start": 0, "count": 10, "total": 3},
    }
    api = LinkedIn(
        {
            ("GET", f"{API}/rest/posts"): POSTS,
            ("GET", f"{API}/rest/socialActions/urn%3Ali%3Ashare%3A7001/comments"): comments,
            ("GET", f"{API}/rest/socialActions/urn%3Ali%3Ashare%3A6001/comments"): {"elements": []},
        }
    )
    c = connector(api)
    page = c.fetch_inbox()
    assert [(i.kind, i.text, i.root_remote_id) for i in page.items] == [
        (InboxKind.COMMENT, "Bravo", "urn:li:share:7001"),
        (InboxKind.REPLY, "+1", "urn:li:share:7001"),
    ]
    assert page.items[1].parent_remote_id == "urn:li:comment:(urn:li:activity:6999,123)"
    assert c.fetch_inbox(page.cursor).items == []


def test_organisation_share_statistics_and_followers_recorded_shape() -> None:
    stats = {
        "elements": [
            {
                "organizationalEntity": ORG,
                "share": "urn:li:share:7001",
                "totalShareStatistics": {
                    "uniqueImpressionsCount": 900,
                    "shareCount": 4,
                    "engagement": 0.05,
                    "clickCount": 30,
                    "likeCount": 41,
                    "impressionCount": 1300,
                    "commentCount": 6,
                },
            }
        ],
        "paging": {"count": 10, "start": 0},
    }
    api = LinkedIn(
        {
            ("GET", f"{API}/rest/organizationalEntityShareStatistics"): stats,
            ("GET", f"{API}/rest/networkSizes/urn%3Ali%3Aorganization%3A2414183"): {"firstDegreeSize": 15230},
        }
    )
    c = connector(api)
    (m,) = c.fetch_post_metrics(["urn:li:share:7001"])
    assert (m.impressions, m.reach, m.likes, m.comments, m.shares, m.clicks) == (1300, 900, 41, 6, 4, 30)
    assert "shares=List(urn%3Ali%3Ashare%3A7001)" in str(api.requests[0].url)
    assert c.fetch_account_metrics().followers == 15230
    assert api.requests[-1].url.params["edgeType"] == "COMPANY_FOLLOWED_BY_MEMBER"


def test_member_post_metrics_come_from_social_metadata_recorded_shape() -> None:
    meta = {
        "reactionSummaries": {
            "LIKE": {"reactionType": "LIKE", "count": 5},
            "PRAISE": {"reactionType": "PRAISE", "count": 2},
        },
        "commentSummary": {"count": 3, "topLevelCount": 2},
        "entity": "urn:li:share:7002",
    }
    api = LinkedIn({("GET", f"{API}/rest/socialMetadata/urn%3Ali%3Ashare%3A7002"): meta})
    c = connector(api, author=MEMBER)
    (m,) = c.fetch_post_metrics(["urn:li:share:7002"])
    assert (m.likes, m.comments, m.extra) == (7, 3, {"reactions.LIKE": 5, "reactions.PRAISE": 2})
    with pytest.raises(Permanent):
        c.fetch_account_metrics()


def test_identify_returns_the_member_with_organisations_as_options_recorded_shape() -> None:
    api = LinkedIn(
        {
            ("GET", f"{API}/v2/userinfo"): {
                "sub": "8675309",
                "name": "Jenny Tutone",
                "given_name": "Jenny",
                "family_name": "Tutone",
                "locale": {"country": "US", "language": "en"},
            },
            ("GET", f"{API}/rest/organizationAcls"): {
                "elements": [
                    {
                        "organization": ORG,
                        "role": "ADMINISTRATOR",
                        "state": "APPROVED",
                        "roleAssignee": MEMBER,
                    },
                ],
                "paging": {"count": 10, "start": 0, "total": 1},
            },
            ("GET", f"{API}/rest/organizations/2414183"): {"id": 2414183, "localizedName": "Acme SAS"},
        }
    )
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host=API).mock(side_effect=api.handler)
        member = LinkedInConnector.identify({"access_token": "at"}, {})
        page = LinkedInConnector.identify({"access_token": "at"}, {"author_urn": ORG})
    assert (member.external_id, member.handle) == (MEMBER, "Jenny Tutone")
    assert member.options["organizations"] == [{"urn": ORG, "name": "Acme SAS"}]
    assert (page.external_id, page.handle, page.options["author_urn"]) == (ORG, "Acme SAS", ORG)


def test_identify_without_organisation_access_still_gives_the_member_recorded_shape() -> None:
    api = LinkedIn(
        {
            ("GET", f"{API}/v2/userinfo"): {"sub": "8675309", "name": "Jenny"},
            ("GET", f"{API}/rest/organizationAcls"): lambda r: httpx.Response(
                403,
                json={
                    "serviceErrorCode": 100,
                    "message": "Not enough permissions to access: organizationAcls",
                    "status": 403,
                },
            ),
        }
    )
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host=API).mock(side_effect=api.handler)
        identity = LinkedInConnector.identify({"access_token": "at"}, {})
    assert identity.options["organizations"] == []


# --- errors and tokens ---------------------------------------------------------------------------


def test_an_expired_token_is_refreshed_once_then_the_post_goes_out_recorded_shape(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TAMTAM_LINKEDIN_CLIENT_ID", "cid")
    monkeypatch.setenv("TAMTAM_LINKEDIN_CLIENT_SECRET", "secret")
    answers = iter(
        [
            httpx.Response(
                401, json={"serviceErrorCode": 65600, "message": "Invalid access token", "status": 401}
            ),
            httpx.Response(201, headers={"x-restli-id": "urn:li:share:7010"}),
        ]
    )
    api = LinkedIn(
        {
            ("POST", f"{API}/rest/posts"): lambda r: next(answers),
            ("POST", "www.linkedin.com/oauth/v2/accessToken"): {
                "access_token": "new-at",
                "expires_in": 5184000,
                "refresh_token": "",
                "refresh_token_expires_in": 0,
                "scope": "w_member_social",
            },
        }
    )
    saved: list[dict] = []
    c = connector(api, saved=saved, refresh_token="rt", refresh_expires_at="2027-06-01T00:00:00+00:00")
    assert c.publish(PublishRequest(text="x", idempotency_key="k")).remote_id == "urn:li:share:7010"
    token_form = dict(httpx.QueryParams(api.requests[1].content.decode()))
    assert token_form["grant_type"] == "refresh_token"
    assert token_form["refresh_token"] == "rt"
    assert api.requests[2].headers["Authorization"] == "Bearer new-at"
    assert saved[-1]["access_token"] == "new-at"
    assert saved[-1]["refresh_token"] == "rt"  # an empty refresh token never overwrites ours


def test_a_revoked_token_without_refresh_is_needs_user_with_linkedins_message_recorded_shape() -> None:
    api = LinkedIn(
        {
            ("POST", f"{API}/rest/posts"): lambda r: httpx.Response(
                401,
                json={
                    "serviceErrorCode": 65601,
                    "message": "The token used in the request has been revoked by the user",
                    "status": 401,
                },
            )
        }
    )
    with pytest.raises(NeedsUser, match="revoked by the user"):
        connector(api).publish(PublishRequest(text="x", idempotency_key="k"))


def test_a_429_waits_until_midnight_utc_unless_told_otherwise_recorded_shape() -> None:
    body = {
        "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
        "status": 429,
    }
    api = LinkedIn({("POST", f"{API}/rest/posts"): lambda r: httpx.Response(429, json=body)})
    with pytest.raises(RetryAfter) as err:
        connector(api).publish(PublishRequest(text="x", idempotency_key="k"))
    assert abs(err.value.seconds - seconds_to_midnight_utc()) < 5
    assert "APPLICATION DAY limit" in err.value.message
    told = LinkedIn(
        {
            ("POST", f"{API}/rest/posts"): lambda r: httpx.Response(
                429, json=body, headers={"Retry-After": "120"}
            )
        }
    )
    with pytest.raises(RetryAfter) as err2:
        connector(told).publish(PublishRequest(text="x", idempotency_key="k"))
    assert err2.value.seconds == 120
    assert seconds_to_midnight_utc(datetime(2026, 12, 2, 23, 0, tzinfo=UTC)) == 3600


def test_a_duplicate_is_permanent_and_5xx_retries_and_timeouts_are_ambiguous_recorded_shape() -> None:
    dup = {
        "message": "Content is a duplicate of urn:li:share:7001",
        "status": 422,
        "errorDetailType": "com.linkedin.common.error.BadRequest",
    }
    api = LinkedIn({("POST", f"{API}/rest/posts"): lambda r: httpx.Response(422, json=dup)})
    with pytest.raises(Permanent, match="duplicate of urn:li:share:7001"):
        connector(api).publish(PublishRequest(text="x", idempotency_key="k"))
    bad = LinkedIn(
        {
            ("POST", f"{API}/rest/posts"): lambda r: httpx.Response(
                400, json={"message": "/commentary :: length exceeds 3000", "status": 400}
            )
        }
    )
    with pytest.raises(Permanent, match="length exceeds 3000"):
        connector(bad).publish(PublishRequest(text="x", idempotency_key="k"))
    down = LinkedIn({("POST", f"{API}/rest/posts"): lambda r: httpx.Response(504, text="Gateway Timeout")})
    with pytest.raises(RetryAfter):
        connector(down).publish(PublishRequest(text="x", idempotency_key="k"))

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(Ambiguous):
        connector(LinkedIn({("POST", f"{API}/rest/posts"): slow})).publish(
            PublishRequest(text="x", idempotency_key="k")
        )


def test_revoke_posts_the_token_to_linkedins_revoke_endpoint(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TAMTAM_LINKEDIN_CLIENT_ID", "cid")
    monkeypatch.setenv("TAMTAM_LINKEDIN_CLIENT_SECRET", "secret")
    api = LinkedIn({("POST", "www.linkedin.com/oauth/v2/revoke"): lambda r: httpx.Response(200)})
    connector(api).revoke()
    assert dict(httpx.QueryParams(api.requests[0].content.decode()))["token"] == "at"


def test_every_declared_capability_has_its_method() -> None:
    names = {
        Capability.DELETE: "delete",
        Capability.LIST_RECENT: "list_recent",
        Capability.FETCH_INBOX: "fetch_inbox",
        Capability.LIKE: "like",
        Capability.FETCH_METRICS: "fetch_post_metrics",
        Capability.REVOKE: "revoke",
        Capability.REPLY: "reply",
    }
    for capability, name in names.items():
        assert capability in LinkedInConnector.capabilities
        assert getattr(LinkedInConnector, name) is not getattr(Connector, name)
