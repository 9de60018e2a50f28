"""Mastodon's OAuth 2: one server per instance, so the URLs are paths joined to the channel's instance,
and the client is registered by tamtam itself on each instance (`POST /api/v1/apps`, cached per instance
by the channels app). Mastodon access tokens do not expire (no refresh token); disconnect revokes.
PKCE S256 is supported from Mastodon 4.3 on; older servers ignore the parameters.
"""

from __future__ import annotations

import httpx

from tamtam.networks.base import Permanent, RetryAfter
from tamtam.networks.oauth import OAuthSpec

SPEC = OAuthSpec(
    network="mastodon",
    authorize_url="/oauth/authorize",
    token_url="/oauth/token",  # noqa: S106 — a URL path, not a secret
    revoke_url="/oauth/revoke",
    # "profile" exists only from Mastodon 4.3: older servers refuse unknown scopes at registration.
    scopes=("read", "write"),
    pkce=True,
    client_auth="post",
    per_instance=True,
)

CLIENT_NAME = "tamtam"
WEBSITE = "https://github.com/tamtam-social/tamtam"


def register_app(
    instance: str,
    redirect_uri: str,
    scopes: tuple[str, ...],
    *,
    transport: httpx.BaseTransport | None = None,
) -> tuple[str, str]:
    """Register tamtam as an app on `instance`; (client id, client secret)."""
    # JSON, as Mastodon's API documents it (it takes a form too).
    data = {
        "client_name": CLIENT_NAME,
        "redirect_uris": [redirect_uri],
        "scopes": " ".join(scopes),
        "website": WEBSITE,
    }
    try:
        with httpx.Client(timeout=20.0, transport=transport) as http:
            response = http.post(f"{instance}/api/v1/apps", json=data)
    except httpx.HTTPError as exc:
        raise RetryAfter(f"Mastodon: {instance} did not answer ({type(exc).__name__})", 60) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 500:
        raise RetryAfter(f"Mastodon: {instance} answered {response.status_code}", 60)
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("client_id"):
        words = body.get("error") if isinstance(body, dict) else ""
        raise Permanent(
            f"Mastodon: {instance} refused to register tamtam ({words or f'HTTP {response.status_code}'})"
        )
    return str(body["client_id"]), str(body.get("client_secret") or "")
