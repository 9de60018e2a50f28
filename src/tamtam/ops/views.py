"""/healthz, /readyz and /metrics: thin views over readiness.py and metrics.py."""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from tamtam.ops import metrics, readiness


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answers: no database, no broker (that is /readyz)."""
    return JsonResponse({"status": "ok", "pid": os.getpid()})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    ready, body = readiness.report()
    return JsonResponse(body, status=200 if ready else 503)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics.authorised(request):
        response = HttpResponse("metrics: not allowed from this address without the token\n", status=403)
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
