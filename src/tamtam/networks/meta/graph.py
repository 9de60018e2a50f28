"""What Facebook Pages, Instagram and Threads share: Meta's Graph API conventions.

- Errors come as `{"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}}`
  whatever the HTTP status; the `code` says what happened, not the status. Mapping (Meta's "Handling
  errors" and "Rate limiting" pages): 190 (and 102, 463, 467: expired/invalid session) → NeedsUser;
  4, 17, 32, 613 and 80000-80099 (app, user, page, custom and business use case throttling) →
  RetryAfter; 10 and 200-299 (permissions) → NeedsUser; 1, 2 or `is_transient` → RetryAfter; 368
  (temporarily blocked for policy) → NeedsUser; anything else (100 invalid parameter, 506 duplicate…)
  → Permanent. The `message` is shown to the user.
- Throttling headers: `x-app-usage` (percentages of the app's one-hour window), `x-page-usage`,
  `x-business-use-case-usage` (per business id, per use case, with `estimated_time_to_regain_access`
  in minutes). The wait after a throttle error is that estimate, else Retry-After, else a default.
- Paging: `{"data": [...], "paging": {"cursors": {"before", "after"}, "next"}}`.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from tamtam.networks.base import ConnectorError, NeedsUser, Permanent, RateInfo, RetryAfter
from tamtam.networks.http import HttpConnector, excerpt, retry_after_seconds

GRAPH_VERSION = "v21.0"
THROTTLE_CODES = frozenset({4, 17, 32, 613})
SESSION_CODES = frozenset({190, 102, 463, 467})
# When a throttle says nothing about when access returns: Meta's windows are one rolling hour, and
# usage falls as old calls leave it, so a few minutes is usually enough to get under 100 % again.
DEFAULT_THROTTLE_WAIT = 600.0


def graph_error(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, ValueError):
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _usage_header(response: httpx.Response, name: str) -> Any:
    raw = response.headers.get(name, "")
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, ValueError):
        return None


def usage(response: httpx.Response) -> tuple[float, float]:
    """(highest usage percentage seen in the throttling headers, minutes until access returns)."""
    highest, regain = 0.0, 0.0
    for name in ("x-app-usage", "x-page-usage", "x-ad-account-usage"):
        value = _usage_header(response, name)
        if isinstance(value, dict):
            for key in ("call_count", "total_cputime", "total_time", "acc_id_util_pct"):
                if isinstance(value.get(key), int | float):
                    highest = max(highest, float(value[key]))
    buc = _usage_header(response, "x-business-use-case-usage")
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                for key in ("call_count", "total_cputime", "total_time"):
                    if isinstance(entry.get(key), int | float):
                        highest = max(highest, float(entry[key]))
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float):
                    regain = max(regain, float(minutes))
    return highest, regain


def classify_graph(label: str, response: httpx.Response) -> ConnectorError:
    """A Graph API failure → the contract's error, carrying Meta's message."""
    status = response.status_code
    error = graph_error(response)
    words = str(
        error.get("error_user_msg") or error.get("message") or excerpt(response, 200) or f"HTTP {status}"
    )
    code = error.get("code")
    subcode = error.get("error_subcode")
    message = f"{label}: {words}"
    kwargs: dict[str, Any] = {"status_code": status, "response_excerpt": excerpt(response)}
    if isinstance(code, int):
        if code in SESSION_CODES:
            return NeedsUser(message, **kwargs)
        if code in THROTTLE_CODES or 80000 <= code < 80100:
            return RetryAfter(message, throttle_wait(response), **kwargs)
        if code == 10 or 200 <= code < 300 or code == 368:
            return NeedsUser(message, **kwargs)
        if code in (1, 2) or error.get("is_transient") is True:
            return RetryAfter(message, retry_after_seconds(response.headers, 60.0), **kwargs)
        if code == 9007 or subcode == 2207027:
            # Instagram/Threads: the media container is not ready yet.
            return RetryAfter(message, 30.0, **kwargs)
        if code == 9 and subcode == 2207042:
            # Instagram: the 24-hour publishing limit is reached; the oldest publish leaves the window
            # within the hour at worst of a full cap, so try again then.
            return RetryAfter(message, 3600.0, **kwargs)
        if status >= 500:
            return RetryAfter(message, retry_after_seconds(response.headers, 30.0), **kwargs)
        return Permanent(message, **kwargs)
    if status == 429:
        return RetryAfter(message, throttle_wait(response), **kwargs)
    if status in (401, 403):
        return NeedsUser(message, **kwargs)
    if status >= 500 or status in (408, 425):
        return RetryAfter(message, retry_after_seconds(response.headers, 30.0), **kwargs)
    return Permanent(message, **kwargs)


def throttle_wait(response: httpx.Response) -> float:
    _highest, regain = usage(response)
    if regain > 0:
        return regain * 60.0
    if "retry-after" in response.headers:
        return retry_after_seconds(response.headers)
    return DEFAULT_THROTTLE_WAIT


def parse_time(value: Any) -> datetime:
    """Graph timestamps: ISO 8601 with a `+0000` offset (Facebook, Instagram, Threads)."""
    text = str(value or "")
    if not text:
        return datetime.now(UTC)
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def since_param(cursor: str) -> str:
    """Inbox cursors are the ISO time of the newest item seen; `since` takes a Unix time."""
    if not cursor:
        return ""
    try:
        return str(int(datetime.fromisoformat(cursor).timestamp()))
    except ValueError:
        return ""


def newer(cursor: str, created: datetime) -> bool:
    if not cursor:
        return True
    try:
        return created > datetime.fromisoformat(cursor)
    except ValueError:
        return True


class GraphConnector(HttpConnector):
    """A connector over a Meta Graph API host (graph.facebook.com or graph.threads.net)."""

    graph_version: ClassVar[str] = GRAPH_VERSION

    def classify(self, response: httpx.Response) -> ConnectorError:
        return classify_graph(self.label, response)

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        # Meta's long-lived tokens are renewed while still valid (Threads, Instagram Login); once
        # refused (code 190) no refresh can bring them back, so a 401 is not retried after a refresh.
        kwargs.setdefault("retry_on_401", False)
        return super().call(method, url, **kwargs)

    def error_message(self, response: httpx.Response) -> str:
        error = graph_error(response)
        return str(error.get("message") or super().error_message(response))

    def parse_rate(self, response: httpx.Response) -> RateInfo | None:
        highest, regain = usage(response)
        if not highest and not regain:
            return None
        reset_at = datetime.now(UTC) + timedelta(minutes=regain) if regain else None
        # Percentages: a limit of 100 and what is left of it.
        return RateInfo(limit=100, remaining=max(0, int(100 - highest)), reset_at=reset_at)

    def graph(self, method: str, path: str, *, token: str = "", **kwargs: Any) -> Any:
        """One Graph call with an explicit token (a Page token differs from the user token)."""
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
            kwargs["auth"] = False
        return self.json(method, path, headers=headers, **kwargs)

    def pages(
        self, path: str, *, params: dict[str, Any], token: str = "", max_pages: int = 5
    ) -> list[dict[str, Any]]:
        """Follow `paging.cursors.after` a few pages deep; the list of `data` items."""
        items: list[dict[str, Any]] = []
        query = dict(params)
        for _page in range(max_pages):
            body = self.graph("GET", path, token=token, params=query)
            data = body.get("data") if isinstance(body, dict) else None
            items.extend(d for d in data or [] if isinstance(d, dict))
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if not after or not (body.get("paging") or {}).get("next"):
                break
            query["after"] = after
        return items

    def wait_for_container(
        self,
        container_id: str,
        *,
        token: str = "",
        fields: str = "status_code",
        status_field: str = "status_code",
        polls: int = 60,
        delay: float = 2.0,
    ) -> None:
        """Instagram/Threads: poll a media container until `status_code` is FINISHED (video takes a
        while); ERROR/EXPIRED → Permanent with Meta's status text."""
        for attempt in range(polls):
            body = self.graph("GET", f"/{container_id}", token=token, params={"fields": fields})
            state = str(body.get(status_field) or "")
            if state in ("FINISHED", "PUBLISHED"):
                return
            if state in ("ERROR", "EXPIRED"):
                detail = body.get("error_message") or body.get("status") or state
                raise Permanent(f"{self.label}: the media could not be processed ({detail})")
            if attempt < polls - 1:
                time.sleep(delay)
        raise RetryAfter(f"{self.label}: the media is still being processed", 60.0)
