"""Text normalisation for listening (pure functions, no Django): the matcher and the dedupe keys see
the same canonical form, so "L'ORÉAL", "l\u2019oréal" and "l'oreal" are one thing.

`normalize(text)` → `Normalized`: NFKC, casefold, accents folded, URLs canonicalised (tracking
parameters, fragments and "www." dropped), then word tokens. `#tag` and `@name` stay one token with
their sign, so a query can ask for the hashtag alone; the matcher also lets a plain word match them.
Emoji are not tokens here: sentiment reads the original text, where they are kept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import regex

_URL = regex.compile(r"(?i)\bhttps?://[^\s<>\"«»“”]+")
_TRAILING = ".,;:!?…'\")]}"
_TRACKING = ("fbclid", "gclid", "igshid", "mc_cid", "mc_eid", "ref_src", "ref_url")
# A token: an optional # or @, then letters, marks, digits or _. Apostrophes and hyphens split words
# ("l'oreal" → l, oreal); a query term holding them becomes a phrase the same way.
_TOKEN = regex.compile(r"[#@]?[\p{L}\p{M}\p{N}_]+")


@dataclass(frozen=True, slots=True)
class Normalized:
    tokens: list[str]
    # " tok1 tok2 … " : what the Aho-Corasick automaton scans (spaces mark word boundaries).
    joined: str
    urls: list[str]

    @property
    def starts(self) -> list[int]:
        """Character offset in `joined` of each token's first character (the first at offset 1)."""
        return list(accumulate((len(tok) + 1 for tok in self.tokens[:-1]), initial=1)) if self.tokens else []


def canonical_url(url: str) -> str:
    """`https://WWW.Example.com/a/?utm_source=x&id=3#top` → `https://example.com/a?id=3`."""
    url = url.rstrip(_TRAILING)
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower().startswith("utm_") or k.lower() in _TRACKING)
    ]
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("https", host, path, urlencode(query), ""))


_MARKS = regex.compile(r"\p{Mn}+")
# Below U+0370 the only nonspacing marks are the combining diacritics: what French and most Latin
# text has, stripped by the standard library's faster engine.
_LATIN_MARKS = re.compile("[\u0300-\u036f]+")
_LIGATURES = {"œ": "oe", "æ": "ae"}  # after casefold: "ß" is already "ss"
_APOSTROPHE_CHARS = ("\u2019", "\u02bc", "\u2018", "\u2032", "\uff07")  # what normalize_apostrophes maps
# For ASCII text `\w` is exactly `[\p{L}\p{M}\p{N}_]`: the same tokens as `_TOKEN`, faster.
_ASCII_TOKEN = re.compile(r"[#@]?\w+", re.ASCII)


def fold(text: str) -> str:
    """NFKC, casefold, typographic apostrophes, accents folded: the form terms are compared in.

    Queries and texts go through this same function, so the folding only has to be consistent; it
    drops nonspacing marks with one regex pass (the hot path: thousands of texts a second). Each step
    is skipped when a cheap test shows it would change nothing (`str.replace` of the characters present
    rather than `str.translate` over the whole text, NFKC only when the text is not already in it)."""
    if text.isascii():  # NFKC, apostrophes and accents change nothing in ASCII
        return text.casefold()
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    for char in _APOSTROPHE_CHARS:
        if char in text:
            text = text.replace(char, "'")
    text = text.casefold()
    if text.isascii():
        return text
    for char, replacement in _LIGATURES.items():
        if char in text:
            text = text.replace(char, replacement)
    text = unicodedata.normalize("NFKD", text)
    if max(text) < "\u0370":
        return _LATIN_MARKS.sub("", text)
    return _MARKS.sub("", text)


def tokenize(folded: str) -> list[str]:
    if folded.isascii():
        return _ASCII_TOKEN.findall(folded)
    return _TOKEN.findall(folded)


def normalize(text: str) -> Normalized:
    urls: list[str] = []

    def _canon(m: regex.Match[str]) -> str:
        canon = canonical_url(m.group(0))
        urls.append(canon)
        return " " + canon[len("https://") :] + " "

    folded = fold(text)
    if "http" in folded:
        folded = _URL.sub(_canon, folded)
    tokens = tokenize(folded)
    joined = " " + " ".join(tokens) + " " if tokens else " "
    return Normalized(tokens=tokens, joined=joined, urls=urls)
