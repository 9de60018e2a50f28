"""The dashboards' kept figures (analytics/figurecache.py): a repeated view is served from the cache,
a write of the figures' data shows at once (not a stale figure), nothing leaks between workspaces or
people, and the page says when its figures were computed, in English and in French."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tamtam.accounts.models import Membership, Role
from tamtam.analytics import figurecache, rollups
from tamtam.analytics.models import ChannelDaily, Conversion
from tamtam.strategy.models import Objective


@pytest.fixture
def measured(workspace, make_channel, publish, snap, followers):
    channel = make_channel(name="Lumen FR")
    now = timezone.now()
    target = publish(channel, now - timedelta(hours=5), text="Notre nouveau vélo est arrivé")
    followers(channel, now - timedelta(days=2), 1000)
    followers(channel, now - timedelta(hours=1), 1010)
    snap(target, now - timedelta(hours=1), impressions=2000, likes=90, comments=10)
    rollups.rebuild_workspace(workspace)
    return channel, target


def _page(client, workspace, query: str = "?days=7") -> str:
    response = client.get(f"/w/{workspace.id}/analytics/{query}")
    assert response.status_code == 200
    return response.content.decode()


def _objective(workspace, name: str, kind: str) -> Objective:
    today = timezone.localdate()
    return Objective.objects.create(
        workspace=workspace,
        name=name,
        kind=kind,
        metric="impressions",
        target=Decimal("5000"),
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=10),
    )


def _has(body: str, number: int) -> bool:
    text = f"{number:,}"
    return any(v in body for v in (text, text.replace(",", " "), text.replace(",", "\u202f"), str(number)))


def test_a_repeated_view_is_kept_and_a_new_poll_shows_at_once(workspace, members, client, measured, snap):
    channel, target = measured
    client.force_login(members["analyst"])
    assert _has(_page(client, workspace), 2000)
    # A write that bypasses every write path (no figurecache.changed): the kept figures are served.
    ChannelDaily.objects.filter(channel=channel, post_rows__gt=0).update(impressions=777_777)
    assert not _has(_page(client, workspace), 777_777)
    # The metrics poll's own write path (rollups after a poll): the next view has the new figure.
    snap(target, timezone.now() - timedelta(minutes=5), impressions=4321, likes=95, comments=10)
    rollups.rebuild_after_poll([target.pk], channel, timezone.now())
    body = _page(client, workspace)
    assert _has(body, 4321)
    assert not _has(body, 777_777)


def test_a_recorded_conversion_and_an_edited_objective_show_at_once(workspace, members, client, measured):
    client.force_login(members["analyst"])
    body = _page(client, workspace)
    assert "Sell more bikes" not in body
    Conversion.objects.create(
        workspace=workspace, occurred_at=timezone.now() - timedelta(hours=2), value=Decimal("10")
    )
    _objective(workspace, "Sell more bikes", "engagement")
    body = _page(client, workspace)
    assert "Sell more bikes" in body
    board, _at = figurecache.dashboard(workspace, figurecache.boards.Period.last_days(workspace, 7))
    assert {k.metric: k.value for k in board.kpis}["conversions"] == 1.0


def test_no_figure_leaks_between_workspaces_or_people(
    workspace, members, client, measured, make_workspace, make_user, make_channel, publish, snap
):
    other = make_workspace(name="Other brand", slug="other-brand")
    channel = make_channel(ws=other, name="Other channel")
    target = publish(channel, timezone.now() - timedelta(hours=6))
    snap(target, timezone.now() - timedelta(hours=1), impressions=9876, likes=3)
    rollups.rebuild_workspace(other)
    both = make_user("both", other, Role.ANALYST)
    Membership.objects.create(user=both, workspace=workspace, role=Role.ANALYST)
    client.force_login(both)
    assert _has(_page(client, other), 9876)
    assert "Other brand" in client.get("/analytics/agency/").content.decode()
    # Someone of the first workspace only: the other's kept figures are not theirs to see.
    client.force_login(members["analyst"])
    assert client.get(f"/w/{other.id}/analytics/?days=7").status_code in (403, 404)
    agency = client.get("/analytics/agency/").content.decode()
    assert workspace.name in agency
    assert "Other brand" not in agency
    body = _page(client, workspace)
    assert _has(body, 2000)
    assert not _has(body, 9876)
    # A client of the workspace (no analytics capability) is refused even with the figures kept.
    client.force_login(members["client"])
    assert client.get(f"/w/{workspace.id}/analytics/?days=7").status_code == 403


def test_the_agency_overview_keeps_rows_and_shows_a_new_poll(workspace, members, client, measured, snap):
    channel, target = measured
    client.force_login(members["manager"])
    assert _has(client.get("/analytics/agency/?days=7").content.decode(), 2000)
    ChannelDaily.objects.filter(channel=channel, post_rows__gt=0).update(impressions=555_555)
    assert not _has(client.get("/analytics/agency/?days=7").content.decode(), 555_555)
    snap(target, timezone.now() - timedelta(minutes=5), impressions=3456, likes=95, comments=10)
    rollups.rebuild_after_poll([target.pk], channel, timezone.now())
    body = client.get("/analytics/agency/?days=7").content.decode()
    assert _has(body, 3456), body[body.find("agency-table") :][:1500]
    # A renamed workspace reads its new name at once (the rows are figures; the name is not kept).
    workspace.name = "Renamed brand"
    workspace.save()
    assert "Renamed brand" in client.get("/analytics/agency/?days=7").content.decode()


def test_the_page_says_when_its_figures_were_computed_in_both_languages(workspace, members, client, measured):
    user = members["manager"]
    client.force_login(user)
    assert "Figures as of" in _page(client, workspace)
    assert "Figures as of" in client.get("/analytics/agency/").content.decode()
    user.language = "fr"
    user.save()
    client.force_login(user)
    body = _page(client, workspace)
    assert "Chiffres au" in body
    assert "Engagement au fil du temps" in body
    assert "Chiffres au" in client.get("/analytics/agency/").content.decode()


def test_ttl_zero_turns_the_cache_off(workspace, members, client, measured, monkeypatch):
    channel, _target = measured
    monkeypatch.setattr(figurecache, "TTL_S", 0)
    client.force_login(members["analyst"])
    body = _page(client, workspace)
    assert "Figures as of" not in body
    ChannelDaily.objects.filter(channel=channel, post_rows__gt=0).update(impressions=777_777)
    assert _has(_page(client, workspace), 777_777)


def test_a_write_made_in_another_process_shows_at_once(workspace, members, client, measured):
    # With several web processes (tamtam run's default) and the metrics poll in a worker, the
    # figures are kept per process but their generation is shared: another process's change makes
    # this one compute again instead of serving what it kept.
    import subprocess
    import sys

    channel, _ = measured
    client.force_login(members["analyst"])
    assert _has(_page(client, workspace), 2000)
    ChannelDaily.objects.filter(channel=channel, post_rows__gt=0).update(impressions=777_777)
    assert not _has(_page(client, workspace), 777_777)  # kept
    before = figurecache.generation(workspace.pk)

    code = (
        "import django; django.setup(); from tamtam.analytics import figurecache; "
        f"figurecache.changed({workspace.pk})"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

    assert figurecache.generation(workspace.pk) != before
    assert _has(_page(client, workspace), 777_777)


def test_the_strategy_page_and_the_dashboards_share_one_kept_progress(
    workspace, members, client, measured, monkeypatch
):
    objective = _objective(workspace, "Reach people", "awareness")
    computed = []
    real = figurecache.boards.objectives_progress
    monkeypatch.setattr(
        figurecache.boards, "objectives_progress", lambda ws: computed.append(ws.pk) or real(ws)
    )
    client.force_login(members["manager"])
    strategy = client.get(f"/w/{workspace.id}/strategy/").content.decode()
    assert "Reach people" in strategy
    assert 'data-testid="computed-at"' in strategy
    _page(client, workspace, "?days=7")
    _page(client, workspace, "?days=30")
    assert computed == [workspace.pk]  # one computation for the page and both dashboard variants
    # An edited objective shows at once on the strategy page.
    Objective.objects.filter(pk=objective.pk).update(name="Renamed without a signal")
    assert "Renamed without a signal" not in client.get(f"/w/{workspace.id}/strategy/").content.decode()
    objective.name = "Reach more people"
    objective.save()
    assert "Reach more people" in client.get(f"/w/{workspace.id}/strategy/").content.decode()
    assert computed == [workspace.pk, workspace.pk]
