"""Sentiment of social posts in French and English, offline, on the CPU.

    classify(["Service client au top, merci !", "Worst update ever."])
    → [Sentiment(label="positive", scores={...}), Sentiment(label="negative", scores={...})]

Backends (`backend=`):
- "lexicon": VADER (vaderSentiment) for English, vadersentiment-fr for French. The baseline.
- "model": the linear model tamtam trains itself (`scripts/train_sentiment.py`), shipped in
  `tamtam/nlp/models/`. The default ("auto").
- "transformers": a local transformers sequence-classification model, only when
  `TAMTAM_SENTIMENT_TRANSFORMERS_PATH` names its directory and `transformers` is importable; never
  downloads anything.

`langs` gives each text's ISO 639-1 code; None (or "" for one text) means detect it. Every backend
reads at most `MAX_CHARS` characters of a text: beyond that a post's tone is set, and the cost of a
pathological 1 MB input must stay bounded in the pipeline's tight loop. A blank text (empty or spaces
only) is neutral with probabilities (0, 1, 0) whatever the backend.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from tamtam.nlp.language import detect_batch

__all__ = [
    "BACKENDS",
    "LABELS",
    "MAX_CHARS",
    "Label",
    "Sentiment",
    "SentimentBackendError",
    "classify",
    "classify_one",
    "probabilities",
]

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, Label, Label] = ("negative", "neutral", "positive")
BACKENDS = ("auto", "lexicon", "model", "transformers")
MAX_CHARS = 5000
TRANSFORMERS_PATH_ENV = "TAMTAM_SENTIMENT_TRANSFORMERS_PATH"


class SentimentBackendError(RuntimeError):
    """A backend cannot run here (not configured, a library missing, a model file unreadable)."""


@dataclass(frozen=True, slots=True)
class Sentiment:
    """The label with the highest probability, and the three probabilities (they sum to 1)."""

    label: Label
    scores: dict[str, float] = field(default_factory=dict)


def _resolve_langs(texts: list[str], langs: list[str] | None) -> list[str]:
    if langs is None:
        return detect_batch(texts)
    if len(langs) != len(texts):
        raise ValueError(f"langs has {len(langs)} items for {len(texts)} texts: give one per text, or None")
    resolved = [lang.strip().lower()[:2] if lang else "" for lang in langs]
    missing = [i for i, lang in enumerate(langs) if not lang]
    if missing:  # detected together: the batch is one pass of the identifier
        for i, found in zip(missing, detect_batch([texts[i] for i in missing]), strict=True):
            resolved[i] = found
    return resolved


def probabilities(texts: list[str], langs: list[str] | None = None, *, backend: str = "auto") -> np.ndarray:
    """An (n, 3) array of probabilities in `LABELS` order; what `classify` is built on."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown sentiment backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    texts = [text[:MAX_CHARS] for text in texts]
    resolved = _resolve_langs(texts, langs)
    probs = np.zeros((len(texts), 3), dtype=np.float64)
    # A blank text expresses nothing: neutral for certain, whatever the backend's bias would say.
    content = [i for i, text in enumerate(texts) if text.strip()]
    probs[:, 1] = 1.0
    if not content:
        return probs
    kept = [texts[i] for i in content]
    kept_langs = [resolved[i] for i in content]
    if backend == "lexicon":
        from tamtam.nlp.sentiment import lexicon

        probs[content] = lexicon.compound_to_probabilities(lexicon.vader_scores(kept, kept_langs)[:, 3])
    elif backend == "transformers":
        from tamtam.nlp.sentiment import transformers_backend

        path = os.environ.get(TRANSFORMERS_PATH_ENV, "")
        probs[content] = transformers_backend.predict_proba(kept, path=path)
    else:
        from tamtam.nlp.sentiment import model

        probs[content] = model.predict_proba(kept, kept_langs)
    return probs


def classify(texts: list[str], langs: list[str] | None = None, *, backend: str = "auto") -> list[Sentiment]:
    """The sentiment of each text (see the module's doc for backends and languages)."""
    probs = probabilities(texts, langs, backend=backend)
    best = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=np.int64)
    rows = probs.tolist()
    return [
        Sentiment(label=LABELS[int(i)], scores=dict(zip(LABELS, row, strict=True)))
        for i, row in zip(best, rows, strict=True)
    ]


def classify_one(text: str, lang: str | None = None, *, backend: str = "auto") -> Sentiment:
    """`classify` of one text."""
    return classify([text], None if lang is None else [lang], backend=backend)[0]
