"""The data page, the export download and the deletion, through the UI and the API."""

from __future__ import annotations

import json

from tamtam.accounts.models import ApiToken, AuditEvent, Workspace


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_the_owner_downloads_the_export_from_the_page(two_workspaces, members, client):
    mine, _theirs = two_workspaces
    client.force_login(members["owner"])
    page = client.get(f"/w/{mine.workspace.pk}/settings/data/")
    assert page.status_code == 200
    assert b'data-testid="delete-form"' in page.content
    response = client.get(f"/w/{mine.workspace.pk}/settings/data/export.json")
    assert response["Content-Disposition"].startswith('attachment; filename="tamtam-')
    assert response["Cache-Control"] == "no-store"
    data = json.loads(_body(response))
    assert data["workspace"]["id"] == mine.workspace.pk


def test_the_page_is_in_french(two_workspaces, members, client):
    mine, _theirs = two_workspaces
    members["owner"].language = "fr"
    members["owner"].save()
    client.force_login(members["owner"])
    page = client.get(f"/w/{mine.workspace.pk}/settings/data/").content.decode()
    assert "Tout exporter" in page
    assert "Supprimer cet espace de travail" in page


def test_the_owner_deletes_the_workspace_by_typing_its_name(two_workspaces, members, client):
    mine, theirs = two_workspaces
    client.force_login(members["owner"])
    url = f"/w/{mine.workspace.pk}/settings/data/delete/"
    wrong = client.post(url, {"confirm": "Brand"})
    assert wrong.status_code == 400
    assert mine.workspace.name.encode() in wrong.content
    assert client.post(url, {"confirm": mine.workspace.name}).status_code == 302
    assert not Workspace.objects.filter(pk=mine.workspace.pk).exists()
    assert Workspace.objects.filter(pk=theirs.workspace.pk).exists()
    assert AuditEvent.objects.get(action="workspace.deleted").actor == members["owner"]


def test_the_api_exports_and_deletes(two_workspaces, members, client):
    mine, _theirs = two_workspaces
    _token, raw = ApiToken.issue(members["owner"], "gdpr")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    response = client.get(f"/api/workspaces/{mine.workspace.pk}/export", **auth)
    assert response.status_code == 200
    assert json.loads(_body(response))["tables"]["publishing.post"][0]["text"] == "Bonjour a"
    url = f"/api/workspaces/{mine.workspace.pk}/delete"
    wrong = client.post(url, {"confirm": "x"}, content_type="application/json", **auth)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "confirm"
    done = client.post(url, {"confirm": mine.workspace.name}, content_type="application/json", **auth)
    assert done.status_code == 200
    assert done.json()["rows"]["publishing.post"] == 1
    assert not Workspace.objects.filter(pk=mine.workspace.pk).exists()
