"""tamtam's own sentiment model: linear, over sparse n-grams and dense lexicon features, in numpy.

The file (`tamtam/nlp/models/sentiment.npz`, written by `scripts/train_sentiment.py`) holds plain
arrays, no pickle: the vocabulary (feature strings), their idf, the dense features' scaling, and one or
more heads (weights and biases): one per language it was trained for, and "*" (trained on every
language) for the others. Inference is vectorised over the batch: each text's features are looked up,
weighted (tf times idf), L2-normalised per block — the word block (words, bigrams, negated words) and
the character n-gram block separately, as two TfidfVectorizers side by side would: a word has a dozen
n-grams, and one shared norm would drown the words under them — and the logits are accumulated with
`np.bincount`; a softmax gives the probabilities.
"""

from __future__ import annotations

import json
import math
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tamtam.nlp.sentiment import features

__all__ = ["DEFAULT_PATH", "Head", "SentimentModel", "load", "predict_proba", "vectorize"]

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "models" / "sentiment.npz"
FORMAT = "tamtam-sentiment-linear-3"


@dataclass(slots=True)
class Head:
    """Logits = sparse · weights[:V] + dense_scaled · weights[V:] + bias."""

    weights: np.ndarray  # (V + D, 3)
    bias: np.ndarray  # (3,)


@dataclass(slots=True)
class SentimentModel:
    vocabulary: dict[str, int]
    idf: np.ndarray  # (V,)
    dense_mean: np.ndarray  # (D,)
    dense_scale: np.ndarray  # (D,)
    heads: dict[str, Head] = field(default_factory=dict)
    meta: dict[str, object] = field(default_factory=dict)
    blocks: np.ndarray = field(init=False)  # (V,) each column's normalisation block (`feature_blocks`)
    _unit_cache: dict[str, dict[str, _Token]] = field(default_factory=dict)
    _stack: tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def __post_init__(self) -> None:
        self.blocks = feature_blocks(self.vocabulary)

    def head_for(self, lang: str) -> str:
        return lang if lang in self.heads else "*"

    def predict_proba(self, texts: list[str], langs: list[str]) -> np.ndarray:
        """Probabilities (n, 3) in `LABELS` order. The heads' sparse weights are pre-multiplied by the
        idf and stacked (`_stacked`), so the whole batch, whatever its mix of languages, is one gather
        of weights per occurrence, a scale by its block's norm, and three `np.bincount` over rows —
        the same sums as `vectorize`'s triplets times the weights, in another association order."""
        n = len(texts)
        if n == 0:
            return np.zeros((n, 3), dtype=np.float64)
        cols, lengths, dense = _columns(texts, langs, self.vocabulary, self._unit_cache)
        names, sparse, dense_weights, biases, idf2 = self._stacked()
        head_of = np.array([names.index(self.head_for(lang)) for lang in langs], dtype=np.int64)
        vocab_size = len(self.idf)
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        key2 = 2 * rows + self.blocks[cols]
        norm = np.sqrt(np.bincount(key2, weights=idf2[cols], minlength=2 * n))
        scale = (1.0 / np.where(norm > 0, norm, 1.0))[key2]
        where = head_of[rows] * vocab_size + cols
        logits = np.empty((n, 3), dtype=np.float64)
        for k in range(3):  # one contiguous weight vector per class: `take` is the fast gather
            logits[:, k] = np.bincount(rows, weights=np.take(sparse[k], where) * scale, minlength=n)
        dense = (dense - self.dense_mean) / self.dense_scale
        logits += np.einsum("nd,ndk->nk", dense, dense_weights[head_of]) + biases[head_of]
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def _stacked(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(head names, (3, H·V) sparse weights times idf, (H, D, 3) dense weights, (H, 3) biases, idf²),
        computed once per model (again if heads were added since)."""
        if self._stack is None or self._stack[0] != sorted(self.heads):
            names = sorted(self.heads)
            vocab_size = len(self.idf)
            sparse = np.ascontiguousarray(
                np.concatenate(
                    [self.heads[name].weights[:vocab_size] * self.idf[:, None] for name in names]
                ).T
            )
            dense = np.stack([self.heads[name].weights[vocab_size:] for name in names])
            biases = np.stack([self.heads[name].bias for name in names])
            self._stack = (names, sparse, dense, biases, self.idf * self.idf)
        return self._stack

    def save(self, path: Path) -> None:
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        arrays: dict[str, np.ndarray] = {
            "vocabulary": np.array("\n".join(words)),
            "idf": self.idf.astype(np.float32),
            "dense_mean": self.dense_mean,
            "dense_scale": self.dense_scale,
        }
        for name, head in self.heads.items():
            arrays[f"head:{name}:weights"] = head.weights.astype(np.float32)
            arrays[f"head:{name}:bias"] = head.bias
        meta = {"format": FORMAT, **self.meta, "heads": sorted(self.heads)}
        arrays["meta"] = np.array(json.dumps(meta, ensure_ascii=False))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]


def feature_blocks(vocabulary: dict[str, int]) -> np.ndarray:
    """Each column's normalisation block: 1 for character n-grams ("c:…"), 0 for the word features."""
    blocks = np.zeros(len(vocabulary), dtype=np.int64)
    for feat, j in vocabulary.items():
        if feat.startswith("c:"):
            blocks[j] = 1
    return blocks


# What one token brings, looked up once per token and lexicon (see `vectorize`): the columns of its own
# features (word, character n-grams) as int64; its bigram key halves ("b:word" as the left word of the
# next bigram, " word" as the right word of this one: a bigram key is then one concatenation); the
# column of its negated form ("n:word", -1 when unknown); its lexicon valence (0 when unknown); whether
# it ends a negation's scope (punctuation); whether its word negates, for the context features; whether
# the token itself negates, for the lexicon features (as VADER); whether it is an emoji. A plain tuple:
# unpacked in one step in the hot loop.
_Token = tuple[array, str, str, int, float, bool, bool, bool, bool]


def _token(tok: str, lang: str, get: Callable[[str], int | None], lex: features.Lexicons) -> _Token:
    word = tok[1:] if tok[0] == "#" and len(tok) > 1 else tok
    negated = get("n:" + word)
    return (
        array("q", [j for j in map(get, features.token_unit_strings(tok)) if j is not None]),
        "b:" + word,
        " " + word,
        -1 if negated is None else negated,
        lex.valence(tok, lang),
        features.is_clause_end(tok),
        word in features.NEGATORS,
        tok in features.NEGATORS,
        not tok[0].isalnum() and len(tok) == 1 and ord(tok) > 0x2000,
    )


def vectorize(
    texts: list[str],
    langs: list[str],
    vocabulary: dict[str, int],
    idf: np.ndarray,
    blocks: np.ndarray,
    unit_cache: dict[str, dict[str, _Token]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The texts' sparse features as COO triplets (row, column, value) and their (n, D) dense ones.

    Each occurrence of a feature is one triplet of value idf / ‖row, block‖ (the root of the sum of the
    squared idf of the row's occurrences in the feature's block, `blocks[column]`): summing a row's
    triplets gives its tf-idf vector, and a dot product with weights is one `np.bincount` over the batch.

    The same features as `features.analyze` and `features.dense_row`, in one pass over the tokens: this
    loop is the model's cost, so what a token brings alone (its columns, its valence, whether it negates
    or ends a clause, its halves of a bigram key) is looked up once per lexicon and kept in
    `unit_cache`; words repeat, so most of a text's hundreds of n-grams cost one look-up per word and a
    copy of machine integers. Only the bigrams, which depend on the neighbours, are looked up per
    occurrence. The texts are normalised as a batch (`features.normalize_batch`).
    """
    cols, lengths, dense = _columns(texts, langs, vocabulary, unit_cache)
    n = len(texts)
    row = np.repeat(np.arange(n, dtype=np.int64), lengths)
    val = idf[cols]
    key2 = 2 * row + blocks[cols]
    norm = np.sqrt(np.bincount(key2, weights=val * val, minlength=2 * n))
    val = val / np.where(norm > 0, norm, 1.0)[key2]
    return row, cols, val, dense


def _columns(
    texts: list[str],
    langs: list[str],
    vocabulary: dict[str, int],
    unit_cache: dict[str, dict[str, _Token]] | None = None,
) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Each text's feature columns, one per occurrence, concatenated; how many each text has; the
    (n, D) dense features (see `vectorize`)."""
    caches: dict[str, dict[str, _Token]] = {} if unit_cache is None else unit_cache
    lex = features.lexicons()
    cols = array("q")
    lengths: list[int] = []
    dense_rows: list[list[float]] = []
    get = vocabulary.get
    window = features.NEGATION_WINDOW
    scalar = features.NEGATION_SCALAR
    log1p = math.log1p
    sqrt = math.sqrt
    tokenize = features.tokens
    caps_words = features.caps_words
    for text, lang, normalized in zip(texts, langs, features.normalize_batch(texts), strict=True):
        key = "fr" if lang == "fr" else "en"  # the lexicon's language, as `Lexicons`
        cache = caches.get(key)
        if cache is None or len(cache) > 250_000:  # bounded: a firehose brings endless new words
            cache = caches[key] = {}
        start = len(cols)
        total = positive = negative = 0.0
        words = emoji = 0
        since_negation = window + 1
        negated = False
        previous = "b:<s>"
        for tok in tokenize(normalized):
            t = cache.get(tok)
            if t is None:
                t = cache[tok] = _token(tok, key, get, lex)
            ids, left, right, negated_column, v, clause_end, negates, negates_lexicon, is_emoji = t
            if clause_end:
                negated = False
                since_negation = window + 1
            j = get(previous + right)
            if j is not None:
                cols.append(j)
            if negated:
                if negated_column >= 0:
                    cols.append(negated_column)
            elif negates:
                negated = True
            previous = left
            cols.extend(ids)
            if v:
                if since_negation <= window:
                    v *= scalar
                words += 1
                total += v
                if v > 0:
                    positive += v
                else:
                    negative -= v
            since_negation = 1 if negates_lexicon else since_negation + 1
            if is_emoji:
                emoji += 1
        j = get(previous + " </s>")
        if j is not None:
            cols.append(j)
        lengths.append(len(cols) - start)
        dense_rows.append(
            [
                total / sqrt(total * total + 15.0),  # VADER's normalisation of the sum into [-1, 1]
                log1p(positive),
                log1p(negative),
                log1p(words),
                log1p(text.count("!")),
                log1p(text.count("?")),
                log1p(caps_words(text)),
                log1p(emoji),
            ]
        )
    n = len(texts)
    col = np.frombuffer(cols, dtype=np.int64) if len(cols) else np.zeros(0, dtype=np.int64)
    dense = np.asarray(dense_rows, dtype=np.float64).reshape(n, len(features.DENSE_NAMES))
    return col, lengths, dense


def load(path: Path = DEFAULT_PATH) -> SentimentModel:
    """The model stored at `path` (plain arrays; `allow_pickle=False`)."""
    from tamtam.nlp.sentiment import SentimentBackendError

    if not path.is_file():
        raise SentimentBackendError(
            f"sentiment backend 'model': no model file at {path} "
            "(train one: python scripts/train_sentiment.py)"
        )
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if meta.get("format") != FORMAT:
            raise SentimentBackendError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
        words = str(data["vocabulary"]).split("\n")
        heads = {
            name: Head(
                weights=data[f"head:{name}:weights"].astype(np.float64),
                bias=data[f"head:{name}:bias"].astype(np.float64),
            )
            for name in meta["heads"]
        }
        return SentimentModel(
            vocabulary={word: i for i, word in enumerate(words)},
            idf=data["idf"].astype(np.float64),
            dense_mean=data["dense_mean"].astype(np.float64),
            dense_scale=data["dense_scale"].astype(np.float64),
            heads=heads,
            meta=meta,
        )


_lock = threading.Lock()
_cached: SentimentModel | None = None


def shipped() -> SentimentModel:
    """The model shipped in the package, loaded once per process."""
    global _cached
    if _cached is None:
        with _lock:
            if _cached is None:
                _cached = load(DEFAULT_PATH)
    return _cached


def predict_proba(texts: list[str], langs: list[str]) -> np.ndarray:
    return shipped().predict_proba(texts, langs)
