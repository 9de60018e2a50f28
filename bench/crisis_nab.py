"""NAB benchmark of the live crisis detector on the realTweets files.

    python bench/crisis_nab.py --data ../shared/data/nab [--sensitivity normal] [--sweep] [--loo]

Runs `tamtam.crisis.detectors.CountBank` (the class the live system and `tamtam crisis replay` use;
a bank of five series here, one per file, which gives the same scores as one detector per file:
tests/crisis/test_detectors.py) and prints, per NAB profile, the normalised score, false-alert
episodes per stream-day and the delay of the first alert in each window after its labelled point,
next to the published detectors. `--sweep` prints the standard score against the threshold margin;
`--loo` checks the calibration leave-one-file-out (margin chosen on four files, scored on the fifth).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import nab
from tamtam.crisis.detectors import CountBank, DetectorParams, params_for

FILES = ["AAPL", "AMZN", "CRM", "CVS", "FB"]
PUBLISHED = [  # standard profile, all ten realTweets files (NAB scoreboard)
    ("contextOSE", 74.5),
    ("numenta HTM", 68.0),
    ("Twitter S-H-ESD", 59.6),
    ("windowedGaussian", 51.4),
    ("random", 21.3),
]
PROFILES = ["standard", "reward_low_FP_rate", "reward_low_FN_rate"]


@dataclass
class NabFile:
    key: str
    times: list[datetime]
    ts: np.ndarray
    values: np.ndarray
    windows: list[tuple[int, int]]
    labels: list[datetime]


def load(data: Path) -> list[NabFile]:
    windows = nab.load_windows(data / "labels" / "windows.json")
    labels = nab.load_labels(data / "labels" / "labels.json")
    out = []
    for name in FILES:
        key = f"realTweets/Twitter_volume_{name}.csv"
        with (data / key).open() as fh:
            rows = list(csv.reader(fh))[1:]
        times = [datetime.fromisoformat(r[0]) for r in rows]
        ts = np.array([t.replace(tzinfo=UTC).timestamp() for t in times])
        values = np.array([float(r[1]) for r in rows])
        out.append(NabFile(key, times, ts, values, nab.window_indices(times, windows[key]), labels[key]))
    return out


def run(files: list[NabFile], params: DetectorParams) -> list[list[bool]]:
    """Alerts per row of each file, all files scored at once by one bank."""
    steps = {float(np.median(np.diff(f.ts))) for f in files}
    assert len(steps) == 1, "the files share one step"
    n = max(len(f.ts) for f in files)
    ts = np.full((len(files), n), np.nan)
    xs = np.full((len(files), n), np.nan)
    for k, f in enumerate(files):
        ts[k, : len(f.ts)] = f.ts
        xs[k, : len(f.ts)] = f.values
        ts[k, len(f.ts) :] = f.ts[-1]  # padding: holes (NaN values) after the end
    bank = CountBank(len(files), steps.pop(), params)
    alerts = np.zeros((len(files), n), dtype=bool)
    for i in range(n):
        alerts[:, i] = bank.update(ts[:, i], xs[:, i]).alert
    return [alerts[k, : len(f.ts)].tolist() for k, f in enumerate(files)]


@dataclass
class Figures:
    score: dict[str, float]
    fp_per_day: float
    delays_min: list[float]
    detected: int
    windows: int


def figures(files: list[NabFile], alerts: list[list[bool]], profiles: dict) -> Figures:
    score = {}
    for name in PROFILES:
        per_file = [nab.score_file(a, f.windows, profiles[name]) for f, a in zip(files, alerts, strict=False)]
        score[name] = nab.normalised(per_file, profiles[name])
    per_file = [
        nab.score_file(a, f.windows, profiles["standard"]) for f, a in zip(files, alerts, strict=False)
    ]
    days = sum((len(f.ts) - nab.probation_rows(len(f.ts))) * (f.ts[1] - f.ts[0]) / 86400 for f in files)
    false_alerts = sum(s.false_alerts for s in per_file)
    delays = []
    for f, s in zip(files, per_file, strict=False):
        for (a, b), first in zip(f.windows, s.first_alerts, strict=False):
            label = next(t for t in f.labels if f.times[a] <= t <= f.times[b])
            if first is not None:
                delays.append((f.times[first] - label).total_seconds() / 60)
    return Figures(
        score,
        false_alerts / days,
        delays,
        sum(s.detected for s in per_file),
        sum(s.windows for s in per_file),
    )


def _fmt_delay(delays: list[float]) -> str:
    return f"{statistics.median(delays):+.0f} min" if delays else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/nab"))
    parser.add_argument("--sensitivity", default="normal")
    parser.add_argument("--margin", type=float, help="expert: threshold margin (nats)")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--loo", action="store_true")
    args = parser.parse_args()
    if not (args.data / "labels" / "windows.json").exists():
        sys.exit(f"no NAB data under {args.data} (expected labels/windows.json)")
    files = load(args.data)
    profiles = nab.load_profiles(args.data / "profiles.json")
    params = params_for(args.sensitivity)
    if args.margin is not None:
        params = replace(params, margin=args.margin)

    fig = figures(files, run(files, params), profiles)
    label = f"tamtam ({args.sensitivity}" + (f", margin {args.margin:g})" if args.margin else ")")
    print(f"NAB realTweets, {len(files)} files, {fig.windows} windows")
    print(f"{'detector':28} {'standard':>9} {'low FP':>8} {'low FN':>8} "
          f"{'FP ep./day':>11} {'median delay':>13} {'windows hit':>12}")  # fmt: skip
    s = fig.score
    print(
        f"{label:28} {s['standard']:9.1f} {s['reward_low_FP_rate']:8.1f} "
        f"{s['reward_low_FN_rate']:8.1f} {fig.fp_per_day:11.3f} {_fmt_delay(fig.delays_min):>13} "
        f"{fig.detected:>5}/{fig.windows}"
    )
    for name, value in PUBLISHED:
        print(f"{name + ' (published)':28} {value:9.1f} {'—':>8} {'—':>8}")
    print("delays (min, first alert in window - labelled point):",
          ", ".join(f"{d:+.0f}" for d in fig.delays_min))  # fmt: skip

    if args.sweep:
        for m in [0.0, 2.0, 4.0, 8.0, 16.0]:
            f2 = figures(files, run(files, replace(params, margin=m)), profiles)
            print(
                f"margin {m:5.1f}: standard {f2.score['standard']:6.1f}  low FP "
                f"{f2.score['reward_low_FP_rate']:6.1f}  low FN "
                f"{f2.score['reward_low_FN_rate']:6.1f}  FP/day {f2.fp_per_day:.3f}  "
                f"delay {_fmt_delay(f2.delays_min)}  hit {f2.detected}/{f2.windows}"
            )
    if args.loo:
        leave_one_out(files, params, profiles["standard"])


# Calibration candidates of the leave-one-file-out check: the knobs that matter most.
LOO_GRID = [{"novelty_count": c, "min_rate_per_h": r} for c in (0.5, 1.0, 2.0) for r in (0.25, 1.0, 2.0)]


def leave_one_out(files: list[NabFile], params: DetectorParams, std: nab.Profile) -> None:
    """Choose the calibration on four files, score the fifth with it; sum the held-out scores."""
    runs = [run(files, replace(params, **cand)) for cand in LOO_GRID]
    held_scores = []
    for k in range(len(files)):
        others = [j for j in range(len(files)) if j != k]

        def train(c: int, others: list[int] = others) -> float:
            sc = [nab.score_file(runs[c][j], files[j].windows, std) for j in others]
            return nab.normalised(sc, std)

        best = max(range(len(LOO_GRID)), key=train)
        held = nab.score_file(runs[best][k], files[k].windows, std)
        held_scores.append(held)
        print(
            f"leave out {FILES[k]:4}: chosen {LOO_GRID[best]} (train {train(best):.1f}), "
            f"held-out raw {held.raw:+.2f} ({held.detected}/{held.windows} windows, "
            f"{held.false_alerts} false alerts)"
        )
    print(f"leave-one-file-out standard score (held-out files together): "
          f"{nab.normalised(held_scores, std):.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
