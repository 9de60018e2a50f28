"""`LocalDate(field, tz, start_at, end_at)`: the local day of a timestamp, for GROUP BY in the database.

What TruncDate(field, tzinfo=tz) gives, computed natively on SQLite too. Django's SQLite backend
casts each row's timestamp to a zone through a Python function (django_datetime_cast_date): one
Python call per click, which was most of the CPU of the dashboards' click series (60 days of an
agency's clicks: a few thousand rows per workspace). Between two changes of the zone's UTC offset
(daylight saving time: at most twice a year), the local day of an instant is the date of the instant
plus that offset, which SQLite's own date() computes; the rows of [start_at, end_at) are split at the
offset changes found in that span. PostgreSQL (and any other backend) keeps TruncDate's SQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models.functions import TruncDate


def _offset(at: int, tz: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(at, UTC).astimezone(tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def offset_spans(tz: ZoneInfo, start_at: datetime, end_at: datetime) -> list[tuple[datetime | None, int]]:
    """[(until, offset in seconds), …]: the zone's UTC offset holds up to `until` (excluded; None: to
    the end). Offsets are sampled daily (changes are months apart), each change found to the second."""
    t, end = int(start_at.timestamp()), int(end_at.timestamp())
    current = _offset(t, tz)
    spans: list[tuple[datetime | None, int]] = []
    while t < end:
        step = min(t + 86400, end)
        offset = _offset(step, tz)
        if offset != current:
            low, high = t, step  # the offset is `current` at low, `offset` at high
            while high - low > 1:
                mid = (low + high) // 2
                if _offset(mid, tz) == current:
                    low = mid
                else:
                    high = mid
            spans.append((datetime.fromtimestamp(high, UTC), current))
            current = offset
        t = step
    spans.append((None, current))
    return spans


class LocalDate(TruncDate):
    """TruncDate(expression, tzinfo=tz) for rows whose timestamps lie in [start_at, end_at)."""

    def __init__(self, expression: Any, tz: ZoneInfo, start_at: datetime, end_at: datetime) -> None:
        super().__init__(expression, tzinfo=tz)
        self.spans = offset_spans(tz, start_at, end_at)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.lhs)
        params = list(params)

        def shifted(offset: int) -> tuple[str, list[Any]]:
            return f"date({sql}, %s)", [*params, f"{offset:+d} seconds"]

        if len(self.spans) == 1:
            return shifted(self.spans[0][1])
        parts, out = ["CASE"], []
        for until, offset in self.spans:
            expr, expr_params = shifted(offset)
            if until is None:
                parts.append(f"ELSE {expr} END")
                out += expr_params
            else:
                parts.append(f"WHEN {sql} < %s THEN {expr}")
                out += [*params, connection.ops.adapt_datetimefield_value(until), *expr_params]
        return " ".join(parts), out
