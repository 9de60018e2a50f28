"""Optional backend: a transformers sequence-classification model already on disk.

For users who have one (e.g. a fine-tuned XLM-T sentiment model copied to the server). It is never
downloaded: the path must be a local directory, loaded with `local_files_only=True`. Its labels are
mapped to tamtam's by name (`negative`/`neutral`/`positive`, any case or prefix) or, for the generic
`LABEL_0..2`, in that order (the XLM-T / TweetEval convention: 0 negative, 1 neutral, 2 positive).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["label_order", "predict_proba"]

BATCH_SIZE = 32
_lock = threading.Lock()
_loaded: dict[str, tuple[Any, Any, list[int]]] = {}


def _error(message: str) -> Exception:
    from tamtam.nlp.sentiment import TRANSFORMERS_PATH_ENV, SentimentBackendError

    return SentimentBackendError(f"sentiment backend 'transformers': {message} (set {TRANSFORMERS_PATH_ENV})")


def label_order(id2label: dict[int, str]) -> list[int]:
    """For tamtam's (negative, neutral, positive), the model's output index of each."""
    names = {int(i): str(name).lower() for i, name in id2label.items()}
    order = []
    for prefix in ("neg", "neu", "pos"):
        found = [i for i, name in names.items() if name.startswith(prefix)]
        if len(found) != 1:
            break
        order.append(found[0])
    if len(order) == 3:
        return order
    if sorted(names) == [0, 1, 2] and all(name.startswith("label_") for name in names.values()):
        return [0, 1, 2]
    raise _error(f"the model's labels {sorted(names.values())} are not negative/neutral/positive")


def _load(path: str) -> tuple[Any, Any, list[int]]:
    if not path:
        raise _error("no model directory is configured")
    directory = Path(path)
    if not directory.is_dir() or not (directory / "config.json").is_file():
        raise _error(f"{path!r} is not a local model directory (no config.json)")
    try:
        import torch  # noqa: F401  (transformers' models run on it)
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as exc:
        raise _error(f"the transformers library (and torch) must be installed: {exc}") from exc
    with _lock:
        if path not in _loaded:
            tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
            net = AutoModelForSequenceClassification.from_pretrained(directory, local_files_only=True)
            net.eval()
            _loaded[path] = (tokenizer, net, label_order(net.config.id2label))
    return _loaded[path]


def predict_proba(texts: list[str], *, path: str) -> np.ndarray:
    """(n, 3) probabilities (negative, neutral, positive) from the model at `path`."""
    tokenizer, net, order = _load(path)
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(texts), BATCH_SIZE):
            batch = texts[start : start + BATCH_SIZE]
            encoded = tokenizer(batch, padding=True, truncation=True, max_length=128, return_tensors="pt")
            probs = torch.softmax(net(**encoded).logits, dim=-1).numpy()
            out.append(probs[:, order])
    result = np.concatenate(out, axis=0).astype(np.float64)
    return result / result.sum(axis=1, keepdims=True)
