"""OAuth 2 as the networks declare it. Each OAuth network's folder has an `oauth.py` exporting
`SPEC: OAuthSpec`; the channels app runs the authorization-code flow from it (with PKCE where the
network supports it) and the connectors refresh tokens through `refresh_token`.

Client ids and secrets come from the environment (`TAMTAM_<NETWORK>_CLIENT_ID`,
`TAMTAM_<NETWORK>_CLIENT_SECRET`, or their `_FILE` variants), never from the database or the repository.

What a network's folder provides for the channels app to connect it (the "add a network" hooks):
- OAuth networks: `networks/<net>/oauth.py` exporting `SPEC: OAuthSpec`, and on the connector class the
  classmethod `identify(credentials, options) -> base.Identity` (who the account is, asked with the fresh
  credentials right after the code exchange), `refresh()` (usually through `refresh_token` below) and
  `revoke()`. The flow: `authorization_url` (state + PKCE S256) → the network → `/oauth/callback/<net>/`
  → `exchange_code` → `credentials_from_token` → `identify` → channel created or updated.
- Non-OAuth networks (Bluesky app password, Telegram/Discord bot tokens, Matrix access token): declare
  `connect_fields` (`base.ConnectField`) on the connector and override `connect_form(values)` when the
  values need a network call (a login) to become credentials; then `identify` as above.

Credentials of an OAuth channel are a dict with `access_token`, `refresh_token`, `expires_at` (ISO UTC,
when the access token dies), `refresh_expires_at` (when the refresh token dies, if the network says or
documents it: LinkedIn's 365 days) and `scope`; network-specific keys may be added.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from tamtam.lib import env
from tamtam.networks.base import NeedsUser, RetryAfter


@dataclass(frozen=True)
class OAuthSpec:
    network: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    pkce: bool = True
    revoke_url: str = ""
    # How the client authenticates at the token endpoint: HTTP Basic, form fields, or not at all
    # (public clients with PKCE).
    client_auth: Literal["basic", "post", "none"] = "post"
    scope_separator: str = " "
    extra_authorize_params: Mapping[str, str] = field(default_factory=dict)
    # Documented lifetimes, used when the token response does not say (None: unknown / no expiry).
    access_token_days: float | None = None
    refresh_token_days: float | None = None
    # Warn on the channel and its due posts this many days before a known expiry.
    warn_days_before_expiry: int = 7
    # Per-instance networks (Mastodon) fill the URLs per channel from `api_base`.
    per_instance: bool = False
    # The name the network gives the client id in the authorize URL and the token/revoke forms
    # (TikTok reads `client_key` and ignores `client_id`).
    client_id_param: str = "client_id"


def client_credentials(network: str) -> tuple[str, str]:
    """(client id, client secret) from the environment; ("", "") when the network is not configured."""

    def read(name: str) -> str:
        return (env.read(f"TAMTAM_{network.upper()}_{name}") or "").strip()

    return read("CLIENT_ID"), read("CLIENT_SECRET")


def expiry(seconds: Any, default_days: float | None, now: datetime | None = None) -> str:
    """ISO instant a token dies, from `expires_in` seconds or the documented default; "" if unknown."""
    now = now or datetime.now(UTC)
    try:
        if seconds not in (None, ""):
            return (now + timedelta(seconds=float(seconds))).isoformat()
    except (TypeError, ValueError):
        pass
    return (now + timedelta(days=default_days)).isoformat() if default_days else ""


def credentials_from_token(
    spec: OAuthSpec, token: Mapping[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Our credential keys from a token endpoint's JSON answer."""
    return {
        "access_token": str(token.get("access_token", "")),
        "refresh_token": str(token.get("refresh_token", "") or ""),
        "expires_at": expiry(token.get("expires_in"), spec.access_token_days, now),
        "refresh_expires_at": expiry(
            token.get("refresh_token_expires_in") or token.get("refresh_expires_in"),
            spec.refresh_token_days,
            now,
        )
        if token.get("refresh_token")
        else "",
        "scope": str(token.get("scope", "") or ""),
        "token_type": str(token.get("token_type", "") or "bearer"),
    }


def token_request(
    spec: OAuthSpec,
    data: dict[str, str],
    *,
    token_url: str = "",
    client: tuple[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """POST to the token endpoint; the parsed JSON. Refusals raise NeedsUser with the network's words."""
    client_id, client_secret = client or client_credentials(spec.network)
    auth: tuple[str, str] | None = None
    form = dict(data)
    if spec.client_auth == "basic":
        auth = (client_id, client_secret)
    else:
        form[spec.client_id_param] = client_id
        if spec.client_auth == "post" and client_secret:
            form["client_secret"] = client_secret
    with httpx.Client(timeout=30.0, transport=transport) as http:
        try:
            response = http.post(token_url or spec.token_url, data=form, auth=auth)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise RetryAfter(f"{spec.network}: the token endpoint did not answer", 60) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 500:
        raise RetryAfter(f"{spec.network}: token endpoint error {response.status_code}", 60)
    if response.status_code != 200 or not body.get("access_token"):
        words = body.get("error_description") or body.get("error") or response.text[:200]
        raise NeedsUser(f"{spec.network}: the sign-in was refused ({words}); reconnect the account")
    return dict(body)


def refresh_token(
    spec: OAuthSpec,
    credentials: Mapping[str, Any],
    *,
    token_url: str = "",
    client: tuple[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """New credential values from the refresh token (a missing new refresh token keeps the old one:
    `Connector.update_credentials` never overwrites it with an empty value)."""
    refresh = str(credentials.get("refresh_token") or "")
    if not refresh:
        raise NeedsUser(f"{spec.network}: the access token expired and cannot be refreshed; reconnect")
    token = token_request(
        spec,
        {"grant_type": "refresh_token", "refresh_token": refresh},
        token_url=token_url,
        client=client,
        transport=transport,
    )
    fresh = credentials_from_token(spec, token)
    if not fresh["refresh_token"]:
        # Keep the known expiry of the refresh token we keep.
        fresh["refresh_expires_at"] = str(credentials.get("refresh_expires_at") or "")
    return fresh


def expires_soon(credentials: Mapping[str, Any], within: timedelta, now: datetime | None = None) -> bool:
    """True when the access token dies within `within` (unknown expiry: False)."""
    value = str(credentials.get("expires_at") or "")
    if not value:
        return False
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return True
    return when <= (now or datetime.now(UTC)) + within


# --- the authorization-code flow -----------------------------------------------------------------


def new_state() -> str:
    """A random, unguessable `state` (CSRF protection of the callback)."""
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """A PKCE code verifier: 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1); 64 here."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    """The S256 challenge of a verifier: BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    spec: OAuthSpec,
    *,
    redirect_uri: str,
    state: str,
    code_verifier: str = "",
    client_id: str = "",
    authorize_url: str = "",
    scopes: tuple[str, ...] | None = None,
) -> str:
    """Where to send the person to grant access. With `spec.pkce` the `code_verifier` is required
    (its S256 challenge goes in the URL; the verifier stays server-side until the exchange)."""
    cid = client_id or client_credentials(spec.network)[0]
    if not cid:
        raise ValueError(f"{spec.network}: no client id configured")
    params: dict[str, str] = {
        "response_type": "code",
        spec.client_id_param: cid,
        "redirect_uri": redirect_uri,
        "state": state,
    }
    wanted = spec.scopes if scopes is None else scopes
    if wanted:
        params["scope"] = spec.scope_separator.join(wanted)
    if spec.pkce:
        if not code_verifier:
            raise ValueError(f"{spec.network}: PKCE needs a code verifier")
        params["code_challenge"] = code_challenge(code_verifier)
        params["code_challenge_method"] = "S256"
    params.update(spec.extra_authorize_params)
    base = authorize_url or spec.authorize_url
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"


def exchange_code(
    spec: OAuthSpec,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str = "",
    token_url: str = "",
    client: tuple[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The authorization code → our credential keys (see the module docstring)."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if spec.pkce and code_verifier:
        data["code_verifier"] = code_verifier
    token = token_request(spec, data, token_url=token_url, client=client, transport=transport)
    return credentials_from_token(spec, token, now)


def revoke_token(
    spec: OAuthSpec,
    credentials: Mapping[str, Any],
    *,
    revoke_url: str = "",
    client: tuple[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> bool:
    """Revoke at the network (RFC 7009) where the spec has a revoke URL. Best effort: False when
    there is nothing to revoke or the network did not answer; never raises."""
    url = revoke_url or spec.revoke_url
    token = str(credentials.get("refresh_token") or credentials.get("access_token") or "")
    if not url or not token:
        return False
    client_id, client_secret = client or client_credentials(spec.network)
    form = {"token": token}
    auth: tuple[str, str] | None = None
    if spec.client_auth == "basic":
        auth = (client_id, client_secret)
    else:
        form[spec.client_id_param] = client_id
        if client_secret and spec.client_auth == "post":
            form["client_secret"] = client_secret
    try:
        with httpx.Client(timeout=15.0, transport=transport) as http:
            response = http.post(url, data=form, auth=auth)  # type: ignore[arg-type]
    except httpx.HTTPError:
        return False
    # 200: revoked; 400 invalid_token: already forgotten, which is what we wanted too.
    return response.status_code in (200, 204) or response.status_code == 400
