"""API test helpers: a bearer token per user and a small JSON client over Django's test client."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from tamtam.accounts.models import ApiToken, User, Workspace


class Api:
    """JSON calls with a bearer token; `call` returns (status, parsed body or None)."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.token = token

    def headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def call(self, method: str, path: str, body: Any = None, **query: Any) -> tuple[int, Any]:
        path = path if path.startswith("/api/") else "/api" + path
        kwargs: dict[str, Any] = self.headers()
        if method == "get":
            response = self.client.get(path, query, **kwargs)
        else:
            data = body if isinstance(body, (str, bytes)) else (json.dumps(body) if body is not None else "")
            response = getattr(self.client, method)(path, data, content_type="application/json", **kwargs)
        # A streamed answer (the workspace export) is read whole, as a client would.
        content = b"".join(response.streaming_content) if response.streaming else response.content
        parsed = (
            json.loads(content)
            if content and response["Content-Type"].startswith("application/json")
            else None
        )
        return response.status_code, parsed

    def get(self, path: str, **query: Any) -> tuple[int, Any]:
        return self.call("get", path, **query)

    def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        return self.call("post", path, body)

    def patch(self, path: str, body: Any = None) -> tuple[int, Any]:
        return self.call("patch", path, body)

    def delete(self, path: str) -> tuple[int, Any]:
        return self.call("delete", path)


@pytest.fixture
def token_for(db: None) -> Callable[..., str]:
    def make(user: User, workspace: Workspace | None = None, expires_at: datetime | None = None) -> str:
        _token, raw = ApiToken.issue(user, "test", workspace=workspace, expires_at=expires_at)
        return raw

    return make


@pytest.fixture
def api_as(client: Client, token_for: Callable[..., str]) -> Callable[..., Api]:
    def make(user: User | None, workspace: Workspace | None = None) -> Api:
        return Api(client, token_for(user, workspace) if user is not None else None)

    return make


@pytest.fixture
def iso() -> Callable[[timedelta], str]:
    """An instant `delta` from now, ISO 8601 with the Paris offset (the fixtures' time zone)."""

    def make(delta: timedelta) -> str:
        # Whole seconds: the API answers with milliseconds, so equal instants compare equal.
        return (
            (timezone.now() + delta).replace(microsecond=0).astimezone(ZoneInfo("Europe/Paris")).isoformat()
        )

    return make
