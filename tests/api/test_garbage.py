"""Bad input never gets a 500: schema-driven fuzzing (schemathesis) of every operation with valid and
invalid data, plus hand-thrown garbage (wrong types, huge strings, broken JSON, missing bodies)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from tamtam.api import api
from tamtam.publishing import services
from tamtam.publishing.models import PostTarget
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState as S

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
def live(workspace, members, make_channel, token_for) -> dict[str, Any]:
    """A workspace with a little of everything, so that generated ids sometimes hit real rows."""
    channel = make_channel()
    post = services.create_post(workspace, members["owner"], PostInput(text="Seed", channel_ids=[channel.id]))
    services.schedule(post, members["owner"], timezone.now() + timedelta(days=1))
    failed = services.create_post(workspace, members["owner"], PostInput(text="F", channel_ids=[channel.id]))
    PostTarget.objects.filter(post=failed).update(state=S.FAILED)
    return {
        "ws": workspace.id,
        "post_id": post.id,
        "target_id": post.targets.get().id,
        "token": token_for(members["owner"]),
    }


def _send(client, case, token: str):
    query = case.query or {}
    pairs = []
    for key, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(key), json.dumps(item) if isinstance(item, (dict, list)) else str(item)))
    path = case.formatted_path + ("?" + urlencode(pairs) if pairs else "")
    method = case.method.lower()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "get":
        return client.get(path, **headers)
    if isinstance(case.body, NotSet):
        body: str | bytes = ""
    else:
        body = case.body if isinstance(case.body, bytes) else json.dumps(case.body)
    return getattr(client, method)(path, body, content_type="application/json", **headers)


def _check(response) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
        body = response.json()
        assert isinstance(body["detail"], str)
        assert body["detail"]
        assert isinstance(body["errors"], list)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_generated_requests_never_get_a_500(operation, mode, live, client):
    ids = {name: live[name] for name in ("ws", "post_id", "target_id") if f"{{{name}}}" in operation.path}

    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        # Negative cases fuzz the path too; positive ones stay inside the real workspace.
        fixed = ids if mode == GenerationMode.POSITIVE or data.draw(st.booleans()) else {}
        case = data.draw(operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
        _check(_send(client, case, live["token"]))

    run()


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELDS = [
    "text",
    "link",
    "channel_ids",
    "variants",
    "media_ids",
    "campaign_id",
    "pillar_id",
    "persona_ids",
    "scheduled_at",
    "action",
    "queue_id",
    "utm_source",
]


@FUZZ
@given(body=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), JSONISH, max_size=6))
def test_random_json_objects_on_create_get_a_4xx_or_a_post(body, live, client):
    response = client.post(
        f"/api/workspaces/{live['ws']}/posts",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {live['token']}",
    )
    _check(response)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_raw_bytes_as_a_body_get_a_4xx(raw, live, client):
    response = client.post(
        f"/api/workspaces/{live['ws']}/posts/{live['post_id']}/schedule",
        raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {live['token']}",
    )
    assert 400 <= response.status_code < 500
    _check(response)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "null",
        "[]",
        '"text"',
        "42",
        "{",
        '{"text": }',
        "\ufeff{}",
        '{"text": "\\ud800"}',
        json.dumps({"text": ["a"], "channel_ids": {"a": 1}}),
        json.dumps({"text": "x", "channel_ids": [-1, 0, 1.5, "2", None, True]}),
        json.dumps({"text": "x", "channel_ids": [1], "scheduled_at": 1700000000}),
        json.dumps({"text": "x", "channel_ids": [1], "scheduled_at": "0001-01-01T00:00:00+14:00"}),
        json.dumps({"text": "x", "channel_ids": [1], "variants": "all"}),
        json.dumps({"text": "é" * 200_000, "channel_ids": [1]}),
    ],
)
def test_hand_thrown_garbage_gets_a_clear_4xx(body, live, client):
    response = client.post(
        f"/api/workspaces/{live['ws']}/posts",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {live['token']}",
    )
    assert response.status_code in (400, 422)
    _check(response)


def test_a_missing_body_names_the_body(live, client):
    response = client.post(
        f"/api/workspaces/{live['ws']}/posts",
        "",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {live['token']}",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


def test_a_body_over_the_upload_limit_gets_a_413(live, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(
        f"/api/workspaces/{live['ws']}/posts",
        json.dumps({"text": "x" * 5000}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {live['token']}",
    )
    assert response.status_code == 413
    _check(response)


@pytest.mark.parametrize(
    "query",
    [
        {"start": "yesterday"},
        {"state": "exploded"},
        {"channel": "abc"},
        {"channel": str(2**80)},
        {"limit": "-1"},
        {"offset": str(10**20)},
        {"start": "2030-01-01T00:00:00+99:00"},
    ],
)
def test_bad_query_parameters_get_a_422(query, live, client):
    response = client.get(
        f"/api/workspaces/{live['ws']}/posts", query, HTTP_AUTHORIZATION=f"Bearer {live['token']}"
    )
    assert response.status_code == 422
    _check(response)


@pytest.mark.parametrize(
    "path",
    [
        "/api/workspaces/abc",
        "/api/workspaces/0",
        "/api/workspaces/-4",
        f"/api/workspaces/{2**64}/posts",
        "/api/workspaces/1/posts/1e3",
        "/api/workspaces/1/targets/%00/retry",
    ],
)
def test_bad_path_ids_never_get_a_500(path, live, client):
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {live['token']}")
    assert response.status_code < 500
