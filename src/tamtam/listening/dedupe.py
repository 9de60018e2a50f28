"""Near-duplicate detection within a time window (pure, no Django).

Retweets ("RT @x: …"), pasted copies with an emoji or a hashtag added, and a press article syndicated
by several sites are one story told again: they are kept (they are volume, a crisis spreads by them)
but marked as duplicates of the first one seen, so the stream shows the story once.

Method: the text's tokens without a leading "RT @x:" (and a short syndication prefix) are the
*core*. Same core → duplicate. Otherwise a small MinHash signature over word 3-shingles (4 hash
functions, each one a band) finds candidates that share at least two of the four minimum shingles —
texts with a Jaccard similarity of 0.8 do with probability 1 - 0.2^4 - 4·0.8·0.2^3 ≈ 0.97, while
posts written from the same template rarely do — and `rapidfuzz` confirms them (`ratio` of the cores
≥ `threshold`). Memory stays bounded: entries older than the window are dropped as time moves on.

An entry also keeps the sentiment of its text once known: a retweet or a copy tells the same story
in the same words, so the pipeline gives it its original's sentiment instead of classifying it again.
"""

from __future__ import annotations

import contextlib
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain

from rapidfuzz import fuzz

_MASKS = (0x5BD1E9955BD1E995, 0x27D4EB2F165667C5, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9)
_MOD = (1 << 61) - 1
_MUL = 0x9E3779B97F4A7C15
# Short prefixes that wire copies put before the same text.
_PREFIXES = {("depeche",), ("wire",), ("via", "afp"), ("afp",), ("reuters",), ("via",)}
MIN_TOKENS_FOR_FUZZY = 5
BAND_DEPTH = 24


def core_tokens(tokens: list[str]) -> list[str]:
    """Tokens without "rt @name" at the start and without a short wire prefix."""
    if len(tokens) >= 2 and tokens[0] == "rt" and tokens[1].startswith("@"):
        tokens = tokens[2:]
    for prefix in _PREFIXES:
        if tuple(tokens[: len(prefix)]) == prefix and len(tokens) > len(prefix) + 3:
            tokens = tokens[len(prefix) :]
            break
    return tokens


def core_key(core: list[str]) -> str:
    """The exact-core key: the core's text itself (a dict hashes a string faster than a digest)."""
    return " ".join(core)


def signature(core: list[str]) -> tuple[int, ...]:
    """Four MinHash values over word 3-shingles (process-local: `hash` is salted per process)."""
    if len(core) < 3:
        shingles = [hash(" ".join(core))]
    else:
        shingles = list(map(hash, zip(core, core[1:], core[2:], strict=False)))
    m0, m1, m2, m3 = _MASKS
    return (
        min([((h ^ m0) * _MUL) % _MOD for h in shingles]),
        min([((h ^ m1) * _MUL) % _MOD for h in shingles]),
        min([((h ^ m2) * _MUL) % _MOD for h in shingles]),
        min([((h ^ m3) * _MUL) % _MOD for h in shingles]),
    )


@dataclass(eq=False)  # hashed by identity: counted per band in a Counter
class Entry:
    key: str  # the original's content hash (what a duplicate points at)
    at: float  # epoch seconds
    core: str
    bands: tuple[int, ...]
    core_key: str
    sentiment: tuple[str, float] | None = None  # (label, score) once classified


@dataclass
class NearDuplicateIndex:
    window: timedelta = timedelta(hours=24)
    threshold: float = 90.0
    _by_core: dict[str, Entry] = field(default_factory=dict)
    # Each band keeps its most recent entries only: a shingle common to many posts (a slogan) must
    # not make every lookup compare against hundreds of texts.
    _by_band: dict[tuple[int, int], deque[Entry]] = field(default_factory=dict)
    _order: deque[Entry] = field(default_factory=deque)
    _latest: float | None = None
    _last_signature: tuple[list[str], tuple[int, ...]] | None = None

    def __len__(self) -> int:
        return len(self._order)

    def find(self, tokens: list[str], at: datetime) -> str | None:
        """The content hash of an earlier near-duplicate within the window, or None."""
        entry = self.find_entry(tokens, at)
        return entry.key if entry is not None else None

    def find_entry(self, tokens: list[str], at: datetime) -> Entry | None:
        """The earlier near-duplicate within the window, or None."""
        core = core_tokens(tokens)
        if not core:
            return None
        when = at.timestamp()
        window = self.window.total_seconds()
        text = " ".join(core)
        entry = self._by_core.get(text)
        if entry is not None and abs(when - entry.at) <= window:
            return entry
        if len(core) < MIN_TOKENS_FOR_FUZZY:
            return None
        bands = signature(core)
        self._last_signature = (tokens, bands)  # `add` right after, for the same text, reuses it
        buckets = [bucket for bucket in map(self._by_band.get, enumerate(bands)) if bucket]
        if len(buckets) < 2:
            return None
        # Entries in two bands or more are worth the exact comparison (counted in C by Counter).
        shared = Counter(chain.from_iterable(buckets))
        for candidate, n in shared.items():
            if (
                n >= 2
                and abs(when - candidate.at) <= window
                and fuzz.ratio(text, candidate.core, score_cutoff=self.threshold)
            ):
                return candidate
        return None

    def add(self, key: str, tokens: list[str], at: datetime) -> Entry | None:
        """Remember a text as an original; the entry (to attach its sentiment to), or None."""
        core = core_tokens(tokens)
        if not core:
            return None
        ck = " ".join(core)
        if ck in self._by_core:
            return self._by_core[ck]
        when = at.timestamp()
        last = self._last_signature
        if len(core) < MIN_TOKENS_FOR_FUZZY:
            bands: tuple[int, ...] = ()  # never compared fuzzily: the exact core is enough
        else:
            bands = last[1] if last is not None and last[0] is tokens else signature(core)
        entry = Entry(key=key, at=when, core=ck, bands=bands, core_key=ck)
        self._by_core[ck] = entry
        if len(core) >= MIN_TOKENS_FOR_FUZZY:
            for band, value in enumerate(entry.bands):
                self._by_band.setdefault((band, value), deque(maxlen=BAND_DEPTH)).append(entry)
        self._order.append(entry)
        if self._latest is None or when > self._latest:
            self._latest = when
        self._expire()
        return entry

    def _expire(self) -> None:
        assert self._latest is not None
        horizon = self._latest - self.window.total_seconds()
        # Entries arrive roughly in time order; an old straggler at the head is dropped with its peers.
        while self._order and self._order[0].at < horizon:
            entry = self._order.popleft()
            self._by_core.pop(entry.core_key, None)
            for band, value in enumerate(entry.bands):
                bucket = self._by_band.get((band, value))
                if bucket is not None:
                    with contextlib.suppress(ValueError):  # already pushed out of a full band
                        bucket.remove(entry)
                    if not bucket:
                        del self._by_band[(band, value)]
