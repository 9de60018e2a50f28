"""Shared fixtures: an agency, a workspace, one user per role, sandbox channels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from tamtam.accounts.models import Agency, Membership, Role, User, Workspace
from tamtam.channels.models import Channel

# Browser fixtures (browser, page, log_in) for every browser test of the session, under any directory.
pytest_plugins = ["browser_fixtures"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/, or a skip saying so when this clone has none (CI always has it)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here: ../shared/ exists only beside the project's own clones and in CI")
    return path


@pytest.fixture(autouse=True)
def _isolated_sandbox(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    # Each test gets its own simulated network, so remote posts never leak between tests.
    settings.SANDBOX_DB_PATH = tmp_path / "sandbox.sqlite3"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_ENABLED = False
    # Fast hashing in tests: password strength is Django's job, not what these tests measure.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # LocaleMiddleware activates a request's language on the thread and leaves it there: every test
    # starts in the default language, whatever the previous one's client asked for.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_process_caches() -> None:
    # The per-process memos (channel lists, SLA targets, API tokens) start empty in every test: ids
    # are reused once a test's transaction is rolled back, and a rollback sends no signal.
    from django.core.cache import cache

    from tamtam.accounts import tokens
    from tamtam.analytics import clicks, links
    from tamtam.lib import memo

    memo.forget_all()
    tokens.forget()
    cache.clear()  # the per-process figures and page caches
    links._cache.clear()
    clicks.gate.clear()  # the flood allowance is per (link id, address): a reused id inherits it


@pytest.fixture
def agency(db) -> Agency:  # type: ignore[no-untyped-def]
    return Agency.objects.create(name="Agence Test", slug="agence-test")


@pytest.fixture
def make_workspace(agency: Agency) -> Callable[..., Workspace]:
    counter = iter(range(1, 10_000))

    def make(**kwargs: object) -> Workspace:
        n = next(counter)
        defaults: dict[str, object] = {
            "name": f"Brand {n}",
            "slug": f"brand-{n}",
            "time_zone": "Europe/Paris",
            "agency": agency,
        }
        defaults.update(kwargs)
        return Workspace.objects.create(**defaults)

    return make


@pytest.fixture
def workspace(make_workspace: Callable[..., Workspace]) -> Workspace:
    return make_workspace()


@pytest.fixture
def make_user(db) -> Callable[..., User]:  # type: ignore[no-untyped-def]
    def make(
        username: str, workspace: Workspace | None = None, role: str | None = None, **kw: object
    ) -> User:
        user = User.objects.create_user(username=username, password="pw-" + username + "-Secret1", **kw)
        if workspace is not None and role is not None:
            Membership.objects.create(user=user, workspace=workspace, role=role)
        return user

    return make


@pytest.fixture
def members(workspace: Workspace, make_user: Callable[..., User]) -> dict[str, User]:
    """One user per role in `workspace`, keyed by role."""
    return {role.value: make_user(role.value, workspace, role.value) for role in Role}


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    def do(user: User) -> Client:
        client.force_login(user)
        return client

    return do


@pytest.fixture
def make_channel(workspace: Workspace) -> Callable[..., Channel]:
    counter = iter(range(1, 10_000))

    def make(ws: Workspace | None = None, **kwargs: object) -> Channel:
        n = next(counter)
        options = {"latency_ms": 0, "error_rate": 0.0, "ambiguous_rate": 0.0, "seed": n}
        options.update(kwargs.pop("options", {}) or {})  # type: ignore[arg-type]
        defaults: dict[str, object] = {
            "workspace": ws or workspace,
            "network": "sandbox",
            "name": f"Sandbox {n}",
            "handle": f"@brand{n}",
            "options": options,
        }
        defaults.update(kwargs)
        return Channel.objects.create(**defaults)

    return make


@pytest.fixture
def token_api(client):
    """JSON calls with a bearer token of `user`: api(user).call("post", path, body) → (status, body)."""
    import json

    from tamtam.accounts.models import ApiToken

    class Api:
        def __init__(self, user):
            _token, raw = ApiToken.issue(user, "test")
            self.auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        def call(self, method, path, body=None, **query):
            if method == "get":
                response = client.get("/api" + path, query, **self.auth)
            else:
                data = json.dumps(body) if body is not None else ""
                response = getattr(client, method)(
                    "/api" + path, data, content_type="application/json", **self.auth
                )
            is_json = response.content and response["Content-Type"].startswith("application/json")
            return response.status_code, json.loads(response.content) if is_json else None

    return Api
