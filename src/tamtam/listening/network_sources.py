"""Listening sources that read a network's stream rather than its search: the Bluesky firehose.

Registered in `sources.FETCHERS` on import (listening/tasks.py imports this module, so every worker
has it). Same contract as the other fetchers: read after the source's cursor, hand the items to the
pipeline, and only then is the cursor moved (by `sources.run_source`) — a crash in between reads the
same events again, which the pipeline's dedupe already knows, and never skips one.

The firehose carries the whole network: posts are matched against the queries of every workspace
before anything else is done with them, and only the authors of the posts that may match are looked
up (through the channel's AppView), never the thousands of others.
"""

from __future__ import annotations

from datetime import datetime

from tamtam.listening import matching, sources
from tamtam.listening.models import Source, SourceKind
from tamtam.listening.normalize import fold, normalize
from tamtam.listening.sources import Fetched, SourceFailed, from_found_post
from tamtam.networks.base import ConnectorError, FoundPost, NeedsUser

FIREHOSE_NETWORK = "bluesky"


def firehose_url(source: Source) -> str:
    """The server whose firehose is read: the source's own address (a relay), else its channel's PDS."""
    if source.url:
        return source.url
    channel = source.channel
    if channel is not None:
        return str((channel.options or {}).get("api_base") or "https://bsky.social")
    raise SourceFailed("no firehose address: give the source a URL or a Bluesky channel")


def start_cursor(source: Source) -> int | None:
    """The sequence number to read after: the cursor, else the one the user chose to start from."""
    for value in (source.cursor, (source.options or {}).get("start_seq")):
        if value not in (None, ""):
            try:
                return int(str(value))
            except ValueError:
                continue  # a cursor of another format: the user's start, else from now on
    return None


def fetch_firehose(source: Source, now: datetime) -> Fetched:
    from tamtam.networks.bluesky.firehose import read_posts

    try:
        read = read_posts(firehose_url(source), start_cursor(source))
    except ValueError as exc:
        raise SourceFailed(f"firehose address: {exc}") from exc
    if read.error and not read.events:
        raise SourceFailed(read.error)
    posts = _may_match(read.posts)
    if posts and source.channel is not None:
        posts = _with_profiles(source, posts)
    warning = read.warning or read.error  # an error after some events: they are kept, the rest next run
    return Fetched(
        items=[from_found_post(p, FIREHOSE_NETWORK, source.pk) for p in posts],
        cursor=str(read.cursor) if read.cursor is not None else None,
        warning=warning,
    )


def _may_match(posts: list[FoundPost]) -> list[FoundPost]:
    """The posts that contain a term of some enabled query (the pipeline decides the rest)."""
    if not posts:
        return []
    matcher = matching.current()
    kept = []
    for post in posts:
        _hits, candidates = matcher.candidates(normalize(post.text), fold(post.author.remote_id))
        if candidates:
            kept.append(post)
    return kept


def _with_profiles(source: Source, posts: list[FoundPost]) -> list[FoundPost]:
    from tamtam.channels.tokens import context_for
    from tamtam.networks import registry

    channel = source.channel
    assert channel is not None
    if channel.network != FIREHOSE_NETWORK:
        return posts
    connector = registry.get(channel.network)(context_for(channel))
    try:
        found = connector.profiles([p.author.remote_id for p in posts])  # type: ignore[attr-defined]
    except (NeedsUser, ConnectorError):
        return posts  # the posts still count; their authors stay DIDs until the channel is fixed
    for post in posts:
        post.author = found.get(post.author.remote_id, post.author)
    return posts


sources.FETCHERS[SourceKind.FIREHOSE] = fetch_firehose
