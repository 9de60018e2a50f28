"""The OAuth 2 connect flow driven by a network's SPEC, end to end through the pages: the authorize
redirect (state, PKCE S256, redirect URL from the setting), the callback (state single use and bound to
the person, code exchange with the verifier, identity, channel created or updated), errors shown, and no
secret in any URL, page or audit entry. The network's token and API endpoints are respx routes."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from django.urls import reverse

from tamtam.accounts.models import AuditEvent
from tamtam.channels import connecting
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.networks.oauth import code_challenge

pytestmark = pytest.mark.usefixtures("acme_configured")

CALLBACK = "/oauth/callback/acme/"


def add_url(ws) -> str:
    return reverse("channels:add", kwargs={"ws": ws.id})


def start(client, ws) -> dict[str, str]:
    response = client.post(add_url(ws), {"network": "acme"})
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://auth.acme.test/oauth/authorize"
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


class TokenEndpoint:
    """The network's token endpoint: checks the code and the PKCE verifier against the challenge."""

    def __init__(self, challenge: str, answer: dict | None = None) -> None:
        self.challenge = challenge
        self.answer = answer or {
            "access_token": "AT-1",
            "refresh_token": "RT-1",
            "expires_in": 3600,
            "token_type": "bearer",
            "scope": "profile publish",
        }
        self.forms: list[dict[str, list[str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.forms.append(form)
        if form.get("code") != ["good-code"]:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "bad code"})
        if code_challenge(form["code_verifier"][0]) != self.challenge:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "PKCE mismatch"})
        return httpx.Response(200, json=self.answer)


@pytest.fixture
def acme_api():
    with respx.mock(assert_all_called=False) as mock:
        mock.get("https://api.acme.test/me").respond(
            200, json={"id": 42, "username": "brand", "name": "Brand Inc"}
        )
        yield mock


def test_the_authorize_redirect_carries_state_pkce_s256_and_the_configured_redirect_url(
    workspace, members, login
):
    client = login(members["manager"])
    params = start(client, workspace)
    assert params["response_type"] == "code"
    assert params["client_id"] == "acme-client"
    assert params["redirect_uri"] == "https://tamtam.example/oauth/callback/acme/"
    assert params["scope"] == "profile publish"
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 32
    pending = client.session[connecting.SESSION_KEY][params["state"]]
    assert pending["user"] == members["manager"].pk
    assert pending["ws"] == workspace.pk
    assert pending["network"] == "acme"
    # The challenge is the S256 of the verifier kept server-side; the verifier is never in the URL.
    assert code_challenge(pending["verifier"]) == params["code_challenge"]
    assert pending["verifier"] not in json.dumps(params)
    assert "acme-secret-value" not in json.dumps(params)


def test_the_callback_exchanges_the_code_with_the_verifier_and_connects_the_account(
    workspace, members, login, acme_api
):
    client = login(members["manager"])
    params = start(client, workspace)
    endpoint = TokenEndpoint(params["code_challenge"])
    acme_api.post("https://auth.acme.test/oauth/token").mock(side_effect=endpoint)
    response = client.get(CALLBACK, {"code": "good-code", "state": params["state"]})
    assert response.status_code == 302
    assert response["Location"] == reverse("channels:list", kwargs={"ws": workspace.id})
    form = endpoint.forms[0]
    assert form["grant_type"] == ["authorization_code"]
    assert form["redirect_uri"] == ["https://tamtam.example/oauth/callback/acme/"]
    # client_auth="basic": the secret travels in the Authorization header, not the form.
    assert "client_secret" not in form
    channel = Channel.objects.get(workspace=workspace, network="acme")
    assert (channel.external_id, channel.handle, channel.name) == ("42", "@brand", "Brand Inc")
    assert channel.status == ChannelStatus.ACTIVE
    credentials = channel.get_credentials()
    assert credentials["access_token"] == "AT-1"
    assert credentials["refresh_token"] == "RT-1"
    assert "AT-1" not in channel.credentials_encrypted
    assert "RT-1" not in channel.credentials_encrypted
    assert channel.token_expires_at is not None
    assert channel.refresh_due_at is not None
    assert channel.refresh_due_at < channel.token_expires_at
    # No secret in the audit, nor on the channels page.
    events = json.dumps(list(AuditEvent.objects.values("summary", "data")), default=str)
    assert "channel.connected" in json.dumps(list(AuditEvent.objects.values_list("action", flat=True)))
    for secret in ("AT-1", "RT-1", "good-code", "acme-secret-value"):
        assert secret not in events
    page = client.get(reverse("channels:list", kwargs={"ws": workspace.id})).content.decode()
    assert "Brand Inc" in page
    for secret in ("AT-1", "RT-1", "acme-secret-value"):
        assert secret not in page


def test_a_state_is_single_use(workspace, members, login, acme_api):
    client = login(members["manager"])
    params = start(client, workspace)
    acme_api.post("https://auth.acme.test/oauth/token").mock(
        side_effect=TokenEndpoint(params["code_challenge"])
    )
    assert client.get(CALLBACK, {"code": "good-code", "state": params["state"]}).status_code == 302
    again = client.get(CALLBACK, {"code": "good-code", "state": params["state"]})
    assert again.status_code == 400
    assert "already used" in again.content.decode()
    assert Channel.objects.filter(network="acme").count() == 1


def test_an_unknown_state_is_refused_without_calling_the_network(workspace, members, login, acme_api):
    client = login(members["manager"])
    start(client, workspace)
    token = acme_api.post("https://auth.acme.test/oauth/token").respond(200, json={"access_token": "x"})
    response = client.get(CALLBACK, {"code": "good-code", "state": "forged-state"})
    assert response.status_code == 400
    assert not token.called
    assert not Channel.objects.filter(network="acme").exists()


def test_an_expired_state_is_refused_and_said_so(workspace, members, login, acme_api, monkeypatch):
    client = login(members["manager"])
    params = start(client, workspace)
    token = acme_api.post("https://auth.acme.test/oauth/token").respond(200, json={"access_token": "x"})
    later = time.time() + connecting.STATE_TTL + 1
    monkeypatch.setattr(connecting.time, "time", lambda: later)
    response = client.get(CALLBACK, {"code": "good-code", "state": params["state"]}, follow=True)
    assert "expired" in response.content.decode()
    assert not token.called


def test_a_state_started_by_someone_else_is_refused(workspace, members, login, acme_api, client):
    manager = login(members["manager"])
    params = start(manager, workspace)
    token = acme_api.post("https://auth.acme.test/oauth/token").respond(200, json={"access_token": "x"})
    # Another person replays the callback URL in their own session: the state is not theirs.
    other = client.__class__()
    other.force_login(members["owner"])
    assert other.get(CALLBACK, {"code": "good-code", "state": params["state"]}).status_code == 400
    assert not token.called


def test_access_denied_at_the_network_is_shown_with_the_networks_words(workspace, members, login):
    client = login(members["manager"])
    params = start(client, workspace)
    response = client.get(
        CALLBACK,
        {
            "error": "access_denied",
            "error_description": "The user denied the request",
            "state": params["state"],
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Acme did not grant access" in page
    assert "The user denied the request" in page
    assert not Channel.objects.filter(network="acme").exists()


def test_a_refused_code_exchange_is_shown(workspace, members, login, acme_api):
    client = login(members["manager"])
    params = start(client, workspace)
    acme_api.post("https://auth.acme.test/oauth/token").mock(
        side_effect=TokenEndpoint(params["code_challenge"])
    )
    response = client.get(CALLBACK, {"code": "stale-code", "state": params["state"]}, follow=True)
    assert "bad code" in response.content.decode()
    assert not Channel.objects.filter(network="acme").exists()


def test_connecting_the_same_account_again_updates_its_channel_and_another_adds_one(
    workspace, members, login, acme_api
):
    client = login(members["manager"])
    for access in ("AT-1", "AT-2"):
        params = start(client, workspace)
        answer = {"access_token": access, "refresh_token": "RT", "expires_in": 3600}
        acme_api.post("https://auth.acme.test/oauth/token").mock(
            side_effect=TokenEndpoint(params["code_challenge"], answer)
        )
        client.get(CALLBACK, {"code": "good-code", "state": params["state"]})
    channels = Channel.objects.filter(workspace=workspace, network="acme")
    assert channels.count() == 1
    assert channels.get().get_credentials()["access_token"] == "AT-2"
    assert AuditEvent.objects.filter(action="channel.reconnected").count() == 1
    # A second account of the same network is a second channel.
    acme_api.get("https://api.acme.test/me").respond(
        200, json={"id": 7, "username": "other", "name": "Other"}
    )
    params = start(client, workspace)
    acme_api.post("https://auth.acme.test/oauth/token").mock(
        side_effect=TokenEndpoint(params["code_challenge"])
    )
    client.get(CALLBACK, {"code": "good-code", "state": params["state"]})
    assert Channel.objects.filter(workspace=workspace, network="acme").count() == 2


def test_a_network_without_client_id_says_which_settings_to_set(workspace, members, login, monkeypatch):
    monkeypatch.delenv("TAMTAM_ACME_CLIENT_ID")
    client = login(members["manager"])
    page = client.get(add_url(workspace)).content.decode()
    assert "not configured: set TAMTAM_ACME_CLIENT_ID and TAMTAM_ACME_CLIENT_SECRET" in page
    assert client.get(add_url(workspace), {"network": "acme"}).status_code == 200
    response = client.post(add_url(workspace), {"network": "acme"})
    assert response.status_code == 400
    assert "TAMTAM_ACME_CLIENT_ID" in response.content.decode()


def test_only_channel_managers_can_start_a_connection(workspace, members, login):
    client = login(members["community"])
    assert client.post(add_url(workspace), {"network": "acme"}).status_code == 403


def test_a_form_network_connects_from_its_declared_fields_and_shows_the_networks_refusal(
    workspace, members, login
):
    client = login(members["manager"])
    page = client.get(add_url(workspace), {"network": "tokennet"}).content.decode()
    assert 'name="bot_token"' in page
    assert 'type="password"' in page
    assert 'name="chat"' in page
    with respx.mock() as mock:
        mock.get("https://api.tokennet.test/chats/@news").mock(
            side_effect=lambda request: (
                httpx.Response(200, json={"id": -100123, "title": "News"})
                if request.headers["authorization"] == "Bearer 123:good"
                else httpx.Response(401, json={"description": "Unauthorized: invalid token"})
            )
        )
        refused = client.post(
            add_url(workspace), {"network": "tokennet", "bot_token": "123:bad", "chat": "@news"}
        )
        assert refused.status_code == 400
        body = refused.content.decode()
        assert "invalid token" in body
        assert "123:bad" not in body
        missing = client.post(add_url(workspace), {"network": "tokennet", "chat": "@news"})
        assert missing.status_code == 400
        assert "required" in missing.content.decode()
        ok = client.post(
            add_url(workspace), {"network": "tokennet", "bot_token": "123:good", "chat": "@news"}
        )
        assert ok.status_code == 302
    channel = Channel.objects.get(network="tokennet")
    assert (channel.external_id, channel.name, channel.options["chat"]) == ("-100123", "News", "@news")
    assert channel.get_credentials() == {"access_token": "123:good"}


def _jwt(payload: dict) -> str:
    import base64

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part(payload)}.c2lnbmF0dXJl"


def test_bluesky_connects_from_handle_and_app_password_through_its_connect_function(
    workspace, members, login
):
    """createSession answered as the PDS documents it (com.atproto.server.createSession)."""
    client = login(members["manager"])
    add = add_url(workspace)
    page = client.get(add, {"network": "bluesky"}).content.decode()
    assert 'name="app_password"' in page
    did = "did:plc:z72i7hdynmk6r22z27h6tvur"
    exp = int(time.time()) + 7200
    session = {
        "did": did,
        "handle": "brand.bsky.social",
        "accessJwt": _jwt({"scope": "com.atproto.appPass", "sub": did, "iat": exp - 7200, "exp": exp}),
        "refreshJwt": _jwt({"scope": "com.atproto.refresh", "sub": did, "exp": exp + 86400 * 60}),
        "active": True,
    }
    with respx.mock() as mock:
        mock.post("https://bsky.social/xrpc/com.atproto.server.createSession").mock(
            side_effect=lambda request: (
                httpx.Response(200, json=session)
                if json.loads(request.content)["password"] == "abcd-efgh-ijkl-mnop"
                else httpx.Response(
                    401, json={"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
                )
            )
        )
        refused = client.post(
            add, {"network": "bluesky", "handle": "brand.bsky.social", "app_password": "wrong"}
        )
        assert refused.status_code == 400
        assert "Invalid identifier or password" in refused.content.decode()
        ok = client.post(
            add, {"network": "bluesky", "handle": "@brand.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"}
        )
        assert ok.status_code == 302
    channel = Channel.objects.get(workspace=workspace, network="bluesky")
    assert (channel.external_id, channel.handle) == (did, "@brand.bsky.social")
    assert channel.get_credentials()["app_password"] == "abcd-efgh-ijkl-mnop"
    assert "abcd-efgh" not in json.dumps(list(AuditEvent.objects.values("summary", "data")))


def _api_client(user):
    from django.test import Client

    from tamtam.accounts.models import ApiToken

    _token, raw = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_lists_networks_and_connects_a_form_network(workspace, members):
    client = _api_client(members["manager"])
    networks = client.get(f"/api/workspaces/{workspace.id}/networks")
    assert networks.status_code == 200, networks.content
    by_name = {n["network"]: n for n in networks.json()}
    assert by_name["acme"]["method"] == "oauth"
    assert [f["name"] for f in by_name["tokennet"]["fields"]] == ["bot_token", "chat"]
    assert by_name["tokennet"]["fields"][0]["secret"] is True
    url = f"/api/workspaces/{workspace.id}/channels/connect/tokennet"
    with respx.mock() as mock:
        mock.get("https://api.tokennet.test/chats/@news").respond(200, json={"id": 5, "title": "News"})
        missing = client.post(url, {"values": {"chat": "@news"}}, content_type="application/json")
        assert missing.status_code == 422
        assert "bot_token" in missing.content.decode()
        made = client.post(
            url, {"values": {"bot_token": "1:x", "chat": "@news"}}, content_type="application/json"
        )
    assert made.status_code == 201
    assert made.json()["name"] == "News"
    assert "1:x" not in made.content.decode()
    oauth = client.post(
        f"/api/workspaces/{workspace.id}/channels/connect/acme",
        {"values": {}},
        content_type="application/json",
    )
    assert oauth.status_code == 422
    community = _api_client(members["community"])
    assert community.get(f"/api/workspaces/{workspace.id}/networks").status_code == 403
