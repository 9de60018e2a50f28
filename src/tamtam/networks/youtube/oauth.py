"""YouTube through Google OAuth 2 ("Using OAuth 2.0 for Web Server Applications"): authorization code
with PKCE, `access_type=offline` and `prompt=consent` so that Google issues a refresh token every
time, client id and secret posted to the token endpoint. Access tokens live one hour; refreshing does
not return a new refresh token (the one we have is kept). Revocation at oauth2.googleapis.com/revoke.

Scopes: `youtube.upload` (videos.insert), `youtube.force-ssl` (comments, moderation, delete — Google
requires it for comment writes), `youtube.readonly` (channel, playlists, statistics, search)."""

from __future__ import annotations

from tamtam.networks.oauth import OAuthSpec

SPEC = OAuthSpec(
    network="youtube",
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",  # noqa: S106 — a URL, not a secret
    revoke_url="https://oauth2.googleapis.com/revoke",
    scopes=(
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube.force-ssl",
        "https://www.googleapis.com/auth/youtube.readonly",
    ),
    pkce=True,
    client_auth="post",
    extra_authorize_params={"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"},
    access_token_days=1 / 24,
)
