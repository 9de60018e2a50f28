"""Listening through Bluesky search, against the real AT Protocol stack: someone posts on the network,
the workspace's query catches it through its network source (a durable work row with a cursor), the
mention is stored once with its author, language and per-minute counter, and is never fetched twice.

The AppView indexes asynchronously: the test waits on conditions (with a bound), never a fixed sleep.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from bsky_stack import Account, Stack, wait_for
from django.utils import timezone

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.listening import matching, services, sources
from tamtam.listening.models import (
    Mention,
    MentionCounter,
    MentionMatch,
    MentionSource,
    Query,
    Source,
    SourceKind,
)
from tamtam.listening.pipeline import Pipeline
from tamtam.networks.bluesky.connector import connect

pytestmark = [pytest.mark.peers, pytest.mark.django_db]
OWNER = "listening-peer"


@pytest.fixture(autouse=True)
def _fresh_listening_state() -> Iterator[None]:
    # The lexicon backend gives a label these assertions can rely on (the model is tested in nlp/).
    sources._pipeline = Pipeline(sentiment_backend="lexicon")
    matching._matcher = None
    yield
    sources._pipeline = None
    matching._matcher = None


def bluesky_channel(stack: Stack, account: Account, workspace: Workspace) -> Channel:
    did, handle, credentials = connect(account.handle, stack.app_password(account), stack.pds)
    channel = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Bluesky",
        handle=handle,
        external_id=did,
        options={"api_base": stack.pds},
    )
    channel.set_credentials(credentials)
    channel.save()
    return channel


def run_source(source: Source) -> str:
    """One worker round for this source, as the runner does it: claim when due, then run."""
    now = timezone.now()
    Source.objects.filter(pk=source.pk).update(due_at=now - timedelta(seconds=1))
    claimed = sources.claim_due(now, 50, OWNER)
    assert source.pk in claimed
    outcome = ""
    for pk in claimed:  # release the others at once: each test runs only its own
        result = sources.run_source(pk, OWNER, now=now)
        if pk == source.pk:
            outcome = result
    return outcome


def caught(stack: Stack, source: Source, query: Query, text_part: str) -> Mention:
    """Wait until the source's run brings a mention holding `text_part` that matched the query."""

    def found() -> Mention | None:
        # The AppView indexes on its own every half second; no process-all here, which on a loaded
        # machine can take longer than the whole wait.
        run_source(source)
        # Brought by this very source: a round also runs the other due sources, and the pass matches
        # every workspace's queries, so the mention may match `query` before this source has seen it.
        return Mention.objects.filter(
            matches__query=query, text__contains=text_part, source_links__source=source
        ).first()

    # A loaded machine slows the AppView down: the bound is generous, the wait ends as soon as it is there.
    return wait_for(
        found, f"the mention {text_part!r} to arrive through {source.name}", timeout=300, every=1.0
    )


def test_a_post_on_bluesky_arrives_in_the_query_once_with_author_language_and_counter(
    bluesky_stack: Stack, brand: Account, fan: Account, workspace: Workspace, make_workspace: object
) -> None:
    word = f"lumen{uuid.uuid4().hex[:8]}"
    query = services.save_query(
        workspace, name="Brand", expression=f'{word} NOT "code promo"', languages=["fr"]
    )
    source = services.save_source(
        workspace,
        kind=SourceKind.NETWORK,
        name="Bluesky search",
        channel_id=bluesky_channel(bluesky_stack, brand, workspace).pk,
    )
    assert sources.search_queries(source, "bluesky") == [word]  # never a term under NOT

    fan.client.send_post(text=f"Franchement le vélo {word} est génial, je recommande !", langs=["fr"])
    fan.client.send_post(text=f"{word} code promo -50 % ici", langs=["fr"])  # excluded by NOT
    fan.client.send_post(text=f"Honestly the {word} bike is great", langs=["en"])  # not a query language

    mention = caught(bluesky_stack, source, query, "génial")

    assert (mention.network, mention.lang, mention.sentiment) == ("bluesky", "fr", "positive")
    assert mention.remote_id.startswith(f"at://{fan.did}/app.bsky.feed.post/")
    assert mention.url.startswith(f"https://bsky.app/profile/{fan.did}/post/")
    assert mention.author is not None
    assert (mention.author.remote_id, mention.author.handle) == (fan.did, fan.handle)
    assert list(MentionMatch.objects.filter(query=query).values_list("mention_id", flat=True)) == [mention.pk]
    links = MentionSource.objects.filter(mention=mention).values_list("source_id", flat=True)
    assert list(links) == [source.pk]
    minute = mention.published_at.replace(second=0, microsecond=0)
    counter = MentionCounter.objects.get(query=query, bucket_start=minute)
    assert (counter.mentions, counter.negative) == (1, 0)

    # The cursor marks what was read: the next run fetches nothing again.
    source.refresh_from_db()
    mark = json.loads(source.cursor)["searches"][word]
    assert mark["newest"]
    assert mark["resume"] == ""
    seen = source.items_seen
    run_source(source)
    source.refresh_from_db()
    assert source.items_seen == seen
    assert source.last_error == ""

    # A new post is read on the next run, and only it.
    fan.client.send_post(text=f"Deuxième avis sur {word} : horrible, je déteste, quelle honte", langs=["fr"])
    second = caught(bluesky_stack, source, query, "Deuxième avis")
    assert second.sentiment == "negative"
    source.refresh_from_db()
    assert source.items_seen == seen + 1
    assert Mention.objects.filter(text__contains=word).count() == 2
    counter = MentionCounter.objects.filter(query=query).values_list("mentions", "negative")
    assert sum(m for m, _ in counter) == 2
    assert sum(n for _, n in counter) == 1


def test_the_same_post_found_by_two_workspaces_sources_is_stored_once(
    bluesky_stack: Stack, brand: Account, fan: Account, workspace: Workspace, make_workspace: object
) -> None:
    word = f"kaldo{uuid.uuid4().hex[:8]}"
    other = make_workspace(name="Concurrent")  # type: ignore[operator]
    queries, found_by = [], []
    for ws in (workspace, other):
        queries.append(services.save_query(ws, name="Kaldo", expression=word))
        found_by.append(
            services.save_source(
                ws,
                kind=SourceKind.NETWORK,
                name=f"Bluesky {ws.name}",
                channel_id=bluesky_channel(bluesky_stack, brand, ws).pk,
            )
        )
    fan.client.send_post(text=f"Le {word} est arrivé, premier essai ce soir")

    mention = caught(bluesky_stack, found_by[0], queries[0], word)
    caught(bluesky_stack, found_by[1], queries[1], word)

    assert Mention.objects.filter(text__contains=word).count() == 1
    assert set(MentionSource.objects.filter(mention=mention).values_list("source_id", flat=True)) == {
        s.pk for s in found_by
    }
    assert set(MentionMatch.objects.filter(mention=mention).values_list("query_id", flat=True)) == {
        q.pk for q in queries
    }
