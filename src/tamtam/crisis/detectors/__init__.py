"""Crisis detectors: pure Python + numpy/scipy, no Django (benchmarked and replayed alone)."""

from .counts import CountBank, CountDetector, Score, Scores
from .params import PRESETS, SENSITIVITIES, DetectorParams, params_for
from .share import ShareBank, ShareDetector

__all__ = [
    "PRESETS",
    "SENSITIVITIES",
    "CountBank",
    "CountDetector",
    "DetectorParams",
    "Score",
    "Scores",
    "ShareBank",
    "ShareDetector",
    "params_for",
]
