"""Listening through the Bluesky firehose (com.atproto.sync.subscribeRepos on the real PDS of the local
AT Protocol stack), decoded by the `atproto` library's firehose client: a post arrives in the query
with its author resolved through the AppView; the sequence number is the cursor, so nothing is read
twice across restarts; a cursor ahead of the server is reported on the source; and the same post
brought by three sources (the firehose and two searches) is stored once, listing the three.

The AppView indexes asynchronously: searches are waited on with a bound, never a fixed sleep.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from bsky_stack import Account, Stack, wait_for
from django.utils import timezone

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.listening import matching, network_sources, services, sources
from tamtam.listening.models import Mention, MentionMatch, MentionSource, Query, Source, SourceKind
from tamtam.listening.pipeline import Pipeline
from tamtam.networks.bluesky.connector import connect

pytestmark = [pytest.mark.peers, pytest.mark.django_db]
OWNER = "firehose-peer"


def fresh_process() -> None:
    """What a restarted worker has: a new pipeline (empty near-duplicate window), no compiled matcher."""
    sources._pipeline = Pipeline(sentiment_backend="lexicon")
    matching._matcher = None


@pytest.fixture(autouse=True)
def _fresh_listening_state() -> Iterator[None]:
    fresh_process()
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
    """One worker round for this source only, as the runner does it: claim when due, then run."""
    now = timezone.now()
    Source.objects.filter(pk=source.pk).update(due_at=now - timedelta(seconds=1))
    claimed = sources.claim_due(now, 50, OWNER)
    assert source.pk in claimed
    outcome = ""
    for pk in claimed:
        result = sources.run_source(pk, OWNER, now=now)
        if pk == source.pk:
            outcome = result
    source.refresh_from_db()
    return outcome


def test_the_firehose_fetcher_is_registered_for_the_workers() -> None:
    from tamtam.listening import tasks  # noqa: F401  (the runner imports it)

    assert sources.FETCHERS[SourceKind.FIREHOSE] is network_sources.fetch_firehose


def test_a_post_arrives_through_the_firehose_once_and_the_sequence_number_survives_a_restart(
    bluesky_stack: Stack, brand: Account, fan: Account, workspace: Workspace
) -> None:
    word = f"brivio{uuid.uuid4().hex[:8]}"
    query = services.save_query(workspace, name="Brivio", expression=word)
    source = services.save_source(
        workspace,
        kind=SourceKind.FIREHOSE,
        name="Firehose",
        channel_id=bluesky_channel(bluesky_stack, brand, workspace).pk,
        start_seq=0,  # read what the PDS keeps, from its first event
    )
    fan.client.send_post(text=f"Le {word} est génial, bravo à l'équipe", langs=["fr"])
    fan.client.send_post(text="Un message qui ne parle de rien de suivi")

    assert run_source(source).startswith("ok:")
    assert source.last_error == ""
    first_seq = int(source.cursor)
    assert first_seq > 0
    mention = Mention.objects.get(matches__query=query)
    assert mention.network == "bluesky"
    assert mention.remote_id.startswith(f"at://{fan.did}/app.bsky.feed.post/")
    assert mention.url.startswith(f"https://bsky.app/profile/{fan.did}/post/")
    assert mention.author is not None
    # The firehose names only the DID; the channel's AppView gave the handle.
    assert (mention.author.remote_id, mention.author.handle) == (fan.did, fan.handle)
    assert mention.lang == "fr"
    seen = source.items_seen
    assert seen == 1  # only the post that may match a query was handed to the pipeline

    # A restarted worker goes on after the stored sequence number: nothing read again.
    fresh_process()
    assert run_source(source).startswith("ok: 0 items")
    assert (source.items_seen, int(source.cursor)) == (seen, first_seq)

    fan.client.send_post(text=f"Deuxième avis sur {word} : décevant, je déteste")
    fresh_process()
    run_source(source)
    assert source.items_seen == seen + 1
    assert int(source.cursor) > first_seq
    assert Mention.objects.filter(text__contains=word).count() == 2
    assert MentionMatch.objects.filter(query=query).count() == 2


def test_a_cursor_ahead_of_the_server_is_reported_on_the_source(
    bluesky_stack: Stack, brand: Account, workspace: Workspace
) -> None:
    source = services.save_source(
        workspace, kind=SourceKind.FIREHOSE, name="Firehose ahead", url=bluesky_stack.pds
    )
    Source.objects.filter(pk=source.pk).update(cursor=str(10**12))
    assert run_source(source) == "failed"
    assert "FutureCursor" in source.last_error
    assert source.consecutive_failures == 1
    assert source.cursor == str(10**12)  # never moved by a failed run


def test_a_post_found_by_the_firehose_and_two_searches_is_stored_once_with_three_sources(
    bluesky_stack: Stack, brand: Account, fan: Account, workspace: Workspace
) -> None:
    word = f"kaldo{uuid.uuid4().hex[:8]}"
    query = services.save_query(workspace, name="Kaldo", expression=f"{word} OR #{word}")
    channel = bluesky_channel(bluesky_stack, brand, workspace)
    firehose = services.save_source(
        workspace, kind=SourceKind.FIREHOSE, name="Firehose", channel_id=channel.pk, start_seq=0
    )
    by_word = services.save_source(
        workspace, kind=SourceKind.NETWORK, name="Search word", channel_id=channel.pk, search=word
    )
    by_phrase = services.save_source(
        workspace,
        kind=SourceKind.NETWORK,
        name="Search phrase",
        channel_id=channel.pk,
        search=f"nouveau {word}",
    )
    fan.client.send_post(text=f"Le nouveau {word} est arrivé, premier essai ce soir")

    run_source(firehose)

    def found_by(source: Source) -> Mention | None:
        run_source(source)
        return Mention.objects.filter(source_links__source=source, text__contains=word).first()

    for search in (by_word, by_phrase):
        wait_for(
            lambda s=search: found_by(s), f"the post to arrive through {search.name}", timeout=300, every=1
        )

    mention = Mention.objects.get(text__contains=word)
    assert set(MentionSource.objects.filter(mention=mention).values_list("source_id", flat=True)) == {
        firehose.pk,
        by_word.pk,
        by_phrase.pk,
    }
    assert MentionMatch.objects.filter(query=query, mention=mention).count() == 1
    assert Query.objects.get(pk=query.pk).counters.get().mentions == 1
