"""Instagram hashtag search as a listening source, through the whole worker path (claim, the channel's
connector, the pipeline, the cursor): each positive term of the workspace's queries is searched as a
hashtag, a post is stored once, nothing is read twice, and a newer post comes alone on the next run.

No Graph server runs here: the answers are shaped like Meta's "IG Hashtag Search" and "IG Hashtag /
recent_media" reference pages (recorded shape); the connector's own tests check the media fields
against Meta's IGMedia spec."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from django.utils import timezone

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.listening import services, sources
from tamtam.listening.models import Mention, MentionSource, Query, Source, SourceKind
from tamtam.networks.meta.graph import GRAPH_VERSION

pytestmark = pytest.mark.django_db
OWNER = "instagram-worker"
GRAPH = f"https://graph.facebook.com/{GRAPH_VERSION}"
IG = "17841400000000001"
HASHTAGS = {"lumen": "17843000000000001", "brivio": "17843000000000002"}


def run(source: Source, now: datetime) -> str:
    Source.objects.filter(pk=source.pk).update(due_at=now)
    outcome = {pk: sources.run_source(pk, OWNER, now=now) for pk in sources.claim_due(now, 50, OWNER)}
    source.refresh_from_db()
    return outcome[source.pk]


def media(mid: str, caption: str, at: datetime) -> dict[str, Any]:
    return {
        "id": mid,
        "caption": caption,
        "timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "permalink": f"https://www.instagram.com/p/{mid}/",
        "media_type": "IMAGE",
        "like_count": 12,
        "comments_count": 2,
    }


def test_instagram_hashtag_source_searches_each_term_as_a_hashtag_and_reads_nothing_twice_recorded_shape(
    workspace: Workspace, make_query: Callable[..., Query]
) -> None:
    make_query('#lumen OR brivio NOT "code promo"')
    now = timezone.now().replace(microsecond=0)
    by_tag: dict[str, list[dict[str, Any]]] = {
        HASHTAGS["lumen"]: [
            media("m2", "Balade du dimanche avec mon lumen #lumen #velotaf", now - timedelta(hours=1)),
            media("m1", "Lumen ou Brivio ? #lumen #brivio", now - timedelta(hours=3)),
        ],
        # The same post is under both hashtags: stored once.
        HASHTAGS["brivio"]: [media("m1", "Lumen ou Brivio ? #lumen #brivio", now - timedelta(hours=3))],
    }
    lookups: list[str] = []

    def hashtag_search(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        assert params["user_id"] == IG
        lookups.append(params["q"])
        return httpx.Response(200, json={"data": [{"id": HASHTAGS[params["q"].lower()]}]})

    def recent_media(request: httpx.Request, hashtag_id: str) -> httpx.Response:
        assert dict(request.url.params)["user_id"] == IG
        return httpx.Response(200, json={"data": by_tag[hashtag_id]})

    channel = Channel.objects.create(
        workspace=workspace,
        network="instagram",
        name="Instagram",
        handle="@lumen",
        external_id=IG,
        options={"ig_user_id": IG, "username": "lumen"},
    )
    channel.set_credentials({"access_token": "ig-token", "long_lived": True})
    channel.save()
    src = services.save_source(
        workspace, kind=SourceKind.NETWORK, name="Instagram hashtags", channel_id=channel.pk
    )
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{GRAPH}/ig_hashtag_search").mock(side_effect=hashtag_search)
        router.get(url__regex=rf"{GRAPH}/(?P<hashtag_id>\d+)/recent_media").mock(side_effect=recent_media)
        assert run(src, now).startswith("ok:")
        assert sorted(lookups) == ["brivio", "lumen"]  # never "code promo", which is under NOT
        stored = {m.remote_id: m for m in Mention.objects.all()}
        assert set(stored) == {"m1", "m2"}
        assert stored["m2"].url == "https://www.instagram.com/p/m2/"
        assert MentionSource.objects.filter(source=src).count() == 2

        assert run(src, now + timedelta(minutes=5)).startswith("ok: 0 items")
        by_tag[HASHTAGS["lumen"]].insert(
            0, media("m3", "Nouveau lumen livré ce matin #lumen", now + timedelta(minutes=3))
        )
        assert run(src, now + timedelta(minutes=10)).startswith("ok: 1 items")
    assert Mention.objects.count() == 3
