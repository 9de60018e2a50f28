"""The pipeline's database write: one transaction per batch, rows as plain tuples.

The hot path builds no model instances: at thousands of mentions per second, `Model.__init__` and
each field's `get_db_prep_save` cost more than SQLite's own work. Values are adapted once here the
way the ORM would (aware datetimes to UTC text on SQLite, as they are on PostgreSQL) and sent as:

- mentions: multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING id, content_hash` — the ids of the
  rows this transaction inserted, and only those, so that a mention another worker stored a moment
  earlier is never counted twice (SQLite ≥ 3.35 and PostgreSQL both have RETURNING);
- query links, source links, authors: one prepared statement each, run for every row (executemany);
- per-minute counters: multi-row upserts that add to the row of the minute.

Every table's rows are written in the order of their unique key (mentions by content hash, authors
by (network, remote id) when inserted and by id when updated, links by mention, counters by query
and minute): on PostgreSQL, two workers whose batches share keys then wait for each other instead
of each holding a row the other needs (a deadlock, which fails both batches).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Model

from tamtam.listening.models import (
    ListeningAuthor,
    Mention,
    MentionCounter,
    MentionMatch,
    MentionSource,
)

# Rows per multi-row INSERT: 20 columns x 400 rows stays under every SQLite's variable limit.
MENTION_ROWS_PER_STATEMENT = 400
LOOKUP_CHUNK = 500

MENTION_COLUMNS = (
    "remote_key",
    "content_hash",
    "network",
    "remote_id",
    "url",
    "title",
    "text",
    "lang",
    "sentiment",
    "sentiment_score",
    "author_id",
    "author_handle",
    "published_at",
    "seen_at",
    "likes",
    "shares",
    "replies",
    "reach",
    "influence",
    "duplicate_of_hash",
)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model: type[Model]) -> str:
    return _q(model._meta.db_table)


def db_datetime(value: datetime) -> Any:
    """An aware datetime as the database column takes it (what `DateTimeField` would send)."""
    if connection.vendor == "sqlite":
        # Django stores UTC without an offset on SQLite: "2026-12-02 10:30:15.123456".
        return str(value.astimezone(UTC).replace(tzinfo=None))
    return value


def existing(remote_keys: Sequence[str], content_hashes: Sequence[str]) -> dict[str, int]:
    """remote_key / content_hash → id of the stored mentions among these."""
    found: dict[str, int] = {}
    table = _table(Mention)
    with connection.cursor() as cursor:
        for column, values in (("remote_key", remote_keys), ("content_hash", content_hashes)):
            for start in range(0, len(values), LOOKUP_CHUNK):
                chunk = list(values[start : start + LOOKUP_CHUNK])
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"SELECT {_q(column)}, id FROM {table} WHERE {_q(column)} IN ({marks})", chunk)  # noqa: S608
                found.update(cursor.fetchall())
    return found


def insert_mentions(rows: Sequence[tuple[Any, ...]]) -> dict[str, int]:
    """Insert mention rows (in `MENTION_COLUMNS` order); content_hash → id of those inserted."""
    inserted: dict[str, int] = {}
    if not rows:
        return inserted
    columns = ", ".join(_q(c) for c in MENTION_COLUMNS)
    one = "(" + ", ".join(["%s"] * len(MENTION_COLUMNS)) + ")"
    rows = sorted(rows, key=lambda row: row[1])  # content_hash: see the module's note on key order
    with connection.cursor() as cursor:
        for start in range(0, len(rows), MENTION_ROWS_PER_STATEMENT):
            chunk = rows[start : start + MENTION_ROWS_PER_STATEMENT]
            sql = (
                f"INSERT INTO {_table(Mention)} ({columns}) VALUES {', '.join([one] * len(chunk))} "  # noqa: S608
                f"ON CONFLICT DO NOTHING RETURNING id, content_hash"
            )
            cursor.execute(sql, [value for row in chunk for value in row])
            inserted.update((content_hash, pk) for pk, content_hash in cursor.fetchall())
    return inserted


def insert_links(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING of plain rows as one prepared statement run per row, ordered by
    their first two columns (the unique key's leading columns for every caller here)."""
    rows = sorted(rows, key=lambda row: tuple((value is None, value) for value in row[:2]))
    if not rows:
        return 0
    sql = (
        f"INSERT INTO {_table(model)} ({', '.join(_q(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def insert_matches(rows: Iterable[Sequence[Any]]) -> int:
    """(mention_id, query_id, workspace_id, published_at, sentiment) rows."""
    columns = ("mention_id", "query_id", "workspace_id", "published_at", "sentiment")
    return insert_links(MentionMatch, columns, rows)


def insert_sources(rows: Iterable[Sequence[Any]]) -> int:
    """(mention_id, source_id, seen_at) rows."""
    return insert_links(MentionSource, ("mention_id", "source_id", "seen_at"), rows)


COUNTER_ROWS_PER_STATEMENT = 500


def upsert_counters(counts: dict[tuple[int, datetime], list[int]]) -> None:
    """Add (mentions, negative) to each (query, minute) row, creating it when missing: one multi-row
    upsert per 500 rows (the keys of `counts` are distinct, as PostgreSQL requires of one statement)."""
    if not counts:
        return
    table = _table(MentionCounter)
    rows = [(qid, db_datetime(bucket), n, neg) for (qid, bucket), (n, neg) in sorted(counts.items())]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), COUNTER_ROWS_PER_STATEMENT):
            chunk = rows[start : start + COUNTER_ROWS_PER_STATEMENT]
            sql = (
                f"INSERT INTO {table} (query_id, bucket_start, mentions, negative) "  # noqa: S608
                f"VALUES {', '.join(['(%s, %s, %s, %s)'] * len(chunk))} "
                f"ON CONFLICT (query_id, bucket_start) DO UPDATE SET "
                f"mentions = {table}.mentions + excluded.mentions, "
                f"negative = {table}.negative + excluded.negative"
            )
            cursor.execute(sql, [value for row in chunk for value in row])


# --- authors -----------------------------------------------------------------------------------------

AUTHOR_STATE = ("id", "network", "remote_id", "handle", "followers", "mentions_seen", "avg_engagement")


def load_authors(keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[Any]]:
    """(network, remote_id) → [id, network, remote_id, handle, followers, mentions_seen, avg_engagement]."""
    found: dict[tuple[str, str], list[Any]] = {}
    by_network: dict[str, list[str]] = {}
    for network, remote_id in set(keys):
        by_network.setdefault(network, []).append(remote_id)
    columns = ", ".join(_q(c) for c in AUTHOR_STATE)
    with connection.cursor() as cursor:
        # network first: the unique (network, remote_id) index answers each chunk.
        for network, ids in by_network.items():
            for start in range(0, len(ids), LOOKUP_CHUNK):
                chunk = ids[start : start + LOOKUP_CHUNK]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT {columns} FROM {_table(ListeningAuthor)} "  # noqa: S608
                    f"WHERE network = %s AND remote_id IN ({marks})",
                    [network, *chunk],
                )
                for row in cursor.fetchall():
                    found[(row[1], row[2])] = list(row)
    return found


def insert_authors(rows: Sequence[Sequence[Any]]) -> None:
    """(network, remote_id, handle, name, url, followers, first_seen_at, last_seen_at) rows."""
    columns = ("network", "remote_id", "handle", "name", "url", "followers", "first_seen_at", "last_seen_at")
    # The other columns have database-side meaning only through Django defaults: give them here.
    full = [(*row, 0, 0.0, 0.0) for row in rows]
    insert_links(ListeningAuthor, (*columns, "mentions_seen", "avg_engagement", "influence"), full)


def update_authors(rows: Sequence[Sequence[Any]]) -> None:
    """(handle, followers, mentions_seen, avg_engagement, influence, last_seen_at, id) rows."""
    if not rows:
        return
    fields = ("handle", "followers", "mentions_seen", "avg_engagement", "influence", "last_seen_at")
    sql = (
        f"UPDATE {_table(ListeningAuthor)} SET {', '.join(f'{_q(f)} = %s' for f in fields)} "  # noqa: S608
        f"WHERE id = %s"
    )
    ordered: list[Sequence[Any]] = sorted(rows, key=lambda row: int(row[-1]))  # by id: key order
    with connection.cursor() as cursor:
        cursor.executemany(sql, ordered)
