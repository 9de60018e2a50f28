"""Sources as durable work: cursor persistence and no refetch (sandbox stream, network search through
the sandbox connector, RSS with ETag), RSS faults reported on their source without blocking the
others, dead sources flagged, expired leases swept. Feeds come from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone
from listening_helpers import NOW

from tamtam.channels.models import Channel
from tamtam.listening import sources
from tamtam.listening.models import Mention, MentionSource, Query, Source, SourceKind, SourceState
from tamtam.networks.base import Author, FoundPost, SearchPage
from tamtam.work.registry import kinds

pytestmark = pytest.mark.django_db
OWNER = "test-worker"


def rss(items: list[tuple[str, str, str]]) -> bytes:
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://news.example/{guid}</link>"
        f"<description>{body}</description>"
        f"<pubDate>{format_datetime(NOW - timedelta(hours=1))}</pubDate></item>"
        for guid, title, body in items
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>'
    return f"{head}{entries}</channel></rss>".encode()


class FeedServer:
    """Serves named feeds; counts requests and conditional hits per path."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, str]] = []  # (path, If-None-Match)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                inm = self.headers.get("If-None-Match", "")
                server.requests.append((self.path, inm))
                status, headers, body = server.routes.get(self.path, (404, {}, b"not found"))
                if status == 200 and headers.get("ETag") and inm == headers["ETag"]:
                    status, body = 304, b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


def run_due(now: Any = NOW) -> dict[int, str]:
    """One worker round: claim every due source and run each (as the runner does)."""
    return {sid: sources.run_source(sid, OWNER, now=now) for sid in sources.claim_due(now, 50, OWNER)}


def test_the_listening_work_kind_is_registered_for_the_runner() -> None:
    assert "listening_source" in {k.name for k in kinds()}


def test_sandbox_stream_source_persists_its_cursor_and_fetches_nothing_twice(
    make_query: Callable[..., Query], make_source: Callable[..., Source]
) -> None:
    make_query("lumen OR kaldo OR brivio")
    source = make_source(SourceKind.SANDBOX, due_at=NOW)
    outcome = run_due()
    source.refresh_from_db()
    assert outcome[source.pk].startswith("ok:")
    assert source.cursor
    assert source.state == SourceState.IDLE
    assert source.due_at == NOW + timedelta(seconds=source.interval_seconds)
    seen, stored = source.items_seen, Mention.objects.count()
    assert seen > 50
    assert 0 < stored <= seen
    # Due again at the same instant: the cursor says everything up to now was read.
    Source.objects.filter(pk=source.pk).update(due_at=NOW)
    run_due()
    source.refresh_from_db()
    assert source.items_seen == seen
    # Five minutes later: only the new minutes come, and nothing is stored twice.
    later = NOW + timedelta(minutes=5)
    Source.objects.filter(pk=source.pk).update(due_at=later)
    run_due(later)
    source.refresh_from_db()
    assert seen < source.items_seen < seen + 5 * 60
    assert Mention.objects.count() == len(set(Mention.objects.values_list("remote_id", flat=True)))


def test_network_search_through_the_sandbox_connector_uses_the_workspace_query_terms(
    make_query: Callable[..., Query], make_source: Callable[..., Source], make_channel: Callable[..., Channel]
) -> None:
    make_query('"lumen go" OR kaldo')
    channel = make_channel()
    # The sandbox connector reads its live stream up to the real "now".
    now = timezone.now()
    source = make_source(SourceKind.NETWORK, channel=channel, due_at=now)
    assert sources.search_terms(source) == '"lumen go" OR kaldo'
    run_due(now)
    source.refresh_from_db()
    assert source.last_error == ""
    assert source.items_seen > 0
    assert Mention.objects.filter(network="sandbox").exists()
    cursor = source.cursor
    Source.objects.filter(pk=source.pk).update(due_at=now)
    run_due(now)
    source.refresh_from_db()
    assert source.cursor >= cursor
    assert MentionSource.objects.filter(source=source).count() == Mention.objects.count()


def test_rss_source_uses_etag_and_stores_entries_once(
    feeds: FeedServer, make_query: Callable[..., Query], make_source: Callable[..., Source]
) -> None:
    make_query("lumen")
    feeds.routes["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml", "ETag": '"v1"'},
        rss([("a1", "Lumen lève 20 M€", "La start-up Lumen annonce une levée"), ("a2", "Météo", "Il pleut")]),
    )
    source = make_source(SourceKind.RSS, url=f"{feeds.base}/feed.xml", due_at=NOW)
    run_due()
    source.refresh_from_db()
    assert source.etag == '"v1"'
    assert source.last_error == ""
    assert list(Mention.objects.values_list("title", flat=True)) == ["Lumen lève 20 M€"]
    Source.objects.filter(pk=source.pk).update(due_at=NOW)
    run_due()
    assert feeds.requests[-1] == ("/feed.xml", '"v1"')  # a conditional GET, answered 304
    source.refresh_from_db()
    assert source.items_seen == 2
    assert Mention.objects.count() == 1


def test_rss_faults_are_reported_on_each_source_and_never_block_the_others(
    feeds: FeedServer, make_query: Callable[..., Query], make_source: Callable[..., Source]
) -> None:
    make_query("lumen")
    feeds.routes["/good.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss([("g1", "Lumen", "Lumen ouvre à Lyon")]),
    )
    feeds.routes["/broken.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        b"<rss><channel><item><title>Lumen",
    )
    feeds.routes["/loop-a"] = (302, {"Location": "/loop-b"}, b"")
    feeds.routes["/loop-b"] = (302, {"Location": "/loop-a"}, b"")
    latin1 = rss([("l1", "Lumen à Besançon", "Lumen arrive à Besançon")]).replace(b"utf-8", b"ascii")
    feeds.routes["/latin.xml"] = (200, {"Content-Type": "application/rss+xml"}, latin1)
    broken = make_source(SourceKind.RSS, url=f"{feeds.base}/broken.xml", due_at=NOW)
    missing = make_source(SourceKind.RSS, url=f"{feeds.base}/missing.xml", due_at=NOW)
    loop = make_source(SourceKind.RSS, url=f"{feeds.base}/loop-a", due_at=NOW)
    wrong_encoding = make_source(SourceKind.RSS, url=f"{feeds.base}/latin.xml", due_at=NOW)
    good = make_source(SourceKind.RSS, url=f"{feeds.base}/good.xml", due_at=NOW)
    run_due()
    for source in (broken, missing, loop, wrong_encoding, good):
        source.refresh_from_db()
    assert "404" in missing.last_error
    assert "redirect" in loop.last_error
    assert broken.last_error
    assert wrong_encoding.last_error  # read with a warning: the entry is still kept
    assert good.last_error == ""
    assert set(Mention.objects.values_list("title", flat=True)) == {"Lumen", "Lumen à Besançon"}
    assert missing.consecutive_failures == loop.consecutive_failures == 1
    assert missing.state == SourceState.IDLE
    assert missing.due_at is not None
    assert missing.due_at > NOW


def test_consecutive_failures_flag_a_source_dead_and_it_is_not_claimed_again(
    feeds: FeedServer, make_source: Callable[..., Source]
) -> None:
    source = make_source(SourceKind.RSS, url=f"{feeds.base}/gone.xml", due_at=NOW)
    now = NOW
    for _ in range(sources.DEAD_AFTER):
        Source.objects.filter(pk=source.pk, state=SourceState.IDLE).update(due_at=now)
        run_due(now)
        now += timedelta(minutes=1)
    source.refresh_from_db()
    assert source.state == SourceState.DEAD
    assert source.due_at is None
    assert source.consecutive_failures == sources.DEAD_AFTER
    assert sources.claim_due(now + timedelta(days=1), 10, OWNER) == []


def test_backoff_grows_with_consecutive_failures(
    feeds: FeedServer, make_source: Callable[..., Source]
) -> None:
    source = make_source(SourceKind.RSS, url=f"{feeds.base}/gone.xml", due_at=NOW, interval_seconds=300)
    delays = []
    for _ in range(3):
        Source.objects.filter(pk=source.pk).update(due_at=NOW)
        run_due(NOW)
        source.refresh_from_db()
        assert source.due_at is not None
        delays.append((source.due_at - NOW).total_seconds())
    assert delays == [300, 600, 1200]


def test_a_success_resets_the_failure_count(feeds: FeedServer, make_source: Callable[..., Source]) -> None:
    source = make_source(SourceKind.RSS, url=f"{feeds.base}/later.xml", due_at=NOW)
    run_due()
    feeds.routes["/later.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss([("x", "t", "b")]))
    Source.objects.filter(pk=source.pk).update(due_at=NOW)
    run_due()
    source.refresh_from_db()
    assert (source.consecutive_failures, source.last_error, source.state) == (0, "", SourceState.IDLE)


def test_an_expired_lease_is_swept_back_without_moving_the_cursor(make_source: Callable[..., Source]) -> None:
    source = make_source(SourceKind.SANDBOX, due_at=NOW, cursor="100:3")
    assert sources.claim_due(NOW, 10, "dead-worker") == [source.pk]
    assert sources.sweep_expired(NOW + timedelta(seconds=sources.LEASE_SECONDS + 1)) == 1
    source.refresh_from_db()
    assert (source.state, source.cursor, source.lease_owner) == (SourceState.IDLE, "100:3", "")


def test_a_run_on_a_source_claimed_by_another_worker_does_nothing(make_source: Callable[..., Source]) -> None:
    source = make_source(SourceKind.SANDBOX, due_at=NOW)
    sources.claim_due(NOW, 10, "someone-else")
    assert sources.run_source(source.pk, OWNER, now=NOW) == "not ours"


class NewestFirst:
    """A network search as Bluesky, Mastodon, Reddit and X answer it: newest first, pages of `limit`,
    the cursor leading to older posts (the real ones are tested in tests/peers and tests/networks)."""

    def __init__(self) -> None:
        self.posts: list[FoundPost] = []
        self.calls: list[str] = []

    def post(self, n: int, at: datetime) -> None:
        self.posts.append(FoundPost(f"p{n}", f"Lumen numéro {n}", Author(f"u{n}", f"user{n}"), at))

    def search(self, query: str, cursor: str = "", limit: int = 100) -> SearchPage:
        self.calls.append(cursor)
        ordered = sorted(self.posts, key=lambda p: (p.created_at, p.remote_id), reverse=True)
        start = int(cursor or 0)
        page = ordered[start : start + limit]
        more = start + limit < len(ordered)
        return SearchPage(items=page, cursor=str(start + limit) if more else "", has_more=more)


def test_a_newest_first_search_reads_down_to_what_it_read_last_time_and_resumes_a_burst(
    make_source: Callable[..., Source], monkeypatch: pytest.MonkeyPatch
) -> None:
    network, source = NewestFirst(), make_source(SourceKind.NETWORK)
    for n in range(5):
        network.post(n, NOW - timedelta(days=30 - n))  # older than the first run's backfill
    for n in range(5, 8):
        network.post(n, NOW - timedelta(hours=8 - n))

    def run() -> list[str]:
        fetched = sources.search_newest_first(network, ["lumen"], source, "bluesky", NOW)
        source.cursor = fetched.cursor or ""
        return [i.remote_id for i in fetched.items]

    assert run() == ["p7", "p6", "p5"]
    assert run() == []  # nothing new: nothing fetched twice
    network.post(8, NOW - timedelta(minutes=1))
    network.post(9, NOW - timedelta(hours=1))  # late-indexed, but newer than what was read
    assert run() == ["p8", "p9"]
    # A burst bigger than one run: the rest is read on the next runs, down to where it stopped.
    monkeypatch.setattr(sources, "PAGE_SIZE", 2)
    monkeypatch.setattr(sources, "MAX_PAGES", 2)
    for n in range(10, 17):
        network.post(n, NOW + timedelta(seconds=n))
    first = run()
    second = run()
    assert first == ["p16", "p15", "p14", "p13"]
    assert second == ["p12", "p11", "p10"]
    assert run() == []
    assert json.loads(source.cursor)["searches"]["lumen"]["resume"] == ""


def test_searches_send_the_positive_terms_one_per_search_where_the_network_has_no_or(
    make_query: Callable[..., Query], make_source: Callable[..., Source]
) -> None:
    make_query('lumen NOT "code promo"')
    make_query("colo*r OR #velo")
    source = make_source(SourceKind.NETWORK)
    assert sources.search_queries(source, "bluesky") == ["lumen", "colo", "velo"]
    assert sources.search_queries(source, "x") == ["lumen OR colo OR velo"]
    source.search = "lumen bike"
    assert sources.search_queries(source, "mastodon") == ["lumen bike"]
