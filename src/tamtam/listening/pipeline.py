"""The listening pipeline on batches (DESIGN §6): normalise → exact dedupe → match → near-duplicate →
language → sentiment → authors and influence → ONE write transaction (bulk inserts of mentions,
sources, query links, and the per-minute counters upserted).

Only mentions that match at least one enabled query are stored: a firehose is mostly about other
things. A mention already stored (same network id, or same normalised text by the same author) is
not stored again: the new source is added to its list. Near-duplicates (retweets, copies, syndicated
articles) are stored and counted — they are how a story spreads — and point at the first one seen.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from tamtam.listening import matching, store
from tamtam.listening.dedupe import Entry, NearDuplicateIndex
from tamtam.listening.models import Sentiment
from tamtam.listening.normalize import Normalized, fold, normalize
from tamtam.work.db import write_transaction

log = logging.getLogger(__name__)
MAX_TEXT = 20_000  # characters kept and matched; a longer text is cut (and the cut is logged)
ENGAGEMENT_EMA = 0.2
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass
class RawItem:
    """One item as a source gives it (a network post, a feed entry, a sandbox mention)."""

    network: str
    remote_id: str
    text: str
    published_at: datetime
    url: str = ""
    title: str = ""
    author_id: str = ""
    author_handle: str = ""
    author_name: str = ""
    author_url: str = ""
    author_followers: int | None = None
    lang: str = ""  # the source's own guess
    likes: int = 0
    shares: int = 0
    replies: int = 0
    source_id: int | None = None


@dataclass
class BatchResult:
    received: int = 0
    empty: int = 0  # nothing to read (no text, or emoji/punctuation only)
    exact_duplicates: int = 0  # within the batch or already stored
    unmatched: int = 0
    near_duplicates: int = 0
    stored: int = 0
    matches: int = 0
    sources_added: int = 0
    counters: int = 0
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # wall seconds
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # this process's CPU seconds


@dataclass
class _Work:
    item: RawItem
    text: str
    norm: Normalized
    remote_key: str
    content_hash: str
    author_key: str
    sources: set[int] = field(default_factory=set)
    candidates: tuple[matching.Hits, set[int]] | None = None
    query_ids: list[int] = field(default_factory=list)
    duplicate_of: str = ""
    lang: str = ""
    sentiment: str = Sentiment.NEUTRAL
    score: float = 0.0
    original: Entry | None = None  # near-duplicate index entry: its original's, or its own
    published: datetime = _NEVER  # set just before the write
    published_db: Any = None


def _sha1(value: str) -> str:
    return hashlib.sha1(value.encode(), usedforsecurity=False).hexdigest()


def influence(followers: int | None, avg_engagement: float, mentions_seen: int) -> float:
    """0 to 100: 50 % audience, 30 % engagement, 20 % relevance (docs/listening.md).

    audience = log10(1 + followers) / 7 (10 M followers → 1); engagement = log10(1 + average of
    likes + 2·shares + replies per mention) / 4 (10,000 → 1); relevance = log10(1 + mentions seen) / 2
    (100 mentions → 1). Logarithms because audiences span six orders of magnitude."""
    audience = min(1.0, math.log10(1 + max(0, followers or 0)) / 7)
    engagement = min(1.0, math.log10(1 + max(0.0, avg_engagement)) / 4)
    relevance = min(1.0, math.log10(1 + max(0, mentions_seen)) / 2)
    return round(100 * (0.5 * audience + 0.3 * engagement + 0.2 * relevance), 2)


class Pipeline:
    """Keep one per worker: it holds the near-duplicate window and the compiled matcher."""

    def __init__(self, *, near_window: timedelta = timedelta(hours=24), sentiment_backend: str = "auto"):
        self.near = NearDuplicateIndex(window=near_window)
        self.sentiment_backend = sentiment_backend

    def process(self, items: Sequence[RawItem], now: datetime | None = None) -> BatchResult:
        # A batch allocates hundreds of thousands of small objects (tokens, rows, tuples) and frees
        # them at its end, and none of them form reference cycles: the cyclic collector would only
        # walk the worker's long-lived heap (near-duplicate window, model caches) again and again —
        # measured at up to a fifth of the batch. It is paused for the batch and runs after it.
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            return self._process(items, now)
        finally:
            if paused:
                gc.enable()

    def _process(self, items: Sequence[RawItem], now: datetime | None) -> BatchResult:
        now = now or timezone.now()
        result = BatchResult(received=len(items))
        clock, cpu = time.perf_counter(), time.process_time()

        def lap(stage: str) -> None:
            nonlocal clock, cpu
            t, c = time.perf_counter(), time.process_time()
            result.timings[stage] += t - clock
            result.cpu[stage] += c - cpu
            clock, cpu = t, c

        works = self._normalise(items, result)
        lap("normalise")
        works = self._dedupe_exact(works, result)
        lap("dedupe")
        matcher = matching.current()
        lap("matcher")
        works = self._candidates(works, matcher, result)
        lap("match")
        self._languages(works)
        lap("language")
        works = self._evaluate(works, matcher, result)
        lap("match")
        self._near_duplicates(works, result)
        lap("near_duplicates")
        self._sentiment(works)
        lap("sentiment")
        self._store(works, matcher, now, result)
        lap("store")
        return result

    # --- stages -------------------------------------------------------------------------------------

    def _normalise(self, items: Sequence[RawItem], result: BatchResult) -> list[_Work]:
        works: list[_Work] = []
        for item in items:
            text = (item.text or "").strip()
            if item.title and item.title.strip() and item.title.strip() not in text:
                text = f"{item.title.strip()}\n{text}" if text else item.title.strip()
            if len(text) > MAX_TEXT:
                log.info("listening: %s %s cut from %d characters", item.network, item.remote_id, len(text))
                text = text[:MAX_TEXT]
            norm = normalize(text)
            if not norm.tokens:
                result.empty += 1
                continue
            author_key = fold(item.author_id or item.author_handle or "")
            rid = item.remote_id or (norm.urls[0] if norm.urls else "") or item.url
            remote_key = _sha1(f"{item.network}:{rid}") if rid else _sha1(f"{item.network}:{norm.joined}")
            content_hash = _sha1(f"{item.network}|{author_key}|{norm.joined}")
            work = _Work(item, text, norm, remote_key, content_hash, author_key)
            if item.source_id is not None:
                work.sources.add(item.source_id)
            works.append(work)
        return works

    def _dedupe_exact(self, works: list[_Work], result: BatchResult) -> list[_Work]:
        by_remote: dict[str, _Work] = {}
        by_content: dict[str, _Work] = {}
        unique: list[_Work] = []
        for work in works:
            first = by_remote.get(work.remote_key) or by_content.get(work.content_hash)
            if first is not None:
                first.sources |= work.sources
                result.exact_duplicates += 1
                continue
            by_remote[work.remote_key] = by_content[work.content_hash] = work
            unique.append(work)
        known = _existing(unique)
        if not known:
            return unique
        fresh = []
        links: list[tuple[int, int, Any]] = []
        seen = store.db_datetime(timezone.now())
        for work in unique:
            mention_id = known.get(work.remote_key) or known.get(work.content_hash)
            if mention_id is None:
                fresh.append(work)
                continue
            result.exact_duplicates += 1
            links.extend((mention_id, s, seen) for s in work.sources)
        if links:
            with write_transaction():
                store.insert_sources(links)
            result.sources_added += len(links)
        return fresh

    def _candidates(self, works: list[_Work], matcher: matching.Matcher, result: BatchResult) -> list[_Work]:
        kept = []
        for work in works:
            hits, candidates = matcher.candidates(work.norm, work.author_key.lstrip("@"))
            if candidates:
                work.candidates = (hits, candidates)
                kept.append(work)
            else:
                result.unmatched += 1
        return kept

    def _languages(self, works: list[_Work]) -> None:
        unknown = []
        for work in works:
            lang = (work.item.lang or "").lower()[:2]
            if lang.isalpha() and len(lang) == 2:
                work.lang = lang
            else:
                unknown.append(work)
        if unknown:
            from tamtam.nlp import language

            for work, lang in zip(unknown, language.detect_batch([w.text for w in unknown]), strict=True):
                work.lang = lang

    def _evaluate(self, works: list[_Work], matcher: matching.Matcher, result: BatchResult) -> list[_Work]:
        kept = []
        for work in works:
            assert work.candidates is not None
            hits, candidates = work.candidates
            work.query_ids = matcher.evaluate(hits, candidates, work.lang, work.author_key.lstrip("@"))
            if work.query_ids:
                kept.append(work)
            else:
                result.unmatched += 1
        return kept

    def _near_duplicates(self, works: list[_Work], result: BatchResult) -> None:
        for work in sorted(works, key=lambda w: w.item.published_at):
            original = self.near.find_entry(work.norm.tokens, work.item.published_at)
            if original is not None and original.key != work.content_hash:
                work.duplicate_of = original.key
                work.original = original
                result.near_duplicates += 1
            else:
                work.original = self.near.add(work.content_hash, work.norm.tokens, work.item.published_at)

    def _sentiment(self, works: list[_Work]) -> None:
        """Classify the originals in one batch call; a near-duplicate takes its original's verdict (a
        retweet or a copy says the same thing in the same words)."""
        todo = [w for w in works if not w.duplicate_of or w.original is None or w.original.sentiment is None]
        # A duplicate whose original is in this same batch waits for the original's verdict.
        todo = [w for w in todo if not (w.duplicate_of and w.original is not None)]
        if todo:
            from tamtam.nlp import sentiment

            try:
                found = sentiment.classify(
                    [w.text for w in todo], [w.lang or "" for w in todo], backend=self.sentiment_backend
                )
            except Exception:
                # Never lose mentions because a model cannot load or run: stored neutral, and logged.
                log.exception("listening: sentiment backend unavailable; mentions stored as neutral")
                found = []
            for work, verdict in zip(todo, found, strict=False):
                work.sentiment = verdict.label
                scores = verdict.scores
                work.score = round(scores.get("positive", 0.0) - scores.get("negative", 0.0), 4)
                if work.original is not None and not work.duplicate_of and work.original.sentiment is None:
                    work.original.sentiment = (work.sentiment, work.score)
        for work in works:
            if work.duplicate_of and work.original is not None and work.original.sentiment is not None:
                work.sentiment, work.score = work.original.sentiment

    # --- the write ----------------------------------------------------------------------------------

    def _store(
        self, works: list[_Work], matcher: matching.Matcher, now: datetime, result: BatchResult
    ) -> None:
        if not works:
            return
        # Everything that can be computed before taking the write lock is: the transaction only runs
        # statements (other workers wait for it).
        seen = store.db_datetime(now)
        for work in works:
            work.published = min(work.item.published_at, now)
            work.published_db = store.db_datetime(work.published)
        with write_transaction():
            authors = _resolve_authors(works, now)
            rows = []
            for work in works:
                item = work.item
                author = authors.get((item.network, work.author_key[:200]))
                rows.append(
                    (
                        work.remote_key,
                        work.content_hash,
                        item.network[:30],
                        item.remote_id[:300],
                        item.url[:1000],
                        item.title[:500],
                        work.text,
                        work.lang[:8],
                        work.sentiment,
                        work.score,
                        author[0] if author else None,
                        (item.author_handle or item.author_name)[:200],
                        work.published_db,
                        seen,
                        max(0, item.likes),
                        max(0, item.shares),
                        max(0, item.replies),
                        (author[4] or 0) if author else 0,
                        author[7] if author else 0.0,
                        work.duplicate_of,
                    )
                )
            # Only the rows this transaction inserted come back: a mention another worker stored since
            # `_dedupe_exact` is neither linked nor counted again here.
            ids = store.insert_mentions(rows)
            workspace_of = matcher.workspace_of
            links: list[tuple[Any, ...]] = []
            sources: list[tuple[Any, ...]] = []
            counts: dict[tuple[int, datetime], list[int]] = defaultdict(lambda: [0, 0])
            late: list[_Work] = []
            for work in works:
                mention_id = ids.get(work.content_hash)
                if mention_id is None:
                    late.append(work)
                    continue
                bucket = work.published.replace(second=0, microsecond=0)
                negative = work.sentiment == Sentiment.NEGATIVE
                for query_id in work.query_ids:
                    links.append(
                        (mention_id, query_id, workspace_of[query_id], work.published_db, work.sentiment)
                    )
                    count = counts[(query_id, bucket)]
                    count[0] += 1
                    count[1] += negative
                sources.extend((mention_id, s, seen) for s in work.sources)
            if late:
                # Stored by another worker meanwhile: only this batch's sources are added to it.
                known = store.existing([w.remote_key for w in late], [w.content_hash for w in late])
                for work in late:
                    mention_id = known.get(work.remote_key) or known.get(work.content_hash)
                    if mention_id is not None:
                        sources.extend((mention_id, s, seen) for s in work.sources)
            store.insert_matches(links)
            store.insert_sources(sources)
            store.upsert_counters(counts)
        result.stored += len(ids)
        result.exact_duplicates += len(late)
        result.matches += len(links)
        result.sources_added += len(sources)
        result.counters += len(counts)


def _existing(works: Sequence[_Work]) -> dict[str, int]:
    """remote_key / content_hash → id of the stored mentions among these."""
    if not works:
        return {}
    return store.existing([w.remote_key for w in works], [w.content_hash for w in works])


def _resolve_authors(works: list[_Work], now: datetime) -> dict[tuple[str, str], list[Any]]:
    """Find or create each author and update audience, engagement and influence, in bulk.

    Returns (network, remote_id) → [id, network, remote_id, handle, followers, mentions_seen,
    avg_engagement, influence] as updated."""
    wanted: dict[tuple[str, str], list[_Work]] = defaultdict(list)
    for work in works:
        if work.author_key:
            wanted[(work.item.network, work.author_key[:200])].append(work)
    if not wanted:
        return {}
    keys = list(wanted)
    found = store.load_authors(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        stamp = store.db_datetime(now)
        new_rows = []
        for key in missing:
            item = wanted[key][0].item
            new_rows.append(
                (
                    key[0],
                    key[1],
                    item.author_handle[:200],
                    item.author_name[:200],
                    item.author_url[:1000],
                    item.author_followers,
                    stamp,
                    stamp,
                )
            )
        store.insert_authors(new_rows)
        found.update(store.load_authors(missing))
    updates = []
    stamp = store.db_datetime(now)
    for key, group in wanted.items():
        row = found.get(key)
        if row is None:  # pragma: no cover — refused by the database (a value longer than the column)
            continue
        _pk, _network, _rid, handle, followers, seen, avg = row
        for work in group:
            item = work.item
            engagement = item.likes + 2 * item.shares + item.replies
            avg = float(engagement) if seen == 0 else avg + ENGAGEMENT_EMA * (engagement - avg)
            seen += 1
            if item.author_followers is not None:
                followers = item.author_followers
            if item.author_handle:
                handle = item.author_handle[:200]
        score = influence(followers, avg, seen)
        row[3:7] = [handle, followers, seen, avg]
        row.append(score)
        updates.append((handle, followers, seen, avg, score, stamp, row[0]))
    store.update_authors(updates)
    return found


def insert_ignore(objs: Sequence[Model]) -> None:
    """INSERT unsaved rows of one model as ONE prepared statement run for every row (executemany),
    skipping rows that hit a unique key (for callers outside the hot path: the pipeline sends tuples)."""
    if not objs:
        return
    meta = type(objs[0])._meta
    fields: list[Any] = [f for f in meta.concrete_fields if not f.primary_key]
    rows = [[f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields] for obj in objs]
    store.insert_links(type(objs[0]), [f.column for f in fields], rows)
