"""Two test networks plugged in exactly as a real network's folder is: "acme" connects through OAuth 2
(SPEC in `tamtam.networks.acme.oauth`, identify/revoke on its connector), "tokennet" through a connect
form (bot-token style). Their HTTP endpoints are answered by respx routes in each test."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from django.utils.translation import gettext_lazy

from tamtam.networks import registry
from tamtam.networks.base import (
    Capability,
    ConnectField,
    Identity,
    Limits,
    MediaRules,
    NeedsUser,
    PublishRequest,
    PublishResult,
)
from tamtam.networks.http import HttpConnector
from tamtam.networks.oauth import OAuthSpec, refresh_token, revoke_token

ACME_SPEC = OAuthSpec(
    network="acme",
    authorize_url="https://auth.acme.test/oauth/authorize",
    token_url="https://auth.acme.test/oauth/token",
    revoke_url="https://auth.acme.test/oauth/revoke",
    scopes=("profile", "publish"),
    pkce=True,
    client_auth="basic",
    refresh_token_days=365,
    warn_days_before_expiry=10,
)


def _identify(cls: type[HttpConnector], credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
    from tamtam.networks.base import ChannelContext

    conn = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
    me = conn.json("GET", "/me")
    return Identity(external_id=str(me["id"]), handle="@" + me["username"], name=me["name"])


class Acme(HttpConnector):
    network = "acme"
    label = "Acme"
    base_url = "https://api.acme.test"
    capabilities: ClassVar = frozenset({Capability.PUBLISH, Capability.REVOKE})
    limits = Limits(max_chars=500, count=len, media=MediaRules(max_count=4))

    identify = classmethod(_identify)  # type: ignore[assignment]

    def publish(self, request: PublishRequest) -> PublishResult:
        body = self.json("POST", "/posts", json={"text": request.text})
        return PublishResult(remote_id=str(body["id"]))

    def refresh(self) -> None:
        self.update_credentials(refresh_token(ACME_SPEC, self.ctx.credentials))

    def revoke(self) -> None:
        revoke_token(ACME_SPEC, self.ctx.credentials)


class TokenNet(HttpConnector):
    network = "tokennet"
    label = "TokenNet"
    base_url = "https://api.tokennet.test"
    capabilities: ClassVar = frozenset({Capability.PUBLISH})
    limits = Limits(max_chars=500, count=len, media=MediaRules(max_count=4))
    connect_fields = (
        ConnectField("bot_token", gettext_lazy("Bot token"), kind="password", secret=True),
        ConnectField("chat", gettext_lazy("Channel"), placeholder="@name"),
    )

    @classmethod
    def connect_form(cls, values: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"access_token": values["bot_token"]}, {"chat": values["chat"]}

    @classmethod
    def identify(cls, credentials: dict[str, Any], options: dict[str, Any]) -> Identity:
        from tamtam.networks.base import ChannelContext

        conn = cls(ChannelContext(channel_id=0, handle="", credentials=credentials, options=options))
        try:
            me = conn.json("GET", f"/chats/{options['chat']}")
        except NeedsUser as exc:
            raise NeedsUser(f"TokenNet refused the token: {exc.message}") from exc
        return Identity(external_id=str(me["id"]), handle=options["chat"], name=me["title"])

    def publish(self, request: PublishRequest) -> PublishResult:
        return PublishResult(remote_id="1")


@pytest.fixture
def test_networks(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.OAUTH_REDIRECT_BASE = "https://tamtam.example"
    registry._load()
    package = types.ModuleType("tamtam.networks.acme")
    package.__path__ = []  # a package, so `tamtam.networks.acme.oauth` resolves
    module = types.ModuleType("tamtam.networks.acme.oauth")
    module.SPEC = ACME_SPEC  # type: ignore[attr-defined]
    sys.modules["tamtam.networks.acme"] = package
    sys.modules["tamtam.networks.acme.oauth"] = module
    registry.register(Acme)
    registry.register(TokenNet)
    yield
    registry._CONNECTORS.pop("acme", None)
    registry._CONNECTORS.pop("tokennet", None)
    sys.modules.pop("tamtam.networks.acme.oauth", None)
    sys.modules.pop("tamtam.networks.acme", None)


@pytest.fixture
def acme_configured(monkeypatch: pytest.MonkeyPatch, test_networks: None) -> None:
    monkeypatch.setenv("TAMTAM_ACME_CLIENT_ID", "acme-client")
    monkeypatch.setenv("TAMTAM_ACME_CLIENT_SECRET", "acme-secret-value")
