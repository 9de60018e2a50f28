"""One text per line from a stream, in batches (for `tamtam sentiment` and `tamtam language`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def batches(stream: Iterable[str], size: int) -> Iterator[tuple[int, list[str]]]:
    """(number of the batch's first line, counted from 1; its lines without their line ending)."""
    batch: list[str] = []
    first = 1
    for number, line in enumerate(stream, start=1):
        batch.append(line.rstrip("\r\n"))
        if len(batch) >= size:
            yield first, batch
            batch, first = [], number + 1
    if batch:
        yield first, batch
