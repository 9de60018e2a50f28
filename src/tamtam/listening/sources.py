"""Running listening sources: each `Source` row is durable work (state, due_at, lease, attempts) with a
cursor. A worker claims due sources, fetches what is new after the cursor, runs the pipeline on it,
then moves the cursor — in that order, so a crash in between refetches items the dedupe already
knows, and never skips any.

A source that fails (broken XML, a 404, an endless redirect, a network refusing) says why on its row
and retries later with a growing delay; after `DEAD_AFTER` failures in a row it is flagged dead and
left alone until someone revives it. One source's trouble never stops the others: each is fetched and
recorded on its own.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from tamtam.listening.models import Query, Source, SourceKind, SourceState
from tamtam.listening.pipeline import BatchResult, Pipeline, RawItem
from tamtam.listening.query import And, Near, Node, Or, Term, parse
from tamtam.networks.base import ConnectorError, FoundPost, NeedsUser, RetryAfter
from tamtam.work.claim import Leased, claim
from tamtam.work.db import serialised

log = logging.getLogger(__name__)
LEASE_SECONDS = 180
DEAD_AFTER = 5
PAGE_SIZE = 200
MAX_PAGES = 10  # per run; the next run goes on from the cursor
MAX_BACKOFF = timedelta(hours=6)
BACKFILL = timedelta(days=7)

_lock = threading.Lock()
_pipeline: Pipeline | None = None


def pipeline() -> Pipeline:
    """The process's pipeline (its near-duplicate window lives as long as the worker)."""
    global _pipeline
    with _lock:
        if _pipeline is None:
            _pipeline = Pipeline()
        return _pipeline


@dataclass
class Fetched:
    items: list[RawItem] = field(default_factory=list)
    cursor: str | None = None  # None: unchanged
    etag: str | None = None
    last_modified: str | None = None
    warning: str = ""  # read with a problem (kept, shown on the source)


class SourceFailed(Exception):
    def __init__(self, message: str, retry_in: float | None = None, counts: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retry_in = retry_in
        self.counts = counts  # False: a rate limit, not a sign that the source is dead


# --- conversions -------------------------------------------------------------------------------------


def from_found_post(post: FoundPost, network: str, source_id: int | None) -> RawItem:
    author = post.author
    return RawItem(
        network=network,
        remote_id=post.remote_id,
        text=post.text,
        published_at=post.created_at,
        url=post.url,
        author_id=author.remote_id or author.handle,
        author_handle=author.handle,
        author_name=author.name,
        author_url=author.url,
        author_followers=author.followers,
        lang=post.lang,
        likes=post.likes or 0,
        shares=post.shares or 0,
        replies=post.replies or 0,
        source_id=source_id,
    )


# --- fetchers ----------------------------------------------------------------------------------------


def query_terms(workspace_id: int) -> list[str]:
    """The words and phrases the workspace's enabled queries ask for (never those under a NOT)."""
    words: list[str] = []
    for expression in Query.objects.filter(workspace_id=workspace_id, enabled=True).values_list(
        "expression", flat=True
    ):
        try:
            tree = parse(expression)
        except ValueError:
            continue
        for term in positive_terms(tree):
            text = _term_text(term)
            if text not in words:
                words.append(text)
    return words


def search_terms(source: Source) -> str:
    """What a network search that understands OR asks for: the source's own terms, else the words and
    phrases of the workspace's enabled queries (the network filters coarsely; our matcher decides)."""
    return source.search or " OR ".join(query_terms(source.workspace_id)[:MAX_SEARCHES])


def search_queries(source: Source, network: str) -> list[str]:
    """The searches one run sends: one with OR where the network has it, else one per term."""
    if source.search or network in SEARCH_OR:
        return [search_terms(source)]
    return query_terms(source.workspace_id)[:MAX_SEARCHES]


def positive_terms(node: Node) -> list[Term]:
    """The terms a matching text may contain (a term under NOT is one it must not)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Near):
        return [node.left, node.right]
    if isinstance(node, And | Or):
        return [t for c in node.children for t in positive_terms(c)]
    return []


def _term_text(term: Term) -> str:
    if term.kind == "phrase":
        return '"' + " ".join(term.tokens) + '"'
    text = term.tokens[0].lstrip("#@")
    if term.kind == "wildcard":  # the network searches the literal start; the matcher checks the rest
        text = text[: min(i for i, ch in enumerate(text) if ch in "*?")]
    return text


def fetch_sandbox(source: Source, now: datetime) -> Fetched:
    from tamtam.networks.sandbox.stream import MentionStream, config_from_options

    stream = MentionStream(config_from_options(source.options or {}, seed=source.pk))
    fetched = Fetched(cursor=source.cursor)
    for _ in range(MAX_PAGES):
        page = stream.page(fetched.cursor or "", PAGE_SIZE, now)
        fetched.items.extend(from_found_post(p, "sandbox", source.pk) for p in page.items)
        fetched.cursor = page.cursor
        if not page.has_more:
            break
    return fetched


def fetch_network(source: Source, now: datetime) -> Fetched:
    from tamtam.channels.tokens import context_for
    from tamtam.networks import registry

    channel = source.channel
    if channel is None:
        raise SourceFailed("the channel of this source was removed")
    connector = registry.get(channel.network)(context_for(channel))
    query = search_terms(source)
    if not query:
        raise SourceFailed(
            "no search terms: add a query to the workspace or terms to the source", counts=False
        )
    try:
        if channel.network in FORWARD_SEARCH:
            return _search_forward(connector, query, source, channel.network)
        return search_newest_first(
            connector, search_queries(source, channel.network), source, channel.network, now
        )
    except NeedsUser as exc:
        raise SourceFailed(f"the channel must be reconnected: {exc.message}") from exc
    except ConnectorError as exc:
        raise SourceFailed(exc.message) from exc


# The sandbox's search is a stream read forward from its cursor; the real networks' searches answer
# newest first and their cursor pages towards older posts.
FORWARD_SEARCH = {"sandbox"}
# Searches that understand "a OR b"; on the others (Bluesky, Mastodon: words are ANDed) each term is
# searched on its own.
SEARCH_OR = {"x", "reddit", "sandbox"}
MAX_SEARCHES = 20


def _search_forward(connector: Any, query: str, source: Source, network: str) -> Fetched:
    fetched = Fetched(cursor=source.cursor)
    try:
        for _ in range(MAX_PAGES):
            page = connector.search(query, fetched.cursor or "", PAGE_SIZE)
            fetched.items.extend(from_found_post(p, network, source.pk) for p in page.items)
            fetched.cursor = page.cursor or fetched.cursor
            if not page.has_more:
                break
    except RetryAfter as exc:
        if fetched.items:  # keep what came; the rest waits for the next run
            return fetched
        raise SourceFailed(exc.message, retry_in=exc.seconds, counts=False) from exc
    return fetched


@dataclass
class SearchMark:
    """The cursor of a newest-first search, kept on the source as JSON.

    `newest` is the creation time of the newest post read (and `ids` those posts at that instant): a
    run reads from the top down to it, so nothing older is fetched again. A run that stops after
    `MAX_PAGES` (a burst) leaves `resume` (the network's page cursor) and `floor` (the previous
    newest): the next run goes on downwards from there to the floor first, so nothing is skipped."""

    newest: datetime | None = None
    ids: list[str] = field(default_factory=list)
    resume: str = ""
    floor: datetime | None = None
    floor_ids: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, data: object) -> SearchMark:
        if not isinstance(data, dict):
            return cls()
        return cls(
            newest=_parse_time(str(data.get("newest") or "")),
            ids=[str(i) for i in data.get("ids") or []][:100],
            resume=str(data.get("resume") or ""),
            floor=_parse_time(str(data.get("floor") or "")),
            floor_ids=[str(i) for i in data.get("floor_ids") or []][:100],
        )

    def dump(self) -> dict[str, Any]:
        return {
            "newest": self.newest.isoformat() if self.newest else "",
            "ids": self.ids[:100],
            "resume": self.resume,
            "floor": self.floor.isoformat() if self.floor else "",
            "floor_ids": self.floor_ids[:100],
        }

    def saw(self, post: FoundPost) -> None:
        if self.newest is None or post.created_at > self.newest:
            self.newest, self.ids = post.created_at, [post.remote_id]
        elif post.created_at == self.newest and post.remote_id not in self.ids:
            self.ids.append(post.remote_id)


def search_newest_first(
    connector: Any, queries: list[str], source: Source, network: str, now: datetime
) -> Fetched:
    """Each search in `queries` read from the top down to its own mark (the cursor holds one per
    search). A rate limit keeps what came and leaves the remaining searches for the next run."""
    try:
        saved = json.loads(source.cursor) if source.cursor else {}
    except ValueError:
        saved = {}  # a cursor of another format: start from the top again (the dedupe holds)
    marks = saved.get("searches") if isinstance(saved, dict) else None
    marks = marks if isinstance(marks, dict) else {}
    fetched = Fetched()
    kept: dict[str, Any] = {}
    limited: RetryAfter | None = None
    for query in queries:
        mark = SearchMark.load(marks.get(query))
        if limited is None:
            try:
                items, mark = _search_down(connector, query, mark, source.pk, network, now)
            except RetryAfter as exc:
                limited = exc
            else:
                fetched.items.extend(items)
        kept[query] = mark.dump()
    if limited is not None and not fetched.items:
        raise SourceFailed(limited.message, retry_in=limited.seconds, counts=False)
    fetched.cursor = json.dumps({"searches": kept})
    return fetched


def _search_down(
    connector: Any, query: str, mark: SearchMark, source_id: int, network: str, now: datetime
) -> tuple[list[RawItem], SearchMark]:
    resuming = bool(mark.resume)
    stop_at = mark.floor if resuming else mark.newest
    if stop_at is None:  # the first run reads back a week at most, not the network's whole history
        stop_at = now - BACKFILL
    stop_ids = set(mark.floor_ids if resuming else mark.ids)
    new = SearchMark(newest=mark.newest, ids=list(mark.ids))
    items: list[RawItem] = []
    page_cursor = mark.resume
    reached = False
    try:
        for _ in range(MAX_PAGES):
            page = connector.search(query, page_cursor, PAGE_SIZE)
            for post in page.items:
                if post.created_at < stop_at or (post.created_at == stop_at and post.remote_id in stop_ids):
                    reached = True
                    continue
                new.saw(post)
                items.append(from_found_post(post, network, source_id))
            page_cursor = page.cursor
            if reached or not page.has_more or not page_cursor:
                reached = True
                break
    except RetryAfter:
        if not items:
            raise
        reached = False  # keep what came; the next run goes on from this page
    if not reached:
        # Stopped before the previous newest: the next run goes on down from here to it.
        new.resume, new.floor, new.floor_ids = page_cursor, stop_at, sorted(stop_ids)
    return items, new


def fetch_rss(source: Source, now: datetime) -> Fetched:
    from tamtam.networks.rss.fetch import fetch_feed

    result = fetch_feed(source.url, etag=source.etag, last_modified=source.last_modified)
    if result.not_modified:
        return Fetched(etag=result.etag, last_modified=result.last_modified)
    if result.error and not result.entries:
        raise SourceFailed(result.error)
    # Feeds serve the same entries again and again: entries older than the newest one already seen
    # are not even handed to the pipeline (whose dedupe catches the rest).
    newest_seen = _parse_time(source.cursor)
    items: list[RawItem] = []
    newest = newest_seen
    feed_name = result.title or source.name
    for entry in result.entries:
        published = entry.published or now
        if newest_seen is not None and entry.published is not None and entry.published < newest_seen:
            continue
        if newest is None or published > newest:
            newest = published
        items.append(
            RawItem(
                network="rss",
                remote_id=entry.id or entry.link,
                text=entry.summary,
                title=entry.title,
                published_at=published,
                url=entry.link,
                author_id=entry.author or feed_name,
                author_handle=entry.author or feed_name,
                author_name=entry.author or feed_name,
                author_url=result.final_url,
                source_id=source.pk,
            )
        )
    return Fetched(
        items=items,
        cursor=newest.isoformat() if newest else None,
        etag=result.etag,
        last_modified=result.last_modified,
        warning=result.error,
    )


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


FETCHERS = {SourceKind.SANDBOX: fetch_sandbox, SourceKind.NETWORK: fetch_network, SourceKind.RSS: fetch_rss}


# --- the work kind -----------------------------------------------------------------------------------


def claim_due(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        Source.objects.all(),
        states=[SourceState.IDLE],
        now=now,
        limit=limit,
        lease_seconds=LEASE_SECONDS,
        owner=owner,
        to_state=SourceState.CLAIMED,
    )


def run_source(source_id: int, owner: str, now: datetime | None = None) -> str:
    """Fetch one claimed source, run the pipeline, record the outcome. Harmless if not ours any more."""
    source = (
        Source.objects.select_related("channel")
        .filter(pk=source_id, state=SourceState.CLAIMED, lease_owner=owner)
        .first()
    )
    if source is None:
        return "not ours"
    now = now or timezone.now()
    try:
        fetched = FETCHERS[SourceKind(source.kind)](source, now)
        result = pipeline().process(fetched.items, now=now) if fetched.items else BatchResult()
    except SourceFailed as exc:
        return _failed(source, owner, now, exc)
    except Exception as exc:  # a bug or an unexpected answer: said on the source, others go on
        log.exception("listening source %s failed", source.pk)
        return _failed(source, owner, now, SourceFailed(f"unexpected error: {type(exc).__name__}: {exc}"))
    changes: dict[str, object] = {
        "state": SourceState.IDLE,
        "due_at": now + timedelta(seconds=source.interval_seconds),
        "lease_owner": "",
        "lease_until": None,
        "attempts": source.attempts + 1,
        "consecutive_failures": 0,
        "last_error": fetched.warning[:500],
        "last_fetched_at": now,
        "last_ok_at": now,
        "items_seen": source.items_seen + len(fetched.items),
        "updated_at": now,
    }
    if fetched.cursor is not None:
        changes["cursor"] = fetched.cursor
    if fetched.etag is not None:
        changes["etag"] = fetched.etag[:500]
    if fetched.last_modified is not None:
        changes["last_modified"] = fetched.last_modified[:100]
    _record(source, owner, changes)
    return f"ok: {len(fetched.items)} items, {result.stored} stored"


def _failed(source: Source, owner: str, now: datetime, exc: SourceFailed) -> str:
    failures = source.consecutive_failures + (1 if exc.counts else 0)
    dead = exc.counts and failures >= DEAD_AFTER
    if exc.retry_in is not None:
        delay = timedelta(seconds=exc.retry_in)
    else:
        delay = min(MAX_BACKOFF, timedelta(seconds=source.interval_seconds * 2 ** max(0, failures - 1)))
    _record(
        source,
        owner,
        {
            "state": SourceState.DEAD if dead else SourceState.IDLE,
            "due_at": None if dead else now + delay,
            "lease_owner": "",
            "lease_until": None,
            "attempts": source.attempts + 1,
            "consecutive_failures": failures,
            "last_error": exc.message[:500],
            "last_fetched_at": now,
            "updated_at": now,
        },
    )
    return "dead" if dead else "failed"


def _record(source: Source, owner: str, changes: dict[str, object]) -> None:
    with serialised():
        Source.objects.filter(pk=source.pk, state=SourceState.CLAIMED, lease_owner=owner).update(**changes)


_leased = Leased(Source, claimed=SourceState.CLAIMED, idle=SourceState.IDLE)
release_claims = _leased.release
sweep_expired = _leased.sweep
