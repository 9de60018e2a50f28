"""The REST API root (django-ninja): token auth, JSON errors naming the field, each app's router."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer

from tamtam.accounts.models import ApiToken
from tamtam.lib.crypto import token_hash


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = (
            ApiToken.objects.select_related("user").filter(key_hash=token_hash(token)).first()
        )
        if api_token is None or not api_token.is_usable() or not api_token.user.is_active:
            return None
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token


api = NinjaAPI(
    title="tamtam API",
    version="1",
    auth=TokenAuth(),
    docs_url="/docs",
    urls_namespace="api",
    description="Bearer token from your profile page. Times are ISO 8601 with an offset.",
)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", []) if part not in ("body", "payload", "query", "path")]
        errors.append({"field": ".".join(loc), "message": err.get("msg", "invalid")})
    return api.create_response(request, {"detail": "invalid input", "errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "missing, invalid, expired or revoked API token"}, status=401
    )
