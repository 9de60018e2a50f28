"""Public endpoints (no login): the short-link redirect, the tracking pixel, the conversion webhook.

The redirect is on the hot path of every visitor: a link in memory is answered by `fastpath.py`
before Django's middleware; otherwise (first visit of a link in this process, unknown code) by
`follow` here. Either way the click is judged in memory and written with the next batch (clicks.py). The pixel
always answers its 1x1 GIF (a broken image on a shop's thank-you page helps nobody); what it could
not record is logged. The webhook answers JSON with the field at fault.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from tamtam.accounts.models import Workspace
from tamtam.analytics import clickcookie, conversions, links
from tamtam.analytics.clicks import Visit
from tamtam.analytics.models import Click, ConversionSource, TrackingSettings
from tamtam.lib.errors import InvalidInput

log = logging.getLogger(__name__)
CLICK_COOKIE = clickcookie.NAME
CLICK_COOKIE_DAYS = clickcookie.DAYS
_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


class _Redirect(HttpResponseRedirect):
    # Destinations are any http(s) URL the workspace published; the scheme is checked when the link is made.
    allowed_schemes = ["http", "https"]


def _address(meta: Mapping[str, Any]) -> str:
    # Behind the reverse proxy of a scale-out install the first forwarded address is the visitor's.
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    return (forwarded.split(",")[0].strip() if forwarded else "") or meta.get("REMOTE_ADDR", "")


def redirect_headers(resolved: links.Resolved, click: Click | Visit, secure: bool) -> list[tuple[str, str]]:
    """The headers of a followed link's 302 (security headers aside): the view and the WSGI fast
    path answer the very same thing, the fast path without building a response object."""
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Location", resolved.location),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer-when-downgrade"),
        ("Content-Length", "0"),
    ]
    if not click.bot and not click.flood:
        # Read back by the pixel on the shop's pages (same path prefix) to attribute the sale. The
        # link id rides along: if the click's row was lost (a crash before its batch was written),
        # the sale still goes to the right post.
        value = clickcookie.make(click.token, resolved.link_id)
        headers.append(("Set-Cookie", clickcookie.header(value, secure)))
    return headers


def redirect_for(resolved: links.Resolved, click: Click | Visit, secure: bool) -> HttpResponse:
    """The 302 of a followed link, as a response for Django's stack."""
    response = _Redirect(resolved.destination)
    for name, value in redirect_headers(resolved, click, secure):
        if name == "Set-Cookie":
            response.set_cookie(
                CLICK_COOKIE,
                value.split(";", 1)[0].partition("=")[2],
                max_age=CLICK_COOKIE_DAYS * 86400,
                path=clickcookie.PATH,
                secure=secure,
                httponly=True,
                samesite="None" if secure else "Lax",
            )
        elif name != "Location":
            response[name] = value
    return response


@require_http_methods(["GET", "HEAD"])
def follow(request: HttpRequest, code: str) -> HttpResponse:
    """Through Django's full stack: an unknown code (a translated 404), or a link not in memory yet."""
    resolved = links.resolve(code)
    if resolved is None:
        return HttpResponse(
            _("This link does not exist."), status=404, content_type="text/plain; charset=utf-8"
        )
    referrer = urlsplit(request.META.get("HTTP_REFERER", "")).hostname or ""
    click = links.count_click(
        resolved,
        address=_address(request.META),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
        method=request.method or "GET",
        referrer_host=referrer,
    )
    return redirect_for(resolved, click, request.is_secure())


def _click_from_cookie(request: HttpRequest) -> tuple[int | None, str, int | None]:
    """(click id of an older cookie, click token, link id) from the `ttc` cookie; empty when absent."""
    return clickcookie.read(request.COOKIES.get(CLICK_COOKIE, ""))


def pixel(request: HttpRequest, token: str) -> HttpResponse:
    """`<img src=".../l/p/<token>.gif?id=ORDER-1&value=49.90&currency=EUR">` on a thank-you page."""
    response = HttpResponse(_GIF, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    row = TrackingSettings.objects.filter(pixel_token=token).select_related("workspace").first()
    if row is None:
        return response
    params = {k: request.GET.get(k, "") for k in conversions.CSV_COLUMNS}
    click_id, token, link_id = _click_from_cookie(request)
    params["click"] = str(click_id or "")
    try:
        data = conversions.from_payload(row.workspace, params)
    except InvalidInput as exc:
        log.info("pixel conversion for workspace %s not recorded: %s", row.workspace_id, exc)
        return response
    data.click_token, data.click_link_id = token, link_id
    conversions.record(row.workspace, data, ConversionSource.PIXEL)
    return response


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, ws: int) -> HttpResponse:
    workspace = get_object_or_404(Workspace, pk=ws)
    status, body = conversions.receive_webhook(
        workspace,
        request.body,
        request.headers.get("X-Tamtam-Timestamp", ""),
        request.headers.get("X-Tamtam-Signature", ""),
        _address(request.META),
    )
    return JsonResponse(body, status=status)
