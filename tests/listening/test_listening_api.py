"""Listening API: queries CRUD with parse errors naming the field and position, mentions with filters,
roles, and workspaces kept apart."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from listening_helpers import item

from tamtam.accounts.models import ApiToken, User, Workspace
from tamtam.listening.models import Query, Source
from tamtam.listening.pipeline import Pipeline

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client: Client, user: User) -> None:
        self.client = client
        _token, self.raw = ApiToken.issue(user, "test")

    def __call__(self, method: str, path: str, body: Any = None, **query: Any) -> tuple[int, Any]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.raw}"}
        if method == "get":
            response = self.client.get("/api" + path, query, **headers)
        else:
            data = json.dumps(body) if body is not None else ""
            response = getattr(self.client, method)(
                "/api" + path, data, content_type="application/json", **headers
            )
        return response.status_code, (json.loads(response.content) if response.content else None)


@pytest.fixture
def api(client: Client, members: dict[str, User]) -> Callable[[str], Api]:
    return lambda role: Api(client, members[role])


def test_queries_crud(api: Callable[[str], Api], workspace: Workspace) -> None:
    call = api("manager")
    base = f"/workspaces/{workspace.pk}/listening/queries"
    status, created = call(
        "post", base, {"name": "Lumen", "expression": 'lumen OR "lumen go"', "languages": ["fr"]}
    )
    assert status == 201
    assert (created["kind"], created["languages"], created["enabled"]) == ("brand", ["fr"], True)
    status, listed = call("get", base)
    assert [q["name"] for q in listed] == ["Lumen"]
    status, patched = call(
        "patch", f"{base}/{created['id']}", {"expression": "lumen NOT kaldo", "enabled": False}
    )
    assert status == 200
    assert (patched["expression"], patched["enabled"], patched["name"]) == ("lumen NOT kaldo", False, "Lumen")
    assert call("delete", f"{base}/{created['id']}")[0] == 204
    assert not Query.objects.exists()


def test_a_malformed_expression_is_a_422_naming_the_field_and_the_position(
    api: Callable[[str], Api], workspace: Workspace
) -> None:
    status, body = api("owner")(
        "post",
        f"/workspaces/{workspace.pk}/listening/queries",
        {"name": "X", "expression": "lumen NEAR/3 (a OR b)"},
    )
    assert status == 422
    assert body["errors"] == [
        {"field": "expression", "message": "position 14: NEAR needs a word or a phrase after it"}
    ]


def test_a_duplicate_name_and_an_unknown_kind_are_refused(
    api: Callable[[str], Api], workspace: Workspace
) -> None:
    call = api("owner")
    base = f"/workspaces/{workspace.pk}/listening/queries"
    call("post", base, {"name": "X", "expression": "lumen"})
    status, body = call("post", base, {"name": "X", "expression": "kaldo"})
    assert (status, body["errors"][0]["field"]) == (422, "name")
    status, body = call("post", base, {"name": "Y", "expression": "kaldo", "kind": "weather"})
    assert (status, body["errors"][0]["field"]) == (422, "kind")


def test_mentions_are_listed_with_filters_queries_and_sources(
    api: Callable[[str], Api],
    workspace: Workspace,
    pipeline: Pipeline,
    make_query: Callable[..., Query],
    make_source: Callable[..., Source],
) -> None:
    brand = make_query("lumen", name="Lumen")
    rival = make_query("kaldo", name="Kaldo", kind="competitor")
    source = make_source(name="Stream")
    now = timezone.now()
    pipeline.process(
        [
            item(
                "Lumen c'est une honte, service nul 😡",
                1,
                lang="fr",
                source_id=source.pk,
                published_at=now - timedelta(hours=2),
            ),
            item(
                "Kaldo and Lumen are both great bikes",
                2,
                lang="en",
                source_id=source.pk,
                published_at=now - timedelta(hours=1),
            ),
        ],
        now=now,
    )
    call = api("analyst")
    base = f"/workspaces/{workspace.pk}/listening/mentions"
    status, page = call("get", base)
    assert status == 200
    assert page["count"] == 2
    newest = page["items"][0]
    assert newest["queries"] == sorted([brand.pk, rival.pk])
    assert newest["sources"] == ["sandbox:Stream"]
    assert call("get", base, query=rival.pk)[1]["count"] == 1
    assert call("get", base, lang="fr")[1]["items"][0]["remote_id"] == "p1"
    assert call("get", base, sentiment="negative")[1]["count"] == 1
    since = (now - timedelta(minutes=90)).isoformat()
    assert call("get", base, since=since)[1]["count"] == 1
    assert call("get", base, limit=1, offset=1)[1]["items"][0]["remote_id"] == "p1"


def test_mention_filters_are_checked(
    api: Callable[[str], Api], workspace: Workspace, make_workspace: Callable
) -> None:
    other = Query.objects.create(workspace=make_workspace(), name="X", expression="x")
    call = api("owner")
    base = f"/workspaces/{workspace.pk}/listening/mentions"
    status, body = call("get", base, query=other.pk)
    assert (status, body["errors"][0]["field"]) == (422, "query")
    status, body = call("get", base, since="2026-01-01T00:00:00")
    assert (status, body["errors"][0]["field"]) == (422, "since")
    status, body = call("get", base, limit=10_000)
    assert (status, body["errors"][0]["field"]) == (422, "limit")


def test_roles_read_and_manage_as_the_matrix_says(api: Callable[[str], Api], workspace: Workspace) -> None:
    base = f"/workspaces/{workspace.pk}/listening/queries"
    assert api("analyst")("get", base)[0] == 200
    assert api("analyst")("post", base, {"name": "X", "expression": "x"})[0] == 403
    assert api("client")("get", base)[0] == 403
    assert api("community")("post", base, {"name": "X", "expression": "x"})[0] == 201


def test_another_workspace_query_is_not_found(
    api: Callable[[str], Api], workspace: Workspace, make_workspace: Callable
) -> None:
    other = Query.objects.create(workspace=make_workspace(), name="X", expression="x")
    call = api("owner")
    assert call("get", f"/workspaces/{workspace.pk}/listening/queries/{other.pk}")[0] == 404
    assert call("delete", f"/workspaces/{workspace.pk}/listening/queries/{other.pk}")[0] == 404
