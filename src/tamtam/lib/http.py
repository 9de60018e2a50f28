"""Request types for views behind @login_required (django-stubs types request.user as possibly anonymous)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from tamtam.accounts.models import User


class AuthedRequest(HttpRequest):
    user: User  # type: ignore[assignment]
