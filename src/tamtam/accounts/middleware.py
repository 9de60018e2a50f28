"""Activate the language chosen in the user's profile; without one, LocaleMiddleware's choice
(language cookie, then the browser's Accept-Language) stands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

API_PREFIX = "/api/"
BEARER = "bearer "
MAX_TOKEN_LENGTH = 200  # as tamtam.api: a longer key is refused there without a look-up


def _api_token_user(request: HttpRequest) -> Any:
    """For an API call with a bearer token: the token's user (the one the API acts as), or None.

    The API authenticates by token only, so its calls need not load a session and its user (two
    queries a call for a client that also sends a session cookie). The look-up is cached
    (tamtam.accounts.tokens), so the API's TokenAuth finds it again for almost nothing."""
    if not request.path.startswith(API_PREFIX):
        return None
    header = request.headers.get("Authorization", "")
    if header[: len(BEARER)].lower() != BEARER:
        return None
    raw = header[len(BEARER) :].strip()
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    from tamtam.accounts import tokens

    token = tokens.authenticate(raw)
    if token is None:
        return None
    return token.user


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = _api_token_user(request) or getattr(request, "user", None)
        lang = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if not (lang and lang in dict(settings.LANGUAGES)):
            return self.get_response(request)
        request.LANGUAGE_CODE = lang
        # override, not activate: the thread goes back to its language after the response (a test
        # client or a pooled thread must not keep the last user's language).
        with translation.override(lang):
            return self.get_response(request)
