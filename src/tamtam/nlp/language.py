"""Language identification for social posts, offline (py3langid's bundled model, 97 languages).

    detect("Trop bien ce concert 😍 https://t.co/x")  → "fr"
    detect("😍🔥")                                      → ""   (nothing to go on)

Social text carries a lot that says nothing of its language and misleads a character n-gram model:
URLs, @mentions, the `@user`/`http` placeholders of anonymised data sets, #hashtags' signs, emoji,
numbers. They are removed first; what is left must hold at least `MIN_LETTERS` letters, or the answer
is "" (unsure) rather than a guess. The identifier's probability must also reach `MIN_CONFIDENCE`.
py3langid was measured against lingua-language-detector on the XLM-T French/English tweets (see
docs/nlp.md): it is as accurate there and an order of magnitude faster, so it is the one used.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

import numpy as np
import regex

__all__ = ["MAX_CHARS", "MIN_CONFIDENCE", "MIN_LETTERS", "clean_for_language", "detect", "detect_batch"]

MIN_LETTERS = 3
MIN_CONFIDENCE = 0.3
# py3langid's probabilities are tempered by the root of the length, so a very long text comes out
# unsure although it is not; its first thousand characters say the language as well (and cost less).
MAX_CHARS = 1000

# What carries no language: links (with or without scheme), mentions, the data sets' placeholders,
# e-mail addresses. Hashtags keep their word (often a real word of the post's language), not the sign.
_NOISE = regex.compile(
    r"""(?ix)
    (?:https?://|www\.)\S+        # links
    | \S+@\S+\.\S+                # e-mails
    | (?<![\w])@\w+               # mentions, and the `@user` placeholder
    | (?<![\w])http(?![\w])       # the `http` placeholder of XLM-T / TweetEval
    | \b(?:RT|via)\b              # retweet markers
    """
)
_NON_LETTERS = regex.compile(r"[^\p{L}\p{M}'\u2019\s-]+")
_SPACES = regex.compile(r"\s+")
_LETTER = regex.compile(r"\p{L}")
_ASCII_NOISE = re.compile(
    r"""(?ix)
    (?:https?://|www\.)\S+
    | \S+@\S+\.\S+
    | (?<![\w])@\w+
    | (?<![\w])http(?![\w])
    | \b(?:RT|via)\b
    """,
    re.ASCII,
)
_ASCII_NON_LETTERS = re.compile(r"[^A-Za-z'\s-]+", re.ASCII)
_ASCII_SPACES = re.compile(r"\s+", re.ASCII)

_lock = threading.Lock()
_identifier: Any = None


def _get_identifier() -> Any:
    # Loading the model takes ~0.1 s and 20 MB: once per process, on first use.
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def clean_for_language(text: str) -> str:
    """The text without what says nothing of its language (links, mentions, emoji, digits, signs)."""
    if text.isascii():
        # The same steps with the standard library's engine: in ASCII text `\w`, `\s` and the letter
        # classes are exactly the Unicode ones.
        text = _ASCII_NOISE.sub(" ", text)
        text = text.replace("#", " ").replace("_", " ")
        text = _ASCII_NON_LETTERS.sub(" ", text)
        return _ASCII_SPACES.sub(" ", text).strip()
    text = _NOISE.sub(" ", text)
    text = text.replace("#", " ").replace("_", " ")
    text = _NON_LETTERS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _letters(cleaned: str) -> int:
    if cleaned.isascii():  # a cleaned ASCII text holds letters, spaces, apostrophes and hyphens only
        return len(cleaned) - cleaned.count(" ") - cleaned.count("'") - cleaned.count("-")
    return len(_LETTER.findall(cleaned, concurrent=False))


def _prepared(text: str) -> str | None:
    """The cleaned text the identifier reads, or None when it has too few letters to say anything."""
    cleaned = clean_for_language(text[: MAX_CHARS * 4])[:MAX_CHARS]
    return cleaned if _letters(cleaned) >= MIN_LETTERS else None


def detect(text: str) -> str:
    """ISO 639-1 code of `text`'s language ("fr", "en", …), or "" when unsure (too short, emoji only)."""
    cleaned = _prepared(text)
    if cleaned is None:
        return ""
    lang, confidence = _get_identifier().classify(cleaned)
    if confidence < MIN_CONFIDENCE:
        return ""
    return str(lang)


def detect_batch(texts: list[str]) -> list[str]:
    """`detect` of each text, in order; the identifier's naive-Bayes scores of the whole batch are one
    gather and one sum per text (`_scores`) instead of a dozen small numpy calls per text."""
    identifier = _get_identifier()
    found = [""] * len(texts)
    todo = [(i, cleaned) for i, text in enumerate(texts) if (cleaned := _prepared(text)) is not None]
    if not todo:
        return found
    scores = _scores(identifier, [cleaned for _, cleaned in todo])
    if scores is None:  # another py3langid layout: its own classify, text by text
        for i, cleaned in todo:
            lang, confidence = identifier.classify(cleaned)
            found[i] = str(lang) if confidence >= MIN_CONFIDENCE else ""
        return found
    classes = identifier.nb_classes
    best = scores.argmax(axis=1).tolist()
    confidence = scores.max(axis=1).tolist()
    for (i, _), k, p in zip(todo, best, confidence, strict=True):
        found[i] = str(classes[k]) if p >= MIN_CONFIDENCE else ""
    return found


def _scores(identifier: Any, texts: list[str]) -> np.ndarray | None:
    """py3langid's `_decide` (normalised probabilities, aliased labels folded) for many texts at once,
    from the identifier's own tables; None when they are not the ones this was written against (the
    test suite compares it with `classify` text by text)."""
    try:
        nextmove, rowbase, output = identifier.tk_nextmove, identifier._rowbase, identifier.tk_output
        table, prior, aliases = identifier.nb_ptc, identifier.nb_pc, identifier._alias_pairs
        encode = identifier._encode
    except AttributeError:
        return None
    if not getattr(identifier, "_norm_probs", False):
        return None
    features: list[int] = []
    counts: list[int] = []
    sizes: list[int] = []
    lengths: list[int] = []
    for text in texts:
        data = encode(text)
        state = 0
        hits: list[int] = []
        append = hits.append
        for byte in data:  # py3langid's DFA walk (visit_counts), inlined
            state = nextmove[rowbase[state] + byte]
            feature = output[state]
            if feature >= 0:
                append(feature)
        visits = Counter(hits)
        features.extend(visits.keys())
        counts.extend(visits.values())
        sizes.append(len(visits))
        lengths.append(len(data))
    n = len(texts)
    raw = np.zeros((n, len(prior)), dtype=np.float32)
    if features:
        weighted = table[np.asarray(features, dtype=np.intp)].astype(np.float32)
        weighted *= np.log1p(np.asarray(counts, dtype=np.float32))[:, None]
        starts = np.cumsum([0, *sizes[:-1]])
        nonempty = np.asarray(sizes) > 0
        raw[nonempty] = np.add.reduceat(weighted, starts[nonempty], axis=0)
        raw[nonempty] += prior
    # A text without features scores 0 everywhere under normalised probabilities (uniform: unsure).
    raw *= (1.0 / np.sqrt(np.maximum(np.asarray(lengths, dtype=np.float32), 1.0)))[:, None]
    raw = np.exp(raw - raw.max(axis=1, keepdims=True))
    raw /= raw.sum(axis=1, keepdims=True)
    for i, j in aliases:
        raw[:, i] += raw[:, j]
        raw[:, j] = 0.0
    return raw
