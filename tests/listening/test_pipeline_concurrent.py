"""Several workers storing batches that share mentions and authors at the same moment (scale-out,
PostgreSQL): no deadlock, each mention stored once, every source linked to it.

On PostgreSQL, two transactions that insert or update the same keys in different orders deadlock
(each waits for a row the other holds); the bench found it with 32 sandbox sources on 4 workers.
SQLite has a single writer and cannot deadlock this way: the test runs there too, as a plain check."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from listening_helpers import NOW, item

from tamtam.listening.models import ListeningAuthor, Mention, MentionSource, Query, Source
from tamtam.listening.pipeline import Pipeline

WORKERS = 4
ROUNDS = 3
SHARED = 300  # mentions every worker's batch carries (the same network posts, seen by each source)
AUTHORS = 60


def _batch(source: Source, round_no: int, seed: int) -> list:
    rng = random.Random(seed)
    items = [
        item(
            f"Lumen post {round_no}-{n}: la lampe tient ses promesses",
            round_no * 10_000 + n,
            author_id=f"a{n % AUTHORS}",
            author_handle=f"author{n % AUTHORS}",
            author_followers=50 + n % AUTHORS,
            source_id=source.pk,
            published_at=NOW - timedelta(minutes=n % 30),
        )
        for n in range(SHARED)
    ]
    rng.shuffle(items)  # each worker meets the same keys in its own order
    return items


@pytest.mark.django_db(transaction=True)
def test_workers_storing_the_same_mentions_at_once_never_deadlock(
    make_query: Callable[..., Query], make_source: Callable[..., Source]
) -> None:
    make_query("lumen")
    sources = [make_source() for _ in range(WORKERS)]
    errors: list[BaseException] = []
    for round_no in range(ROUNDS):
        barrier = threading.Barrier(WORKERS)

        def work(index: int, round_no: int = round_no, barrier: threading.Barrier = barrier) -> None:
            from django.db import connection as own

            try:
                batch = _batch(sources[index], round_no, seed=round_no * 100 + index)
                pipeline = Pipeline(sentiment_backend="lexicon")
                barrier.wait(timeout=30)
                pipeline.process(batch, now=NOW)
            except BaseException as exc:  # reported below, with the others
                errors.append(exc)
            finally:
                own.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, [repr(e)[:300] for e in errors]
    assert Mention.objects.count() == ROUNDS * SHARED
    assert ListeningAuthor.objects.count() == AUTHORS
    # Each worker's source is linked to every mention of every round, whoever stored it.
    for source in sources:
        assert MentionSource.objects.filter(source=source).count() == ROUNDS * SHARED


@pytest.mark.django_db
def test_a_batch_inserts_its_mentions_in_content_hash_order(
    pipeline: Pipeline, make_query: Callable[..., Query], make_source: Callable[..., Source]
) -> None:
    # What keeps concurrent batches from deadlocking: every table's rows written in one global order
    # (mentions by content hash, authors by key then id, links by mention); the ids show the first.
    make_query("lumen")
    pipeline.process(_batch(make_source(), 0, seed=2), now=NOW)
    by_id = list(Mention.objects.order_by("id").values_list("content_hash", flat=True))
    assert len(by_id) == SHARED
    assert by_id == sorted(by_id)
