"""Notifications → inbox items, and the inbox cursor.

Bluesky's notification list pages from the newest backwards, and its own cursor moves towards older
items: it cannot say "what is new since last time". So tamtam's cursor is the position of the newest
notification already handed over (its indexedAt and the URIs at that instant, for ties): the next
fetch reads from the newest down to that position, and nothing is returned twice or skipped.
The account's read state in Bluesky's app (updateSeen) is left alone: reading in tamtam is not reading
in the app.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tamtam.networks.base import Author, InboxItem, InboxKind

KINDS = {"reply", "mention", "quote"}


def _when(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class InboxCursor:
    """The newest notification handed over (`newest`, and the URIs at that instant, for ties).

    When one call could not read down to the previous position (more than a call's pages arrived in
    between, or a first fetch of a long history), `backlog` is the notifications API's own cursor
    where the unread stretch resumes and `floor_*` the position it ends at: the next calls read it
    before anything else, so nothing is skipped."""

    newest: datetime | None = None
    uris_at_newest: set[str] = field(default_factory=set)
    backlog: str = ""
    floor: datetime | None = None
    uris_at_floor: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, cursor: str) -> InboxCursor:
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            return cls(
                _when(data["t"]) if data.get("t") else None,
                set(data.get("u", [])),
                str(data.get("b", "")),
                _when(data["f"]) if data.get("f") else None,
                set(data.get("fu", [])),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(f"Bluesky: unreadable inbox cursor {cursor[:40]!r}") from None

    def dump(self) -> str:
        if self.newest is None and not self.backlog:
            return ""
        data: dict[str, Any] = {
            "t": self.newest.isoformat() if self.newest else "",
            "u": sorted(self.uris_at_newest),
        }
        if self.backlog:
            data.update(
                b=self.backlog, f=self.floor.isoformat() if self.floor else "", fu=sorted(self.uris_at_floor)
            )
        return json.dumps(data)

    def seen(self, indexed_at: str, uri: str) -> bool:
        return _at_or_before(self.newest, self.uris_at_newest, indexed_at, uri)

    def below_floor(self, indexed_at: str, uri: str) -> bool:
        return _at_or_before(self.floor, self.uris_at_floor, indexed_at, uri)

    def advanced(self, notifications: list[Any]) -> InboxCursor:
        newest, uris = self.newest, set(self.uris_at_newest)
        for n in notifications:
            when = _when(n.indexed_at)
            if newest is None or when > newest:
                newest, uris = when, {n.uri}
            elif when == newest:
                uris.add(n.uri)
        return InboxCursor(newest, uris, self.backlog, self.floor, set(self.uris_at_floor))


def _at_or_before(mark: datetime | None, uris: set[str], indexed_at: str, uri: str) -> bool:
    if mark is None:
        return False
    when = _when(indexed_at)
    return when < mark or (when == mark and uri in uris)


def _ref_uri(reply: Any, name: str) -> str:
    ref = getattr(reply, name, None) if reply is not None else None
    return str(getattr(ref, "uri", "") or "")


def notification_item(n: Any, our_did: str) -> InboxItem | None:
    """An inbox item for a reply, mention or quote notification; None for the other kinds (likes,
    follows, reposts are counted by metrics, not answered)."""
    if n.reason not in KINDS or n.author.did == our_did:
        return None
    record = n.record
    reply = getattr(record, "reply", None)
    parent, root = _ref_uri(reply, "parent"), _ref_uri(reply, "root")
    raw: dict[str, Any] = {"reason": n.reason, "cid": n.cid}
    if n.reason == "reply":
        # An answer to one of our top-level posts is a comment; to one of our replies, a reply.
        kind = InboxKind.COMMENT if parent == root else InboxKind.REPLY
    else:
        kind = InboxKind.MENTION
        if n.reason == "quote":
            raw["quoted"] = str(n.reason_subject or "")
        parent = ""  # a mention answers nothing of ours, even when it sits in someone's thread
    handle = str(n.author.handle or "")
    rkey = n.uri.rsplit("/", 1)[-1]
    return InboxItem(
        remote_id=n.uri,
        kind=kind,
        text=str(getattr(record, "text", "") or ""),
        author=Author(
            remote_id=n.author.did,
            handle=handle,
            name=str(n.author.display_name or ""),
            url=f"https://bsky.app/profile/{handle or n.author.did}",
            avatar_url=str(n.author.avatar or ""),
        ),
        created_at=_when(getattr(record, "created_at", None) or n.indexed_at),
        url=f"https://bsky.app/profile/{n.author.did}/post/{rkey}",
        parent_remote_id=parent,
        root_remote_id=root,
        raw=raw,
    )
