"""The workspace data page in a real browser (Playwright on Debian's Chromium): from the settings page
to the download of the export, then the deletion refused with a wrong name and done with the right one."""

from __future__ import annotations

import json

import pytest

from tamtam.accounts.models import AuditEvent, Workspace

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_owner_exports_then_deletes_the_workspace(two_workspaces, page, log_in, tmp_path):
    mine, theirs = two_workspaces
    ws = mine.workspace
    log_in("owner", "pw-owner-Secret1")
    page.goto(f"/w/{ws.pk}/settings/")
    page.get_by_test_id("data-link").get_by_role("link").click()
    page.wait_for_url(f"**/w/{ws.pk}/settings/data/")

    with page.expect_download() as download:
        page.get_by_test_id("export-json").click()
    saved = tmp_path / "export.json"
    download.value.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["workspace"]["name"] == ws.name
    assert data["tables"]["publishing.post"][0]["text"] == "Bonjour a"

    page.fill("#confirm", "not its name")
    page.get_by_test_id("delete-workspace").click()
    page.wait_for_load_state()
    assert ws.name in page.locator("#confirm-error").inner_text()
    assert Workspace.objects.filter(pk=ws.pk).exists()

    page.fill("#confirm", ws.name)
    page.get_by_test_id("delete-workspace").click()
    page.wait_for_load_state()
    assert f"{ws.name} was deleted" in page.content()
    assert not Workspace.objects.filter(pk=ws.pk).exists()
    assert Workspace.objects.filter(pk=theirs.workspace.pk).exists()
    assert AuditEvent.objects.filter(action="workspace.deleted", workspace=None).count() == 1
