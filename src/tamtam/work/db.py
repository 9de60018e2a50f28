"""Short write transactions that do not fight each other.

SQLite has one writer at a time. When many threads of one worker ask for the write lock together,
SQLite's busy handler makes the losers sleep (1, 2, 5 … 100 ms) and retry, so a pool of 32 threads
spends most of its time asleep. Taking a process-wide lock first hands the database from one thread
to the next at once; only other processes still meet the busy handler. PostgreSQL has row locks and
needs none of this.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model

_SQLITE_WRITER = threading.RLock()


@contextmanager
def serialised(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Hold this process's SQLite write turn (no transaction): for single-statement writes."""
    if connections[using].vendor == "sqlite":
        with _SQLITE_WRITER:
            yield
    else:
        yield


@contextmanager
def write_transaction(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """`transaction.atomic()`, serialised within this process when the database is SQLite."""
    if connections[using].vendor == "sqlite":
        with _SQLITE_WRITER, transaction.atomic(using=using):
            yield
    else:
        with transaction.atomic(using=using):
            yield


def update_rows(
    model: type[Model], rows: Sequence[tuple[Any, dict[str, Any]]], fields: Sequence[str]
) -> None:
    """`UPDATE … SET fields WHERE pk = …` for many rows, as one prepared statement run per row.

    Django's `bulk_update` builds a CASE expression per field and row in Python, which costs more than
    the database work for the small batches a worker writes; `executemany` costs one statement
    preparation. Values go through each field's own `get_db_prep_value`, as the ORM would.
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)  # type: ignore[union-attr]
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    conn = connections[DEFAULT_DB_ALIAS]
    params = [
        [field.get_db_prep_value(values[field.name], conn) for field in columns] + [pk]  # type: ignore[union-attr]
        for pk, values in rows
    ]
    with conn.cursor() as cursor:
        cursor.executemany(sql, params)
