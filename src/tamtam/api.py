"""The REST API root (django-ninja): token auth, JSON errors naming the field, each app's router.

Every error has the same shape, `{"detail": "…", "errors": [{"field": "…", "message": "…"}]}`, so a
client can show the message next to the right input; `errors` is empty when no single field is to blame.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from tamtam.accounts import tokens
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.publishing.states import InvalidTransition, TargetState

log = logging.getLogger("tamtam.api")

# Where ninja puts a parameter before its name; clients know fields, not ninja's parameter kinds.
_LOC_PREFIXES = {"body", "query", "path", "header", "cookie", "form", "file"}
# Our own names of the schema parameters (see each app's api.py), also hidden from the field path.
_PARAM_NAMES = {"payload", "filters"}
# A key longer than any real one is rejected before it is hashed and looked up.
MAX_TOKEN_LENGTH = 200


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        api_token = tokens.authenticate(token)  # cached for a few seconds: see accounts/tokens.py
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token


api = NinjaAPI(
    title="tamtam API",
    version="1",
    auth=TokenAuth(),
    docs_url="/docs",
    urls_namespace="api",
    description=(
        "Bearer token from your profile page (`Authorization: Bearer tt_…`). Times are ISO 8601 with an "
        'offset. Errors: `{"detail": …, "errors": [{"field": …, "message": …}]}`.'
    ),
)


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def _field_path(loc: Any) -> str:
    parts = [str(part) for part in (loc or [])]
    if parts and parts[0] in _LOC_PREFIXES:
        parts = parts[1:]
    if parts and parts[0] in _PARAM_NAMES:
        parts = parts[1:]
    return ".".join(parts)


def _message(err: dict[str, Any]) -> str:
    """The error in words a translator can reach: pydantic's own messages are English only."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    known: dict[str, str] = {
        "timezone_aware": _("a time zone offset is required (e.g. 2026-03-29T09:00:00+02:00)"),
        "missing": _("this field is required"),
        "extra_forbidden": _("unknown field"),
        "int_parsing": _("a whole number is expected"),
        "int_type": _("a whole number is expected"),
        "int_from_float": _("a whole number is expected"),
        "string_type": _("a text is expected"),
        "bool_parsing": _("true or false is expected"),
        "bool_type": _("true or false is expected"),
        "list_type": _("a list is expected"),
        "model_type": _("an object is expected"),
        "model_attributes_type": _("an object is expected"),
        "dict_type": _("an object is expected"),
        "datetime_parsing": _("an ISO 8601 date and time with an offset is expected"),
        "datetime_from_date_parsing": _("an ISO 8601 date and time with an offset is expected"),
        "datetime_type": _("an ISO 8601 date and time with an offset is expected"),
    }
    if kind in known:
        return known[kind]
    if kind == "less_than_equal":
        return _("must be at most %(max)s") % {"max": ctx.get("le")}
    if kind == "greater_than_equal":
        return _("must be at least %(min)s") % {"min": ctx.get("ge")}
    if kind == "string_too_long":
        return _("too long: at most %(max)s characters") % {"max": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("too short: at least %(min)s characters") % {"min": ctx.get("min_length")}
    if kind == "too_long":
        return _("too many items: at most %(max)s") % {"max": ctx.get("max_length")}
    if kind in {"enum", "literal_error"}:
        return _("unknown value; expected one of %(expected)s") % {"expected": ctx.get("expected", "")}
    message = str(err.get("msg") or _("invalid value"))
    # pydantic prefixes the messages of our own validators (already translated) with "Value error, ".
    return message.removeprefix("Value error, ")


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        field, message = _field_path(err.get("loc")), _message(err)
        if not field and err.get("type") in {"missing", "model_type", "model_attributes_type", "dict_type"}:
            field, message = "body", _("a JSON object is expected as the request body")
        errors.append({"field": field, "message": message})
    if not errors:
        errors = [{"field": "", "message": _("invalid input")}]
    detail = f"{errors[0]['field']}: {errors[0]['message']}" if errors[0]["field"] else errors[0]["message"]
    return api.create_response(request, error_body(detail, errors), status=422)


@api.exception_handler(InvalidInput)
def invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    body = error_body(str(exc), [{"field": exc.field, "message": str(exc.message)}])
    return api.create_response(request, body, status=422)


@api.exception_handler(Conflict)
def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return api.create_response(request, error_body(str(exc.message)), status=409)


@api.exception_handler(InvalidTransition)
def invalid_transition(request: HttpRequest, exc: InvalidTransition) -> HttpResponse:
    try:
        state = str(TargetState(exc.current).label)
    except ValueError:
        state = exc.current
    detail = _("this cannot be done while the post is %(state)s") % {"state": state.lower()}
    return api.create_response(request, error_body(detail), status=409)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, error_body(str(exc) or _("not allowed")), status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # One message whatever was missing, so that a stranger learns nothing about what exists.
    return api.create_response(request, error_body(_("not found")), status=404)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, error_body(_("missing, invalid, expired or revoked API token")), status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = _("the request body is not valid JSON") if exc.status_code == 400 else str(exc)
    return api.create_response(request, error_body(detail), status=exc.status_code)


@api.exception_handler(SuspiciousOperation)
def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return api.create_response(request, error_body(_("the request body is too large")), status=413)
    return api.create_response(request, error_body(_("bad request")), status=400)


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with its traceback (never the request body: it may hold tokens or unpublished texts).
    log.exception("API error on %s %s", request.method, request.path)
    return api.create_response(request, error_body(_("internal error; it has been logged")), status=500)


def _mount() -> None:
    from tamtam.accounts.api import router as accounts_router
    from tamtam.analytics.api import router as analytics_router
    from tamtam.channels.api import router as channels_router
    from tamtam.crisis.api import router as crisis_router
    from tamtam.dataops.api import router as dataops_router
    from tamtam.inbox.api import router as inbox_router
    from tamtam.listening.api import router as listening_router
    from tamtam.publishing.api import router as publishing_router
    from tamtam.reports.api import router as reports_router
    from tamtam.strategy.api import router as strategy_router

    api.add_router("/", accounts_router)
    api.add_router("/", analytics_router)
    api.add_router("/", channels_router)
    api.add_router("/", crisis_router)
    api.add_router("/", dataops_router)
    api.add_router("/", inbox_router)
    api.add_router("/", listening_router)
    api.add_router("/", publishing_router)
    api.add_router("/", reports_router)
    api.add_router("/", strategy_router)


_mount()
