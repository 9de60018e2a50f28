"""Analytics fixtures: published targets with snapshots taken at known instants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.core.cache import cache

from tamtam.analytics import links
from tamtam.analytics.models import AccountSnapshot, PostSnapshot
from tamtam.publishing import services
from tamtam.publishing.models import PostTarget
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState


@pytest.fixture(autouse=True)
def _no_kept_figures() -> None:
    # The dashboards' figures kept in Django's cache (figurecache) from a previous test: its ids are
    # reused once its transaction is rolled back.
    cache.clear()


@pytest.fixture(autouse=True)
def _clicks_written_at_once(settings: Any) -> Any:
    """Each click written in its request (no flusher thread), links and flood counters forgotten
    between tests; test_click_buffer.py switches batching on where it is what is tested."""
    settings.CLICK_FLUSH_MS = 0
    links.reset_memory()
    yield
    links.reset_memory()


@pytest.fixture
def publish(members: dict[str, Any]) -> Callable[..., PostTarget]:
    """A post published on `channel` at `at` (as the engine leaves it), optionally in a campaign."""
    counter = iter(range(1, 100_000))

    def make(channel: Any, at: datetime, text: str = "", **post_fields: Any) -> PostTarget:
        n = next(counter)
        post = services.create_post(
            channel.workspace,
            members["manager"],
            PostInput(text=text or f"Post {n}", channel_ids=[channel.id]),
        )
        if post_fields:
            for name, value in post_fields.items():
                setattr(post, name, value)
            post.save()
        target = post.targets.get()
        PostTarget.objects.filter(pk=target.pk).update(
            state=TargetState.PUBLISHED, published_at=at, remote_id=f"r{n}", scheduled_at=at
        )
        target.refresh_from_db()
        return target

    return make


@pytest.fixture
def snap() -> Callable[..., PostSnapshot]:
    def make(target: PostTarget, at: datetime, **counters: int) -> PostSnapshot:
        return PostSnapshot.objects.create(
            target=target,
            channel_id=target.channel_id,
            workspace_id=target.workspace_id,
            taken_at=at,
            **counters,
        )

    return make


@pytest.fixture
def followers() -> Callable[..., AccountSnapshot]:
    def make(channel: Any, at: datetime, count: int) -> AccountSnapshot:
        return AccountSnapshot.objects.create(
            channel=channel, workspace_id=channel.workspace_id, taken_at=at, followers=count
        )

    return make
