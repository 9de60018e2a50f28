"""The secret grep: a realistic flow with logging at DEBUG, then every captured line, page and answer
is searched for each secret value the flow used. None may be found.

The flow: a person logs in with a password (once wrong), takes an API token, connects a Telegram
channel through the API (a first try refused by the Bot API with the token echoed in its error),
publishes through the engine with faults (a connection error whose text holds the token in a URL and
a query string, a 500 and a 401 echoing it, then success), while sandbox channels with credentials
publish with faults turned up; then /metrics and /readyz (with a broker URL holding a password) are
read, and error pages are asked for with the token in their URL. Run once per log format.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from django.utils import timezone

from tamtam.accounts.models import ApiToken, Role
from tamtam.channels.models import Channel
from tamtam.publishing.models import PostTarget, PublishAttempt
from tamtam.publishing.tasks import FIRST_COMMENT, PUBLISH, RECONCILE
from tamtam.work import drill
from tamtam.work.runner import Runner

pytestmark = pytest.mark.django_db

CHAT = "@tamtamnews"


def _chat() -> dict[str, Any]:
    return {"id": -1001234567890, "title": "Tamtam News", "username": "tamtamnews", "type": "channel"}


def _ok(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": result})


def _refused(code: int, description: str) -> httpx.Response:
    return httpx.Response(code, json={"ok": False, "error_code": code, "description": description})


class Flow:
    """Everything a person, a network and an operator would see, gathered for the grep."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}

    def keep(self, name: str, response: Any) -> Any:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        self.pages[name] = content.decode("utf-8", "replace") + "\n" + json.dumps(dict(response.headers))
        return response


def _log_in(client, flow: Flow, username: str, password: str) -> None:
    flow.keep(
        "login wrong", client.post("/accounts/login/", {"username": username, "password": "x" + password})
    )
    done = flow.keep("login", client.post("/accounts/login/", {"username": username, "password": password}))
    assert done.status_code == 302, "the right password logs in"


def _connect(client, flow: Flow, ws: int, auth: dict[str, str], token: str, api: str) -> Channel:
    url = f"/api/workspaces/{ws}/channels/connect/telegram"
    body = json.dumps({"values": {"bot_token": token, "chat": CHAT}})
    with respx.mock(base_url=api, assert_all_called=False) as bot:
        bot.post("/getMe").mock(
            side_effect=[
                _refused(401, f"Unauthorized: token {token} was revoked"),
                _ok({"id": 7012345678, "is_bot": True, "username": "tamtam_bot"}),
            ]
        )
        bot.post("/getChat").mock(return_value=_ok(_chat()))
        bot.post("/getChatMember").mock(
            return_value=_ok({"status": "administrator", "can_post_messages": True})
        )
        refused = flow.keep(
            "connect refused", client.post(url, body, content_type="application/json", **auth)
        )
        assert refused.status_code == 422
        connected = flow.keep("connect", client.post(url, body, content_type="application/json", **auth))
        assert connected.status_code == 201, connected.content
    return Channel.objects.get(pk=connected.json()["id"])


def _publish_with_faults(
    telegram: Channel, sandboxes: list[Channel], token: str, api: str, on_needs_user: Any
) -> list[int]:
    now = timezone.now()
    ids = drill.create_targets([telegram], [now - timedelta(seconds=1)], first_comment="Plus d'infos")
    ids += drill.create_targets(sandboxes, [now - timedelta(seconds=1)] * 12)
    runner = Runner(name="grep", concurrency=8, inline=True, kinds=[PUBLISH, FIRST_COMMENT, RECONCILE])
    answers = [
        httpx.ConnectError(f"[Errno 111] POST {api}/sendMessage?access_token={token} refused"),
        _refused(500, f"Internal Server Error (bot{token})"),
        _refused(401, f"Unauthorized: invalid token {token}"),
    ]
    with respx.mock(base_url=api, assert_all_called=False) as bot:
        bot.post("/sendMessage").mock(
            side_effect=[*answers, _ok({"message_id": 41, "date": 1764669600}), _ok({"message_id": 42})]
        )
        reconnected = False
        for _round in range(6):
            runner.tick()
            # Retries are due later: bring them forward so each fault is met in this test.
            PostTarget.objects.filter(state__in=["retry_wait", "unconfirmed"]).update(
                due_at=timezone.now() - timedelta(seconds=1), lease_until=None
            )
            if not reconnected and PostTarget.objects.filter(pk=ids[0], state="needs_user").exists():
                # After the 401 the channel needs a person: what they see now, then reconnected.
                reconnected = True
                on_needs_user(ids[0])
                Channel.objects.filter(pk=telegram.pk).update(status="active", status_message="")
                PostTarget.objects.filter(pk=ids[0]).update(
                    state="scheduled", due_at=timezone.now() - timedelta(seconds=1)
                )
    return ids


@pytest.fixture
def secrets_used(settings) -> dict[str, str]:
    return {
        "password": "Correct-Horse-" + secrets.token_urlsafe(8),
        "sandbox token": "sbx_" + secrets.token_urlsafe(20),
        "sandbox refresh": "sbr_" + secrets.token_urlsafe(20),
        "broker password": "brk-" + secrets.token_urlsafe(12),
        "secret key": settings.SECRET_KEY,
        "encryption key": settings.ENCRYPTION_KEY,
    }


def test_no_secret_is_ever_printed_shown_or_answered(
    any_format_logs, client, workspace, make_user, make_channel, secrets_used, bot_token, bot_api, settings
):
    flow = Flow()
    used = dict(secrets_used, **{"bot token": bot_token})
    owner = make_user("grep-owner", workspace, Role.OWNER)
    owner.set_password(used["password"])
    owner.save()

    settings.AXES_ENABLED = True  # its failed-login records and lines are part of the flow
    _log_in(client, flow, "grep-owner", used["password"])
    _token, used["api token"] = ApiToken.issue(owner, "grep")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {used['api token']}"}

    telegram = _connect(client, flow, workspace.pk, auth, bot_token, bot_api)
    sandboxes = []
    for n in range(3):
        channel = make_channel(options={"error_rate": 0.3, "ambiguous_rate": 0.2, "seed": 40 + n})
        channel.set_credentials(
            {"access_token": used["sandbox token"], "refresh_token": used["sandbox refresh"]}
        )
        channel.save()
        sandboxes.append(channel)

    def read_while_it_needs_a_person(target_id: int) -> None:
        target = PostTarget.objects.get(pk=target_id)
        post_id = target.post_id
        # Shown to people wherever the target's state is (post page, calendar, API).
        flow.pages["needs_user last_error"] = target.last_error
        flow.pages["channel status"] = Channel.objects.get(pk=target.channel_id).status_message
        flow.keep(
            "needs_user post api", client.get(f"/api/workspaces/{workspace.pk}/posts/{post_id}", **auth)
        )
        flow.keep("needs_user post page", client.get(f"/w/{workspace.pk}/posts/{post_id}/"))
        flow.keep("needs_user channels page", client.get(f"/w/{workspace.pk}/channels/"))
        flow.keep("needs_user calendar", client.get(f"/w/{workspace.pk}/calendar/"))

    ids = _publish_with_faults(telegram, sandboxes, bot_token, bot_api, read_while_it_needs_a_person)
    assert "needs_user post page" in flow.pages
    outcomes = set(PublishAttempt.objects.values_list("outcome", flat=True))
    assert {"retry", "needs_user", "success"} <= outcomes, outcomes  # the faults were met
    assert PostTarget.objects.get(pk=ids[0]).state == "published"

    # What people and operators read afterwards.
    post_id = PostTarget.objects.get(pk=ids[0]).post_id
    flow.keep("attempts api", client.get(f"/api/workspaces/{workspace.pk}/posts/{post_id}/attempts", **auth))
    flow.keep("post api", client.get(f"/api/workspaces/{workspace.pk}/posts/{post_id}", **auth))
    flow.keep("channels api", client.get(f"/api/workspaces/{workspace.pk}/channels", **auth))
    flow.keep("post page", client.get(f"/w/{workspace.pk}/posts/{post_id}/"))
    flow.keep("channels page", client.get(f"/w/{workspace.pk}/channels/"))
    flow.keep("metrics", client.get("/metrics", REMOTE_ADDR="127.0.0.1"))
    settings.BROKER_URL = f"redis://:{used['broker password']}@127.0.0.1:9/0"
    ready = flow.keep("readyz", client.get("/readyz"))
    assert ready.status_code == 503
    assert "broker" in ready.json()["failing"]
    # Error pages, asked for with the token in the path and the query string.
    flow.keep("404 page", client.get(f"/w/{workspace.pk}/posts/999999/?access_token={bot_token}"))
    flow.keep("404 path", client.get(f"/bot{bot_token}/sendMessage"))
    flow.keep(
        "401 api",
        client.get(f"/api/workspaces/{workspace.pk}/posts", HTTP_AUTHORIZATION=f"Bearer {bot_token}"),
    )
    flow.keep("422 api", client.get(f"/api/workspaces/{workspace.pk}/posts?start={bot_token}", **auth))

    logged = any_format_logs.text
    assert "HTTP Request: POST https://api.telegram.org/bot" in logged  # httpx did log the calls
    found = {
        (name, where)
        for name, value in used.items()
        for where, text in [("logs", logged), *flow.pages.items()]
        if value in text
    }
    leaks = [line for line in logged.splitlines() if any(v in line for v in used.values())]
    assert not found, f"secrets found: {sorted(found)}; log lines: {leaks[:3]}"
