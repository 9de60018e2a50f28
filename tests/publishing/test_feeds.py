"""The RSS/Atom input: watched feeds whose new entries become drafts or queued posts.

The feed server is an in-process httpx.MockTransport serving real RSS bytes; fetch, parsing, the
database, `publishing.services` and the work claim are the real ones.
"""

from __future__ import annotations

from datetime import time, timedelta

import httpx
import pytest
from django.utils import timezone

from tamtam.accounts.models import ApprovalPolicy
from tamtam.lib.errors import InvalidInput
from tamtam.publishing import feeds
from tamtam.publishing.feed_models import FeedItemOutcome, FeedMode, FeedWatch, FeedWatchState
from tamtam.publishing.models import Post, PostSource, Queue, QueueSlot
from tamtam.publishing.states import TargetState
from tamtam.work.registry import kinds

URL = "https://blog.example/feed.xml"


def rss(*items: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>{link}</link>"
        f"<description>Summary of {title}</description></item>"
        for guid, title, link in items
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Blog</title>'
    return f"{head}{body}</channel></rss>".encode()


class FeedServer:
    """Serves whatever `items` holds, with an ETag so conditional GETs can answer 304."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []
        self.status = 200
        self.requests: list[httpx.Request] = []

    @property
    def etag(self) -> str:
        return f'"{len(self.items)}"'

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status)
        if request.headers.get("if-none-match") == self.etag:
            return httpx.Response(304)
        return httpx.Response(200, content=rss(*self.items), headers={"ETag": self.etag})

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


@pytest.fixture
def server() -> FeedServer:
    return FeedServer()


@pytest.fixture
def watch(workspace, make_channel) -> FeedWatch:  # type: ignore[no-untyped-def]
    workspace.approval_policy = ApprovalPolicy.NONE
    workspace.save()
    a, b = make_channel(), make_channel()
    w = FeedWatch(
        workspace=workspace, name="Blog", url=URL, template="{title} — {summary}\n{link}", daily_cap=2
    )
    return feeds.save_watch(w, None, [a.pk, b.pk])


def test_the_first_read_records_the_existing_entries_without_posting(
    watch: FeedWatch, server: FeedServer
) -> None:
    server.items = [("1", "Old one", "https://blog.example/1")]
    outcome = feeds.poll(watch, transport=server.transport)
    assert outcome.posted == 0
    assert list(watch.items.values_list("outcome", flat=True)) == [FeedItemOutcome.BASELINE]
    assert Post.objects.count() == 0
    assert watch.baseline_done
    assert watch.etag == '"1"'


def test_new_entries_become_drafts_on_every_channel_with_the_template(
    watch: FeedWatch, server: FeedServer
) -> None:
    feeds.poll(watch, transport=server.transport)
    server.items = [("2", "Spring &amp; news", "https://blog.example/2")]
    outcome = feeds.poll(watch, transport=server.transport)
    assert outcome.posted == 1
    post = Post.objects.get()
    assert post.text == "Spring & news — Summary of Spring & news\nhttps://blog.example/2"
    assert post.source == PostSource.FEED
    assert post.link == ""  # the template already carries the link
    assert sorted(post.targets.values_list("state", flat=True)) == [TargetState.DRAFT, TargetState.DRAFT]
    item = watch.items.get(outcome=FeedItemOutcome.POSTED)
    assert item.post == post


def test_an_entry_is_never_posted_twice_by_id_or_by_link(watch: FeedWatch, server: FeedServer) -> None:
    feeds.poll(watch, transport=server.transport)
    server.items = [("2", "Two", "https://blog.example/2")]
    feeds.poll(watch, transport=server.transport)
    # Same entry again (unchanged feed gives a 304; a changed one repeats entry 2), and a new guid with
    # the link of an earlier entry (feeds that regenerate their guids).
    server.items = [("2", "Two", "https://blog.example/2"), ("2-bis", "Two again", "https://blog.example/2")]
    outcome = feeds.poll(watch, transport=server.transport)
    assert outcome.posted == 0
    assert Post.objects.count() == 1
    assert watch.items.filter(outcome=FeedItemOutcome.DUPLICATE).count() == 1


def test_an_unchanged_feed_answers_304_and_nothing_happens(watch: FeedWatch, server: FeedServer) -> None:
    server.items = [("1", "One", "https://blog.example/1")]
    feeds.poll(watch, transport=server.transport)
    outcome = feeds.poll(watch, transport=server.transport)
    assert outcome.not_modified
    assert server.requests[-1].headers["if-none-match"] == '"1"'


def test_the_daily_cap_limits_posts_and_skips_the_rest(watch: FeedWatch, server: FeedServer) -> None:
    feeds.poll(watch, transport=server.transport)
    server.items = [(str(i), f"Item {i}", f"https://blog.example/{i}") for i in range(10, 15)]
    outcome = feeds.poll(watch, transport=server.transport)
    assert (outcome.posted, outcome.skipped) == (2, 3)
    assert Post.objects.count() == 2
    # Later the same day: still capped.
    server.items.append(("20", "Item 20", "https://blog.example/20"))
    assert feeds.poll(watch, transport=server.transport).posted == 0
    # The next day the cap is free again.
    server.items.append(("21", "Item 21", "https://blog.example/21"))
    assert feeds.poll(watch, transport=server.transport, now=timezone.now() + timedelta(days=1)).posted == 1


def test_entries_are_posted_oldest_first(watch: FeedWatch, server: FeedServer) -> None:
    feeds.poll(watch, transport=server.transport)
    dated = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>'
        b"<item><guid>n</guid><title>Newer</title><pubDate>Wed, 02 Dec 2026 10:00:00 GMT</pubDate></item>"
        b"<item><guid>o</guid><title>Older</title><pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item>"
        b"</channel></rss>"
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=dated))
    feeds.poll(watch, transport=transport)
    assert [p.text.split(" —")[0] for p in Post.objects.order_by("pk")] == ["Older", "Newer"]


def test_queue_mode_places_posts_in_the_queue_next_free_slots(watch: FeedWatch, server: FeedServer) -> None:
    queue = Queue.objects.create(workspace=watch.workspace, name="Weekdays")
    queue.channels.set(watch.channels.all())
    for day in range(7):
        QueueSlot.objects.create(queue=queue, weekday=day, time=time(9, 0))
    watch.mode, watch.queue = FeedMode.QUEUE, queue
    feeds.save_watch(watch, None, list(watch.channels.values_list("pk", flat=True)))
    feeds.poll(watch, transport=server.transport)
    server.items = [("a", "A", "https://blog.example/a"), ("b", "B", "https://blog.example/b")]
    assert feeds.poll(watch, transport=server.transport).posted == 2
    posts = list(Post.objects.order_by("scheduled_at"))
    assert all(p.queue_id == queue.pk for p in posts)
    assert posts[0].scheduled_at < posts[1].scheduled_at  # two different slots
    assert set(posts[0].targets.values_list("state", flat=True)) == {TargetState.SCHEDULED}


def test_a_queue_without_slots_keeps_the_post_as_a_draft_and_says_why(
    watch: FeedWatch, server: FeedServer
) -> None:
    queue = Queue.objects.create(workspace=watch.workspace, name="Empty")
    watch.mode, watch.queue = FeedMode.QUEUE, queue
    watch.save()
    feeds.poll(watch, transport=server.transport)
    server.items = [("a", "A", "https://blog.example/a")]
    feeds.poll(watch, transport=server.transport)
    item = watch.items.get(outcome=FeedItemOutcome.POSTED)
    assert "draft" in item.detail
    assert set(item.post.targets.values_list("state", flat=True)) == {TargetState.DRAFT}


def test_a_dead_feed_is_marked_with_its_error_and_retried_later(watch: FeedWatch, server: FeedServer) -> None:
    server.status = 404
    now = timezone.now()
    outcome = feeds.poll(watch, transport=server.transport, now=now)
    watch.refresh_from_db()
    assert "not found" in outcome.error
    assert "not found" in watch.last_error
    assert watch.error_count == 1
    assert watch.due_at == now + timedelta(minutes=watch.interval_minutes)
    feeds.poll(watch, transport=server.transport, now=now)
    assert watch.due_at == now + timedelta(minutes=2 * watch.interval_minutes)  # growing delay
    server.status = 200
    feeds.poll(watch, transport=server.transport, now=now)
    assert (watch.error_count, watch.last_error) == (0, "")


def test_the_work_kind_claims_due_watches_and_a_dead_one_does_not_block_another(
    watch: FeedWatch, workspace, make_channel, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    assert "feed_watch" in {k.name for k in kinds()}
    other = feeds.save_watch(
        FeedWatch(workspace=workspace, name="Dead", url="https://dead.example/rss"), None, [make_channel().pk]
    )
    paused = feeds.save_watch(
        FeedWatch(workspace=workspace, name="Paused", url="https://p.example/rss"), None, [make_channel().pk]
    )
    feeds.set_paused(paused, None, True)
    good = FeedServer()

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.host == "dead.example":
            return httpx.Response(500)
        return good.handler(request)

    real_fetch = feeds.rss.fetch_feed
    monkeypatch.setattr(
        feeds.rss,
        "fetch_feed",
        lambda url, **kw: real_fetch(url, **{**kw, "transport": httpx.MockTransport(route)}),
    )
    now = timezone.now() + timedelta(seconds=1)
    ids = feeds.claim_due(now, 10, "worker-1")
    assert sorted(ids) == sorted([watch.pk, other.pk])
    assert feeds.claim_due(now, 10, "worker-2") == []  # leased
    results = {i: feeds.process_watch(i, "worker-1") for i in ids}
    assert results[other.pk] == "error"
    assert results[watch.pk] == "nothing new"
    watch.refresh_from_db()
    other.refresh_from_db()
    assert watch.last_ok_at is not None
    assert watch.lease_owner == ""
    assert "HTTP 500" in other.last_error
    assert feeds.claim_due(now, 10, "worker-1") == []  # both are due later now


def test_a_process_for_a_lease_that_is_not_ours_does_nothing(watch: FeedWatch) -> None:
    assert feeds.process_watch(watch.pk, "someone-else") == "skipped"


def test_template_placeholders_are_checked_with_their_position() -> None:
    assert feeds.validate_template("{title} {link} {summary}")
    with pytest.raises(InvalidInput) as err:
        feeds.validate_template("New: {titel}")
    assert err.value.field == "template"
    assert "{titel}" in err.value.message
    assert "position 6" in err.value.message


def test_save_watch_refuses_a_channel_of_another_workspace(workspace, make_workspace, make_channel) -> None:  # type: ignore[no-untyped-def]
    foreign = make_channel(ws=make_workspace())
    with pytest.raises(InvalidInput) as err:
        feeds.save_watch(FeedWatch(workspace=workspace, name="x", url=URL), None, [foreign.pk])
    assert err.value.field == "channels"


def test_preview_renders_the_next_posts_and_flags_seen_entries(watch: FeedWatch, server: FeedServer) -> None:
    server.items = [("1", "One", "https://blog.example/1")]
    feeds.poll(watch, transport=server.transport)
    server.items = [("2", "Two", "https://blog.example/2"), ("1", "One", "https://blog.example/1")]
    items, error = feeds.preview(URL, "» {title}", watch=watch, transport=server.transport)
    assert error == ""
    assert [(i.text, i.seen) for i in items] == [("» Two", False), ("» One", True)]


def test_a_paused_watch_is_not_claimed(watch: FeedWatch) -> None:
    feeds.set_paused(watch, None, True)
    assert watch.state == FeedWatchState.PAUSED
    assert feeds.claim_due(timezone.now() + timedelta(hours=1), 10, "w") == []


# --- pages ----------------------------------------------------------------------------------------


@pytest.fixture
def fake_feed(monkeypatch, server: FeedServer) -> FeedServer:  # type: ignore[no-untyped-def]
    real_fetch = feeds.rss.fetch_feed
    monkeypatch.setattr(
        feeds.rss, "fetch_feed", lambda url, **kw: real_fetch(url, **{**kw, "transport": server.transport})
    )
    return server


def test_a_manager_adds_a_feed_with_a_preview_first(
    workspace, members, login, make_channel, fake_feed
) -> None:  # type: ignore[no-untyped-def]
    channel = make_channel()
    fake_feed.items = [("1", "Hello", "https://blog.example/1")]
    client = login(members["owner"])
    form = {
        "name": "Blog",
        "url": URL,
        "channels": [channel.pk],
        "mode": "draft",
        "queue": "",
        "template": "New: {title} {link}",
        "daily_cap": "3",
        "interval_minutes": "30",
    }
    page = client.post(f"/w/{workspace.pk}/feeds/new/", {**form, "preview": "1"})
    assert page.status_code == 200
    assert "New: Hello https://blog.example/1" in page.content.decode()
    assert FeedWatch.objects.count() == 0  # a preview saves nothing
    saved = client.post(f"/w/{workspace.pk}/feeds/new/", {**form, "save": "1"})
    watch = FeedWatch.objects.get()
    assert saved.status_code == 302
    assert saved["Location"] == f"/w/{workspace.pk}/feeds/{watch.pk}/"
    assert list(watch.channels.all()) == [channel]
    listing = client.get(f"/w/{workspace.pk}/feeds/")
    assert "Blog" in listing.content.decode()
    client.post(f"/w/{workspace.pk}/feeds/{watch.pk}/pause/")
    watch.refresh_from_db()
    assert watch.paused


def test_a_bad_template_is_refused_with_the_placeholder_named(
    workspace, members, login, make_channel
) -> None:  # type: ignore[no-untyped-def]
    client = login(members["owner"])
    page = client.post(
        f"/w/{workspace.pk}/feeds/new/",
        {
            "name": "B",
            "url": URL,
            "channels": [make_channel().pk],
            "mode": "draft",
            "template": "{titel}",
            "daily_cap": "3",
            "interval_minutes": "30",
            "save": "1",
        },
    )
    assert page.status_code == 400
    assert "{titel}" in page.content.decode()
    assert FeedWatch.objects.count() == 0


def test_feed_pages_are_hidden_from_strangers_and_read_only_for_analysts(
    watch: FeedWatch, make_user, login, members
) -> None:  # type: ignore[no-untyped-def]
    stranger = login(make_user("stranger"))
    assert stranger.get(f"/w/{watch.workspace_id}/feeds/{watch.pk}/").status_code == 404
    analyst = login(members["analyst"])
    assert analyst.get(f"/w/{watch.workspace_id}/feeds/{watch.pk}/").status_code == 200
    assert analyst.post(f"/w/{watch.workspace_id}/feeds/{watch.pk}/delete/").status_code in (403, 404)
    assert FeedWatch.objects.filter(pk=watch.pk).exists()


def test_the_feed_pages_speak_french(watch: FeedWatch, members, login) -> None:  # type: ignore[no-untyped-def]
    client = login(members["owner"])
    page = client.get(f"/w/{watch.workspace_id}/feeds/", HTTP_ACCEPT_LANGUAGE="fr")
    body = page.content.decode()
    assert "Flux RSS/Atom" in body
    assert "Mettre en pause" in body
