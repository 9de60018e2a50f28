"""What every HTTP connector shares: one httpx client with timeouts, bearer auth with refresh on 401,
rate-limit headers, and the mapping of transport failures and status codes onto the contract's errors.

A network's connector subclasses `HttpConnector`, sets `base_url`, and overrides only what its API does
differently: `error_message` (where the network puts its words), `classify` (a 400 that really means
"reconnect"), `parse_rate` (its header names), `refresh` (its token endpoint, usually through
`tamtam.networks.oauth.refresh_token`).

Why the transport mapping matters: a failure before the request left (DNS, connect refused, connect
timeout) is safe to retry; a failure after it left (read timeout, connection reset mid-answer) on a write
may have published, so it is `Ambiguous` and the engine reconciles instead of re-sending.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from tamtam.networks.base import (
    Ambiguous,
    ChannelContext,
    Connector,
    ConnectorError,
    NeedsUser,
    Permanent,
    RateInfo,
    RetryAfter,
    check_send_deadline,
)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
UPLOAD_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
USER_AGENT = "tamtam/0.1 (+self-hosted social media management)"


def retry_after_seconds(headers: httpx.Headers, default: float = 60.0) -> float:
    """Retry-After as seconds (a number or an HTTP date), else `default`."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


def excerpt(response: httpx.Response, size: int = 500) -> str:
    try:
        return response.text[:size]
    except (UnicodeDecodeError, httpx.ResponseNotRead):
        return ""


class HttpConnector(Connector):
    """A connector over a JSON HTTP API. Subclasses call `self.call(method, path, ...)`."""

    base_url: ClassVar[str] = ""
    # Header names for rate limits; override for networks that name them otherwise.
    rate_headers: ClassVar[tuple[str, str, str]] = (
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    )

    def __init__(self, ctx: ChannelContext, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(ctx)
        self._transport = transport
        self._client: httpx.Client | None = None

    # --- the client -----------------------------------------------------------------------------

    @property
    def http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.api_base(),
                timeout=DEFAULT_TIMEOUT,
                transport=self._transport,
                headers={"User-Agent": USER_AGENT},
                follow_redirects=False,
            )
        return self._client

    def api_base(self) -> str:
        """The API root for this channel (per instance for Mastodon-likes; the class's otherwise)."""
        return str(self.ctx.options.get("api_base") or self.base_url)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def auth_headers(self) -> dict[str, str]:
        token = self.ctx.credentials.get("access_token", "")
        return {"Authorization": f"Bearer {token}"} if token else {}

    # --- one call -------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        url: str,
        *,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        auth: bool = True,
        retry_on_401: bool = True,
        timeout: httpx.Timeout | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request; return the response on an `ok` status, raise a contract error otherwise.

        On a 401 with a refreshable token the token is refreshed once and the request sent again: a
        401 means the network refused it, so nothing was published."""
        method = method.upper()
        headers = {**(self.auth_headers() if auth else {}), **kwargs.pop("headers", {})}
        if method in WRITE_METHODS:
            check_send_deadline(str(self.label))
        started = time.monotonic()
        try:
            response = self.http.request(method, url, headers=headers, timeout=timeout, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise RetryAfter(f"{self.label}: cannot reach the network ({type(exc).__name__})", 30) from exc
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if method in WRITE_METHODS:
                raise Ambiguous(
                    f"{self.label}: no answer after {time.monotonic() - started:.0f} s; the post may exist"
                ) from exc
            raise RetryAfter(f"{self.label}: the network did not answer in time", 30) from exc
        self.last_rate = self.parse_rate(response) or self.last_rate
        if response.status_code in ok:
            return response
        if response.status_code == 401 and auth and retry_on_401 and self.can_refresh():
            self.refresh()
            return self.call(method, url, ok=ok, auth=auth, retry_on_401=False, timeout=timeout, **kwargs)
        raise self.classify(response)

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.call(method, url, **kwargs)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except (json.JSONDecodeError, ValueError) as exc:
            raise Ambiguous(
                f"{self.label}: unreadable answer (HTTP {response.status_code})",
                status_code=response.status_code,
                response_excerpt=excerpt(response),
            ) from exc

    # --- what a network may override -------------------------------------------------------------

    def error_message(self, response: httpx.Response) -> str:
        """The network's own words about the failure (shown to the user)."""
        try:
            body = response.json()
        except (json.JSONDecodeError, ValueError):
            return excerpt(response, 200).strip() or f"HTTP {response.status_code}"
        if isinstance(body, dict):
            for key in ("error_description", "message", "detail", "error", "title", "description"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value
                if isinstance(value, dict) and isinstance(value.get("message"), str):
                    return str(value["message"])
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                first = errors[0]
                return str(first.get("message") or first.get("detail") or first)
        return excerpt(response, 200).strip() or f"HTTP {response.status_code}"

    def classify(self, response: httpx.Response) -> ConnectorError:
        """Status code → the contract's error, carrying the network's message."""
        status = response.status_code
        message = f"{self.label}: {self.error_message(response)}"
        kwargs: dict[str, Any] = {"status_code": status, "response_excerpt": excerpt(response)}
        if status == 429:
            return RetryAfter(message, self.retry_delay(response), **kwargs)
        if status in (401, 403):
            return NeedsUser(message, **kwargs)
        if status in (408, 425) or status >= 500:
            return RetryAfter(message, retry_after_seconds(response.headers, 30.0), **kwargs)
        return Permanent(message, **kwargs)

    def retry_delay(self, response: httpx.Response) -> float:
        """Seconds to wait after a 429: Retry-After, else the rate-limit reset, else a minute."""
        if "retry-after" in response.headers:
            return retry_after_seconds(response.headers)
        rate = self.parse_rate(response)
        if rate and rate.reset_at:
            return max(1.0, (rate.reset_at - datetime.now(UTC)).total_seconds())
        return 60.0

    def parse_rate(self, response: httpx.Response) -> RateInfo | None:
        limit_h, remaining_h, reset_h = self.rate_headers
        limit, remaining = _int(response.headers.get(limit_h)), _int(response.headers.get(remaining_h))
        reset = _int(response.headers.get(reset_h))
        if limit is None and remaining is None:
            return None
        reset_at = None
        if reset is not None:
            # Epoch seconds (X, GitHub-likes) or seconds from now (small values).
            epoch = reset if reset > 1_000_000_000 else time.time() + reset
            reset_at = datetime.fromtimestamp(epoch, UTC)
        return RateInfo(limit=limit, remaining=remaining, reset_at=reset_at)

    def can_refresh(self) -> bool:
        return bool(self.ctx.credentials.get("refresh_token"))

    def refresh(self) -> None:
        """Get a new access token; call `update_credentials`. Raise NeedsUser when refused."""
        raise NeedsUser(f"{self.label}: the access token was refused; reconnect the account")
