"""The `ttc` click cookie the redirect sets and the tracking pixel reads back to attribute a sale.

Value: `<click token>.<link id>.<issued at, base 36 seconds>.<signature>`, the signature being an
HMAC-SHA256 (first 16 bytes, base64url) under a key derived once from SECRET_KEY for this purpose.
`django.core.signing` did the same job at several times the cost per redirect (JSON, compression
check, a key derivation per call); cookies it signed (up to 30 days old) are still read.

`header(...)` writes the Set-Cookie value exactly as Django's `set_cookie` would (same attributes in
the same order), so the fast path and the view answer the same bytes but for the instant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from email.utils import formatdate
from threading import Lock

from django.conf import settings
from django.core import signing

NAME = "ttc"
DAYS = 30
MAX_AGE = DAYS * 86400
PATH = "/l/"
LEGACY_SALT = "tamtam.analytics.click"
_PURPOSE = b"tamtam.analytics.click-cookie"
_keys: dict[str, hmac.HMAC] = {}
_lock = Lock()


def _mac() -> hmac.HMAC:
    """A keyed HMAC to copy (the key is set up once per SECRET_KEY, not once per redirect)."""
    secret = settings.SECRET_KEY
    found = _keys.get(secret)
    if found is None:
        with _lock:
            key = hashlib.sha256(_PURPOSE + secret.encode()).digest()
            found = _keys[secret] = hmac.new(key, digestmod=hashlib.sha256)
    return found


def _signature(payload: str) -> str:
    mac = _mac().copy()
    mac.update(payload.encode())
    return base64.urlsafe_b64encode(mac.digest()[:16]).rstrip(b"=").decode()


def make(token: str, link_id: int, now: float | None = None) -> str:
    issued = _base36(int(now if now is not None else time.time()))
    payload = f"{token}.{link_id}.{issued}"
    return f"{payload}.{_signature(payload)}"


def read(raw: str, now: float | None = None) -> tuple[int | None, str, int | None]:
    """(click id of a very old cookie, click token, link id); ("", None…) when absent, forged or expired."""
    if not raw:
        return None, "", None
    parts = raw.split(".")
    if len(parts) == 4 and parts[1].isdigit():
        payload = ".".join(parts[:3])
        if not hmac.compare_digest(parts[3], _signature(payload)):
            return None, "", None
        try:
            issued = int(parts[2], 36)
        except ValueError:
            return None, "", None
        if (now if now is not None else time.time()) - issued > MAX_AGE:
            return None, "", None
        return None, parts[0], int(parts[1])
    return _legacy(raw)


def _legacy(raw: str) -> tuple[int | None, str, int | None]:
    try:
        value = signing.loads(raw, salt=LEGACY_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None, "", None
    if isinstance(value, int):  # cookies set before clicks were written in batches: the click's id
        return value, "", None
    token, _dot, link_id = str(value).partition(".")
    return None, token, int(link_id) if link_id.isdigit() else None


_expires: tuple[int, str] = (0, "")


def header(value: str, secure: bool, now: float | None = None) -> str:
    """The Set-Cookie header value, as HttpResponse.set_cookie(NAME, value, max_age=MAX_AGE,
    path=PATH, secure=secure, httponly=True, samesite="None" if secure else "Lax") writes it."""
    global _expires
    second = int(now if now is not None else time.time())
    cached_second, expires = _expires
    if cached_second != second:  # one date formatted per second, not per redirect
        expires = formatdate(second + MAX_AGE, usegmt=True)
        _expires = (second, expires)
    tail = "SameSite=None; Secure" if secure else "SameSite=Lax"
    return f"{NAME}={value}; expires={expires}; HttpOnly; Max-Age={MAX_AGE}; Path={PATH}; {tail}"


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out
