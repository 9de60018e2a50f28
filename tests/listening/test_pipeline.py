"""The batch pipeline: dedupe (exact and near), one stored mention for three sources, counters,
one bulk insert per batch, and bad inputs (empty, emoji only, RTL, 20,000 characters)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from listening_helpers import NOW, item

from tamtam.listening.models import (
    ListeningAuthor,
    Mention,
    MentionCounter,
    MentionMatch,
    MentionSource,
    Query,
    Source,
)
from tamtam.listening.pipeline import MAX_TEXT, Pipeline, influence

pytestmark = pytest.mark.django_db


def test_matching_mentions_are_stored_with_their_queries_and_others_dropped(
    pipeline: Pipeline, make_query: Callable[..., Query]
) -> None:
    brand = make_query("lumen")
    rival = make_query("kaldo OR brivio", kind="competitor")
    result = pipeline.process(
        [item("J'adore mon Lumen Go", 1), item("Kaldo ou Lumen ?", 2), item("Rien à voir, il pleut", 3)],
        now=NOW,
    )
    assert (result.stored, result.unmatched, result.matches) == (2, 1, 3)
    assert set(MentionMatch.objects.filter(query=brand).values_list("mention__remote_id", flat=True)) == {
        "p1",
        "p2",
    }
    assert list(MentionMatch.objects.filter(query=rival).values_list("mention__remote_id", flat=True)) == [
        "p2"
    ]
    assert not Mention.objects.filter(remote_id="p3").exists()


def test_the_same_post_from_three_sources_is_stored_once_with_its_sources(
    pipeline: Pipeline, make_query: Callable[..., Query], make_source: Callable[..., Source]
) -> None:
    make_query("lumen")
    a, b, c = make_source(), make_source(), make_source()
    pipeline.process([item("Lumen rappelle ses batteries", 1, source_id=a.pk)], now=NOW)
    # Same network id from a second source; same text and author from a third in a later batch.
    pipeline.process(
        [
            item("Lumen rappelle ses batteries", 1, source_id=b.pk),
            item("LUMEN rappelle ses batteries !", 9, author_id="u1", author_handle="user1", source_id=c.pk),
        ],
        now=NOW,
    )
    assert Mention.objects.count() == 1
    mention = Mention.objects.get()
    assert set(MentionSource.objects.filter(mention=mention).values_list("source_id", flat=True)) == {
        a.pk,
        b.pk,
        c.pk,
    }
    assert MentionCounter.objects.get().mentions == 1


def test_exact_duplicates_inside_a_batch_are_merged(
    pipeline: Pipeline, make_query: Callable[..., Query]
) -> None:
    make_query("lumen")
    result = pipeline.process(
        [item("Lumen top", 1), item("Lumen top", 1), item("lumen TOP", 5, author_id="u1")], now=NOW
    )
    assert result.stored == 1
    assert result.exact_duplicates == 2


def test_retweets_copies_and_syndicated_articles_are_near_duplicates_of_the_first(
    pipeline: Pipeline, make_query: Callable[..., Query]
) -> None:
    make_query("lumen")
    original = "La batterie du Lumen Go a pris feu dans un garage de Lyon, les pompiers sont intervenus"
    pipeline.process([item(original, 1)], now=NOW)
    result = pipeline.process(
        [
            item(f"RT @user1: {original}", 2),
            item(original + " 😱 #lumen", 3),
            item(f"[Dépêche] {original}", 4, network="rss"),
            item("Lumen Go : une batterie a pris feu à Lyon selon les pompiers, enquête ouverte", 5),
        ],
        now=NOW,
    )
    assert result.near_duplicates == 3
    first = Mention.objects.get(remote_id="p1")
    dupes = set(
        Mention.objects.filter(duplicate_of_hash=first.content_hash).values_list("remote_id", flat=True)
    )
    assert dupes == {"p2", "p3", "p4"}
    assert Mention.objects.get(remote_id="p5").duplicate_of_hash == ""
    # Near-duplicates are volume: the counters count them.
    assert sum(MentionCounter.objects.values_list("mentions", flat=True)) == 5


def test_near_duplicates_outside_the_window_are_new_stories(make_query: Callable[..., Query]) -> None:
    make_query("lumen")
    pipeline = Pipeline(near_window=timedelta(hours=1), sentiment_backend="lexicon")
    text = "Le nouveau Lumen Air est arrivé dans les magasins de Paris ce matin"
    pipeline.process([item(text, 1, published_at=NOW - timedelta(hours=3))], now=NOW)
    pipeline.process([item(f"RT @user1: {text}", 2, published_at=NOW - timedelta(minutes=1))], now=NOW)
    assert Mention.objects.get(remote_id="p2").duplicate_of_hash == ""


def test_per_minute_counters_count_all_and_negative_mentions_per_query(
    pipeline: Pipeline, make_query: Callable[..., Query]
) -> None:
    brand = make_query("lumen")
    minute = NOW.replace(second=0, microsecond=0) - timedelta(minutes=1)
    items = [
        item(
            "Service client Lumen injoignable, c'est une honte 😡",
            1,
            published_at=minute + timedelta(seconds=5),
        ),
        item(
            "Lumen customer service is a disgrace, terrible", 2, published_at=minute + timedelta(seconds=40)
        ),
        item("J'adore mon Lumen, super vélo !", 3, published_at=minute + timedelta(seconds=59)),
        item("Lumen est génial, bravo", 4, published_at=minute + timedelta(minutes=1, seconds=1)),
    ]
    pipeline.process(items, now=NOW)
    counters = {c.bucket_start: (c.mentions, c.negative) for c in MentionCounter.objects.filter(query=brand)}
    assert counters == {minute: (3, 2), minute + timedelta(minutes=1): (1, 0)}
    # A later batch adds to the same minute (an upsert that increments).
    pipeline.process([item("Lumen : la pire appli, nulle et lente", 7, published_at=minute)], now=NOW)
    assert MentionCounter.objects.get(query=brand, bucket_start=minute).mentions == 4
    assert MentionCounter.objects.get(query=brand, bucket_start=minute).negative == 3


def test_a_future_timestamp_is_counted_now_not_in_the_future(
    pipeline: Pipeline, make_query: Callable[..., Query]
) -> None:
    make_query("lumen")
    pipeline.process([item("Lumen", 1, published_at=NOW + timedelta(days=3))], now=NOW)
    assert MentionCounter.objects.get().bucket_start == NOW.replace(second=0, microsecond=0)


def test_one_bulk_insert_per_table_for_a_whole_batch(
    pipeline: Pipeline, make_query: Callable[..., Query]
) -> None:
    for n in range(5):
        make_query(f"lumen OR marque{n}")
    items = [item(f"Lumen numéro {n} et marque{n % 5}", n) for n in range(300)]
    pipeline.process(items[:1], now=NOW)  # warms the matcher and the language model
    with CaptureQueriesContext(connection) as queries:
        result = pipeline.process(items[1:], now=NOW)
    assert result.stored == 299
    # Django logs an executemany as "<n> times: <sql>".
    statements = [q["sql"].split(" times: ", 1)[-1] for q in queries.captured_queries]
    inserts = [sql for sql in statements if sql.startswith("INSERT")]
    mention_inserts = [q for q in inserts if 'INTO "listening_mention" (' in q]
    match_inserts = [q for q in inserts if 'INTO "listening_mentionmatch"' in q]
    counter_inserts = [q for q in inserts if 'INTO "listening_mentioncounter"' in q]
    assert len(mention_inserts) == 1
    # Each is one prepared statement run for every row (executemany).
    assert len(match_inserts) == 1
    assert len(counter_inserts) == 1
    assert MentionMatch.objects.count() == 300 * 5  # every query names lumen


def test_empty_and_emoji_only_texts_are_counted_and_not_stored(
    pipeline: Pipeline, make_query: Callable[..., Query]
) -> None:
    make_query("lumen")
    result = pipeline.process([item("", 1), item("   ", 2), item("🔥🔥😡", 3), item("Lumen 🔥", 4)], now=NOW)
    assert (result.empty, result.stored) == (3, 1)
    assert Mention.objects.get().text == "Lumen 🔥"  # the emoji is kept for sentiment and display


def test_rtl_text_is_matched_and_stored(pipeline: Pipeline, make_query: Callable[..., Query]) -> None:
    make_query("لومن OR lumen")
    result = pipeline.process([item("أحب دراجة لومن الجديدة كثيرا", 1)], now=NOW)
    assert result.stored == 1


def test_a_very_long_text_is_cut_at_the_limit_and_still_matched(
    pipeline: Pipeline, make_query: Callable[..., Query]
) -> None:
    make_query("lumen")
    text = "Lumen " + "bla " * 6000
    result = pipeline.process([item(text, 1)], now=NOW)
    assert result.stored == 1
    assert len(Mention.objects.get().text) == MAX_TEXT


def test_disabled_and_edited_queries_take_effect_on_the_next_batch(
    pipeline: Pipeline, make_query: Callable[..., Query]
) -> None:
    query = make_query("lumen")
    pipeline.process([item("Lumen 1", 1)], now=NOW)
    Query.objects.filter(pk=query.pk).update(enabled=False, updated_at=NOW)
    assert pipeline.process([item("Lumen 2", 2)], now=NOW).stored == 0
    query.refresh_from_db()
    query.enabled, query.expression = True, "kaldo"
    query.save()
    assert pipeline.process([item("Lumen 3", 3), item("Kaldo 4", 4)], now=NOW).stored == 1


def test_queries_of_every_workspace_match_in_the_same_pass(
    pipeline: Pipeline, make_query: Callable[..., Query], make_workspace: Callable[..., object]
) -> None:
    other = make_workspace()
    mine = make_query("lumen")
    theirs = make_query("lumen", ws=other)
    pipeline.process([item("Lumen partout", 1)], now=NOW)
    links = set(MentionMatch.objects.values_list("query_id", "workspace_id"))
    assert links == {(mine.pk, mine.workspace_id), (theirs.pk, other.pk)}


def test_query_languages_restrict_matches(pipeline: Pipeline, make_query: Callable[..., Query]) -> None:
    make_query("lumen", languages=["fr"])
    result = pipeline.process(
        [
            item("Le Lumen est vraiment un très bon vélo électrique", 1),
            item("The Lumen is a really good electric bike", 2),
        ],
        now=NOW,
    )
    assert result.stored == 1
    assert Mention.objects.get().lang == "fr"


def test_authors_get_audience_engagement_and_an_influence_score(
    pipeline: Pipeline, make_query: Callable[..., Query]
) -> None:
    make_query("lumen")
    pipeline.process(
        [item("Lumen 1", 1, author_followers=250_000, likes=900, shares=100, replies=50)], now=NOW
    )
    pipeline.process([item("Lumen encore", 2, author_id="u1", author_followers=260_000, likes=100)], now=NOW)
    author = ListeningAuthor.objects.get(remote_id="u1")
    assert author.followers == 260_000
    assert author.mentions_seen == 2
    assert author.avg_engagement == pytest.approx(1150 + 0.2 * (100 - 1150))
    assert author.influence == influence(260_000, author.avg_engagement, 2)
    assert Mention.objects.get(remote_id="p2").reach == 260_000


def test_influence_grows_with_audience_engagement_and_relevance() -> None:
    assert influence(0, 0, 0) == 0
    assert influence(10_000_000, 10_000, 100) == 100
    assert (
        influence(1000, 10, 1)
        < influence(100_000, 10, 1)
        < influence(100_000, 1000, 1)
        < influence(100_000, 1000, 50)
    )


def test_a_sentiment_backend_failure_stores_mentions_neutral(make_query: Callable[..., Query]) -> None:
    make_query("lumen")
    pipeline = Pipeline(sentiment_backend="transformers")  # no model configured here: it cannot run
    assert pipeline.process([item("Lumen c'est nul", 1)], now=NOW).stored == 1
    assert Mention.objects.get().sentiment == "neutral"
