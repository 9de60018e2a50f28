"""Reddit OAuth 2 (authorization code), per Reddit's "OAuth2" wiki: `duration=permanent` for a refresh
token, HTTP Basic client authentication at the token endpoint, no PKCE. Access tokens live one hour;
refreshing does not rotate the refresh token (it is kept)."""

from __future__ import annotations

from tamtam.networks.oauth import OAuthSpec

SPEC = OAuthSpec(
    network="reddit",
    authorize_url="https://www.reddit.com/api/v1/authorize",
    token_url="https://www.reddit.com/api/v1/access_token",  # noqa: S106 — a URL, not a secret
    revoke_url="https://www.reddit.com/api/v1/revoke_token",
    scopes=("identity", "submit", "read", "edit", "history", "privatemessages", "vote"),
    pkce=False,
    client_auth="basic",
    extra_authorize_params={"duration": "permanent"},
    access_token_days=1 / 24,
)
