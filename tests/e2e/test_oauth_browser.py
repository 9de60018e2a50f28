"""Connecting a channel through OAuth 2 in a real browser, against a real authorisation server the test
starts on 127.0.0.1 (stdlib http.server in a thread: real HTTP, no mocks). The server checks what a
strict provider checks — response_type, client id, the exact redirect URL, state, PKCE S256 at the
authorize step; the code (single use), the client's credentials and SHA256(code_verifier) at the token
step — and answers the identity endpoint only for the access token it issued.

The test network "acme" is plugged in as a real network's folder is (its `oauth.py` SPEC and its
connector), its endpoints pointed at that server; the redirect base is the live server."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import sys
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from django.urls import reverse

from tamtam.channels.models import Channel, ChannelStatus
from tamtam.networks import registry
from tamtam.networks.base import (
    Capability,
    ChannelContext,
    Identity,
    Limits,
    MediaRules,
    PublishRequest,
    PublishResult,
)
from tamtam.networks.http import HttpConnector
from tamtam.networks.oauth import OAuthSpec
from tamtam.publishing.engine.ledger import connector_for

CLIENT_ID = "acme-e2e-client"
CLIENT_SECRET = "acme-e2e-secret-" + secrets.token_hex(8)
ACCOUNT = {"id": 4242, "username": "brand", "name": "Brand Inc"}
DENIED = "The user denied the request"


def s256(verifier: str) -> str:
    # Written out here rather than imported from tamtam: the provider must not trust our own code.
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class Provider:
    """The authorisation server's state; `refusals` records every request it turned down and why."""

    redirect_uri: str
    url: str = ""
    pending: dict[str, dict[str, str]] = field(default_factory=dict)  # consent pages shown
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # codes issued, not yet used
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    refusals: list[str] = field(default_factory=list)
    exchanges: int = 0
    posts: list[str] = field(default_factory=list)  # texts published with an issued access token
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: pytest shows the assertions that matter

        # --- answers ------------------------------------------------------------------------

        def _send(
            self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(body).encode(), "application/json", headers)

        def _refuse_page(self, reason: str) -> None:
            # RFC 6749 §4.1.2.1: a bad client or redirect URL is never redirected to; said here.
            provider.refusals.append(reason)
            body = f"<!doctype html><title>Refused</title><h1>Refused</h1><p>{html.escape(reason)}</p>"
            self._send(400, body.encode(), "text/html; charset=utf-8")

        def _refuse_json(self, status: int, error: str, description: str) -> None:
            provider.refusals.append(f"{error}: {description}")
            self._json(status, {"error": error, "error_description": description})

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

        # --- routes -------------------------------------------------------------------------

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/authorize":
                self._authorize({k: v[0] for k, v in parse_qs(parts.query).items()})
            elif parts.path == "/api/me":
                self._me()
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if path == "/authorize/decision":
                self._decision(self._form())
            elif path == "/token":
                self._token(self._form())
            elif path == "/api/posts":
                self._post()
            else:
                self._send(404, b"not found", "text/plain")

        def _authorize(self, q: dict[str, str]) -> None:
            checks = [
                (q.get("response_type") == "code", "response_type must be code"),
                (q.get("client_id") == CLIENT_ID, "unknown client_id"),
                (q.get("redirect_uri") == provider.redirect_uri, "redirect_uri is not the registered one"),
                (len(q.get("state", "")) >= 16, "state missing or too short"),
                (q.get("code_challenge_method") == "S256", "code_challenge_method must be S256"),
                (len(q.get("code_challenge", "")) == 43, "code_challenge missing or not a SHA-256"),
            ]
            for ok, reason in checks:
                if not ok:
                    self._refuse_page(reason)
                    return
            request_id = secrets.token_urlsafe(16)
            with provider.lock:
                provider.pending[request_id] = q
            scope = html.escape(q.get("scope", ""))
            body = (
                "<!doctype html><html lang=en><head><meta charset=utf-8><title>Acme: authorise tamtam</title>"
                "</head><body><h1>Authorise tamtam?</h1>"
                f"<p data-testid=consent-scope>tamtam asks for: {scope}</p>"
                f"<p>Signed in as @{ACCOUNT['username']}.</p>"
                "<form method=post action=/authorize/decision>"
                f"<input type=hidden name=request value={request_id}>"
                "<button name=decision value=allow>Allow</button> "
                "<button name=decision value=deny>Deny</button></form></body></html>"
            )
            self._send(200, body.encode(), "text/html; charset=utf-8")

        def _decision(self, form: dict[str, str]) -> None:
            with provider.lock:
                q = provider.pending.pop(form.get("request", ""), None)
            if q is None:
                self._refuse_page("unknown authorisation request")
                return
            if form.get("decision") == "allow":
                code = secrets.token_urlsafe(24)
                with provider.lock:
                    provider.codes[code] = {
                        "challenge": q["code_challenge"],
                        "redirect_uri": q["redirect_uri"],
                        "scope": q.get("scope", ""),
                    }
                answer = {"code": code, "state": q["state"]}
            else:
                answer = {"error": "access_denied", "error_description": DENIED, "state": q["state"]}
            self._send(302, b"", "text/plain", {"Location": f"{q['redirect_uri']}?{urlencode(answer)}"})

        def _token(self, form: dict[str, str]) -> None:
            # The spec says client_auth="basic": the client authenticates with HTTP Basic.
            header = self.headers.get("Authorization", "")
            try:
                user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
            except ValueError:
                user, password = "", ""
            if not header.startswith("Basic ") or (user, password) != (CLIENT_ID, CLIENT_SECRET):
                self._refuse_json(401, "invalid_client", "client authentication failed")
                return
            if form.get("grant_type") != "authorization_code":
                self._refuse_json(400, "unsupported_grant_type", "only authorization_code here")
                return
            with provider.lock:
                grant = provider.codes.pop(form.get("code", ""), None)  # single use, whatever follows
            if grant is None:
                self._refuse_json(400, "invalid_grant", "unknown or already used code")
                return
            if form.get("redirect_uri") != grant["redirect_uri"]:
                self._refuse_json(400, "invalid_grant", "redirect_uri differs from the authorize one")
                return
            verifier = form.get("code_verifier", "")
            if not 43 <= len(verifier) <= 128 or s256(verifier) != grant["challenge"]:
                self._refuse_json(400, "invalid_grant", "PKCE verification failed")
                return
            access, refresh = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
            with provider.lock:
                provider.access_tokens.add(access)
                provider.refresh_tokens.add(refresh)
                provider.exchanges += 1
            self._json(
                200,
                {
                    "access_token": access,
                    "refresh_token": refresh,
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "scope": grant["scope"],
                },
            )

        def _bearer_ok(self) -> bool:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in provider.access_tokens:
                self._refuse_json(401, "invalid_token", "unknown access token")
                return False
            return True

        def _me(self) -> None:
            if self._bearer_ok():
                self._json(200, ACCOUNT)

        def _post(self) -> None:
            if not self._bearer_ok():
                return
            length = int(self.headers.get("Content-Length") or 0)
            text = json.loads(self.rfile.read(length) or b"{}").get("text", "")
            with provider.lock:
                provider.posts.append(text)
                number = len(provider.posts)
            self._json(201, {"id": str(number)})

    return Handler


@pytest.fixture
def provider(live_server) -> Iterator[Provider]:  # type: ignore[no-untyped-def]
    state = Provider(redirect_uri=f"{live_server.url}/oauth/callback/acme/")
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="oauth-provider", daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def acme_live(provider: Provider, live_server, settings, monkeypatch) -> Iterator[Provider]:  # type: ignore[no-untyped-def]
    """The "acme" test network (as in tests/channels/conftest.py) with its endpoints on `provider`."""
    settings.OAUTH_REDIRECT_BASE = live_server.url
    monkeypatch.setenv("TAMTAM_ACME_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("TAMTAM_ACME_CLIENT_SECRET", CLIENT_SECRET)
    spec = OAuthSpec(
        network="acme",
        authorize_url=f"{provider.url}/authorize",
        token_url=f"{provider.url}/token",
        scopes=("profile", "publish"),
        pkce=True,
        client_auth="basic",
    )

    class Acme(HttpConnector):
        network = "acme"
        label = "Acme"
        base_url = provider.url
        capabilities: ClassVar = frozenset({Capability.PUBLISH})
        limits = Limits(max_chars=500, count=len, media=MediaRules(max_count=4))

        @classmethod
        def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
            conn = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
            me = conn.json("GET", "/api/me")
            return Identity(external_id=str(me["id"]), handle="@" + me["username"], name=me["name"])

        def publish(self, request: PublishRequest) -> PublishResult:
            body = self.json("POST", "/api/posts", json={"text": request.text})
            return PublishResult(remote_id=str(body["id"]))

    registry._load()
    package = types.ModuleType("tamtam.networks.acme")
    package.__path__ = []  # a package, so `tamtam.networks.acme.oauth` resolves
    module = types.ModuleType("tamtam.networks.acme.oauth")
    module.SPEC = spec  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tamtam.networks.acme", package)
    monkeypatch.setitem(sys.modules, "tamtam.networks.acme.oauth", module)
    registry.register(Acme)
    yield provider
    registry._CONNECTORS.pop("acme", None)


def _start_connect(page, workspace) -> list[str]:  # type: ignore[no-untyped-def]
    """From the channels page to the provider's consent page; every URL the tab visits is recorded."""
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
    page.on("request", lambda request: visited.append(request.url))
    page.goto(reverse("channels:list", kwargs={"ws": workspace.id}))
    page.click("[data-testid=channel-add]")
    page.click("[data-testid=network-row][data-network=acme] [data-testid=network-connect]")
    page.wait_for_url(lambda url: url.endswith("/channels/add/?network=acme"))
    page.click("[data-testid=network-connect-submit]")
    return visited


def _no_secret_anywhere(page, provider: Provider, visited: list[str]) -> None:  # type: ignore[no-untyped-def]
    content = page.content()
    secrets_issued = [*provider.access_tokens, *provider.refresh_tokens, CLIENT_SECRET]
    for secret in secrets_issued:
        assert secret not in content
        assert secret not in page.url
        assert not [url for url in visited if secret in url]
    # The authorization code only ever passes through the callback URL, never lands on our pages.
    assert "code=" not in page.url


@pytest.mark.django_db(transaction=True)
def test_connect_a_channel_through_oauth_with_pkce_in_the_browser(
    page, log_in, workspace, members, acme_live
):
    provider = acme_live
    # The first request imports every app and connector; on a loaded machine that exceeds 15 s.
    page.goto("/accounts/login/", timeout=180_000)
    log_in("manager", "pw-manager-Secret1")
    visited = _start_connect(page, workspace)

    # tamtam sent the browser to the provider's consent page, which accepted every parameter.
    page.wait_for_url(lambda url: url.startswith(f"{provider.url}/authorize?"))
    assert provider.refusals == []
    assert page.locator("h1").inner_text() == "Authorise tamtam?"
    assert "profile publish" in page.locator("[data-testid=consent-scope]").inner_text()
    query = parse_qs(urlsplit(page.url).query)
    assert query["redirect_uri"] == [provider.redirect_uri]
    assert "code_verifier" not in query

    page.click("button[value=allow]")
    page.wait_for_url(f"**/w/{workspace.id}/channels/")
    assert provider.refusals == []
    assert provider.exchanges == 1
    assert provider.codes == {}  # the code was spent

    row = page.locator("[data-testid=channel-row]", has_text="Brand Inc")
    assert row.count() == 1
    assert "@brand" in row.inner_text()
    assert row.locator("[data-testid=channel-status]").inner_text().strip() == "Connected"
    assert "Brand Inc is connected." in page.locator(".flash").inner_text()
    _no_secret_anywhere(page, provider, visited)

    channel = Channel.objects.get(workspace=workspace, network="acme")
    assert (channel.external_id, channel.handle, channel.status) == ("4242", "@brand", ChannelStatus.ACTIVE)
    credentials = channel.get_credentials()
    assert credentials["access_token"] in provider.access_tokens
    assert credentials["refresh_token"] in provider.refresh_tokens
    assert credentials["expires_at"]
    assert credentials["access_token"] not in channel.credentials_encrypted
    # The stored token is the one the network accepts: the channel publishes with it.
    result = connector_for(channel).publish(PublishRequest(text="Hello from tamtam", idempotency_key="e2e"))
    assert (result.remote_id, provider.posts) == ("1", ["Hello from tamtam"])


@pytest.mark.django_db(transaction=True)
def test_a_person_who_denies_access_comes_back_to_the_networks_refusal(
    page, log_in, workspace, members, acme_live
):
    provider = acme_live
    page.goto("/accounts/login/", timeout=180_000)
    log_in("manager", "pw-manager-Secret1")
    visited = _start_connect(page, workspace)
    page.wait_for_url(lambda url: url.startswith(f"{provider.url}/authorize?"))

    page.click("button[value=deny]")
    page.wait_for_url(f"**/w/{workspace.id}/channels/")
    assert f"Acme did not grant access: {DENIED}" in page.locator(".flash").inner_text()
    assert page.locator("[data-testid=channel-row]", has_text="Brand Inc").count() == 0
    assert not Channel.objects.filter(network="acme").exists()
    assert provider.exchanges == 0
    _no_secret_anywhere(page, provider, visited)


def test_the_provider_refuses_a_wrong_verifier_a_replayed_code_and_a_wrong_client(provider: Provider) -> None:
    """The provider is strict for real: the browser test's success proves tamtam's PKCE and client
    authentication, not a server that says yes to anything."""
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": provider.redirect_uri,
        "state": secrets.token_urlsafe(32),
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }

    def code() -> str:
        with httpx.Client(base_url=provider.url) as http:
            assert http.get("/authorize", params=params).status_code == 200
            request_id = next(iter(provider.pending))
            answer = http.post("/authorize/decision", data={"request": request_id, "decision": "allow"})
        return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]

    def exchange(
        the_code: str, the_verifier: str, client: tuple[str, str] = (CLIENT_ID, CLIENT_SECRET)
    ) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": the_code,
            "redirect_uri": provider.redirect_uri,
            "code_verifier": the_verifier,
        }
        return httpx.post(f"{provider.url}/token", data=form, auth=client)

    wrong = exchange(code(), secrets.token_urlsafe(48))
    assert (wrong.status_code, wrong.json()["error_description"]) == (400, "PKCE verification failed")
    assert exchange(code(), verifier, (CLIENT_ID, "not-the-secret")).status_code == 401
    good = code()
    assert exchange(good, verifier).status_code == 200
    assert exchange(good, verifier).json()["error"] == "invalid_grant"  # a code is single use
    bad_redirect = httpx.get(
        f"{provider.url}/authorize", params={**params, "redirect_uri": "http://evil.test/cb"}
    )
    assert bad_redirect.status_code == 400
    assert "redirect_uri is not the registered one" in bad_redirect.text
