"""The inbox page's per-request and per-process memos (inbox/pagecache.py): a channel or an SLA target
saved in this process or through another one shows at once; one written outside tamtam within the TTL;
the unread count is asked once per page; the unread count is never kept across requests."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tamtam.inbox import pagecache
from tamtam.inbox.ingest import settings_for
from tamtam.inbox.models import InboxSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox_page(make_channel, members, client):  # type: ignore[no-untyped-def]
    channel = make_channel(name="Premier canal")
    client.force_login(members["community"])
    ws = channel.workspace_id

    def get() -> str:
        response = client.get(f"/w/{ws}/inbox/")
        assert response.status_code == 200
        return str(response.content.decode())

    return {"ws": ws, "get": get, "channel": channel}


def test_a_channel_added_renamed_or_removed_shows_on_the_next_page(inbox_page, make_channel):
    assert "Premier canal" in inbox_page["get"]()
    added = make_channel(name="Canal ajouté")
    assert "Canal ajouté" in inbox_page["get"]()
    added.name = "Canal renommé"
    added.save()
    page = inbox_page["get"]()
    assert "Canal renommé" in page
    assert "Canal ajouté" not in page
    added.delete()
    assert "Canal renommé" not in inbox_page["get"]()


def test_an_sla_target_saved_here_shows_at_once(inbox_page):
    inbox_page["get"]()
    rules = settings_for(inbox_page["ws"])
    rules.sla_first_response_minutes = 17
    rules.save()
    assert "target 17 min" in inbox_page["get"]()


def test_a_change_saved_through_another_process_shows_at_once(inbox_page):
    # tamtam run serves with a process per core: the SLA target saved through one process must show
    # in the others' pages at once. The other process's save (here: its signal's forget, the write
    # itself made below) renews the shared marker; this process then reads the row again.
    import subprocess
    import sys

    settings_for(inbox_page["ws"])
    assert "target 17 min" not in inbox_page["get"]()
    InboxSettings.objects.filter(workspace_id=inbox_page["ws"]).update(sla_first_response_minutes=17)
    assert "target 17 min" not in inbox_page["get"]()  # kept
    code = (
        "import django; django.setup(); from tamtam.inbox import pagecache; "
        f"pagecache._sla.forget({inbox_page['ws']})"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert "target 17 min" in inbox_page["get"]()


def test_a_change_made_outside_tamtam_shows_within_the_ttl(inbox_page, monkeypatch):
    settings_for(inbox_page["ws"])  # the settings row exists (its creation drops the memo, as a save)
    assert "target 17 min" not in inbox_page["get"]()
    # SQL by hand: no signal, no marker.
    InboxSettings.objects.filter(workspace_id=inbox_page["ws"]).update(sla_first_response_minutes=17)
    assert "target 17 min" not in inbox_page["get"]()  # kept
    monkeypatch.setattr(pagecache._sla, "ttl_s", 0.0)  # the TTL has run out
    assert "target 17 min" in inbox_page["get"]()


def test_the_unread_count_is_asked_once_per_page_and_never_kept(inbox_page, client):
    inbox_page["get"]()
    with CaptureQueriesContext(connection) as ctx:
        inbox_page["get"]()
    counts = [q["sql"] for q in ctx.captured_queries if '"unread" > 0' in q["sql"] and "COUNT" in q["sql"]]
    assert len(counts) == 1  # the heading and the navigation's badge share it
    with CaptureQueriesContext(connection) as ctx:
        inbox_page["get"]()
    counts = [q["sql"] for q in ctx.captured_queries if '"unread" > 0' in q["sql"] and "COUNT" in q["sql"]]
    assert len(counts) == 1  # asked again by the next request


def test_the_response_figures_are_renewed_when_another_process_records_a_reply(monkeypatch):
    # A reply is sent by a worker, a conversation closed through another web process: the figures
    # this process keeps (60 s) must not hide it.
    import subprocess
    import sys
    from types import SimpleNamespace

    from tamtam.inbox import metrics

    computed = []

    def response_metrics(workspace_id):
        computed.append(workspace_id)
        return SimpleNamespace(workspace=metrics.Figures(conversations=len(computed)))

    monkeypatch.setattr(metrics, "response_metrics", response_metrics)
    ws = 987_654  # figures are keyed by the workspace id only
    assert metrics.workspace_figures(ws).conversations == 1
    assert metrics.workspace_figures(ws).conversations == 1  # kept
    code = f"import django; django.setup(); from tamtam.inbox import metrics; metrics.forget_figures({ws})"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert metrics.workspace_figures(ws).conversations == 2
    assert computed == [ws, ws]
