"""Text helpers shared by the network limits, the spell checker, UTM tagging and listening.

Counting comes in the flavours networks use: grapheme clusters (what a person sees as one character:
an emoji ZWJ family or a flag is one), UTF-16 code units (Java/JS back ends, Telegram, TikTok), UTF-8
bytes (YouTube descriptions, Matrix events) and plain code points (`len`).

Entity extraction is regex based and returns `Span`s with code-point offsets into the original text, so
callers can underline, replace or weight entities without re-searching.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex

__all__ = [
    "Span",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "find_bare_domains",
    "find_emails",
    "find_hashtags",
    "find_mentions",
    "find_urls",
    "fold_accents",
    "grapheme_len",
    "graphemes",
    "is_emoji",
    "normalize_apostrophes",
    "normalize_text",
    "replace_spans",
    "utf8_len",
    "utf16_len",
]


@dataclass(frozen=True, slots=True)
class Span:
    """`text[start:end]` of the source string (code-point offsets)."""

    start: int
    end: int
    text: str


# --- normalisation ---------------------------------------------------------------------------------

# Invisible characters pasted from word processors; ZWJ/ZWNJ (U+200D/U+200C) are kept because emoji
# sequences and several scripts need them.
_INVISIBLE = regex.compile("[\u200b\u2060\ufeff\u00ad]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'", "\u2032": "'", "\uff07": "'"})


def normalize_text(text: str) -> str:
    """NFC, one newline convention (\\n), no zero-width spaces, BOMs or soft hyphens."""
    text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", text)


def normalize_apostrophes(text: str) -> str:
    """Typographic apostrophes (U+2019, U+02BC, U+2018, U+2032) become ' — phones type them."""
    return text.translate(_APOSTROPHES)


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def fold_accents(text: str) -> str:
    """`déjà vu` → `deja vu`, `œuvre` → `oeuvre`: for accent-insensitive matching."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- counting ----------------------------------------------------------------------------------------

_GRAPHEME = regex.compile(r"\X")
# A grapheme is an emoji if it holds a pictographic character, a regional indicator (flags) or the
# keycap combiner (1️⃣): this is the Unicode "Extended_Pictographic" view, the one grapheme rules use.
_EMOJI_CHAR = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]")


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters (UAX #29): 👩‍👩‍👧 and 🇫🇷 are one each."""
    return _GRAPHEME.findall(text)


def grapheme_len(text: str) -> int:
    """How many characters a person sees. Bluesky and Mastodon count this way."""
    if text.isascii():
        # In ASCII only CR LF forms a multi-code-point cluster.
        return len(text) - text.count("\r\n")
    return sum(1 for _ in _GRAPHEME.finditer(text))


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (astral characters such as most emoji count 2)."""
    return len(text.encode("utf-16-le")) // 2


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def is_emoji(grapheme: str) -> bool:
    """Whether a grapheme cluster is (or contains) an emoji."""
    return _EMOJI_CHAR.search(grapheme) is not None


# --- entities ----------------------------------------------------------------------------------------

# http(s) URLs: everything up to whitespace or a character that cannot be in a pasted link; trailing
# punctuation is trimmed afterwards (see _trim_url) because "see https://x.fr/a." ends a sentence.
_URL = regex.compile(r"(?i)(?<![\p{L}\p{N}_@])https?://[^\s<>\"«»“”\u2019`{}|\\^]+")
_TRAILING = ".,;:!?…'\"*"
_PAIRS = {")": "(", "]": "[", "}": "{"}

# Bare domains ("example.com/promo") are links for X and for a reader; the TLD list keeps ordinary
# words joined by a missing space ("fin.Le") from looking like domains.
_TLDS = (
    "com|org|net|edu|gov|int|info|biz|io|co|ai|app|dev|me|tv|ly|gl|gg|xyz|online|site|shop|store|blog|"
    "social|news|media|tech|cloud|page|link|eu|fr|be|ch|lu|ca|qc|uk|us|de|es|it|pt|nl|pl|se|no|dk|fi|"
    "at|ie|jp|cn|in|br|mx|au|nz|ru|ma|tn|dz|sn|ci|re|bzh|paris|alsace|corsica"
)
_BARE_DOMAIN = regex.compile(
    r"(?i)(?<![\p{L}\p{N}_@.\-/])(?:www\.)?(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,61}[\p{L}\p{N}])?\.)+"
    rf"(?:{_TLDS})(?![\p{{L}}\p{{N}}\-])(?:/[^\s<>\"«»“”]*)?"
)
_EMAIL = regex.compile(r"(?<![\p{L}\p{N}_.+\-@])[\p{L}\p{N}_.+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+")
# #tag: letters, marks, digits and _; at least one non-digit (#2024 is not a tag anywhere); not the
# keycap emoji #️⃣ and not an anchor inside a URL (preceded by a word character or /).
_HASHTAG = regex.compile(
    r"(?<![\p{L}\p{N}\p{M}_&/#\uff03])[#\uff03](?![\ufe0f\u20e3])([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)"
)
# @user, @user.bsky.social (Bluesky handles are domains), @user@instance.social (fediverse).
_MENTION = regex.compile(
    r"(?<![\p{L}\p{N}_.@/=+\-])@([A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)"
    r"(?:@((?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?\.)+[\p{L}\p{N}\-]{2,}))?"
)


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _PAIRS and url.count(last) > url.count(_PAIRS[last]):
            url = url[:-1]  # "(voir https://x.fr/a)" — the parenthesis is the sentence's
        else:
            break
    return url


def find_urls(text: str) -> list[Span]:
    """http(s) links with their scheme, trailing punctuation excluded."""
    spans: list[Span] = []
    for m in _URL.finditer(text):
        url = _trim_url(m.group())
        if len(url) > len(m.group().split("//", 1)[0]) + 2:  # more than a bare "https://"
            spans.append(Span(m.start(), m.start() + len(url), url))
    return spans


def extract_urls(text: str) -> list[str]:
    return [s.text for s in find_urls(text)]


def find_bare_domains(text: str) -> list[Span]:
    """Scheme-less links such as `www.example.com` or `example.fr/promo` (not inside e-mails or URLs)."""
    taken = [(s.start, s.end) for s in find_urls(text)]
    spans = []
    for m in _BARE_DOMAIN.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        value = _trim_url(m.group())
        spans.append(Span(m.start(), m.start() + len(value), value))
    return spans


def find_emails(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group()) for m in _EMAIL.finditer(text)]


def find_hashtags(text: str) -> list[Span]:
    """Hashtags, `#` included in the span (URL fragments are not hashtags)."""
    urls = [(s.start, s.end) for s in find_urls(text)]
    return [
        Span(m.start(), m.end(), m.group())
        for m in _HASHTAG.finditer(text)
        if not any(a <= m.start() < b for a, b in urls)
    ]


def extract_hashtags(text: str) -> list[str]:
    """Tag names without the `#`, in order, duplicates kept (networks count occurrences)."""
    return [s.text[1:] for s in find_hashtags(text)]


def find_mentions(text: str) -> list[Span]:
    """@mentions, `@` included; e-mail addresses and URL parts are not mentions."""
    urls = [(s.start, s.end) for s in find_urls(text)]
    return [
        Span(m.start(), m.end(), m.group())
        for m in _MENTION.finditer(text)
        if not any(a <= m.start() < b for a, b in urls)
    ]


def extract_mentions(text: str) -> list[str]:
    """Handles without the leading `@` (`alice`, `alice.bsky.social`, `alice@mastodon.social`)."""
    return [s.text[1:] for s in find_mentions(text)]


def replace_spans(text: str, spans: list[Span], replacement: str | list[str]) -> str:
    """`text` with each span (sorted, non-overlapping) replaced by `replacement` (or the i-th of a list)."""
    out: list[str] = []
    pos = 0
    for i, span in enumerate(spans):
        out.append(text[pos : span.start])
        out.append(replacement if isinstance(replacement, str) else replacement[i])
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
