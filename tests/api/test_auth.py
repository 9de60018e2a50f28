"""Token authentication: every failure is a 401 JSON answer; a scoped token sees one workspace only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tamtam.accounts.models import ApiToken, Membership


def test_a_call_without_a_token_gets_a_401_json_answer(api_as, workspace):
    status, body = api_as(None).get(f"/workspaces/{workspace.id}")
    assert status == 401
    assert "token" in body["detail"]
    assert body["errors"] == []


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Basic dXNlcjpwdw==",
        "Bearer " + "x" * 5000,
        "tt_abc",
        "Bearer \u00e9\u00e9",
    ],
)
def test_a_malformed_or_unknown_token_gets_a_401(client, workspace, header):
    response = client.get("/api/workspaces", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_an_expired_token_gets_a_401(api_as, client, token_for, members):
    raw = token_for(members["owner"], expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/workspaces", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


def test_a_revoked_token_gets_a_401(client, token_for, members):
    raw = token_for(members["owner"])
    ApiToken.objects.update(revoked_at=timezone.now())
    assert client.get("/api/workspaces", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_the_token_of_a_deactivated_user_gets_a_401(client, token_for, members):
    raw = token_for(members["owner"])
    members["owner"].is_active = False
    members["owner"].save()
    assert client.get("/api/workspaces", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_valid_token_lists_the_users_workspaces_with_the_role(api_as, members, workspace, make_workspace):
    other = make_workspace(name="Another brand")
    Membership.objects.create(user=members["analyst"], workspace=other, role="manager")
    status, body = api_as(members["analyst"]).get("/workspaces")
    assert status == 200
    assert {(w["id"], w["role"]) for w in body} == {(workspace.id, "analyst"), (other.id, "manager")}
    assert "ical_token" not in body[0]
    assert ApiToken.objects.get(user=members["analyst"]).last_used_at is not None


def test_a_token_scoped_to_a_workspace_cannot_see_another_one(api_as, members, workspace, make_workspace):
    other = make_workspace(name="Another brand")
    Membership.objects.create(user=members["owner"], workspace=other, role="owner")
    scoped = api_as(members["owner"], workspace=workspace)
    _status, body = scoped.get("/workspaces")
    assert [w["id"] for w in body] == [workspace.id]
    assert scoped.get(f"/workspaces/{other.id}")[0] == 404
    assert scoped.get(f"/workspaces/{other.id}/posts")[0] == 404
    assert scoped.get(f"/workspaces/{other.id}/channels")[0] == 404
    assert scoped.get(f"/workspaces/{workspace.id}")[0] == 200
    assert api_as(members["owner"]).get(f"/workspaces/{other.id}")[0] == 200


def test_a_stranger_gets_404_not_403_so_nothing_leaks(api_as, make_user, workspace):
    stranger = make_user("stranger")
    status, _body = api_as(stranger).get(f"/workspaces/{workspace.id}")
    assert status == 404
    assert api_as(stranger).get("/workspaces/987654")[0] == 404


def test_the_openapi_schema_and_docs_need_no_token_and_no_cdn(client, db):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/workspaces/{ws}/posts" in schema.json()["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    # Swagger UI comes from ninja's bundled files, never from a CDN.
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content
    assert b"cdn." not in docs.content
