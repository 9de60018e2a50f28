"""Activate the language chosen in the user's profile; without one, LocaleMiddleware's choice
(language cookie, then the browser's Accept-Language) stands."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        lang = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if not (lang and lang in dict(settings.LANGUAGES)):
            return self.get_response(request)
        request.LANGUAGE_CODE = lang
        # override, not activate: the thread goes back to its language after the response (a test
        # client or a pooled thread must not keep the last user's language).
        with translation.override(lang):
            return self.get_response(request)
