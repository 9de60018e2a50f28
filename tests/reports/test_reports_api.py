"""The reports API: definitions with fields named on bad input, content that says "no data" for an
empty period, schedules, share links whose URL is given once."""

from __future__ import annotations

from tamtam.reports.models import Report, ReportShare


def test_report_crud_content_schedule_and_share(workspace, members, api, strategy, client):
    manager = api(members["manager"])
    base = f"/workspaces/{workspace.pk}/reports"
    status, keys = manager.call("get", f"{base}/sections")
    assert status == 200
    assert {"objectives", "budget", "pillar_mix", "engagement"} <= {k["key"] for k in keys}

    status, err = manager.call("post", base, {"name": "R", "sections": ["horoscope"]})
    assert status == 422
    assert err["errors"][0]["field"] == "sections"
    status, err = manager.call(
        "post", base, {"name": "R", "sections": ["budget"], "period": "custom", "start": "2026-03-01"}
    )
    assert status == 422
    assert err["errors"][0]["field"] == "end"

    status, report = manager.call("post", base, {"name": "Hebdo", "sections": ["pillar_mix", "budget"]})
    assert status == 201
    status, content = manager.call(
        "get", f"{base}/{report['id']}/content", start="2021-01-01", end="2021-01-31"
    )
    assert status == 200
    mix = next(x for x in content["sections"] if x["key"] == "pillar_mix")
    assert mix["empty"]
    assert mix["message"] == "No post was published in this period."
    assert mix["tables"] == []

    status, err = manager.call(
        "post", f"{base}/{report['id']}/schedules", {"frequency": "weekly", "recipients": ["nope"]}
    )
    assert status == 422
    assert err["errors"][0]["field"] == "recipients"
    status, schedule = manager.call(
        "post", f"{base}/{report['id']}/schedules", {"frequency": "weekly", "recipients": ["a@b.example"]}
    )
    assert status == 201
    assert schedule["next_at"]

    status, share = manager.call("post", f"{base}/{report['id']}/shares", {"label": "Client"})
    assert status == 201
    assert "/r/rp_" in share["url"]
    status, listed = manager.call("get", f"{base}/{report['id']}/shares")
    assert listed[0]["url"] is None  # never shown again
    path = share["url"].split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    manager.call("post", f"{base}/{report['id']}/shares/{share['id']}/revoke")
    assert client.get("/" + path).status_code == 404
    assert ReportShare.objects.get().revoked_at is not None

    status, _csv_body = manager.call("get", f"{base}/{report['id']}/csv")
    assert status == 200
    assert manager.call("delete", f"{base}/{report['id']}")[0] == 204
    assert not Report.objects.exists()


def test_roles_in_the_api(workspace, members, api, report):
    base = f"/workspaces/{workspace.pk}/reports"
    assert api(members["analyst"]).call("get", base)[0] == 200
    assert api(members["community"]).call("get", base)[0] == 403
    assert api(members["client"]).call("get", f"{base}/{report.pk}/content")[0] == 403
    assert api(members["client"]).call("delete", f"{base}/{report.pk}")[0] == 403
    assert Report.objects.filter(pk=report.pk).exists()
