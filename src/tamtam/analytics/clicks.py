"""Counting short-link clicks without a database write per visitor.

The redirect decides everything about a click in memory — bot or not (the user agent and method),
flood or not (`FloodGate`: more than FLOOD_PER_MINUTE counted clicks from one address on one link
within a minute) — and hands the row to `ClickBuffer`, which a background thread of the process
writes in one transaction every `CLICK_FLUSH_MS` milliseconds (default 50). On SQLite one writer
at a time is the rule: a thousand visitors a second are one short write transaction every 50 ms
instead of a thousand queued ones.

Durability, the trade-off: a click is in memory for up to one flush interval (plus the time of a
flush) before it is on disk. A normal stop (SIGTERM to `tamtam run`, to a gunicorn or granian worker,
Ctrl-C) writes what is pending at exit; a crash (SIGKILL, out of memory, power loss) loses the clicks of the
last interval — about `rate x 0.05 s`, e.g. 100 clicks at 2,000 clicks/s. If the database refuses a
write, the batch is kept and retried at the next tick; beyond MAX_PENDING waiting rows the oldest are
dropped and the loss is logged. The visitor's redirect never waits for any of this.

The flood allowance is kept per process: with N web processes (gunicorn workers) one address may get
up to N x FLOOD_PER_MINUTE counted clicks a minute on a link in the worst case; unique visitors are
still counted from the stored rows (at most MAX_PEOPLE_PER_ADDRESS per address), so a flood never
becomes a crowd.

`CLICK_FLUSH_MS = 0` writes each click in the request itself (no thread): what tests and tools that
need the row at once use.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import multiprocessing.util
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError, close_old_connections, connection
from django.dispatch import receiver

from tamtam.analytics.models import Click
from tamtam.work.db import write_transaction

log = logging.getLogger(__name__)

FLOOD_PER_MINUTE = 10
FLOOD_WINDOW_S = 60.0
DEFAULT_FLUSH_MS = 50
MAX_PENDING = 200_000  # about 100 s of the target rate: beyond it the database is down, not slow
_PRUNE_EVERY_S = 10.0


_interval: int | None = None


def flush_interval_ms() -> int:
    """Milliseconds between two writes (settings.CLICK_FLUSH_MS, env TAMTAM_CLICK_FLUSH_MS); 0: at once.
    Read once (each redirect asks), again when the setting changes (tests)."""
    global _interval
    if _interval is not None:
        return _interval
    configured: object = getattr(settings, "CLICK_FLUSH_MS", None)
    if configured is None:
        configured = os.environ.get("TAMTAM_CLICK_FLUSH_MS", DEFAULT_FLUSH_MS)
    try:
        _interval = max(0, int(str(configured)))
    except ValueError:
        raise ValueError(
            f"CLICK_FLUSH_MS: a whole number of milliseconds is expected, not {configured!r}"
        ) from None
    return _interval


@receiver(setting_changed, dispatch_uid="analytics-click-flush-interval")
def _setting_changed(setting: str, **kwargs: object) -> None:
    global _interval
    if setting == "CLICK_FLUSH_MS":
        _interval = None


@dataclass(slots=True)
class Visit:
    """A judged click waiting to be written: the Click row's values, without a model instance (whose
    construction cost as much as the rest of the redirect)."""

    link_id: int
    workspace_id: int
    at: datetime
    visitor: str
    address: str
    bot: bool
    flood: bool
    referrer_host: str
    token: str

    def as_model(self) -> Click:
        return Click(**{name: getattr(self, name) for name in _COLUMNS})


_COLUMNS = ("link_id", "workspace_id", "at", "visitor", "address", "bot", "flood", "referrer_host", "token")
_INSERT = (
    f"INSERT INTO {Click._meta.db_table} ({', '.join(_COLUMNS)}) "  # noqa: S608  (our own names)
    f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
)


class _Tokens:
    """Click tokens, unique without a system call per click: a random prefix per process (48 bits,
    drawn again in a forked child) and a counter. The token only has to find its click again (the
    cookie that carries it is signed), so it need not be unpredictable; os.urandom per redirect
    cost more than the rest of the redirect on this machine."""

    def __init__(self) -> None:
        self._pid = 0
        self._prefix = ""
        self._counter: itertools.count[int] = itertools.count()

    def __call__(self) -> str:
        if self._pid != os.getpid():
            self._pid, self._prefix, self._counter = os.getpid(), secrets.token_urlsafe(6), itertools.count()
        n = next(self._counter)
        out = ""
        while True:
            n, r = divmod(n, 62)
            out += _ALPHABET[r]
            if not n:
                return self._prefix + out  # 8 + at most 8 characters (62^8 clicks per process)


_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
new_token = _Tokens()


class FloodGate:
    """The flood rule in memory: per (link, address), the instants of its counted clicks in the window."""

    def __init__(self, limit: int = FLOOD_PER_MINUTE, window_s: float = FLOOD_WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._recent: dict[tuple[int, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._pruned_at = 0.0
        self._latest = 0.0

    def admit(self, link_id: int, address_key: str, at: float) -> bool:
        """True: the click counts; False: it is a flood (the address used up its allowance)."""
        with self._lock:
            times = self._recent.get((link_id, address_key))
            if times is None:
                times = self._recent[(link_id, address_key)] = deque()
            while times and times[0] <= at - self.window_s:
                times.popleft()
            self._latest = max(self._latest, at)
            if len(times) >= self.limit:
                return False
            times.append(at)
            return True

    def prune(self) -> None:
        """Forget the pairs whose last counted click left the window (memory stays bounded)."""
        with self._lock:
            horizon = self._latest - self.window_s
            for key in [k for k, times in self._recent.items() if not times or times[-1] <= horizon]:
                del self._recent[key]
            self._pruned_at = time.monotonic()

    def maybe_prune(self) -> None:
        if time.monotonic() - self._pruned_at > _PRUNE_EVERY_S:
            self.prune()

    def clear(self) -> None:
        with self._lock:
            self._recent.clear()
            self._latest = 0.0

    def __len__(self) -> int:
        return len(self._recent)


class ClickBuffer:
    """Clicks waiting to be written; one flusher thread per process writes them in batches."""

    def __init__(self) -> None:
        self._pending: list[Visit] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stop = threading.Event()
        self._flushing = threading.Lock()  # one flush at a time (the thread, exit, or a caller)
        self.dropped = 0
        self.written = 0

    def add(self, click: Visit) -> None:
        interval = flush_interval_ms()
        if interval == 0:
            self._write([click])
            return
        with self._lock:
            self._pending.append(click)
            overflow = len(self._pending) - MAX_PENDING
            if overflow > 0:
                del self._pending[:overflow]
                self.dropped += overflow
                log.error(
                    "click buffer full: %d clicks dropped (the database is not taking writes)", overflow
                )
        self._ensure_thread(interval)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _ensure_thread(self, interval_ms: int) -> None:
        pid = os.getpid()
        if self._thread is not None and self._pid == pid and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == pid and self._thread.is_alive():
                return
            if self._pid not in (0, pid):
                # A forked child (a gunicorn worker) inherits the parent's rows, which the parent
                # writes: only the click just added is this process's own.
                self._pending = self._pending[-1:]
                self._flushing = threading.Lock()
            self._pid = pid
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, args=(interval_ms / 1000.0,), name="tamtam-click-flusher", daemon=True
            )
            self._thread.start()
            atexit.register(self.close)
            # A worker forked by multiprocessing (granian's) ends with os._exit, which skips atexit;
            # multiprocessing runs its own exit finalizers first. close() twice is harmless.
            multiprocessing.util.Finalize(None, self.close, exitpriority=10)

    def _run(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                if self.pending():
                    close_old_connections()  # a long-lived thread: drop a connection the server closed
                self.flush()
            except Exception:  # the thread must survive anything: the next tick retries
                log.exception("click flush failed")

    def flush(self) -> int:
        """Write what is pending now, in one transaction; the number of rows written."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                self._write(batch)
            except DatabaseError:
                # Keep the rows for the next tick (in front of the newer ones), and a fresh connection.
                with self._lock:
                    self._pending[:0] = batch
                raise
            return len(batch)

    def _write(self, batch: list[Visit]) -> None:
        # One executemany of plain values: no model instance per click, on the flusher's time.
        adapt = connection.ops.adapt_datetimefield_value
        rows = [
            (
                v.link_id,
                v.workspace_id,
                adapt(v.at),
                v.visitor,
                v.address,
                v.bot,
                v.flood,
                v.referrer_host,
                v.token,
            )
            for v in batch
        ]
        with write_transaction(), connection.cursor() as cursor:
            for i in range(0, len(rows), 500):
                cursor.executemany(_INSERT, rows[i : i + 500])
        self.written += len(batch)

    def close(self) -> None:
        """Stop the thread and write what is left (at exit: a normal stop loses no click)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread() and thread.is_alive():
            thread.join(timeout=5)
        try:
            self.flush()
        except Exception:
            log.exception("clicks pending at exit could not be written: %d lost", self.pending())


gate = FloodGate()
buffer = ClickBuffer()
