"""Text → features for tamtam's sentiment model, the same at training and at inference.

Tweets are normalised the way the training data is anonymised (`@user`, `http`), so a live post and a
data set's post look alike: links → "http", mentions → "@user", letters repeated three times or more
shortened to two ("trooop" → "troop", "sooo" → "soo": still distinct from the plain word), hashtags
give both "#word" and "word", French elisions and English contractions are split (l'|été, do|n't).

Sparse features, as strings (the model's vocabulary maps them to columns):
- word unigrams and bigrams ("w:…", "b:…"); words after a negation ("pas", "not", "never", "n't", …)
  up to the next punctuation are also marked ("n:…"), so "pas bon" is not "bon";
- character n-grams of 2 to 5 of each word, padded with spaces ("c:…"): robust to spelling and
  inflection, which matters with two thousand training tweets per language. They depend on the word
  only, so inference caches them per word (`token_chars`);
- emoji one by one ("w:😍") and runs of "!" / "?".
Dense features (`dense_row`): lexicon scores from VADER's own word lists (vaderSentiment's for English
and other languages, vadersentiment-fr's for French; emoji scored by their lexicon's description),
with VADER's negation factor, plus emphasis counts. They are computed in the same pass as the tokens,
about twenty times faster than running VADER itself, which would cap the model at VADER's speed.
"""

from __future__ import annotations

import functools
import math
import re
import threading

import numpy as np
import regex

from tamtam.nlp.text import fold_accents

__all__ = [
    "CHAR_NGRAMS",
    "DENSE_NAMES",
    "NEGATORS",
    "Lexicons",
    "analyze",
    "caps_words",
    "context_strings",
    "dense_row",
    "lexicons",
    "normalize",
    "normalize_batch",
    "reference_tokens",
    "token_unit_strings",
    "tokens",
]

CHAR_NGRAMS = (2, 5)
DENSE_NAMES = (
    "lexicon_compound",
    "lexicon_positive",
    "lexicon_negative",
    "lexicon_words",
    "exclamations",
    "questions",
    "caps_words",
    "emoji",
)
NEGATION_SCALAR = -0.74  # VADER's N_SCALAR: a negated word keeps part of its strength, reversed
NEGATION_WINDOW = 3  # VADER looks three words back for a negation

# Escapes left in text by a JSON or CSV export ("i\\u2019m", "\\u002c"): decoded, so the word is the word.
_ESCAPE = regex.compile(r"\\u([0-9a-fA-F]{4})")
# The simple patterns run on every post: the standard library's engine is the faster for them.
_URL = re.compile(r"(?i)(?:https?://|www\.)\S+|(?<!\w)http(?!\w)")
_MENTION = re.compile(r"(?<!\w)@\w+")
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")  # a letter three times or more
_ASCII_LETTER = np.array([chr(i).isalpha() for i in range(128)])
_APOSTROPHE_CHARS = ("\u2019", "\u2018", "`", "\u00b4")  # each becomes '
_TOKEN = regex.compile(
    r"""(?x)
    @user | http
    | \#[\p{L}\p{N}_]+
    | n't | [\p{L}\p{N}_]+?(?=n't) | [\p{L}\p{N}_]+'?
    | [\p{Extended_Pictographic}\p{Regional_Indicator}]
    | [!?]+
    | [:;=8][-o^']?[()\[\]dDpP/\\|3*] | <3
    | [.,;:()"«»]
    """
)
_CAPS_WORD = regex.compile(r"(?<!\p{L})\p{Lu}{3,}(?!\p{L})")
NEGATORS = frozenset(
    [
        *("not", "no", "never", "nothing", "nobody", "none", "nor", "cannot", "without", "n't", "dont"),
        *("pas", "ne", "n'", "jamais", "rien", "aucun", "aucune", "personne", "sans", "ni", "nul", "nulle"),
        "guère",
    ]
)
_CLAUSE_END = frozenset('.,;:!?()"«»')


def _uniform(text: str) -> str:
    """`normalize` without the shortening of elongations (done per batch in `normalize_batch`)."""
    if "\\u" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    # `str.replace` of the few characters present costs far less than `str.translate` over the text.
    if text.isascii():
        if "`" in text:
            text = text.replace("`", "'")
    else:
        for char in _APOSTROPHE_CHARS:
            if char in text:
                text = text.replace(char, "'")
    text = text.lower()
    # Most posts have no link or mention: a substring test is much cheaper than a regex scan.
    if "http" in text or "www." in text:
        text = _URL.sub(" http ", text)
    if "@" in text:
        text = _MENTION.sub(" @user ", text)
    return text


def normalize(text: str) -> str:
    """Lower-cased text with links, mentions, elongations and apostrophes made uniform."""
    return _ELONGATION.sub(r"\1\1", _uniform(text))


def normalize_batch(texts: list[str]) -> list[str]:
    """`[normalize(t) for t in texts]`, faster: the elongation regex (a back-reference tried at every
    letter, the costliest step) runs only on the texts where numpy finds a character three times in a
    row, found for the whole batch in one vectorised comparison."""
    uniform = [_uniform(text) for text in texts]
    if not uniform:
        return uniform
    joined = "\0".join(uniform)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    if len(codes) < 3:
        return [_ELONGATION.sub(r"\1\1", text) for text in uniform]
    same = (codes[2:] == codes[1:-1]) & (codes[1:-1] == codes[:-2])
    # Only letters are shortened: "!!!", "..." and digits (ASCII non-letters) need no regex.
    head = codes[:-2]
    triple = np.flatnonzero(same & ((head >= 128) | _ASCII_LETTER[np.minimum(head, 127)]))
    if not len(triple):
        return uniform
    # Offset of each text's first character in `joined` → which texts hold a triple.
    starts = np.cumsum([0] + [len(text) + 1 for text in uniform[:-1]])
    for i in set(np.searchsorted(starts, triple, side="right").tolist()):
        uniform[i - 1] = _ELONGATION.sub(r"\1\1", uniform[i - 1])
    return uniform


@functools.cache
def _fast_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """`_TOKEN` for the standard library's engine, about twice as fast: for ASCII text (`\\w` is then
    exactly `[\\p{L}\\p{N}_]`) and for any text (Unicode `\\w`, and the emoji class enumerated once from
    the `regex` module's own properties), each with and without the `n't` alternatives, which cost a
    lazy scan at every word and can only match when the text holds "n't"."""
    chars = "".join(map(chr, range(0x20000)))  # every pictograph and regional indicator is below
    runs = regex.findall(r"[\p{Extended_Pictographic}\p{Regional_Indicator}]+", chars)
    emoji = "".join(re.escape(r[0]) + ("-" + re.escape(r[-1]) if len(r) > 1 else "") for r in runs)
    common = r"\w+'? | [!?]+ | [:;=8][-o^']?[()\[\]dDpP/\\|3*] | <3 | [.,;:()\"«»]"
    head = r"@user | http | \#\w+ | "
    contraction = r"n't | \w+?(?=n't) | "
    return (
        re.compile(f"(?x) {head}{common}", re.ASCII),
        re.compile(f"(?x) {head}{contraction}{common}", re.ASCII),
        re.compile(f"(?x) {head}{common} | [{emoji}]"),
        re.compile(f"(?x) {head}{contraction}{common} | [{emoji}]"),
    )


def tokens(normalized: str) -> list[str]:
    """Words, hashtags, emoji, emoticons and punctuation of a normalised text (the tokens of `_TOKEN`,
    found with the faster patterns of `_fast_patterns`)."""
    ascii_plain, ascii_nt, any_plain, any_nt = _fast_patterns()
    if normalized.isascii():
        return (ascii_nt if "n't" in normalized else ascii_plain).findall(normalized)
    return (any_nt if "n't" in normalized else any_plain).findall(normalized)


def reference_tokens(normalized: str) -> list[str]:
    """`tokens` with the `regex` pattern `_TOKEN` itself (the definition; for tests)."""
    return _TOKEN.findall(normalized)


def is_clause_end(tok: str) -> bool:
    return tok in _CLAUSE_END or tok[0] in "!?"


def context_strings(toks: list[str]) -> list[str]:
    """The features that depend on a token's neighbours: bigrams and negated words."""
    feats: list[str] = []
    append = feats.append
    negated = False
    previous = "<s>"
    for tok in toks:
        if tok in _CLAUSE_END or tok[0] in "!?":
            negated = False
        if tok[0] == "#" and len(tok) > 1:
            tok = tok[1:]  # noqa: PLW2901  (a hashtag's word is the word itself in context)
        append("b:" + previous + " " + tok)
        if negated:
            append("n:" + tok)
        if tok in NEGATORS:
            negated = True
        previous = tok
    append("b:" + previous + " </s>")
    return feats


def token_unit_strings(tok: str) -> list[str]:
    """The features of one token alone: the word (and a hashtag's word) and its character n-grams
    (none for links, mentions, emoji and punctuation). They depend on the token only: cacheable."""
    if tok[0] == "#" and len(tok) > 1:
        feats = ["w:" + tok, "w:" + tok[1:]]
        word = tok[1:]
    else:
        feats = ["w:" + tok]
        word = tok
    if tok in ("http", "@user") or not any(c.isalpha() for c in word):
        return feats
    padded = " " + word + " "
    size = len(padded)
    lo, hi = CHAR_NGRAMS
    feats.extend("c:" + padded[i : i + n] for n in range(lo, min(hi, size) + 1) for i in range(size - n + 1))
    return feats


def analyze(text: str) -> list[str]:
    """All sparse features of one raw text, as strings (repeated ones count several times)."""
    toks = tokens(normalize(text))
    feats = context_strings(toks)
    for tok in toks:
        feats.extend(token_unit_strings(tok))
    return feats


class Lexicons:
    """Word (and emoji) → valence, per lexicon language ("en" for every language but French)."""

    def __init__(self) -> None:
        from tamtam.nlp.sentiment.lexicon import analyzer

        self.valences: dict[str, dict[str, float]] = {}
        for lang in ("en", "fr"):
            vader = analyzer(lang)
            words: dict[str, float] = {}
            for word, valence in vader.lexicon.items():
                key = fold_accents(word.lower()) if lang == "fr" else word.lower()
                words[key] = float(valence)
            # Emoji: VADER replaces each by its description; its valence is the sum of the words'.
            for emoji, description in vader.emojis.items():
                total = 0.0
                for word in description.lower().split():
                    total += words.get(fold_accents(word) if lang == "fr" else word, 0.0)
                if total:
                    words[emoji] = total
            self.valences[lang] = words
        self._cache: dict[str, dict[str, float]] = {"en": {}, "fr": {}}

    def cache(self, lang: str) -> dict[str, float]:
        """token → valence already looked up, for `lang`'s lexicon (read it before `valence`)."""
        return self._cache["fr" if lang == "fr" else "en"]

    def valence(self, tok: str, lang: str) -> float:
        key = "fr" if lang == "fr" else "en"
        cache = self._cache[key]
        found = cache.get(tok)
        if found is None:
            word = tok.lstrip("#").rstrip("'")
            table = self.valences[key]
            found = table.get(word)
            if found is None and key == "fr":
                found = table.get(fold_accents(word))
            found = found or 0.0
            if len(cache) > 200_000:  # bounded: a firehose brings endless new words
                cache.clear()
            cache[tok] = found
        return found


_lock = threading.Lock()
_lexicons: Lexicons | None = None


def lexicons() -> Lexicons:
    global _lexicons
    if _lexicons is None:
        with _lock:
            if _lexicons is None:
                _lexicons = Lexicons()
    return _lexicons


def caps_words(text: str) -> int:
    """How many words of three letters or more are in capitals (shouting)."""
    return 0 if text == text.lower() else len(_CAPS_WORD.findall(text))


def dense_row(text: str, toks: list[str], lang: str, lex: Lexicons) -> list[float]:
    """The dense features (`DENSE_NAMES`) of one text and its tokens."""
    total = positive = negative = 0.0
    words = 0
    since_negation = NEGATION_WINDOW + 1
    known = lex.cache(lang)
    for tok in toks:
        if tok in _CLAUSE_END or tok[0] in "!?":
            since_negation = NEGATION_WINDOW + 1
        v = known.get(tok)
        if v is None:
            v = lex.valence(tok, lang)
        if v:
            if since_negation <= NEGATION_WINDOW:
                v *= NEGATION_SCALAR
            words += 1
            total += v
            if v > 0:
                positive += v
            else:
                negative -= v
        since_negation = 1 if tok in NEGATORS else since_negation + 1
    emoji = sum(1 for tok in toks if not tok[0].isalnum() and len(tok) == 1 and ord(tok) > 0x2000)
    return [
        total / math.sqrt(total * total + 15.0),  # VADER's normalisation of the sum into [-1, 1]
        math.log1p(positive),
        math.log1p(negative),
        math.log1p(words),
        math.log1p(text.count("!")),
        math.log1p(text.count("?")),
        math.log1p(caps_words(text)),
        math.log1p(emoji),
    ]
