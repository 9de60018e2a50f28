"""Mastodon search and hashtag timelines as listening sources, against the mastodon-mock emulator (a
third-party emulation of the Mastodon REST API, not Mastodon itself; the requests the connector builds
are checked against Mastodon's OpenAPI document in tests/networks/mastodon/test_mastodon_spec.py).

Someone posts on the instance; a word search source and a hashtag source of the workspace both find
the post through the whole worker path (claim, connector, pipeline, cursor); it is stored once with
both sources; the next runs fetch nothing again, and a newer post is read alone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.listening import matching, services, sources
from tamtam.listening.models import Mention, MentionMatch, MentionSource, Source, SourceKind
from tamtam.listening.pipeline import Pipeline

pytestmark = [pytest.mark.peers, pytest.mark.django_db]
OWNER = "mastodon-listening"


@pytest.fixture(autouse=True)
def _fresh_listening_state() -> Iterator[None]:
    sources._pipeline = Pipeline(sentiment_backend="lexicon")
    matching._matcher = None
    yield
    sources._pipeline = None
    matching._matcher = None


def mastodon_channel(workspace: Workspace, base: str, token: str) -> Channel:
    channel = Channel.objects.create(
        workspace=workspace, network="mastodon", name="Mastodon", handle="@brand", options={"api_base": base}
    )
    channel.set_credentials({"access_token": token})
    channel.save()
    return channel


def run(source: Source) -> str:
    now = timezone.now()
    Source.objects.filter(pk=source.pk).update(due_at=now - timedelta(seconds=1))
    outcome = {pk: sources.run_source(pk, OWNER, now=now) for pk in sources.claim_due(now, 50, OWNER)}
    source.refresh_from_db()
    return outcome[source.pk]


def test_mastodon_emulator_word_search_and_hashtag_sources_store_a_post_once(
    mastodon_emulator, workspace: Workspace
) -> None:
    word = f"lumen{uuid.uuid4().hex[:6]}"
    brand_token = mastodon_emulator.account(f"brand{uuid.uuid4().hex[:4]}")
    fan = mastodon_emulator.api(mastodon_emulator.account(f"fan{uuid.uuid4().hex[:4]}"))
    query = services.save_query(workspace, name="Lumen", expression=f"{word} OR #{word}")
    channel = mastodon_channel(workspace, mastodon_emulator.base, brand_token)
    by_word = services.save_source(
        workspace, kind=SourceKind.NETWORK, name="Mastodon words", channel_id=channel.pk, search=word
    )
    by_tag = services.save_source(
        workspace, kind=SourceKind.NETWORK, name="Mastodon #tag", channel_id=channel.pk, search=f"#{word}"
    )
    posted = fan.post("/api/v1/statuses", json={"status": f"Mon {word} est arrivé, trop bien ! #{word}"})
    posted.raise_for_status()
    fan.post("/api/v1/statuses", json={"status": "Rien à voir avec le sujet"}).raise_for_status()

    assert run(by_word).startswith("ok:"), by_word.last_error
    assert run(by_tag).startswith("ok:"), by_tag.last_error
    assert (by_word.last_error, by_tag.last_error) == ("", "")

    mention = Mention.objects.get(text__contains=word)
    assert (mention.network, mention.remote_id) == ("mastodon", str(posted.json()["id"]))
    assert mention.author_handle.startswith("@fan")
    assert set(MentionSource.objects.filter(mention=mention).values_list("source_id", flat=True)) == {
        by_word.pk,
        by_tag.pk,
    }
    assert MentionMatch.objects.filter(query=query).count() == 1

    # Nothing new on the instance: neither source fetches anything again.
    seen = (by_word.items_seen, by_tag.items_seen)
    run(by_word)
    run(by_tag)
    assert (by_word.items_seen, by_tag.items_seen) == seen

    fan.post(
        "/api/v1/statuses", json={"status": f"Deuxième {word}, toujours ravi #{word}"}
    ).raise_for_status()
    run(by_tag)
    assert by_tag.items_seen == seen[1] + 1
    assert Mention.objects.filter(text__contains=word).count() == 2
