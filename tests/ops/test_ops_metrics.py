"""/metrics: Prometheus text format, figures from the database, latency by route, access control."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tamtam.publishing.tasks import FIRST_COMMENT, PUBLISH, RECONCILE
from tamtam.work.runner import Runner

pytestmark = pytest.mark.django_db


def scrape(client, **extra) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_queue_depth_and_lag_per_kind_come_from_the_rows(client, due_target):
    due_target(late_seconds=120)
    due_target(late_seconds=10)
    samples = scrape(client)
    assert samples["tamtam_queue_depth"][(("kind", "publish"),)] == 2
    # At least how late it was made; the rest is the time this (loaded) machine took to get here.
    assert 120 <= samples["tamtam_queue_lag_seconds"][(("kind", "publish"),)] < 240
    assert samples["tamtam_queue_depth"][(("kind", "report_send"),)] == 0
    assert samples["tamtam_post_targets"][(("state", "scheduled"),)] == 2


def test_publish_outcomes_are_counted_by_outcome_after_a_real_publish(client, due_target, make_channel):
    ok = due_target()
    failing = due_target(channel=make_channel(options={"permanent_rate": 1.0}))
    runner = Runner(name="metrics", concurrency=4, inline=True, kinds=[PUBLISH, FIRST_COMMENT, RECONCILE])
    runner.tick()
    ok.refresh_from_db()
    failing.refresh_from_db()
    assert (ok.state, failing.state) == ("published", "failed")
    samples = scrape(client)
    attempts = samples["tamtam_publish_attempts_total"]
    assert attempts[(("outcome", "success"), ("step", "post"))] == 1
    assert attempts[(("outcome", "permanent"), ("step", "post"))] == 1
    assert samples["tamtam_queue_depth"][(("kind", "publish"),)] == 0


def test_ingest_counters_and_workers(client, heartbeat):
    samples = scrape(client)
    assert samples["tamtam_listening_mentions_total"][()] == 0
    assert samples["tamtam_inbox_messages_ingested_total"][()] == 0
    assert samples["tamtam_workers_alive"][()] == 0
    heartbeat()
    assert scrape(client)["tamtam_workers_alive"][()] == 1


def test_request_latency_is_labelled_by_route_not_by_raw_path(client, members, login, workspace):
    login(members["owner"])
    assert client.get(f"/w/{workspace.pk}/").status_code in {200, 302}
    samples = scrape(client)
    counts = samples["tamtam_http_request_duration_seconds_count"]
    routes = {dict(labels)["route"] for labels in counts}
    assert "w/<int:ws>/" in routes
    assert not any(str(workspace.pk) in route for route in routes)
    buckets = samples["tamtam_http_request_duration_seconds_bucket"]
    assert any(dict(labels)["le"] == "+Inf" for labels in buckets)


def test_the_api_route_is_a_label_too(client, token_api, members, workspace):
    api = token_api(members["owner"])
    status, _ = api.call("get", f"/workspaces/{workspace.pk}/posts")
    assert status == 200
    routes = {
        dict(labels)["route"] for labels in scrape(client)["tamtam_http_request_duration_seconds_count"]
    }
    assert any(route.startswith("api/") and "<" in route for route in routes), routes


def test_other_addresses_need_the_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    settings.METRICS_TOKEN = "metrics-token-0123456789"
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    wrong = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    right = client.get(
        "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer metrics-token-0123456789"
    )
    assert right.status_code == 200
    assert b"tamtam_queue_depth" in right.content


def test_allowed_networks_and_requests_through_a_proxy(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    # Through a reverse proxy the caller looks local: only the token lets it in.
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    proxied = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.status_code == 403
