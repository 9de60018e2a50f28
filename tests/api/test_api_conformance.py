"""schemathesis over every operation of the OpenAPI spec, as a workspace owner with a real API token:
no 5xx, and every answer matches the schema the spec declares for its status (body and content type).

test_garbage.py only asks "no 500"; here each response is validated by schemathesis' own checks
(`response_schema_conformance`, `content_type_conformance`), so a field the spec promises but the code
leaves out, a wrong type or an undeclared null is a failure. The workspace is seeded with one real row
of each kind, and positive cases aim their path ids at those rows so that the 200 answers (the ones with
the richest schemas) are produced and checked, not only 404s. Examples are bounded (`EXAMPLES`) so the
whole run takes a few minutes.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import schemathesis
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.openapi.checks import JsonSchemaError
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tamtam.accounts.models import Role
from tamtam.api import api
from tamtam.publishing import services
from tamtam.publishing.models import PostTarget
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState as S
from tamtam.reports.render import chromium_path

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 6}
# Each example of these renders a PDF in Chromium (about a second): a few are enough.
SLOW = {"/api/workspaces/{ws}/reports/{report_id}/pdf": 2}
# `item_id` names a different model under each strategy path.
STRATEGY_ITEMS = {
    "objectives": "objective_id",
    "personas": "persona_id",
    "pillars": "pillar_id",
    "campaigns": "campaign_id",
    "budget-lines": "budget_id",
}

# Reads whose valid queries the spec cannot state (start before end, a span of at most N days, a
# row of this workspace named in the query): generated ones are mostly 422, so one known-good
# request checks the 200 body (test_a_known_good_read_matches_the_spec).
CROSS_FIELD: dict[str, dict[str, Any]] = {
    "/api/workspaces/{ws}/calendar": {
        "query": {"start": "2026-12-01T00:00:00+01:00", "end": "2026-12-31T00:00:00+01:00"}
    },
    "/api/workspaces/{ws}/analytics/best-time": {"query": {}},
    "/api/workspaces/{ws}/analytics/metrics/{metric}": {"path": {"metric": "reach"}, "query": {}},
    # A row id in the query string: generated ones name no query of this workspace.
    "/api/workspaces/{ws}/crisis/backtest": {"query": {"query_id": "{query_id}", "days": 1}},
}
# Every other `{…_id}` of a path names one of the rows `_seed` makes.
_ID_NAMES = [
    "post_id",
    "target_id",
    "conversation_id",
    "message_id",
    "reply_id",
    "query_id",
    "rule_id",
    "incident_id",
    "alert_id",
    "statement_id",
    "report_id",
    "schedule_id",
    "share_id",
]


def _seed(workspace, owner, channel) -> dict[str, Any]:
    """One row of each kind an id in a path can name."""
    from tamtam.crisis.models import Alert, AlertRule, HoldingStatement, Incident
    from tamtam.inbox.models import Conversation, Message, Reply
    from tamtam.listening.models import Query
    from tamtam.reports.models import Report, ReportSchedule, ReportShare
    from tamtam.strategy.models import BudgetLine, Campaign, Objective, Persona, Pillar

    post = services.create_post(workspace, owner, PostInput(text="Seed", channel_ids=[channel.id]))
    services.schedule(post, owner, timezone.now() + timedelta(days=1))
    failed = services.create_post(workspace, owner, PostInput(text="Raté", channel_ids=[channel.id]))
    PostTarget.objects.filter(post=failed).update(state=S.FAILED, last_error="503")
    conv = Conversation.objects.create(workspace=workspace, channel=channel, kind="thread", key="thread:p")
    message = Message.objects.create(
        workspace=workspace,
        channel=channel,
        conversation=conv,
        remote_id="c1",
        kind="comment",
        text="Livré quand ?",
        created_at=timezone.now(),
    )
    reply = Reply.objects.create(
        workspace=workspace,
        conversation=conv,
        parent=message,
        author=owner,
        text="Raté",
        state="failed",
        idempotency_key="k-failed",
    )
    query = Query.objects.create(workspace=workspace, name="Marque", expression="lumen")
    rule = AlertRule.objects.create(workspace=workspace, query=query, name="Pic")
    incident = Incident.objects.create(workspace=workspace, query=query, title="Bad buzz")
    alert = Alert.objects.create(
        rule=rule,
        workspace=workspace,
        query=query,
        incident=incident,
        rule_name="Pic",
        series="all",
        bucket_start=timezone.now().replace(second=0, microsecond=0),
        expected=1,
        observed=30,
        evidence=40,
        score=0.7,
    )
    statement = HoldingStatement.objects.create(workspace=workspace, title="Vu", language="fr", text="Oui.")
    span = {"starts_on": date(2026, 1, 1), "ends_on": date(2026, 12, 31)}
    objective = Objective.objects.create(
        workspace=workspace, name="Reach", kind="awareness", metric="reach", target=1000, **span
    )
    persona = Persona.objects.create(workspace=workspace, name="Parents")
    persona.channels.set([channel])
    report = Report.objects.create(workspace=workspace, name="Monthly", sections=["budget", "pillar_mix"])
    schedule = ReportSchedule.objects.create(report=report, frequency="monthly", recipients="b@example.com")
    share = ReportShare.objects.create(report=report, prefix="rp_x", token_hash="0" * 64)
    return {
        "ws": workspace.id,
        "post_id": post.id,
        "target_id": failed.targets.get().id,
        "conversation_id": conv.id,
        "message_id": message.id,
        "reply_id": reply.id,
        "query_id": query.id,
        "rule_id": rule.id,
        "incident_id": incident.id,
        "alert_id": alert.id,
        "statement_id": statement.id,
        "objective_id": objective.id,
        "persona_id": persona.id,
        "pillar_id": Pillar.objects.create(workspace=workspace, name="Tips", target_share=50).id,
        "campaign_id": Campaign.objects.create(workspace=workspace, name="Spring").id,
        "budget_id": BudgetLine.objects.create(workspace=workspace, category="paid", label="Ads", **span).id,
        "report_id": report.id,
        "schedule_id": schedule.id,
        "share_id": share.id,
    }


@pytest.fixture
def seeded(workspace, make_user, make_channel, token_for) -> dict[str, Any]:
    owner = make_user("owner", workspace, Role.OWNER)
    ids = _seed(workspace, owner, make_channel())
    return {"ids": ids, "token": token_for(owner)}


def path_ids(path: str, ids: dict[str, Any]) -> dict[str, Any]:
    """The real ids for the `{…}` parameters of `path` that name a seeded row."""
    fixed = {name: ids[name] for name in ids if f"{{{name}}}" in path}
    if "{item_id}" in path:
        kind = path.split("/strategy/")[1].split("/", maxsplit=1)[0]
        fixed["item_id"] = ids[STRATEGY_ITEMS[kind]]
    return fixed


def send(client: Client, case: Any, token: str) -> Response:
    """The case through Django's test client (inside the test's transaction), as a schemathesis Response."""
    pairs = []
    for key, value in (case.query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(key), json.dumps(item) if isinstance(item, (dict, list)) else str(item)))
    path = case.formatted_path + ("?" + urlencode(pairs) if pairs else "")
    method = case.method.lower()
    headers = {"Authorization": f"Bearer {token}"}
    body: str | bytes = ""
    if not isinstance(case.body, NotSet):
        body = case.body if isinstance(case.body, bytes) else json.dumps(case.body)
    started = time.perf_counter()
    if method == "get":
        answer = client.get(path, headers=headers)
    else:
        answer = getattr(client, method)(path, body, content_type="application/json", headers=headers)
    elapsed = time.perf_counter() - started
    content = b"".join(answer.streaming_content) if answer.streaming else answer.content
    request = requests.Request(
        case.method.upper(), "http://testserver" + path, headers=headers, data=body or None
    ).prepare()
    return Response(
        status_code=answer.status_code,
        headers={name.lower(): [value] for name, value in answer.headers.items()},
        content=content,
        request=request,
        elapsed=elapsed,
        verify=True,
    )


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_every_answer_matches_the_spec(operation, mode, seeded, client):
    if operation.path.endswith("/pdf") and not chromium_path().exists():
        pytest.skip("Chromium is not installed (CI installs it): the PDF is rendered by it, else 503")
    ids = path_ids(operation.path, seeded["ids"])
    examples = SLOW.get(operation.path, EXAMPLES[mode])

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        # Negative cases also fuzz the path half of the time; positive ones stay on the seeded rows.
        fixed = ids if mode == GenerationMode.POSITIVE or data.draw(st.booleans()) else {}
        case = data.draw(operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
        response = send(client, case, seeded["token"])
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    statuses: list[int] = []
    run()
    if mode == GenerationMode.POSITIVE and operation.method == "get" and operation.path not in CROSS_FIELD:
        # Valid reads of seeded rows by their owner: some answers are 2xx, so real bodies were checked.
        assert any(200 <= status < 300 for status in statuses), statuses


@pytest.mark.parametrize("path", list(CROSS_FIELD))
def test_a_known_good_read_matches_the_spec(path, seeded, client):
    [operation] = [op for op in OPERATIONS if op.method == "get" and op.path == path]
    given = CROSS_FIELD[path]
    query = {k: v.format(**seeded["ids"]) if isinstance(v, str) else v for k, v in given["query"].items()}
    case = operation.Case(
        path_parameters={**path_ids(path, seeded["ids"]), **given.get("path", {})}, query=query
    )
    response = send(client, case, seeded["token"])
    assert response.status_code == 200, response.content[:300]
    case.validate_response(response, checks=CHECKS)


def test_the_spec_covers_every_operation_and_names_every_path_id():
    assert len(OPERATIONS) > 100
    for operation in OPERATIONS:
        names = {p.name for p in operation.path_parameters}
        fixed = path_ids(operation.path, dict.fromkeys([*STRATEGY_ITEMS.values(), "ws", *_ID_NAMES], 1))
        # `network`, `metric`, `action` are words, not row ids: generated from their schema.
        assert names - set(fixed) <= {"network", "metric", "action"}, operation.path


def test_the_checks_catch_a_body_that_breaks_the_schema():
    # The conformance test can fail: a 200 whose body lacks the promised fields is reported.
    [operation] = [op for op in OPERATIONS if op.method == "get" and op.path == "/api/workspaces/{ws}"]
    case = operation.Case(path_parameters={"ws": 1})
    request = requests.Request("GET", "http://testserver/api/workspaces/1").prepare()
    broken = Response(
        status_code=200,
        headers={"content-type": ["application/json"]},
        content=json.dumps({"id": "one"}).encode(),
        request=request,
        elapsed=0.01,
        verify=True,
    )
    with pytest.raises(FailureGroup) as caught:
        case.validate_response(broken, checks=CHECKS)
    assert any(isinstance(f, JsonSchemaError) for f in caught.value.exceptions)


@pytest.mark.parametrize("param", ["channel", "campaign"])
def test_an_id_beyond_the_database_integer_is_a_422_not_a_500(param, seeded, client):
    # Found by the fuzzing above: best-time?channel=21345455818963402752 overflowed the query.
    response = client.get(
        f"/api/workspaces/{seeded['ids']['ws']}/analytics/best-time",
        {param: str(2**70)},
        HTTP_AUTHORIZATION=f"Bearer {seeded['token']}",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == param
