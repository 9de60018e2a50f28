"""What the `atproto` SDK raises, mapped onto the connector contract (networks/base.py), and the
rate-limit headers of each answer.

The SDK raises one exception class per status family and keeps the XRPC error body (`error`, `message`),
which is the network's own words shown to the user. Transport failures keep the httpx exception as
`__cause__`: a failure before the request left is safe to retry, one after it left (read timeout, a
connection cut mid-answer) may have published, which on a write is `Ambiguous`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
from atproto_client import exceptions as sdk
from atproto_client.models.common import XrpcError
from atproto_client.request import Request, Response

from tamtam.networks.base import Ambiguous, ConnectorError, NeedsUser, Permanent, RateInfo, RetryAfter

LABEL = "Bluesky"
# XRPC error names that mean "the session or the app password is no good": a person must reconnect.
AUTH_ERRORS = frozenset(
    {
        "AuthenticationRequired",
        "AuthMissing",
        "AuthFactorTokenRequired",
        "ExpiredToken",
        "InvalidToken",
        "AccountTakedown",
        "AccountDeactivated",
        "InvalidPassword",
    }
)
# Errors a fresh session fixes (the access or refresh token aged out, not the app password).
SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired"})
_BEFORE_SENDING = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def xrpc_error(exc: BaseException) -> tuple[str, str]:
    """(error name, message) of an SDK error's XRPC body; ("", "") when there is none."""
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    if isinstance(content, XrpcError):
        return content.error or "", content.message or ""
    if isinstance(content, dict):
        return str(content.get("error") or ""), str(content.get("message") or "")
    return "", ""


def is_auth_error(exc: BaseException) -> bool:
    name, _ = xrpc_error(exc)
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return name in AUTH_ERRORS or (isinstance(exc, sdk.UnauthorizedError) and status == 401)


def parse_rate(headers: dict[str, Any] | httpx.Headers | None) -> RateInfo | None:
    """`ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset` (epoch seconds), as the PDS sends them."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}

    def number(name: str) -> int | None:
        try:
            return int(float(lowered[name]))
        except (KeyError, ValueError):
            return None

    limit, remaining, reset = (number(f"ratelimit-{n}") for n in ("limit", "remaining", "reset"))
    if limit is None and remaining is None:
        return None
    reset_at = None
    if reset is not None:
        epoch = reset if reset > 1_000_000_000 else time.time() + reset
        reset_at = datetime.fromtimestamp(epoch, UTC)
    return RateInfo(limit=limit, remaining=remaining, reset_at=reset_at)


def _retry_seconds(exc: BaseException, default: float) -> float:
    if isinstance(exc, sdk.RateLimitExceededError):
        if exc.retry_after is not None:
            return exc.retry_after
        if exc.reset_at is not None:
            return max(1.0, (exc.reset_at - datetime.now(UTC)).total_seconds())
        return default
    response = getattr(exc, "response", None)
    value = (getattr(response, "headers", None) or {}).get("retry-after", "")
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return default


def to_contract(exc: BaseException, *, write: bool) -> ConnectorError:
    """The contract's error for an SDK exception. `write`: the call creates something on the network."""
    response: Response | None = getattr(exc, "response", None)
    if response is None:
        cause = exc.__cause__
        if isinstance(cause, _BEFORE_SENDING):
            return RetryAfter(f"{LABEL}: cannot reach the server ({type(cause).__name__})", 30)
        if write and isinstance(cause, httpx.TransportError | TimeoutError):
            name = type(cause).__name__
            return Ambiguous(f"{LABEL}: no answer to the request ({name}); the post may exist")
        if isinstance(exc, sdk.LoginRequiredError):
            return NeedsUser(f"{LABEL}: not signed in; reconnect the account")
        return RetryAfter(f"{LABEL}: the server did not answer ({type(cause or exc).__name__})", 30)
    status = response.status_code
    name, words = xrpc_error(exc)
    message = f"{LABEL}: {words or name or f'HTTP {status}'}"
    kwargs: dict[str, Any] = {"status_code": status, "response_excerpt": f"{name}: {words}"[:500]}
    if status == 429:
        return RetryAfter(message, _retry_seconds(exc, 60.0), **kwargs)
    if status in (401, 403) or name in AUTH_ERRORS:
        return NeedsUser(message, **kwargs)
    if status in (408, 425) or status >= 500:
        return RetryAfter(message, _retry_seconds(exc, 30.0), **kwargs)
    return Permanent(message, **kwargs)


class RecordingRequest(Request):
    """The SDK's HTTP layer, keeping the rate-limit headers of every answer (errors included)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.last_rate: RateInfo | None = None

    def _send_request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = super()._send_request(method, url, **kwargs)
        except sdk.RequestErrorBase as exc:
            if exc.response is not None:
                self.last_rate = parse_rate(exc.response.headers) or self.last_rate
            raise
        self.last_rate = parse_rate(response.headers) or self.last_rate
        return response
