"""Inbox fixtures: a sandbox channel with published posts and an audience."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from inbox_helpers import fetch_once, move_clock, publish

from tamtam.channels.models import Channel


@pytest.fixture
def inbox_channel(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel(options={"audience_dm_every_s": 3600, "audience_mention_every_s": 3600})


@pytest.fixture
def collected(inbox_channel: Channel) -> dict[str, Any]:
    """A channel with two posts, 7 simulated hours of community, fetched once."""
    posts = [publish(inbox_channel, "Post un"), publish(inbox_channel, "Post two")]
    move_clock(inbox_channel, 7 * 3600)
    fetch_once(inbox_channel)
    return {"channel": inbox_channel, "posts": posts}
