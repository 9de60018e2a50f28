"""Pinterest OAuth 2 (API v5), per Pinterest's "Authentication" guide: authorization code, HTTP Basic
client authentication at the token endpoint, comma-separated scopes. Access tokens live 30 days;
refresh tokens are "continuous": 60 days, renewed with each refresh (the answer carries the new one
and its `refresh_token_expires_in`). Disconnecting revokes at `/v5/oauth/token/revoke`."""

from __future__ import annotations

from tamtam.networks.oauth import OAuthSpec

SPEC = OAuthSpec(
    network="pinterest",
    authorize_url="https://www.pinterest.com/oauth/",
    token_url="https://api.pinterest.com/v5/oauth/token",  # noqa: S106 — a URL, not a secret
    revoke_url="https://api.pinterest.com/v5/oauth/token/revoke",
    scopes=("boards:read", "boards:write", "pins:read", "pins:write", "user_accounts:read"),
    pkce=False,
    client_auth="basic",
    scope_separator=",",
    access_token_days=30,
    refresh_token_days=60,
)
