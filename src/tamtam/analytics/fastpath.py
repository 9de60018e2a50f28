"""The short-link redirect answered before Django's request handling: `ShortLinkFastPath(app)`.

`/l/<code>` is the one URL that visitors from every network hit, so it must cost little: the WSGI
wrapper finds the link in this process's memory (links.cached; else one indexed read, which fills
the cache), judges the click in memory, hands it to the click buffer and answers the 302 itself — no
request object, no middleware (sessions, CSRF, language, messages, axes), no URL resolution. The
answer is the view's own headers (public.redirect_headers), with the security headers the middleware
would have added. Anything else, including an unknown code (a translated 404), goes to Django.

Installed in tamtam/wsgi.py (gunicorn, waitress-serve) and by `tamtam run`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connections

from tamtam.analytics import links, public

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_CODE = re.compile(r"[A-Za-z0-9_-]{1,16}")
_EMPTY = [b""]


def _is_secure(environ: dict[str, Any]) -> bool:
    # As HttpRequest.is_secure(): the proxy's header when one is configured, else the scheme.
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header, secure_value = proxy
        value = environ.get(header)
        if value is not None:
            return str(value).split(",")[0].strip() == secure_value
    return environ.get("wsgi.url_scheme") == "https"


def _security_headers(secure: bool) -> list[tuple[str, str]]:
    """What SecurityMiddleware and XFrameOptionsMiddleware add to a response, for this redirect."""
    headers: list[tuple[str, str]] = []
    if getattr(settings, "SECURE_CONTENT_TYPE_NOSNIFF", True):
        headers.append(("X-Content-Type-Options", "nosniff"))
    headers.append(("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY")))
    coop = getattr(settings, "SECURE_CROSS_ORIGIN_OPENER_POLICY", "same-origin")
    if coop:
        headers.append(("Cross-Origin-Opener-Policy", coop))
    hsts = getattr(settings, "SECURE_HSTS_SECONDS", 0)
    if secure and hsts:
        value = f"max-age={hsts}"
        if getattr(settings, "SECURE_HSTS_INCLUDE_SUBDOMAINS", False):
            value += "; includeSubDomains"
        if getattr(settings, "SECURE_HSTS_PRELOAD", False):
            value += "; preload"
        headers.append(("Strict-Transport-Security", value))
    return headers


def _referrer_host(raw: str) -> str:
    try:
        return urlsplit(raw).hostname or ""
    except ValueError:  # a malformed Referer header is the visitor's browser's business, not an error
        return ""


class ShortLinkFastPath:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self._headers = {secure: _security_headers(secure) for secure in (False, True)}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/l/") and method in ("GET", "HEAD") and _CODE.fullmatch(path, 3):
            code = path[3:]
            resolved = links.cached(code) or _lookup(code)
            if resolved is not None:
                return self._redirect(environ, start_response, resolved, method)
        return self.app(environ, start_response)

    def _redirect(
        self, environ: dict[str, Any], start_response: StartResponse, resolved: links.Resolved, method: str
    ) -> Iterable[bytes]:
        secure = _is_secure(environ)
        click = links.count_click(
            resolved,
            address=public._address(environ),
            user_agent=environ.get("HTTP_USER_AGENT", "")[:500],
            method=method,
            referrer_host=_referrer_host(environ.get("HTTP_REFERER", "")),
        )
        start_response(
            "302 Found", [*public.redirect_headers(resolved, click, secure), *self._headers[secure]]
        )
        return _EMPTY


def _lookup(code: str) -> links.Resolved | None:
    """A link not in this process's memory: one indexed read here (a worker's first visit of a link, or
    after the cache's minute), not Django's whole stack. A code that is not found, or a database that
    fails, goes to Django (a translated 404, or its error handling)."""
    try:
        return links.resolve(code)
    except DatabaseError:
        # This thread's connection may be one the server closed: the next request opens a new one.
        connections["default"].close_if_unusable_or_obsolete()
        return None
