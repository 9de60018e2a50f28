"""The strategy API: CRUD with fields named on bad input, the overview without invented figures."""

from __future__ import annotations

from tamtam.strategy.models import BudgetLine, Objective, Pillar


def test_objective_crud_and_errors_named_by_api_field(workspace, members, api, make_channel):
    manager = api(members["manager"])
    channel = make_channel()
    base = f"/workspaces/{workspace.pk}/strategy/objectives"
    body = {
        "name": "Clicks to the shop",
        "kind": "traffic",
        "metric": "clicks",
        "target": 1200,
        "starts_on": "2026-04-01",
        "ends_on": "2026-04-30",
        "owner_id": members["manager"].pk,
        "channel_ids": [channel.pk],
    }
    status, created = manager.call("post", base, body)
    assert status == 201, created
    assert created["channel_ids"] == [channel.pk]
    assert created["progress"]["status"] in {
        "no_data",
        "not_started",
        "unknown",
        "on_track",
        "at_risk",
        "off_track",
    }
    status, patched = manager.call("patch", f"{base}/{created['id']}", {"target": 1500})
    assert status == 200
    assert patched["target"] in ("1500", "1500.0000", 1500)
    assert patched["name"] == "Clicks to the shop"

    status, err = manager.call("post", base, {**body, "metric": "vibes"})
    assert status == 422
    assert err["errors"][0]["field"] == "metric"
    status, err = manager.call("post", base, {**body, "channel_ids": [999_999]})
    assert status == 422
    assert err["errors"][0]["field"] == "channel_ids"
    status, err = manager.call("post", base, {**body, "ends_on": "2026-03-01"})
    assert status == 422
    assert err["errors"][0]["field"] == "ends_on"
    assert Objective.objects.count() == 1

    assert manager.call("delete", f"{base}/{created['id']}")[0] == 204
    assert not Objective.objects.exists()


def test_budget_lines_and_overview(workspace, members, api):
    owner = api(members["owner"])
    base = f"/workspaces/{workspace.pk}/strategy"
    line = {
        "label": "Boost posts",
        "category": "paid",
        "planned_amount": "800.00",
        "actual_amount": "200.00",
        "currency": "EUR",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    }
    assert owner.call("post", f"{base}/budget-lines", line)[0] == 201
    status, err = owner.call("post", f"{base}/budget-lines", {**line, "currency": "eur"})
    assert status == 422
    assert err["errors"][0]["field"] == "currency"
    assert owner.call("post", f"{base}/pillars", {"name": "Tips", "target_share": 40})[0] == 201
    status, err = owner.call("post", f"{base}/pillars", {"name": "Too much", "target_share": 140})
    assert status == 422
    assert err["errors"][0]["field"] == "target_share"
    assert BudgetLine.objects.count() == 1
    assert Pillar.objects.count() == 1

    status, overview = owner.call("get", base, start="2026-06-01", end="2026-06-30")
    assert status == 200
    assert overview["posts_published"] == 0
    assert overview["pillar_mix"][0]["share"] is None  # nothing published: no share, not 0 %
    assert overview["budget"][0]["consumed_percent"] == 25
    status, err = owner.call("get", base, start="2026-06-30", end="2026-06-01")
    assert status == 422
    assert err["errors"][0]["field"] == "end"
    status, err = owner.call("get", base, start="2026-06-01", end="9999-12-31")
    assert status == 422
    assert err["errors"][0]["field"] == "end"
    status, err = owner.call("post", f"{base}/budget-lines", {**line, "starts_on": "0001-01-01"})
    assert status == 422
    assert err["errors"][0]["field"] == "starts_on"


def test_roles_in_the_api(workspace, members, api):
    base = f"/workspaces/{workspace.pk}/strategy"
    assert api(members["community"]).call("get", base)[0] == 200
    assert api(members["client"]).call("get", base)[0] == 403
    assert api(members["analyst"]).call("post", f"{base}/pillars", {"name": "x"})[0] == 403
    assert api(members["community"]).call("post", f"{base}/personas", {"name": "x"})[0] == 403
    assert not Pillar.objects.exists()
