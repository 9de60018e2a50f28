"""Log lines through the production configuration: request ids on every line of a request, work ids
on every line a worker writes for an item, and the scrubber, in the text and JSON formats."""

from __future__ import annotations

import json
import logging
import re
import secrets

import httpx
import pytest
import respx
from django.utils import timezone

from tamtam.lib import crypto
from tamtam.ops.logs import REDACTED
from tamtam.publishing.models import PostTarget
from tamtam.publishing.tasks import PUBLISH
from tamtam.work import drill
from tamtam.work.runner import Runner

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"^[0-9a-f]{32}$")
WORKER = re.compile(r"^logs-worker:[0-9]+:[0-9a-f]+$")


def fresh(prefix: str) -> str:
    """A value the scrubber has never met: only its patterns can catch it."""
    return f"{prefix}{secrets.token_urlsafe(18)}"


# --- request ids ----------------------------------------------------------------------------------


def test_a_plain_request_id_is_echoed_and_names_every_line_of_the_request(
    client, json_logs, members, token_api, workspace
):
    api = token_api(members["owner"])
    response = client.get(
        "/api/workspaces/987654",
        HTTP_AUTHORIZATION=api.auth["HTTP_AUTHORIZATION"],
        HTTP_X_REQUEST_ID="req-42.a",
    )
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-42.a"
    lines = [r for r in json_logs.records() if r.get("request_id") == "req-42.a"]
    # Django's own "Not Found" warning and tamtam's access line: both carry the id.
    assert {r["logger"] for r in lines} >= {"django.request", "tamtam.request"}
    access = next(r for r in lines if r["logger"] == "tamtam.request")
    assert access["message"].startswith("GET api/workspaces/")
    assert " 404 " in access["message"]
    assert set(access) >= {"time", "level", "logger", "message", "request_id"}
    assert "work_id" not in access  # unset context fields are left out, not written empty


@pytest.mark.parametrize("given", [None, "", "has spaces", "x" * 129, "a;b", "é"])
def test_an_absent_or_unusable_request_id_is_replaced_by_a_generated_one(client, json_logs, given):
    headers = {} if given is None else {"HTTP_X_REQUEST_ID": given}
    response = client.get("/healthz", **headers)
    request_id = response["X-Request-ID"]
    assert GENERATED.match(request_id)
    [line] = [r for r in json_logs.records() if r["logger"] == "tamtam.request"]
    assert line["request_id"] == request_id
    assert client.get("/healthz", **headers)["X-Request-ID"] != request_id


def test_the_text_format_appends_the_context_fields(client, text_logs):
    client.get("/healthz", HTTP_X_REQUEST_ID="trace-7")
    [line] = [line for line in text_logs.lines() if " tamtam.request " in line]
    assert line.endswith("[request_id=trace-7]")
    assert " INFO tamtam.request GET healthz 200 " in line


# --- work ids -------------------------------------------------------------------------------------


def test_every_line_a_worker_logs_for_an_item_names_the_item_and_the_worker(
    any_format_logs, make_telegram_channel, bot_token, bot_api
):
    due = timezone.now() - timezone.timedelta(seconds=1)
    channels = [make_telegram_channel(), make_telegram_channel()]
    [first, second] = drill.create_targets(channels, [due, due])
    with respx.mock(base_url=bot_api, assert_all_called=True) as bot:
        bot.post("/sendMessage").mock(
            side_effect=[
                httpx.Response(200, json={"ok": True, "result": {"message_id": n, "date": 1764669600}})
                for n in (11, 12)
            ]
        )
        Runner(name="logs-worker", concurrency=4, inline=True, kinds=[PUBLISH]).tick()
    assert set(PostTarget.objects.values_list("state", flat=True)) == {"published"}
    if any_format_logs.fmt == "json":
        calls = [r for r in any_format_logs.records() if r["logger"] == "httpx"]
        assert {r["work_id"] for r in calls} == {str(first), str(second)}
        assert {r["work_kind"] for r in calls} == {"publish"}
        # The runner's name, as /readyz shows it: name:pid:random.
        assert all(WORKER.match(r["worker"]) for r in calls), calls
    else:
        calls = [line for line in any_format_logs.lines() if " httpx " in line]
        tails = [re.search(r"\[work_kind=publish work_id=(\d+) worker=(\S+)\]$", line) for line in calls]
        assert all(tails), calls
        assert {int(t[1]) for t in tails if t} == {first, second}
        assert all(WORKER.match(t[2]) for t in tails if t)
    # The Bot API URL holds the token: the lines name the call, never the token.
    assert bot_token not in any_format_logs.text
    assert all("/sendMessage" in (r if isinstance(r, str) else r["message"]) for r in calls)


# --- the scrubber ---------------------------------------------------------------------------------


def _emit(logger: str, message: str, *args: object) -> None:
    logging.getLogger(logger).warning(message, *args)


def test_credential_shapes_are_redacted_in_both_formats(any_format_logs):
    values = {name: fresh(name[:3] + "-") for name in ("bearer", "basic", "password", "query", "json", "url")}
    _emit("httpx", "Authorization: Bearer %s", values["bearer"])
    _emit("urllib3", "headers={'authorization': 'Basic %s'}", values["basic"])
    _emit("tamtam.test", "login failed: password=%s user=alice", values["password"])
    _emit("httpx", "GET https://graph.example/me?fields=id&access_token=%s&x=1", values["query"])
    _emit("tamtam.test", "answer %s", json.dumps({"refresh_token": values["json"], "expires_in": 3600}))
    _emit("tamtam.test", "broker redis://:%s@10.0.0.5:6379/0 down", values["url"])
    text = any_format_logs.text
    for name, value in values.items():
        assert value not in text, name
    # What is around the secret stays readable.
    assert "user=alice" in text
    assert "fields=id&access_token=" + REDACTED in text or "access_token=" + REDACTED in text
    assert "redis://:" + REDACTED + "@10.0.0.5:6379/0" in text
    assert text.count(REDACTED) >= len(values)
    if any_format_logs.fmt == "json":
        assert len(any_format_logs.records()) == len(values)


def test_values_the_process_decrypted_are_redacted_in_any_shape(any_format_logs):
    secret = fresh("app-pw-")
    stored = crypto.encrypt_json({"handle": "brand.example", "app_password": secret})
    assert crypto.decrypt_json(stored)["app_password"] == secret
    # A network echoing it back in an error, a library printing a dict: no key name to go by.
    _emit("atproto", "login refused for brand.example (%s)", secret)
    _emit("tamtam.test", "context %r", {"creds": [secret.upper(), secret]})
    # The encrypted form itself is not printed either.
    _emit("tamtam.test", "row credentials_encrypted=%s", stored)
    text = any_format_logs.text
    assert secret not in text
    assert stored not in text
    assert "brand.example" in text  # ids and handles beside it stay readable
    assert "v1:" + REDACTED in text


def test_a_traceback_is_scrubbed_too(any_format_logs):
    token = fresh("tok-")
    try:
        raise httpx.ConnectError(f"cannot reach https://api.example/v2?token={token}")
    except httpx.ConnectError:
        logging.getLogger("tamtam.test").exception("call failed with Authorization: Bearer %s", token)
    text = any_format_logs.text
    assert token not in text
    assert "ConnectError" in text
    if any_format_logs.fmt == "json":
        [record] = any_format_logs.records()
        assert "Traceback" in record["exc_info"]
        assert REDACTED in record["exc_info"]


def test_the_secret_settings_are_redacted_verbatim(any_format_logs, settings):
    _emit("django", "key is %s and %s", settings.SECRET_KEY, settings.ENCRYPTION_KEY)
    assert settings.SECRET_KEY not in any_format_logs.text
    assert settings.ENCRYPTION_KEY not in any_format_logs.text


def test_extra_fields_of_a_json_line_are_scrubbed_too(client, json_logs):
    # Django's "Not Found" line carries the request object, printed with its query string.
    token = fresh("qs-")
    assert client.get(f"/no-such-page/?next=/w/&access_token={token}").status_code == 404
    [line] = [r for r in json_logs.records() if r["logger"] == "django.request"]
    assert line["status_code"] == 404  # numbers stay numbers
    assert "/no-such-page/" in line["request"]
    assert token not in json_logs.text
