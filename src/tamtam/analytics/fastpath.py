"""The short-link redirect answered before Django's request handling: `ShortLinkFastPath(app)`.

`/l/<code>` is the one URL that visitors from every network hit, so it must cost little: for a link
this process already knows (links.cached), the WSGI wrapper judges the click in memory, hands it to
the click buffer and answers the 302 itself — no request object, no middleware (sessions, CSRF,
language, messages, axes), no URL resolution, no database. The answer is the view's own
(public.redirect_for), with the security headers the middleware would have added. Anything else,
including a code this process has not seen yet or an unknown one (a translated 404), goes to Django
unchanged, and the view fills the cache for the next visitor.

Installed in tamtam/wsgi.py (gunicorn, waitress-serve) and by `tamtam run`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

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
            resolved = links.cached(path[3:])
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
        response = public.redirect_for(resolved, click, secure)
        headers = [
            *response.items(),
            *(("Set-Cookie", cookie.output(header="").strip()) for cookie in response.cookies.values()),
            *self._headers[secure],
        ]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return _EMPTY
