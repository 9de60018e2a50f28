"""The analytics API: every endpoint by every role (strangers 404, roles without the capability 403),
bad input named, no data as null."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tamtam.accounts.models import ApiToken

ROLES = ["owner", "manager", "community", "analyst", "client", "stranger"]


class Api:
    def __init__(self, token: str) -> None:
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, path: str, **query):
        response = self.client.get("/api" + path, query, **self.auth)
        return response.status_code, json.loads(response.content or b"null")

    def post(self, path: str, body):
        response = self.client.post(
            "/api" + path, json.dumps(body), content_type="application/json", **self.auth
        )
        return response.status_code, json.loads(response.content or b"null")


@pytest.fixture
def api_for(members, make_user):
    stranger = make_user("stranger")

    def make(role: str) -> Api:
        user = stranger if role == "stranger" else members[role]
        return Api(ApiToken.issue(user, "test")[1])

    return make


OPS = {
    "metric": lambda a, ws: a.get(f"/workspaces/{ws}/analytics/metrics/impressions"),
    "dashboard": lambda a, ws: a.get(f"/workspaces/{ws}/analytics/dashboard"),
    "best time": lambda a, ws: a.get(f"/workspaces/{ws}/analytics/best-time"),
    "links": lambda a, ws: a.get(f"/workspaces/{ws}/analytics/links"),
    "roi": lambda a, ws: a.get(f"/workspaces/{ws}/analytics/roi"),
    "record conversion": lambda a, ws: a.post(
        f"/workspaces/{ws}/analytics/conversions", {"id": "o-1", "value": "12.50", "currency": "EUR"}
    ),
}
# fmt: off
#                       owner manager community analyst client stranger
EXPECTED = {
    "metric":            (200, 200, 200, 200, 403, 404),
    "dashboard":         (200, 200, 200, 200, 403, 404),
    "best time":         (200, 200, 200, 200, 403, 404),
    "links":             (200, 200, 200, 200, 403, 404),
    "roi":               (200, 200, 200, 200, 403, 404),
    "record conversion": (201, 201, 403, 201, 403, 404),
}
# fmt: on


@pytest.mark.parametrize("role", ROLES)
def test_each_endpoint_answers_each_role_as_the_matrix_says(role, workspace, api_for):
    from tamtam.analytics.models import Conversion

    api = api_for(role)
    for op, call in OPS.items():
        Conversion.objects.all().delete()
        status, body = call(api, workspace.id)
        assert status == EXPECTED[op][ROLES.index(role)], (op, role, body)
        if status >= 400:
            assert body["detail"]


def test_no_data_is_null_and_bad_input_is_named(workspace, api_for):
    api = api_for("analyst")
    status, body = api.get(f"/workspaces/{workspace.id}/analytics/metrics/impressions")
    assert (status, body["value"], body["series"]) == (200, None, [])
    status, body = api.get(f"/workspaces/{workspace.id}/analytics/metrics/moonbeams")
    assert (status, body["errors"][0]["field"]) == (422, "metric")
    status, body = api.get(
        f"/workspaces/{workspace.id}/analytics/dashboard", start="2026-03-10", end="2026-03-01"
    )
    assert (status, body["errors"][0]["field"]) == (422, "end")
    status, body = api.post(
        f"/workspaces/{workspace.id}/analytics/conversions", {"id": "x", "value": "1", "currency": "EU"}
    )
    assert (status, body["errors"][0]["field"]) == (422, "currency")


def test_a_conversion_is_stored_once_and_counted(workspace, api_for):
    api = api_for("owner")
    body = {"id": "o-9", "value": "30", "currency": "EUR", "occurred_at": timezone.now().isoformat()}
    assert api.post(f"/workspaces/{workspace.id}/analytics/conversions", body)[0] == 201
    status, again = api.post(f"/workspaces/{workspace.id}/analytics/conversions", body)
    assert (status, again["created"]) == (200, False)
    today = timezone.localdate(timezone=workspace.tz)
    status, metric = api.get(
        f"/workspaces/{workspace.id}/analytics/metrics/conversion_value",
        start=(today - timedelta(days=1)).isoformat(),
        end=today.isoformat(),
    )
    assert metric["value"] == 30.0
