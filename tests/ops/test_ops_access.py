"""The ops endpoints in the permission matrix: /healthz and /readyz answer anyone (a probe has no
account) and say nothing about any workspace; /metrics opens by address or metrics token only — no
role, session or API token opens it."""

from __future__ import annotations

import pytest

from tamtam.accounts.models import ApiToken, Role

pytestmark = pytest.mark.django_db

WHO = ["anonymous", *[r.value for r in Role]]


@pytest.mark.parametrize("who", WHO)
def test_probes_answer_everyone_and_name_no_workspace(who, client, members, workspace, heartbeat):
    heartbeat()
    if who != "anonymous":
        client.force_login(members[who])
    health = client.get("/healthz")
    ready = client.get("/readyz")
    assert health.status_code == 200
    assert ready.status_code == 200, ready.json()
    for response in (health, ready):
        assert workspace.name.encode() not in response.content
        assert workspace.slug.encode() not in response.content
    # Probes are reads: anything else is refused, whoever asks.
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


@pytest.mark.parametrize("who", WHO)
def test_metrics_open_by_address_or_metrics_token_never_by_role(who, client, members, settings):
    settings.METRICS_TOKEN = "metrics-token-for-the-matrix"
    headers = {"REMOTE_ADDR": "203.0.113.7"}
    if who != "anonymous":
        client.force_login(members[who])
        _token, raw = ApiToken.issue(members[who], "metrics?")
        assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}", **headers).status_code == 403
    assert client.get("/metrics", **headers).status_code == 403
    opened = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-for-the-matrix", **headers)
    assert opened.status_code == 200
    assert client.post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405
