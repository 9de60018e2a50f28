"""X OAuth 2.0 (authorization code with PKCE), per X's "OAuth 2.0 Authorization Code Flow with PKCE".

Access tokens live two hours; `offline.access` gives a refresh token (which X rotates on each refresh).
A confidential client (the usual self-hosted app) authenticates at the token endpoint with HTTP Basic.
"""

from __future__ import annotations

from tamtam.networks.oauth import OAuthSpec

SPEC = OAuthSpec(
    network="x",
    authorize_url="https://x.com/i/oauth2/authorize",
    token_url="https://api.x.com/2/oauth2/token",  # noqa: S106 — a URL, not a secret
    revoke_url="https://api.x.com/2/oauth2/revoke",
    scopes=(
        "tweet.read",
        "tweet.write",
        "users.read",
        "offline.access",
        "like.write",
        "media.write",
        "tweet.moderate.write",  # hide replies under our posts
        "dm.read",  # direct messages in the inbox
    ),
    pkce=True,
    client_auth="basic",
    access_token_days=2 / 24,
)
