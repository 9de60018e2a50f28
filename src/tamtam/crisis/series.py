"""Reading a `timestamp,value` series (replay files, benchmark files) and running a detector on it.

Pure Python + the detectors (no Django), shared by `tamtam crisis replay` and `bench/`.

Handling, as documented in docs/crisis.md:
- header optional (a first row whose value is not a number is a header);
- timestamps: ISO 8601 (no offset means UTC) or Unix epoch seconds;
- rows may be unsorted: they are sorted by time; two rows with one timestamp are an error;
- the step is the most common gap between rows; a missing bucket is a hole (nothing learnt, no row
  written for it); a row off the step grid is an error;
- a value that is not a finite number ≥ 0, or a row without two columns, is an error;
every error names the line and the reason, and nothing is written before the whole file is read.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from .detectors import CountDetector, DetectorParams, Score


def gettext_noop(message: str) -> str:
    """Marks a message for translation (translated by the caller: this module has no Django)."""
    return message


class SeriesError(ValueError):
    """A bad row: `template % params` is the reason (English; `tamtam crisis replay` translates)."""

    def __init__(self, line: int, template: str, **params: object) -> None:
        self.line = line
        self.template = template
        self.params = params
        super().__init__(f"line {line}: {template % params}")


@dataclass(frozen=True)
class Row:
    line: int
    text_ts: str
    ts: float  # epoch seconds
    value: float


@dataclass(frozen=True)
class Series:
    rows: list[Row]
    step_s: float


def _parse_ts(text: str) -> float | None:
    text = text.strip()
    try:
        return float(text) if text.replace(".", "", 1).isdigit() else None
    except ValueError:
        return None


def parse_timestamp(text: str) -> float:
    epoch = _parse_ts(text)
    if epoch is not None:
        return epoch
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_series(lines: Iterable[str]) -> Series:
    rows: list[Row] = []
    for line_no, cells in enumerate(csv.reader(lines), start=1):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) < 2:
            raise SeriesError(line_no, gettext_noop("expected two columns: timestamp,value"))
        ts_text, value_text = cells[0].strip(), cells[1].strip()
        value = _number(value_text)
        if value is None and not rows and line_no == 1:
            continue  # header
        try:
            ts = parse_timestamp(ts_text)
        except ValueError:
            raise SeriesError(
                line_no, gettext_noop("timestamp “%(ts)s” is neither ISO 8601 nor epoch seconds"), ts=ts_text
            ) from None
        if value is None:
            raise SeriesError(line_no, gettext_noop("value “%(value)s” is not a number"), value=value_text)
        if value < 0:
            raise SeriesError(
                line_no, gettext_noop("value “%(value)s” is negative (counts are ≥ 0)"), value=value_text
            )
        rows.append(Row(line_no, ts_text, ts, value))
    if len(rows) < 2:
        raise SeriesError(len(rows), gettext_noop("at least two rows are needed to find the step"))
    rows.sort(key=lambda r: r.ts)
    gaps: Counter[float] = Counter()
    for before, after in itertools.pairwise(rows):
        if after.ts == before.ts:
            raise SeriesError(
                after.line,
                gettext_noop("timestamp %(ts)s repeats line %(other)s"),
                ts=after.text_ts,
                other=before.line,
            )
        gaps[round(after.ts - before.ts, 3)] += 1
    step = gaps.most_common(1)[0][0]
    origin = rows[0].ts
    for row in rows:
        offset = (row.ts - origin) / step
        if abs(offset - round(offset)) > 1e-6:
            raise SeriesError(
                row.line,
                gettext_noop("timestamp %(ts)s is off the %(step)s s step grid"),
                ts=row.text_ts,
                step=f"{step:g}",
            )
    return Series(rows, step)


def replay(series: Series, params: DetectorParams) -> Iterator[tuple[Row, Score]]:
    """The live detector over a whole series, bucket by bucket (holes skipped: nothing learnt)."""
    detector = CountDetector(series.step_s, params)
    for row in series.rows:
        yield row, detector.update(row.ts, row.value)
