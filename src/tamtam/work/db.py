"""Short write transactions that do not fight each other, and batched row updates.

On SQLite every write of the engine takes its turn first (`work.locks.WriterTurn`: a lock between the
threads of this process, an advisory file lock between worker processes), so the write lock passes
from one writer to the next at once instead of through SQLite's sleeping busy handler. PostgreSQL has
row locks and needs none of this.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Field, Model

from tamtam.work.locks import WriterTurn

_turn = WriterTurn()


def _sqlite_path(using: str) -> str | None:
    conn = connections[using]
    if conn.vendor != "sqlite":
        return None
    return str(conn.settings_dict["NAME"])


@contextmanager
def serialised(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Hold this process's SQLite write turn (no transaction): for single-statement writes."""
    if connections[using].vendor == "sqlite":
        with _turn.hold(_sqlite_path(using)):
            yield
    else:
        yield


@contextmanager
def write_transaction(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """`transaction.atomic()`, taking the SQLite write turn first."""
    if connections[using].vendor == "sqlite":
        with _turn.hold(_sqlite_path(using)), transaction.atomic(using=using):
            yield
    else:
        with transaction.atomic(using=using):
            yield


# Field types whose database value is the Python value itself when it already has the exact type
# (their get_db_prep_save only converts other types: str(), int(), bool(), float()); every other
# field, and any value of another type, goes through the field's own get_db_prep_save.
_EXACT: dict[str, type] = {
    "CharField": str,
    "TextField": str,
    "SlugField": str,
    "EmailField": str,
    "URLField": str,
    "IntegerField": int,
    "BigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveBigIntegerField": int,
    "PositiveSmallIntegerField": int,
    "AutoField": int,
    "BigAutoField": int,
    "BooleanField": bool,
    "FloatField": float,
}


def _adapter(field: Any, conn: Any) -> Any:
    """value → what `field.get_db_prep_save(value, conn)` returns, skipping its call chain for
    values that need no conversion (it dominated the parameters of a batch of 100 messages)."""
    target = field.target_field if field.is_relation else field
    exact = _EXACT.get(target.get_internal_type())
    slow = field.get_db_prep_save
    if exact is None:
        return lambda value: slow(value, conn)
    return lambda value: value if value is None or type(value) is exact else slow(value, conn)


class RowUpdate:
    """`UPDATE … SET fields WHERE key = …` for many rows, as one prepared statement run per row.

    Django's `bulk_update` builds a CASE expression per field and row in Python, which costs more than
    the database work for the small batches a worker writes. Here the parameters are adapted (each
    field's own `get_db_prep_save`, as the ORM would) by `params`, which can run before the write
    transaction opens, so that the transaction only executes.
    """

    def __init__(self, model: type[Model], fields: Sequence[str], key: Sequence[str] = ("pk",)) -> None:
        self.conn = connections[DEFAULT_DB_ALIAS]
        meta = model._meta
        quote = self.conn.ops.quote_name
        # Concrete fields only (a reverse relation has no column): Any keeps the stubs' unions away.
        self.columns: list[Any] = [meta.get_field(name) for name in fields]
        self.keys: list[Any] = [meta.pk if name == "pk" else meta.get_field(name) for name in key]
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in self.columns)
        where = " AND ".join(f"{quote(f.column)} = %s" for f in self.keys)
        self.sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {where}"  # noqa: S608
        self.adapt = [(f.name, _adapter(f, self.conn)) for f in self.columns]
        self.adapt_keys = [_adapter(f, self.conn) for f in self.keys]

    def params(self, key_value: Any, values: dict[str, Any]) -> list[Any]:
        """One row's parameters; `key_value` is the key's value, or a tuple of them."""
        key_values = key_value if isinstance(key_value, tuple) else (key_value,)
        return [adapt(values[name]) for name, adapt in self.adapt] + [
            adapt(v) for adapt, v in zip(self.adapt_keys, key_values, strict=True)
        ]

    def execute(self, rows: Sequence[list[Any]]) -> None:
        if rows:
            with self.conn.cursor() as cursor:
                cursor.executemany(self.sql, rows)


class RowInsert:
    """INSERT unsaved instances of one model with one prepared statement (their pks stay unknown).
    Like `bulk_create` without its per-object bookkeeping; defaults and `auto_now_add` apply."""

    def __init__(self, model: type[Model]) -> None:
        self.conn = connections[DEFAULT_DB_ALIAS]
        meta = model._meta
        quote = self.conn.ops.quote_name
        self.fields: list[Any] = [f for f in meta.concrete_fields if not f.primary_key]
        names = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
        # Field.pre_save is a plain getattr; only fields that override it (auto_now, files) need it.
        self.adapt = [
            (f, f.attname, type(f).pre_save is not Field.pre_save, _adapter(f, self.conn))
            for f in self.fields
        ]

    def params(self, obj: Model) -> list[Any]:
        return [
            adapt(f.pre_save(obj, add=True) if hook else getattr(obj, attname))
            for f, attname, hook, adapt in self.adapt
        ]

    def execute(self, rows: Sequence[list[Any]]) -> None:
        if rows:
            with self.conn.cursor() as cursor:
                cursor.executemany(self.sql, rows)


def update_rows(
    model: type[Model],
    rows: Sequence[tuple[Any, dict[str, Any]]],
    fields: Sequence[str],
    *,
    key: Sequence[str] = ("pk",),
) -> None:
    if rows:
        statement = RowUpdate(model, fields, key)
        statement.execute([statement.params(k, values) for k, values in rows])


def insert_rows(objs: Sequence[Model]) -> None:
    if objs:
        statement = RowInsert(type(objs[0]))
        statement.execute([statement.params(obj) for obj in objs])
