"""The API's bearer-token look-up, with a short per-process cache.

Every API call used to read its token (and user) and then write `last_used_at`: a query and a write
transaction per call, and on SQLite every write takes the database's one write lock, so concurrent API
clients queued behind each other's bookkeeping. Now:

- a token found is kept for `TTL_S` seconds in this process (by the hash of the raw token, never the
  token itself); its revocation, expiry and its user's `is_active` are checked on every call against
  the kept row. A token revoked through tamtam (the profile page), a token or user saved or deleted
  (deactivation, the admin, `tamtam createuser`) empties this process's cache at once (signals, and
  `forget()`) and, once the write is committed, every other process's: a shared epoch (Django's
  "shared" cache, settings.CACHES) that each call reads. A change made outside tamtam's code (SQL by
  hand) is seen within `TTL_S` seconds at most.
- `last_used_at` is written at most once every `LAST_USED_EVERY_S` per token (it says "last used
  around", for the profile page; a write per call bought nothing).
- each request gets its own copies of the token and user rows: a request may set attributes on
  `request.user` (permission caches, a language), which must never leak into another request.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import caches
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from tamtam.accounts.models import ApiToken, User
from tamtam.lib.crypto import token_hash
from tamtam.lib.memo import after_commit, new_marker

TTL_S = 10.0
LAST_USED_EVERY_S = 60.0
MAX_ENTRIES = 5_000  # distinct live tokens kept; beyond, the cache starts over (never unbounded)


@dataclass
class _Entry:
    token: ApiToken  # with its user and workspace, never handed out itself (see copies below)
    fetched_at: float  # time.monotonic()
    written_at: float  # time.monotonic() of our last `last_used_at` write, or -inf


_entries: dict[str, _Entry] = {}
_lock = threading.Lock()
_EPOCH_KEY = "accounts:tokens:epoch"
_epoch: Any = None  # the shared epoch this process's entries were read under


def forget() -> None:
    """Empty this process's cache (a token revoked, a user deactivated: rare, so all of it)."""
    with _lock:
        _entries.clear()


def forget_everywhere() -> None:
    """Empty every process's cache: this one now, the others at their next call (a new epoch)."""
    forget()
    caches["shared"].set(_EPOCH_KEY, new_marker(), None)


def _check_epoch() -> None:
    global _epoch
    current = caches["shared"].get(_EPOCH_KEY)
    if current != _epoch:
        with _lock:
            _entries.clear()
            _epoch = current


def _fetch(key: str, now: float) -> _Entry | None:
    token = ApiToken.objects.select_related("user", "workspace").filter(key_hash=key).first()
    if token is None:
        return None  # unknown keys are not kept: garbage tokens must not fill the cache
    recent = token.last_used_at is not None and timezone.now() - token.last_used_at < timedelta(
        seconds=LAST_USED_EVERY_S
    )
    with _lock:
        old = _entries.get(key)
        written = old.written_at if old is not None else (now if recent else float("-inf"))
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        entry = _entries[key] = _Entry(token=token, fetched_at=now, written_at=written)
    return entry


def _own_copy(token: ApiToken) -> ApiToken:
    mine = copy.copy(token)
    mine.user = copy.copy(token.user)
    if token.workspace is not None:
        mine.workspace = copy.copy(token.workspace)
    return mine


def authenticate(raw: str) -> ApiToken | None:
    """The usable token `raw` is (with its active user), or None."""
    key = token_hash(raw)
    now = time.monotonic()
    _check_epoch()
    entry = _entries.get(key)
    if entry is None or now - entry.fetched_at > TTL_S:
        entry = _fetch(key, now)
        if entry is None:
            return None
    token = entry.token
    if not token.is_usable() or not token.user.is_active:
        return None
    if now - entry.written_at >= LAST_USED_EVERY_S:
        entry.written_at = now
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return _own_copy(token)


def changed() -> None:
    """A token or a user was written: this process forgets now, the others once it is committed (a
    process reading the row before the commit would keep the old one under the new epoch)."""
    forget()
    after_commit(forget_everywhere)


def _changed(sender: Any, **kwargs: Any) -> None:
    changed()


for _model in (ApiToken, User):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"tamtam.tokens.saved.{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"tamtam.tokens.deleted.{_model.__name__}")
