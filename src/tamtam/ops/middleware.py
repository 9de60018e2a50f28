"""Request id and latency for every request (the first middleware, so it covers all the others)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tamtam.ops import logs, metrics

log = logging.getLogger("tamtam.request")

HEADER = "X-Request-ID"
# A caller's id is kept only if it is short and plain: it ends up in every log line of the request.
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def request_id_of(request: HttpRequest) -> str:
    given = request.headers.get(HEADER, "")
    return given if _ACCEPTED.match(given) else uuid.uuid4().hex


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered ("api/w/<int:ws>/posts"), never the raw path: one label per
    endpoint, whatever ids are in the URL, and no token in a path ever reaches the metrics."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return str(match.route) or "unmatched"


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        token = logs.bind(request_id=request_id)
        try:
            response = self.get_response(request)
        except BaseException:
            logs.unbind(token)
            raise
        elapsed = time.perf_counter() - started
        route = route_of(request)
        metrics.observe_request(request.method or "GET", route, response.status_code, elapsed)
        log.info("%s %s %s %.1fms", request.method, route, response.status_code, elapsed * 1000.0)
        response[HEADER] = request_id
        # Django logs a 4xx/5xx answer ("Not Found: …") after the middleware returned, and a streamed
        # body is produced later still: the id stays bound until the server closes the response.
        response._resource_closers.append(lambda: logs.unbind(token))  # type: ignore[attr-defined]
        return response
