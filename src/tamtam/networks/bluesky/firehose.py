"""Reading the AT Protocol firehose (`com.atproto.sync.subscribeRepos`) in bounded runs.

A PDS (or a relay such as wss://bsky.network) streams every commit of the repositories it hosts, each
with a sequence number. `read_posts` connects after a cursor (the last sequence number read), decodes
the frames with the `atproto` library's firehose client (CBOR frames, CAR blocks), keeps the posts
created, and stops when the server has nothing more for `idle` seconds, after `max_events` events or
after `budget` seconds — so a listening run never holds its lease longer than that, and the next run
goes on from the returned cursor: nothing is read twice, nothing is skipped while the server still
keeps the events (a PDS keeps them for days; a relay for about a day or more).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from atproto import CAR, firehose_models, models, parse_subscribe_repos_message
from atproto_firehose import FirehoseSubscribeReposClient

from tamtam.networks.base import Author, FoundPost
from tamtam.networks.bluesky.connector import POST, parse_time, post_url

IDLE_SECONDS = 3.0
BUDGET_SECONDS = 30.0
MAX_EVENTS = 20_000


@dataclass
class StreamRead:
    posts: list[FoundPost] = field(default_factory=list)
    cursor: int | None = None  # the sequence number of the last event read (None: no event came)
    events: int = 0
    warning: str = ""  # read, with something to say (events lost to an outdated cursor)
    error: str = ""  # the connection failed or the server refused (nothing after `cursor` was read)


def websocket_base(url: str) -> str:
    """`https://pds.example` or `wss://bsky.network/xrpc` → `wss://…/xrpc` (what the client wants)."""
    url = url.strip().rstrip("/")
    for plain, secure in (("http://", "ws://"), ("https://", "wss://")):
        if url.startswith(plain):
            url = secure + url[len(plain) :]
    if not url.startswith(("ws://", "wss://")):
        raise ValueError(f"{url!r} is not an http(s):// or ws(s):// address")
    return url if url.endswith("/xrpc") else url + "/xrpc"


class _BoundedClient(FirehoseSubscribeReposClient):
    """The library's client, ending the run instead of reconnecting: an idle timeout means "caught up",
    any other connection error is reported (the source retries on its own schedule)."""

    failure: BaseException | None = None

    def _handle_websocket_error_or_stop(self, exception: Exception) -> bool:
        if not isinstance(exception, TimeoutError):
            self.failure = exception
        return True


def read_posts(
    base_url: str,
    cursor: int | None,
    *,
    idle: float = IDLE_SECONDS,
    budget: float = BUDGET_SECONDS,
    max_events: int = MAX_EVENTS,
) -> StreamRead:
    """The posts created after `cursor` (None: from now on), up to the bounds above."""
    params = {"cursor": cursor} if cursor is not None else None
    client = _BoundedClient(params=params, base_uri=websocket_base(base_url), recv_timeout=idle)
    read = StreamRead(cursor=cursor)
    deadline = time.monotonic() + budget

    def on_message(frame: firehose_models.MessageFrame) -> None:
        message = parse_subscribe_repos_message(frame)
        if isinstance(message, models.ComAtprotoSyncSubscribeRepos.Info):
            if message.name == "OutdatedCursor":  # the server no longer keeps events that old
                read.warning = "events were lost: the server no longer keeps events after the cursor"
            return
        seq = getattr(message, "seq", None)
        if isinstance(message, models.ComAtprotoSyncSubscribeRepos.Commit):
            read.posts.extend(_created_posts(message))
        if isinstance(seq, int):
            read.cursor = seq
            read.events += 1
        if read.events >= max_events or time.monotonic() > deadline:
            client.stop()

    def on_error(exc: BaseException) -> None:  # a frame we could not read: said, never skipped silently
        client.failure = exc
        client.stop()

    client.start(on_message, on_error)
    if client.failure is not None:
        read.error = _describe(client.failure)
    return read


def _created_posts(commit: models.ComAtprotoSyncSubscribeRepos.Commit) -> list[FoundPost]:
    ops = [op for op in commit.ops if op.action == "create" and op.path.startswith(POST + "/")]
    if not ops:
        return []
    blocks = CAR.from_bytes(commit.blocks).blocks
    posts = []
    for op in ops:
        record: Any = blocks.get(op.cid) if op.cid is not None else None
        if not isinstance(record, dict) or record.get("$type", POST) != POST:
            continue
        uri = f"at://{commit.repo}/{op.path}"
        langs = record.get("langs") or []
        posts.append(
            FoundPost(
                remote_id=uri,
                text=str(record.get("text", "")),
                # The firehose carries the author's DID only; the source resolves profiles later.
                author=Author(remote_id=commit.repo, handle=commit.repo),
                created_at=_created(record.get("createdAt"), commit.time),
                url=post_url(uri),
                lang=str(langs[0]) if langs else "",
                raw={"cid": str(op.cid), "seq": commit.seq},
            )
        )
    return posts


def _created(value: object, fallback: str) -> datetime:
    return parse_time(value if isinstance(value, str) and value else fallback)


def _describe(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    detail = getattr(getattr(cause, "args", [None])[0], "message", "") if cause.args else ""
    error = getattr(getattr(cause, "args", [None])[0], "error", "") if cause.args else ""
    if error:  # an error frame of the subscription, e.g. FutureCursor
        return f"Bluesky firehose: {error}: {detail}".rstrip(": ")
    return f"Bluesky firehose: {type(cause).__name__}: {cause}"
