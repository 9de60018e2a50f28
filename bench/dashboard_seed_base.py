"""Shared pieces of the dashboard benchmark's seed (bench/dashboard_seed.py): raw bulk writes, time
zone tables, the counters' growth curve."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

HOUR, DAY = 3600, 86400
TIME_ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo")
# network, and whether it exposes impressions/reach/clicks per post
NETWORKS = ("sandbox", "linkedin", "instagram", "mastodon")
# The metrics poll's schedule (analytics/polling.py, docs/analytics.md), as ages in seconds.
SCHEDULE = np.array(
    [m * 60 for m in range(15, 121, 15)]
    + [h * HOUR for h in range(3, 25)]
    + [h * HOUR for h in range(30, 169, 6)]
    + [d * DAY for d in range(8, 31)]
    + [d * DAY for d in range(37, 91, 7)],
    dtype=np.int64,
)
HOUR_WEIGHTS = np.array([0, 0, 0, 0, 0, 0, 1, 3, 6, 8, 8, 7, 9, 8, 7, 6, 6, 5, 5, 4, 3, 2, 1, 0], float)
SENTIMENTS = ("positive", "neutral", "negative")


def ts(epoch: np.ndarray) -> list[str]:
    """Epoch seconds → the text Django's SQLite backend stores for an aware datetime (UTC, a space)."""
    text = np.datetime_as_string(epoch.astype("datetime64[s]"), unit="s")
    return [s.replace("T", " ") for s in text.tolist()]


def days_text(day_numbers: np.ndarray) -> list[str]:
    return np.datetime_as_string(day_numbers.astype("datetime64[D]"), unit="D").tolist()


class Writer:
    """Raw bulk inserts on the Django connection: executemany (SQLite) or COPY (PostgreSQL)."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        self.rows = 0
        self._dropped: list[tuple[str, str]] = []

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        cursor = self.connection.cursor()
        if self.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    self.rows += 1
            return
        raw = self.connection.connection.cursor()
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608  (our own table names)
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 50_000:
                raw.executemany(sql, batch)
                self.rows += len(batch)
                batch = []
        if batch:
            raw.executemany(sql, batch)
            self.rows += len(batch)

    def drop_indexes(self, tables: Sequence[str]) -> None:
        """Secondary indexes off during the load (rebuilt once at the end: far cheaper than row by row)."""
        cursor = self.connection.cursor()
        for table in tables:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                    "AND indexname NOT LIKE '%%_pkey' AND indexdef NOT LIKE '%%UNIQUE%%'",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            for name, sql in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                self._dropped.append((name, sql))

    def rebuild_indexes(self) -> None:
        cursor = self.connection.cursor()
        for _name, sql in self._dropped:
            cursor.execute(sql)
        self._dropped = []
        cursor.execute("ANALYZE")

    def fast(self) -> None:
        if self.vendor == "sqlite":
            cursor = self.connection.cursor()
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -400000")


def model_columns(model: Any, given: Sequence[str], writer: Writer) -> tuple[list[str], list[Any]]:
    """The model's columns after `given`, with their defaults as database values (computed once)."""
    from django.db.models.fields import NOT_PROVIDED

    extra, defaults = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in given:
            continue
        if (
            f.default is not NOT_PROVIDED
            or getattr(f, "auto_now", False)
            or getattr(f, "auto_now_add", False)
        ):
            value = f.get_default() if f.default is not NOT_PROVIDED else datetime.now(UTC)
        elif f.null:
            value = None
        elif f.blank:
            value = ""
        else:
            raise ValueError(f"{model.__name__}.{f.name}: no value and no default")
        if isinstance(value, datetime):
            value = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        elif isinstance(value, (list, dict)):
            value = "[]" if value == [] else "{}"
        elif isinstance(value, bool):
            value = int(value)
        extra.append(f.column)
        defaults.append(value)
    return [*given, *extra], defaults


class TzTable:
    """UTC offset of a time zone for every UTC hour of the seeded range (DST changes on whole hours)."""

    def __init__(self, name: str, start: int, end: int) -> None:
        zone = ZoneInfo(name)
        self.start = start - start % HOUR
        hours = (end - self.start) // HOUR + 2
        self.offsets = np.array(
            [
                int(datetime.fromtimestamp(self.start + i * HOUR, zone).utcoffset().total_seconds())  # type: ignore[union-attr]
                for i in range(hours)
            ],
            dtype=np.int64,
        )

    def local_day(self, epoch: np.ndarray) -> np.ndarray:
        return (epoch + self.offsets[np.clip((epoch - self.start) // HOUR, 0, len(self.offsets) - 1)]) // DAY

    def local_to_utc(self, local: np.ndarray) -> np.ndarray:
        """Local wall-clock epoch → UTC epoch (the offset of that moment, good away from DST jumps)."""
        guess = local - self.offsets[np.clip((local - self.start) // HOUR, 0, len(self.offsets) - 1)]
        return local - self.offsets[np.clip((guess - self.start) // HOUR, 0, len(self.offsets) - 1)]


def curve(age: np.ndarray) -> np.ndarray:
    """The share of a post's final counters reached at `age` seconds: most on day one, a long tail."""
    hours = age / HOUR
    return 0.85 * (1 - np.exp(-hours / 8.0)) + 0.15 * (1 - np.exp(-hours / 168.0))


def _hex(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _t(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")
