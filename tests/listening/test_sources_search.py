"""X recent search and Reddit search as listening sources, through the whole worker path (claim, the
channel's connector, the pipeline, the cursor): nothing fetched twice, a newer post read alone on the
next run, a rate limit waited out without counting as a failure.

X: every request the connector sends and every response it parses is validated against X's official
OpenAPI document (../shared/specs/x-api-v2.openapi.json) with openapi-core (SpecMock). Reddit has no
published spec: its answers are recorded-shape listings (the fields Reddit's /search returns)."""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from django.utils import timezone

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.listening import services, sources
from tamtam.listening.models import Mention, MentionSource, Query, Source, SourceKind, SourceState

pytestmark = pytest.mark.django_db
OWNER = "search-worker"


def _openapi_helper() -> Any:
    name = "tamtam_tests_openapi_httpx"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "networks" / "x" / "openapi_httpx.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def channel(workspace: Workspace, network: str, credentials: dict[str, Any], **options: Any) -> Channel:
    made = Channel.objects.create(
        workspace=workspace, network=network, name=network, handle=f"@brand-{network}", options=options
    )
    made.set_credentials(credentials)
    made.save()
    return made


def run(source: Source, now: datetime | None = None) -> str:
    now = now or timezone.now()
    Source.objects.filter(pk=source.pk).update(due_at=now)
    outcome = {pk: sources.run_source(pk, OWNER, now=now) for pk in sources.claim_due(now, 50, OWNER)}
    source.refresh_from_db()
    return outcome[source.pk]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- X -----------------------------------------------------------------------------------------------


@pytest.fixture
def x_api() -> Iterator[Any]:
    helper = _openapi_helper()
    mock = helper.SpecMock(helper.load_spec("x-api-v2.openapi.json"))
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=mock)
        yield mock
    mock.check()


def x_user(uid: str, username: str, followers: int) -> dict[str, Any]:
    return {
        "id": uid,
        "name": username.title(),
        "username": username,
        "public_metrics": {
            "followers_count": followers,
            "following_count": 3,
            "post_count": 40,
            "listed_count": 1,
        },
    }


def x_post(pid: str, text: str, author: str, at: datetime, lang: str = "fr") -> dict[str, Any]:
    return {
        "id": pid,
        "text": text,
        "edit_history_post_ids": [pid],
        "author_id": author,
        "created_at": iso(at),
        "lang": lang,
        "public_metrics": {
            "repost_count": 1,
            "reply_count": 2,
            "like_count": 7,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 300,
        },
    }


class XSearch:
    """X's recent search as the spec describes it: newest first, `next_token` towards older posts."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.users = {"111": x_user("111", "alice", 52_000), "222": x_user("222", "bob", 90)}
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.queries.append(dict(request.url.params))
        ordered = sorted(self.posts, key=lambda p: p["created_at"], reverse=True)
        start = int(request.url.params.get("next_token", "0") or 0)
        size = int(request.url.params["max_results"])
        page = ordered[start : start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta |= {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if start + size < len(ordered):
            meta["next_token"] = str(start + size)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
            authors = dict.fromkeys(p["author_id"] for p in page)  # each user once, as X expands them
            body["includes"] = {"users": [self.users[a] for a in authors]}
        return _openapi_helper().jsonr(200, body)


X_CREDENTIALS = {"access_token": "x-access", "refresh_token": "x-refresh", "scope": "tweet.read users.read"}


def test_x_recent_search_source_reads_each_post_once_validated_against_the_openapi_spec(
    x_api: Any, workspace: Workspace, make_query: Callable[..., Query]
) -> None:
    make_query('lumen OR "lumen go"')
    make_query("kaldo NOT promo")
    search = XSearch()
    x_api.add("GET", "/2/tweets/search/recent", search)
    now = timezone.now()
    search.posts += [
        x_post("1800000000000000003", "Le Lumen Go est top", "111", now - timedelta(minutes=5)),
        x_post("1800000000000000002", "kaldo déçoit, retour au SAV", "222", now - timedelta(hours=2)),
        x_post("1800000000000000001", "lumen ? jamais entendu", "222", now - timedelta(days=3), "und"),
    ]
    src = services.save_source(
        workspace,
        kind=SourceKind.NETWORK,
        name="X search",
        channel_id=channel(workspace, "x", X_CREDENTIALS, username="brand").pk,
    )
    # Pages of 10 (X's smallest): with a fourth older post the connector pages with next_token.
    search.posts += [
        x_post(f"17000000000000000{n:02d}", f"lumen archive {n}", "222", now - timedelta(days=4, minutes=n))
        for n in range(10)
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sources, "PAGE_SIZE", 10)
        assert run(src, now).startswith("ok: 13 items")
    assert [q.get("next_token") for q in search.queries] == [None, "10"]
    sent = search.queries[0]
    assert sent["query"] == 'lumen OR "lumen go" OR kaldo'  # the positive terms, one OR query
    assert sent["max_results"] == "10"
    assert src.last_error == ""
    stored = {m.remote_id: m for m in Mention.objects.all()}
    assert {"1800000000000000003", "1800000000000000002", "1800000000000000001"} <= set(stored)
    top = stored["1800000000000000003"]
    assert (top.network, top.author_handle, top.reach, top.likes, top.shares) == ("x", "@alice", 52_000, 7, 1)
    assert top.url == "https://x.com/alice/status/1800000000000000003"

    # Nothing new: the run reads the top page, stops at its mark, fetches nothing twice.
    assert run(src, now + timedelta(minutes=5)).startswith("ok: 0 items")
    search.posts.append(
        x_post("1800000000000000004", "lumen encore en panne", "111", now + timedelta(minutes=6))
    )
    assert run(src, now + timedelta(minutes=10)).startswith("ok: 1 items")
    assert src.items_seen == 14
    assert Mention.objects.count() == 14
    assert MentionSource.objects.filter(source=src).count() == 14


def test_x_rate_limit_waits_for_the_reset_without_counting_as_a_failure(
    x_api: Any, workspace: Workspace, make_query: Callable[..., Query]
) -> None:
    make_query("lumen")
    reset = int(time.time()) + 600
    error = {
        "code": 429,
        "message": "Too Many Requests",
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
    }
    x_api.add(
        "GET",
        "/2/tweets/search/recent",
        _openapi_helper().jsonr(
            429,
            error,
            {"x-rate-limit-limit": "60", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        ),
    )
    src = services.save_source(
        workspace,
        kind=SourceKind.NETWORK,
        name="X search",
        channel_id=channel(workspace, "x", X_CREDENTIALS, username="brand").pk,
    )
    now = timezone.now()
    assert run(src, now) == "failed"
    assert src.consecutive_failures == 0  # a rate limit is not a sign the source is dead
    assert src.state == SourceState.IDLE
    assert src.due_at is not None
    assert 500 <= (src.due_at - now).total_seconds() <= 700
    assert src.cursor == ""


# --- Reddit ------------------------------------------------------------------------------------------

REDDIT = "https://oauth.reddit.com"


def reddit_link(
    pid: str, title: str, at: datetime, author: str = "velo_lyon", **extra: Any
) -> dict[str, Any]:
    """One child of a /search listing, with the fields Reddit returns (recorded shape, trimmed)."""
    return {
        "kind": "t3",
        "data": {
            "approved_at_utc": None,
            "subreddit": "france",
            "selftext": extra.pop("selftext", ""),
            "author_fullname": f"t2_{author[:5]}",
            "title": title,
            "subreddit_name_prefixed": "r/france",
            "name": f"t3_{pid}",
            "upvote_ratio": 0.93,
            "ups": 41,
            "score": 41,
            "created": at.timestamp(),
            "domain": "self.france",
            "id": pid,
            "author": author,
            "num_comments": 12,
            "permalink": f"/r/france/comments/{pid}/{title.lower().replace(' ', '_')[:20]}/",
            "url": f"https://www.reddit.com/r/france/comments/{pid}/",
            "subreddit_subscribers": 2_400_000,
            "created_utc": at.timestamp(),
            "num_crossposts": 0,
            "over_18": False,
            **extra,
        },
    }


def reddit_listing(children: list[dict[str, Any]], after: str | None) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "dist": len(children),
            "modhash": "",
            "geo_filter": "",
            "children": children,
            "before": None,
        },
    }


def test_reddit_search_source_pages_with_after_and_reads_nothing_twice_recorded_reddit_shape(
    workspace: Workspace, make_query: Callable[..., Query]
) -> None:
    make_query("lumen OR brivio")
    now = timezone.now().replace(microsecond=0)
    posts = [
        reddit_link(
            "1h9zq3c", "Lumen Air après 6 mois", now - timedelta(hours=1), selftext="Retour honnête."
        ),
        reddit_link("1h9yv0a", "Brivio ou Lumen ?", now - timedelta(hours=5), author="cyclo_paris"),
        reddit_link("1h8ab12", "Vélo électrique lumen en panne", now - timedelta(days=1)),
    ]
    calls: list[dict[str, str]] = []

    def search(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        calls.append(params)
        ordered = sorted(posts, key=lambda p: p["data"]["created_utc"], reverse=True)
        start = next((i + 1 for i, p in enumerate(ordered) if p["data"]["name"] == params.get("after")), 0)
        page = ordered[start : start + 2]
        after = page[-1]["data"]["name"] if start + 2 < len(ordered) else None
        headers = {"x-ratelimit-remaining": "598.0", "x-ratelimit-used": "2", "x-ratelimit-reset": "420"}
        return httpx.Response(200, json=reddit_listing(page, after), headers=headers)

    src = services.save_source(
        workspace,
        kind=SourceKind.NETWORK,
        name="Reddit search",
        channel_id=channel(
            workspace,
            "reddit",
            {"access_token": "rd-access", "refresh_token": "rd-refresh"},
            username="brand",
        ).pk,
    )
    with respx.mock(assert_all_called=False) as router, pytest.MonkeyPatch.context() as mp:
        router.get(f"{REDDIT}/search").mock(side_effect=search)
        mp.setattr(sources, "PAGE_SIZE", 2)  # pages of two: the connector follows `after`
        assert run(src, now).startswith("ok: 3 items")
        assert [c.get("after") for c in calls] == [None, "t3_1h9yv0a"]
        assert calls[0]["q"] == "lumen OR brivio"
        assert calls[0]["sort"] == "new"
        stored = {m.remote_id: m for m in Mention.objects.all()}
        assert set(stored) == {"t3_1h9zq3c", "t3_1h9yv0a", "t3_1h8ab12"}
        first = stored["t3_1h9zq3c"]
        assert first.text.startswith("Lumen Air après 6 mois")
        assert first.url == "https://www.reddit.com" + posts[0]["data"]["permalink"]
        assert first.url.startswith("https://www.reddit.com/r/france/comments/1h9zq3c/")
        assert (first.author_handle, first.likes, first.replies) == ("u/velo_lyon", 41, 12)

        calls.clear()
        assert run(src, now + timedelta(minutes=5)).startswith("ok: 0 items")
        assert len(calls) == 1  # the top page reached the mark: no further page
        posts.append(reddit_link("1ha0001", "Lumen rappelle ses batteries", now + timedelta(minutes=3)))
        assert run(src, now + timedelta(minutes=10)).startswith("ok: 1 items")
    assert Mention.objects.count() == 4
    assert src.items_seen == 4
