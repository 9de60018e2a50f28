"""The lexicon baseline: VADER for English (vaderSentiment), its French adaptation (vadersentiment-fr).

VADER gives a `compound` score in [-1, 1]; its authors' thresholds are ±0.05 (below -0.05 negative,
above +0.05 positive, neutral between). The probabilities are a softmax over three logits placed so
that the argmax is exactly VADER's own decision, and that a compound far from the thresholds is
confident: logits (k·(-c - t), 0, k·(c - t)) with t = 0.05 and k = `SHARPNESS`.

Languages other than French use the English lexicon: its emoji, emoticons and English words are what a
post in another language most often shares with English.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np

__all__ = ["THRESHOLD", "analyzer", "compound_to_probabilities", "polarity_scores", "vader_scores"]

THRESHOLD = 0.05
SHARPNESS = 12.0

_lock = threading.Lock()
_analyzers: dict[str, Any] = {}


def analyzer(lang: str) -> Any:
    """The VADER analyser of `lang` (French's for "fr", English's otherwise), built once."""
    key = "fr" if lang == "fr" else "en"
    analyzer = _analyzers.get(key)
    if analyzer is None:
        with _lock:
            analyzer = _analyzers.get(key)
            if analyzer is None:
                if key == "fr":
                    # vadersentiment-fr imports fuzzywuzzy (for a fuzzy look-up we never call), which
                    # warns about its pure-Python fallback at import: noise, not a problem.
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer
                else:
                    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[no-redef]
                analyzer = SentimentIntensityAnalyzer()
                _analyzers[key] = analyzer
    return analyzer


def polarity_scores(text: str, lang: str) -> dict[str, float]:
    """VADER's own scores (`neg`, `neu`, `pos`, `compound`) with the lexicon of `lang`."""
    if not text.strip():
        return {"neg": 0.0, "neu": 1.0, "pos": 0.0, "compound": 0.0}
    scores = analyzer(lang).polarity_scores(text)
    return {key: float(scores[key]) for key in ("neg", "neu", "pos", "compound")}


def vader_scores(texts: list[str], langs: list[str]) -> np.ndarray:
    """An (n, 4) array of VADER's neg, neu, pos, compound per text."""
    out = np.zeros((len(texts), 4), dtype=np.float64)
    for i, (text, lang) in enumerate(zip(texts, langs, strict=True)):
        s = polarity_scores(text, lang)
        out[i] = (s["neg"], s["neu"], s["pos"], s["compound"])
    return out


def compound_to_probabilities(compound: np.ndarray) -> np.ndarray:
    """(n,) compounds → (n, 3) probabilities (negative, neutral, positive); argmax = VADER's label."""
    c = np.asarray(compound, dtype=np.float64)
    logits = np.stack([SHARPNESS * (-c - THRESHOLD), np.zeros_like(c), SHARPNESS * (c - THRESHOLD)], axis=1)
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=1, keepdims=True)
