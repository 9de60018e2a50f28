"""The sandbox network's own side: its "remote" state in a separate SQLite file.

This is deliberately *not* the Django database. A real network keeps what it received even when the
worker that sent it dies a millisecond later; keeping the sandbox's posts in another file, written
with the stdlib `sqlite3` module in its own transactions, gives the same property, so the engine's
crash and reconcile paths are tested against something that cannot be rolled back with the caller.

Many processes (worker subprocesses, tests, benchmarks) open the file at once: WAL journal, a busy
timeout, and `BEGIN IMMEDIATE` for every write so two writers never deadlock on a lock upgrade.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from tamtam.work.locks import WriterTurn

BUSY_TIMEOUT_MS = 30_000
KEEP_CONNECTIONS = 4

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    handle TEXT PRIMARY KEY,
    audience_size INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handle TEXT NOT NULL,
    idempotency_key TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    media_count INTEGER NOT NULL DEFAULT 0,
    reply_to TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    deleted_at REAL
);
CREATE INDEX IF NOT EXISTS posts_by_key ON posts (idempotency_key);
CREATE INDEX IF NOT EXISTS posts_by_handle ON posts (handle, created_at);
-- How many times the network has seen each idempotency key: the "attempt" in the dice.
CREATE TABLE IF NOT EXISTS calls (
    idempotency_key TEXT PRIMARY KEY,
    n INTEGER NOT NULL
);
-- Fixed one-minute rate-limit windows per account.
CREATE TABLE IF NOT EXISTS rate_windows (
    handle TEXT NOT NULL,
    win INTEGER NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (handle, win)
);
"""


def rendered_text(text: str, link: str) -> str:
    """How the post reads on the network: the link appended unless the text already carries it."""
    return f"{text}\n{link}" if link and link not in text else text


def content_hash(text: str, link: str = "") -> str:
    """What the network shows, hashed; whitespace-insensitive so reconcile is not fooled by it."""
    shown = " ".join(rendered_text(text, link).split())
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredPost:
    id: int
    handle: str
    idempotency_key: str
    content_hash: str
    text: str
    link: str
    reply_to: str
    created_at: datetime
    deleted: bool

    @property
    def remote_id(self) -> str:
        return str(self.id)


@dataclass(frozen=True)
class Admission:
    """What the network decided when a request arrived: rate state and how often it saw the key."""

    limited: bool
    limit: int | None
    remaining: int | None
    reset_at: float | None  # epoch seconds
    call_number: int  # 1 for the first time this key is seen; 0 when rate-limited (not processed)


def _default_path() -> Path:
    return Path(settings.SANDBOX_DB_PATH)


_local = threading.local()
_schema_lock = threading.Lock()
_schema_ready: set[str] = set()


def connect(path: Path | None = None) -> sqlite3.Connection:
    """This thread's connection to the store at `path` (one per thread and file, reused)."""
    path = Path(path or _default_path())
    key = str(path)
    conns: dict[str, sqlite3.Connection] = getattr(_local, "conns", None) or {}
    _local.conns = conns
    conn = conns.get(key)
    if conn is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves; nothing is implicit.
        conn = sqlite3.connect(
            key, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Switching to WAL needs an exclusive lock; it is persistent, so only the first opener does it
        # (others asking while it is busy would fail at once, outside the busy timeout).
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            _retry_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        conn.execute("PRAGMA synchronous=NORMAL")
        with _schema_lock:
            if key not in _schema_ready:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                _schema_ready.add(key)
        conns[key] = conn
        # A process normally uses one store; tests switch files per test: keep only the newest few.
        while len(conns) > KEEP_CONNECTIONS:
            conns.pop(next(iter(conns))).close()
    return conn


def _retry_locked(action: Callable[[], object], attempts: int = 50) -> None:
    for attempt in range(attempts):
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def close_all() -> None:
    """Close this thread's connections (tests that delete the file; process shutdown)."""
    conns: dict[str, sqlite3.Connection] = getattr(_local, "conns", None) or {}
    for conn in conns.values():
        conn.close()
    conns.clear()


# Writers take turns (threads and worker processes) before asking SQLite for its lock, so the file
# passes from one writer to the next at once instead of through SQLite's sleeping busy handler.
_turn = WriterTurn()


@contextmanager
def write(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    conn = connect(path)
    with _turn.hold(str(Path(path or _default_path()))):
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _row(row: tuple) -> StoredPost:  # type: ignore[type-arg]
    return StoredPost(
        id=row[0],
        handle=row[1],
        idempotency_key=row[2],
        content_hash=row[3],
        text=row[4],
        link=row[5],
        reply_to=row[6],
        created_at=_dt(row[7]),
        deleted=row[8] is not None,
    )


_POST_COLUMNS = "id, handle, idempotency_key, content_hash, text, link, reply_to, created_at, deleted_at"


def admit(
    conn: sqlite3.Connection,
    handle: str,
    key: str,
    rate_limit_per_minute: int | None,
    now: float,
    *,
    audience_size: int = 0,
) -> Admission:
    """Count the request against the account's window and the key's call counter (inside a write)."""
    conn.execute(
        "INSERT OR IGNORE INTO accounts (handle, audience_size, created_at) VALUES (?, ?, ?)",
        (handle, audience_size, now),
    )
    limit = remaining = None
    reset_at = None
    if rate_limit_per_minute:
        window = int(now // 60)
        reset_at = (window + 1) * 60.0
        row = conn.execute(
            "SELECT used FROM rate_windows WHERE handle = ? AND win = ?", (handle, window)
        ).fetchone()
        used = row[0] if row else 0
        limit = rate_limit_per_minute
        if used >= rate_limit_per_minute:
            return Admission(True, limit, 0, reset_at, 0)
        conn.execute(
            "INSERT INTO rate_windows (handle, win, used) VALUES (?, ?, 1) "
            "ON CONFLICT (handle, win) DO UPDATE SET used = used + 1",
            (handle, window),
        )
        remaining = rate_limit_per_minute - used - 1
    n = 0
    if key:
        n = conn.execute(
            "INSERT INTO calls (idempotency_key, n) VALUES (?, 1) "
            "ON CONFLICT (idempotency_key) DO UPDATE SET n = n + 1 RETURNING n",
            (key,),
        ).fetchone()[0]
    return Admission(False, limit, remaining, reset_at, n)


def find_by_key(conn: sqlite3.Connection, handle: str, key: str) -> StoredPost | None:
    row = conn.execute(
        f"SELECT {_POST_COLUMNS} FROM posts WHERE idempotency_key = ? AND handle = ? AND deleted_at IS NULL "  # noqa: S608
        "ORDER BY id LIMIT 1",
        (key, handle),
    ).fetchone()
    return _row(row) if row else None


def exists(conn: sqlite3.Connection, handle: str, remote_id: str) -> bool:
    try:
        pk = int(remote_id)
    except ValueError:
        return False
    row = conn.execute(
        "SELECT 1 FROM posts WHERE id = ? AND handle = ? AND deleted_at IS NULL", (pk, handle)
    ).fetchone()
    return row is not None


def insert_post(
    conn: sqlite3.Connection,
    *,
    handle: str,
    key: str,
    text: str,
    link: str,
    media_count: int,
    reply_to: str,
    now: float,
) -> StoredPost:
    digest = content_hash(text, link)
    cur = conn.execute(
        "INSERT INTO posts (handle, idempotency_key, content_hash, text, link, media_count, reply_to, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (handle, key, digest, rendered_text(text, link), link, media_count, reply_to, now),
    )
    pk = cur.lastrowid
    assert pk is not None
    return StoredPost(pk, handle, key, digest, rendered_text(text, link), link, reply_to, _dt(now), False)


def recent(path: Path | None, handle: str, since: datetime, limit: int) -> list[StoredPost]:
    rows = (
        connect(path)
        .execute(
            f"SELECT {_POST_COLUMNS} FROM posts WHERE handle = ? AND created_at >= ? AND deleted_at IS NULL "  # noqa: S608
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            (handle, since.timestamp(), limit),
        )
        .fetchall()
    )
    return [_row(r) for r in rows]


def mark_deleted(path: Path | None, handle: str, remote_id: str) -> bool:
    with write(path) as conn:
        cur = conn.execute(
            "UPDATE posts SET deleted_at = ? WHERE id = ? AND handle = ? AND deleted_at IS NULL",
            (time.time(), int(remote_id), handle),
        )
        return cur.rowcount == 1


class SandboxNetwork:
    """Read-only views of the network's side, for tests and benchmarks (duplicates, losses)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else _default_path()

    def _conn(self) -> sqlite3.Connection:
        return connect(self.path)

    def posts(self, handle: str | None = None, *, include_replies: bool = True) -> list[StoredPost]:
        sql = f"SELECT {_POST_COLUMNS} FROM posts WHERE deleted_at IS NULL"  # noqa: S608
        params: list[object] = []
        if handle is not None:
            sql += " AND handle = ?"
            params.append(handle)
        if not include_replies:
            sql += " AND reply_to = ''"
        return [_row(r) for r in self._conn().execute(sql + " ORDER BY id", params).fetchall()]

    def count_for(self, key: str) -> int:
        """How many live remote posts carry this idempotency key (1 = exactly once)."""
        row = (
            self._conn()
            .execute("SELECT COUNT(*) FROM posts WHERE idempotency_key = ? AND deleted_at IS NULL", (key,))
            .fetchone()
        )
        return int(row[0])

    def counts_by_key(self) -> dict[str, int]:
        rows = (
            self._conn()
            .execute(
                "SELECT idempotency_key, COUNT(*) FROM posts WHERE deleted_at IS NULL "
                "GROUP BY idempotency_key"
            )
            .fetchall()
        )
        return {key: int(n) for key, n in rows}

    def duplicates(self) -> dict[str, int]:
        """Idempotency keys that reached the network more than once as a post: must stay empty."""
        return {key: n for key, n in self.counts_by_key().items() if n > 1}

    def calls_for(self, key: str) -> int:
        row = self._conn().execute("SELECT n FROM calls WHERE idempotency_key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def total_posts(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM posts WHERE deleted_at IS NULL").fetchone()[0])
