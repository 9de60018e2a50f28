"""Record keys chosen by us: the AT Protocol's own idempotency (DESIGN §2).

A post's record key (rkey) is ours to choose, and a repository holds at most one record per key. So the
key of a publish step is derived from its idempotency key: a second attempt of the same step (after a
crash, a timeout) targets the same rkey, and the PDS refuses to create a second post there.

The lexicon of app.bsky.feed.post says `"key": "tid"`, and the PDS enforces it: the rkey must be a TID
(13 characters of base32-sortable, a 64-bit integer: 0, 53 bits of microseconds, 10 bits of clock id).
A TID cannot hold a 128-bit UUID, so the TID is a hash of the idempotency key, and the key itself
travels in the record (`KEY_FIELD`, an extra field that lexicon validation allows). `key_of` gives it
back only when it hashes to the record's own rkey, so a copied or edited record never passes for ours.

The timestamp part stays in a plausible past window (2023-01-01 + up to ~1.1 years) rather than a
random date centuries away: services may sort or sanity-check TIDs by their time, and a post's
display order comes from its `createdAt`, not from its rkey.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
KEY_FIELD = "tamtamKey"
_EPOCH_US = 1_672_531_200_000_000  # 2023-01-01T00:00:00Z in microseconds
_WINDOW_BITS = 45  # 2^45 µs ≈ 407 days
_CLOCK_BITS = 10


def encode_tid(value: int) -> str:
    """A 63-bit integer as a TID string (13 base32-sortable characters, most significant first)."""
    if not 0 <= value < 1 << 63:
        raise ValueError(f"a TID holds 63 bits, got {value}")
    chars = []
    for _ in range(13):
        chars.append(B32_SORTABLE[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def decode_tid(tid: str) -> int:
    if not TID_RE.match(tid):
        raise ValueError(f"not a TID: {tid!r}")
    value = 0
    for char in tid:
        value = (value << 5) | B32_SORTABLE.index(char)
    return value


def rkey_for(idempotency_key: str) -> str:
    """The record key of the step with this idempotency key: always the same TID for the same key."""
    if not idempotency_key:
        raise ValueError("a record key needs a non-empty idempotency key")
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode("utf-8")).digest()[:8], "big")
    offset = digest >> (64 - _WINDOW_BITS)  # the top 45 bits: microseconds into the window
    clock_id = digest & ((1 << _CLOCK_BITS) - 1)
    return encode_tid(((_EPOCH_US + offset) << _CLOCK_BITS) | clock_id)


def is_tid(value: str) -> bool:
    return bool(TID_RE.match(value))


def key_of(rkey: str, record: dict[str, Any]) -> str:
    """The idempotency key a record was published with, or "" when it was not published by tamtam
    (no key, or a key that does not hash to this record's rkey)."""
    key = record.get(KEY_FIELD)
    if isinstance(key, str) and key and rkey_for(key) == rkey:
        return key
    return ""
